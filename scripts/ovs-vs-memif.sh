#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ovs-vs-memif.sh: the same Open vSwitch DPDK bridge moving card-to-card
# traffic over net_cxlmem ports and over net_memif ports (what OVS users
# would use instead), in one run: R rounds, each with both transports, the
# one that goes first alternating. A benchmark: run it on a quiet machine,
# under `flock /work/bench.lock`; about 10 minutes with the defaults
# (S=10, R=5).
#
#   flock /work/bench.lock ./scripts/ovs-vs-memif.sh [--seconds S] [--rounds R]
#                                                     [--out FILE] [--no-tcp]
#
# Per round and transport: OVS (scripts/ovs-lib.sh: one PMD thread, on CPU
# 1) with ports card0 and card1 on bridge br0 and the OpenFlow rules card0
# -> card1, card1 -> card0 (no learning, no flooding to the host's port).
# cxlmem: each port a window (role=host), the card's end role=device.
# memif: each port a net_memif server, the card's end its client. Every
# link has Q queue pairs, Q = OVS's PMD threads + 1 (2): OVS transmits on
# that many TX queues of a port, and a memif card needs as many RX queues
# (see ovs_card_add in scripts/ovs-lib.sh); the cxlmem links get the same,
# and so do OVS's n_rxq, so the two differ in the transport only.
# The card ends are stock dpdk-testpmd on CPU 0 (two lcores on one CPU, Q
# queue pairs): txonly on card 0, rxonly on card 1, at 64 B and 1518 B
# frames (60 and 1514 bytes without the FCS); the figure is card 1's
# receive rate (Rx-pps, Rx-bps of `show port stats` over the last S - 2
# seconds). Then TCP through the kernels: cxl-fwd on each card end, on CPU
# 0 (cxlmem: role=device, offloads on, and once more with --offloads off;
# memif: the client), iperf3 card0 -> card1 for S seconds.
# Raw lines go to FILE (default docs/results/ovs-vs-memif/run-DATE.txt);
# the end is a table of each cell's median and the ratio cxlmem / memif,
# with the command that made it. A cell that moved nothing is reported,
# and the logs are kept. Each testpmd line counts how often a card's port
# saw OVS's end silent (silent=N: a link drop, docs/ovs.md "Liveness");
# OVS_CXL_OPTS (environment, e.g. link_timeout=500) adds devargs to both
# ends of the cxlmem links.
set -u

CMDLINE="$0${*:+ $*}"
SECS=10
ROUNDS=5
OUT=""
TCP=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) SECS="${2:?}"; shift 2 ;;
        --rounds) ROUNDS="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --no-tcp) TCP=0; shift ;;
        -h|--help) sed -n '3,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "ovs-vs-memif.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ "$SECS" =~ ^[0-9]+$ && $SECS -ge 3 ]] || { echo "ovs-vs-memif.sh: --seconds takes 3 or more" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ovs-vs-memif.sh: --rounds takes 1 or more" >&2; exit 2; }
# shellcheck source=ovs-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ovs-lib.sh"
ovs_prepare ""
[[ -x "$OVS_FWD_BIN" ]] || cxlmem_die "cxl-fwd not built ($OVS_FWD_BIN)"
[[ -n "$OUT" ]] || OUT="$CXLMEM_ROOT/docs/results/ovs-vs-memif/run-$(date -u +%Y%m%dT%H%M).txt"
mkdir -p "$(dirname "$OUT")"
DIR="$(mktemp -d /run/cxlmem-ovsbench.XXXXXX)"
TAG="cxbench$$"
ovs_init "$DIR" "$TAG" "$CXLMEM_PLUGIN" "$OVS_FWD_BIN"
# Every card program on CPU 0; OVS's PMD thread has CPU 1.
CARD_CPU=0
OVS_FWD_LCORE=$CARD_CPU
# Queue pairs per link: one per PMD thread (a bit of pmd-cpu-mask) plus one.
Q=1
for ((m = OVS_PMD_MASK; m; m >>= 1)); do ((Q += m & 1)); done
# shellcheck disable=SC2034  # read by ovs-lib.sh
OVS_QUEUES_0=$Q OVS_QUEUES_1=$Q
KEEP=0
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    ovs_cleanup
    if [[ $KEEP -eq 1 ]]; then echo "logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
    rm -rf /var/run/dpdk/"$TAG"*
    [[ -z "$CXLMEM_PLUGIN_COPY" ]] || rm -rf "$CXLMEM_PLUGIN_COPY"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

raw() { echo "$*" | tee -a "$OUT"; }
nothing() { # WHAT: a cell that moved nothing
    echo "ovs-vs-memif.sh: $1 moved nothing (logs in $DIR, kept)" >&2
    KEEP=1
}
raw "# command: $CMDLINE"
raw "# $(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r), OVS $(ovs-vsctl --version | head -1 | awk '{print $NF}'), DPDK $(cxlmem_dpdk_version), $Q queue pairs per link, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ovs-vs-memif.sh: about $(( (ROUNDS * (7 * SECS + 30) + 59) / 60 )) minutes" >&2

ovs_up || exit 1

ports_up() { # TRANSPORT
    local n
    OVS_TRANSPORT="$1"
    for n in 0 1; do ovs_card_add "$n" || return 1; done
    ovs-ofctl del-flows br0 &&
    ovs-ofctl add-flow br0 in_port=card0,actions=output:card1 &&
    ovs-ofctl add-flow br0 in_port=card1,actions=output:card0
}
ports_down() {
    vsctl --if-exists del-port br0 card0 -- --if-exists del-port br0 card1
    rm -f "$(ovs_win 0)" "$(ovs_win 1)"
}

# testpmd txonly (card 0) -> OVS -> rxonly (card 1), frames of LEN bytes
# without the FCS. Prints "pps bps silent" of card 1's reception, silent:
# how many times either card's port saw OVS's end silent (a link drop on a
# busy machine; docs/ovs.md, "Liveness"). The sender stops after the
# receiver's last reading.
pmd_pair() { # LEN
    local len="$1" extra=()
    [[ "$OVS_TRANSPORT" == cxlmem ]] && extra=(-d "$CXLMEM_PLUGIN")
    (sleep 3; echo start; sleep $((SECS + 1)); echo stop; sleep 1; echo quit) |
        dpdk-testpmd --lcores "(0,1)@$CARD_CPU" --no-huge -m 256 --no-pci --file-prefix "$TAG-c0" \
            ${extra[@]+"${extra[@]}"} --vdev="$(ovs_card_vdev 0)" \
            -- -i --no-mlockall --total-num-mbufs=8192 --rxq="$Q" --txq="$Q" \
            --forward-mode=txonly --txpkts="$len" >"$DIR/tx.log" 2>&1 &
    pids+=($!)
    (sleep 3; echo start; sleep 2; echo "show port stats 0"; sleep $((SECS - 2));
     echo "show port stats 0"; echo stop; sleep 1; echo quit) |
        dpdk-testpmd --lcores "(0,1)@$CARD_CPU" --no-huge -m 256 --no-pci --file-prefix "$TAG-c1" \
            ${extra[@]+"${extra[@]}"} --vdev="$(ovs_card_vdev 1)" \
            -- -i --no-mlockall --total-num-mbufs=8192 --rxq="$Q" --txq="$Q" \
            --forward-mode=rxonly >"$DIR/rx.log" 2>&1 &
    pids+=($!)
    wait "${pids[@]}" 2>/dev/null
    pids=()
    cat "$DIR/rx.log" >>"$DIR/rx-all.log"
    awk '/Rx-pps:/ { pps = $2; bps = $4 } END { printf "%.0f %.0f ", pps, bps }' "$DIR/rx.log"
    cat "$DIR/rx.log" "$DIR/tx.log" | grep -c "peer silent"
    cat "$DIR/tx.log" >>"$DIR/tx-all.log"
}

# TCP card0 -> card1 through cxl-fwd on each card end and the kernels;
# prints the receiver's Gb/s. ARGS: more cxl-fwd options.
tcp_pair() { # [ARGS...]
    local n out g=0
    for n in 0 1; do ovs_fwd_start "$n" "$@" || break; done
    if ovs_wait_ping 0 "$(ovs_ip_card 1)" 15; then
        ovs_in_card 1 iperf3 -s -1 -B "$(ovs_ip_card 1)" >/dev/null 2>&1 &
        local spid=$!
        sleep 1
        out="$(ovs_in_card 0 timeout $((SECS + 20)) iperf3 -c "$(ovs_ip_card 1)" -t "$SECS" 2>&1)"
        kill "$spid" 2>/dev/null # still there when the client never got through
        wait "$spid" 2>/dev/null
        g="$(awk '/receiver/ { v = $7; u = $8 } END { if (u == "Mbits/sec") v /= 1000; print v + 0 }' <<<"$out")"
    else
        echo "ovs-vs-memif.sh: no ping card 0 -> card 1 over $OVS_TRANSPORT" >&2
    fi
    for n in 0 1; do ovs_fwd_kill "$n" TERM; done
    echo "$g"
}

declare -A R
for ((r = 1; r <= ROUNDS; r++)); do
    order=(cxlmem memif)
    ((r % 2)) || order=(memif cxlmem)
    for t in "${order[@]}"; do
        ports_up "$t" || cxlmem_die "ports for $t (log: $DIR/ovs-vswitchd.log)"
        for len in 60 1514; do
            read -r pps bps silent < <(pmd_pair "$len")
            raw "round $r $t testpmd frame=$((len + 4)) rx_pps=$pps rx_bps=$bps silent=$silent"
            R[$t,$len,pps]+="$pps " R[$t,$len,bps]+="$bps "
            [[ "$pps" != 0 ]] || nothing "round $r, $t, $((len + 4)) B"
        done
        if [[ $TCP -eq 1 ]]; then
            g="$(tcp_pair)"
            raw "round $r $t tcp gbps=$g"
            R[$t,tcp]+="$g "
            [[ "$g" != 0 ]] || nothing "round $r, $t, TCP"
            if [[ "$t" == cxlmem ]]; then
                g="$(tcp_pair --offloads off)"
                raw "round $r cxlmem-offloads-off tcp gbps=$g"
                R[cxlmem-off,tcp]+="$g "
                [[ "$g" != 0 ]] || nothing "round $r, cxlmem --offloads off, TCP"
            fi
        fi
        ports_down
    done
done

med() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v c="$1" -v m="$2" 'BEGIN { if (m > 0) printf "%.2f", c / m; else print "-" }'; }
row() { # LABEL CXLMEM MEMIF (figures already scaled)
    raw "| $1 | $2 | $3 | $(ratio "$2" "$3") |"
}
scale() { awk -v v="$1" -v d="$2" 'BEGIN { printf "%.3f", v / d }'; }
raw ""
raw "Open vSwitch $(ovs-vsctl --version | head -1 | awk '{print $NF}') DPDK datapath, card to card: median of $ROUNDS rounds of $SECS s"
raw "(testpmd: card 1's receive rate; TCP: iperf3's receiver rate)."
raw ""
raw "| card0 -> OVS -> card1 | cxlmem | memif | cxlmem / memif |"
raw "|---|---|---|---|"
for len in 60 1514; do
    row "$((len + 4)) B, Mfps" "$(scale "$(med <<<"${R[cxlmem,$len,pps]}")" 1e6)" "$(scale "$(med <<<"${R[memif,$len,pps]}")" 1e6)"
    row "$((len + 4)) B, Gb/s" "$(scale "$(med <<<"${R[cxlmem,$len,bps]}")" 1e9)" "$(scale "$(med <<<"${R[memif,$len,bps]}")" 1e9)"
done
if [[ $TCP -eq 1 ]]; then
    m="$(med <<<"${R[memif,tcp]}")"
    row "TCP, Gb/s" "$(med <<<"${R[cxlmem,tcp]}")" "$m"
    row "TCP, Gb/s, cxlmem --offloads off" "$(med <<<"${R[cxlmem-off,tcp]}")" "$m"
fi
raw ""
raw "command: $CMDLINE (raw lines: $OUT)"
[[ $KEEP -eq 0 ]]
