#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Open vSwitch's DPDK datapath with net_cxlmem ports, end to end: two CXL
# cards (two window files; in two network namespaces, `cxl-fwd role=device`,
# offloads on: the cards' kernels send partial checksums and TSO) and the
# host (the bridge's internal port, in the namespace ovs-vswitchd runs in)
# on one bridge of an ovs-vswitchd that the test starts and stops, with its
# own database, run and log folders (never the system's service). Card 1's
# window has two queue pairs and its port options:n_rxq=2.
#
# At MTU 1500, then 9000 (mtu_request=9000, the cards restarted with
# --mtu 9000): ping card<->card and card<->host (full-size, DF set, at
# 9000), TCP transfers with sha256 card0->card1, card1->host, host->card0;
# then kill -9 of card 0's forwarder and its restart, a restart of
# ovs-vswitchd, del-port/add-port of card 1, each followed by ping and TCP
# with no other step. OVS's interface statistics (ovs-vsctl get interface
# cardN statistics) must count exactly the frames of 200 pings card0->card1
# (and the cards' kernels the same); pmd-rxq-show lists each card's queues;
# OVS's default 2048 descriptors and its TX queue choice are in use.
#
#   test/ovs/ovs_e2e.sh PATH/TO/cxl-fwd PATH/TO/librte_net_cxlmem.so [--tso]
#
# --tso: the same with other_config:userspace-tso-enable=true; OVS must
# enable TSO on both card ports (no "Tx TSO offload is not supported"),
# and the host -> card 0 transfers must reach card 0's kernel as TSO
# super-frames (the bridge's internal port hands OVS 64 KB TCP segments;
# the card port carries them whole to cxl-fwd, which takes them, LRO),
# and no packet may be dropped for an offload a port lacks
# (ovs_tx_invalid_hwol_drops, counted with TSO on only).
# Needs root; exit 77 (skipped, reason printed) when not root or when Open
# vSwitch with DPDK (Debian: openvswitch-switch-dpdk) or a tool is missing.
# OVS_KEEP=1 keeps the folder with the logs. About 2 minutes.
set -u

FWD="$(realpath "${1:?usage: $0 PATH/TO/cxl-fwd PATH/TO/librte_net_cxlmem.so}")"
PLUGIN_ARG="${2:?usage: $0 PATH/TO/cxl-fwd PATH/TO/librte_net_cxlmem.so}"
TSO=0
[[ "${3:-}" == --tso ]] && TSO=1
HERE="$(dirname "$(realpath "${BASH_SOURCE[0]}")")"
# shellcheck source=../../scripts/ovs-lib.sh
source "$HERE/../../scripts/ovs-lib.sh"

if [[ $EUID -ne 0 ]]; then echo "SKIP: needs root (network namespaces, OVS)"; exit 77; fi
[[ -x "$OVS_VSWITCHD" ]] || {
    echo "SKIP: $OVS_VSWITCHD missing (Debian package openvswitch-switch-dpdk)"; exit 77; }
for t in ovsdb-server ovsdb-tool ovs-vsctl ovs-appctl ip ping nc sha256sum ss; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[[ -c /dev/net/tun ]] || { echo "SKIP: /dev/net/tun missing"; exit 77; }
[[ -f "$OVS_SCHEMA" ]] || { echo "SKIP: $OVS_SCHEMA missing"; exit 77; }

# link_timeout=500 on both ends of each window, as cxl-fwd's e2e test has
# it: this test checks switching and restarts, not detection time (the
# crash suite does); the margin covers lcores, not only control threads,
# held up on 2 CPUs shared by OVS's PMD thread, two forwarders and the
# tools (docs/ovs.md, "Liveness on a busy machine"). OVS_CXL_OPTS in the
# environment replaces it.
OVS_CXL_OPTS="${OVS_CXL_OPTS-link_timeout=500}"
((TSO)) && OVS_OTHER_CONFIG="${OVS_OTHER_CONFIG:-} userspace-tso-enable=true"
cxlmem_plugin_path "$PLUGIN_ARG"
DIR="$(mktemp -d /run/cxlmem-ovs.XXXXXX)"
OVS_QUEUES_1=2
ovs_init "$DIR" "cxovs$$" "$CXLMEM_PLUGIN" "$FWD"
cleanup() {
    ovs_cleanup
    [[ -z "$CXLMEM_PLUGIN_COPY" ]] || rm -rf "$CXLMEM_PLUGIN_COPY"
    if [[ "${OVS_KEEP:-0}" == 1 || $FAILS -ne 0 ]]; then
        echo "logs kept in $DIR"
    else
        rm -rf "$DIR"
    fi
}
FAILS=0
trap cleanup EXIT
trap 'exit 130' INT TERM

STEP=""
pass() { echo "  ok   $STEP: $*"; }
fail() { echo "  FAIL $STEP: $*"; FAILS=$((FAILS + 1)); }
T0=$SECONDS

IP0="$(ovs_ip_card 0)" IP1="$(ovs_ip_card 1)" IPH="$OVS_IP_H"

# Run CMD in the namespace of "host" or card N.
in_ns() { local w="$1"; shift; if [[ "$w" == host ]]; then ovs_in_host "$@"; else ovs_in_card "$w" "$@"; fi; }
ip_of() { if [[ "$1" == host ]]; then echo "$IPH"; else ovs_ip_card "$1"; fi; }

# Replies in ping's summary (0 when it has none).
received() { sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$1" | grep . || echo 0; }

check_ping() { # FROM TO
    local from="$1" to="$2" out size=$((OVS_MTU - 28))
    STEP="ping $from -> $to (MTU $OVS_MTU)"
    # With -w, ping goes on until 20 replies came (a late one is counted
    # as lost while it is on its way): all 20 must come within 20 s. Late
    # replies to the extra requests may be counted too (22 of 22).
    out="$(in_ns "$from" ping -c 20 -i 0.05 -w 20 -q "$(ip_of "$to")" 2>&1)"
    (($(received "$out") >= 20)) && pass "$(grep -o 'rtt.*' <<<"$out")" ||
        fail "$(grep 'packet loss' <<<"$out")"
    if ((OVS_MTU > 1500)); then
        STEP="ping $from -> $to, $size bytes, DF set"
        out="$(in_ns "$from" ping -c 5 -i 0.05 -w 20 -q -M do -s "$size" "$(ip_of "$to")" 2>&1)"
        (($(received "$out") >= 5)) && pass "full-size frames" ||
            fail "$(grep -E 'packet loss|too long' <<<"$out")"
    fi
}

check_tcp() { # FROM TO: 8 MiB with nc, sha256 on both ends
    local from="$1" to="$2" dst="$DIR/recv" a b i
    STEP="TCP $from -> $to, 8 MiB, sha256 (MTU $OVS_MTU)"
    [[ -f "$DIR/blob" ]] || head -c $((8 << 20)) /dev/urandom >"$DIR/blob"
    rm -f "$dst"
    in_ns "$to" timeout 30 nc -l "$(ip_of "$to")" 5002 >"$dst" &
    local rpid=$!
    for ((i = 0; i < 50; i++)); do
        in_ns "$to" ss -Hltn "sport = :5002" | grep -q . && break
        sleep 0.1
    done
    in_ns "$from" timeout 30 nc -N "$(ip_of "$to")" 5002 <"$DIR/blob"
    wait "$rpid"
    a="$(sha256sum <"$DIR/blob" | cut -d' ' -f1)"
    b="$(sha256sum <"$dst" | cut -d' ' -f1)"
    [[ "$a" == "$b" ]] && pass "${a:0:16}... matches" ||
        fail "received $(stat -c %s "$dst") of $((8 << 20)) bytes; TcpInCsumErrors at $to: $(in_ns "$to" nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ {print $2}')"
}

check_traffic() {
    echo "-- traffic at MTU $OVS_MTU: $*"
    ovs_wait_ping 0 "$IP1" 15 || { STEP="link card0 <-> card1"; fail "no ping within 15 s"; }
    ovs_wait_ping host "$IP0" 15 || { STEP="link host <-> card0"; fail "no ping within 15 s"; }
    check_ping 0 1
    check_ping 1 host
    check_ping host 0
    check_tcp 0 1
    check_tcp 1 host
    check_tcp host 0
}

stat_of() { # IFACE KEY: from OVS's database
    vsctl get interface "$1" "statistics:$2" 2>/dev/null | tr -d '"' || echo 0
}

kstat() { # CARD rx|tx: packets the card's kernel counted on cxl0
    ip -n "$(ovs_ns_card "$1")" -s -j link show cxl0 |
        python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['$2']['packets'])"
}

# 200 pings card0 -> card1 (exactly 200 requests: no -w) with permanent
# neighbour entries (no ARP) and IPv6 off (no ND, no MLD): OVS's counters
# of both ports must equal the cards' kernels' counters of the same frames,
# 200 each way. OVS writes statistics to its database every 5 s.
check_stats() {
    local mac0 mac1 k i d=() keys=(card0:rx_packets card1:tx_packets card1:rx_packets card0:tx_packets)
    local -A before
    STEP="OVS interface statistics = frames sent (200 pings card0 -> card1)"
    mac0="$(ip -n "$(ovs_ns_card 0)" -br link show cxl0 | awk '{print $3}')"
    mac1="$(ip -n "$(ovs_ns_card 1)" -br link show cxl0 | awk '{print $3}')"
    ip -n "$(ovs_ns_card 0)" neigh replace "$IP1" lladdr "$mac1" dev cxl0 nud permanent
    ip -n "$(ovs_ns_card 1)" neigh replace "$IP0" lladdr "$mac0" dev cxl0 nud permanent
    sleep 6
    for k in "${keys[@]}"; do before[$k]="$(stat_of "${k%%:*}" "${k#*:}")"; done
    before[k0tx]="$(kstat 0 tx)" before[k1rx]="$(kstat 1 rx)"
    before[k1tx]="$(kstat 1 tx)" before[k0rx]="$(kstat 0 rx)"
    ovs_in_card 0 ping -c 200 -i 0.005 -q "$IP1" >/dev/null 2>&1
    for ((i = 0; i < 24; i++)); do
        sleep 0.5
        [[ "$(stat_of card0 tx_packets)" -ge $((before[card0:tx_packets] + 200)) ]] && break
    done
    sleep 0.5
    for k in "${keys[@]}"; do d+=($(( $(stat_of "${k%%:*}" "${k#*:}") - before[$k] ))); done
    d+=($(( $(kstat 0 tx) - before[k0tx] )) $(( $(kstat 1 rx) - before[k1rx] )))
    d+=($(( $(kstat 1 tx) - before[k1tx] )) $(( $(kstat 0 rx) - before[k0rx] )))
    local msg="requests: card0 kernel sent ${d[4]}, card0 rx ${d[0]}, card1 tx ${d[1]}, card1 kernel got ${d[5]}; replies: card1 kernel sent ${d[6]}, card1 rx ${d[2]}, card0 tx ${d[3]}, card0 kernel got ${d[7]}"
    if [[ "${d[4]} ${d[0]} ${d[1]} ${d[5]}" == "200 200 200 200" &&
          "${d[6]} ${d[2]} ${d[3]} ${d[7]}" == "200 200 200 200" ]]; then
        pass "$msg"
    else
        fail "$msg"
    fi
    ip -n "$(ovs_ns_card 0)" neigh del "$IP1" dev cxl0
    ip -n "$(ovs_ns_card 1)" neigh del "$IP0" dev cxl0
}

check_ports() {
    local out
    STEP="pmd-rxq-show"
    out="$(appctl dpif-netdev/pmd-rxq-show 2>&1)"
    if grep -q "port: card0 *queue-id: *0 " <<<"$out" && grep -q "port: card1 *queue-id: *0 " <<<"$out" &&
       grep -q "port: card1 *queue-id: *1 " <<<"$out"; then
        pass "card0 queue 0, card1 queues 0 and 1 polled"
    else
        fail "$out"
    fi
    STEP="link state, MTU, queues, errors in ovs-vsctl"
    local s0 s1 m0 m1 e0 e1 st0 st1 t
    # OVS reads a DPDK port's link state in its watchdog, every 5 s (OVS
    # 3.5 registers no LSC callback; lib/netdev-dpdk.c dpdk_watchdog()), so
    # the database can show "down" for up to 5 s after a port's (re)start
    # while frames already cross: wait that long for it to catch up.
    for ((t = 0; t < 70; t++)); do
        s0="$(vsctl get interface card0 link_state)" s1="$(vsctl get interface card1 link_state)"
        [[ "$s0 $s1" == "up up" ]] && break
        sleep 0.1
    done
    m0="$(vsctl get interface card0 mtu)" m1="$(vsctl get interface card1 mtu)"
    e0="$(vsctl get interface card0 error)" e1="$(vsctl get interface card1 error)"
    st0="$(vsctl get interface card0 statistics)" st1="$(vsctl get interface card1 statistics)"
    # The per-queue xstats name the queues OVS set up: card1 two RX (n_rxq)
    # and two TX (one per PMD thread plus one), card0 one of each (its
    # window's maximum: OVS fell back to it).
    if [[ "$s0 $s1 $m0 $m1 $e0 $e1" == "up up $OVS_MTU $OVS_MTU [] []" ]] &&
       grep -q 'rx_q1_packets' <<<"$st1" && grep -q 'tx_q1_packets' <<<"$st1" &&
       ! grep -q 'tx_q1_packets' <<<"$st0" && grep -q 'rx_stale_dropped' <<<"$st0"; then
        pass "card0/card1 $s0/$s1, MTU $m0/$m1; card1 2 RX and 2 TX queues, card0 1 and 1; xstats present"
    else
        fail "link $s0/$s1, MTU $m0/$m1, errors $e0/$e1, statistics $st0 / $st1"
    fi
}

echo "== OVS $(ovs-vsctl --version | head -1 | awk '{print $NF}') with DPDK, net_cxlmem ports, in $DIR"
ovs_up || { echo "FAIL: the switch did not come up"; exit 1; }
ovs_card_add 0 options:n_rxq_desc=2048 options:n_txq_desc=2048 || { echo "FAIL: add-port card0"; tail -20 "$DIR/ovs-vswitchd.log"; exit 1; }
ovs_card_add 1 || { echo "FAIL: add-port card1"; exit 1; }
ovs_fwd_start 0 || exit 1
ovs_fwd_start 1 || exit 1

check_traffic "two cards, offloads on in the cards (partial checksums, TSO)"
check_ports
check_stats

echo "-- kill -9 of card 0's forwarder, restarted"
ovs_fwd_kill 0 KILL
ovs_fwd_start 0 || fail "card 0 did not restart"
check_traffic "after card 0's restart"

echo "-- ovs-vswitchd restarted (cards untouched)"
ovs_switch_stop
ovs_switch_start || fail "ovs-vswitchd did not restart"
check_traffic "after the switch's restart"

echo "-- del-port card1, add-port card1"
vsctl del-port br0 card1
STEP="card 1 unreachable without its port"
ovs_in_card 0 ping -c 2 -W 0.3 -q "$IP1" >/dev/null 2>&1 && fail "still answers" || pass "no answer"
ovs_card_add 1 || fail "add-port card1 again"
check_traffic "after add-port"

echo "-- MTU 9000"
OVS_MTU=9000
vsctl set interface br0 mtu_request=9000 -- set interface card0 mtu_request=9000 \
    -- set interface card1 mtu_request=9000
for n in 0 1; do ovs_fwd_kill "$n" TERM; ovs_fwd_start "$n" || fail "card $n at MTU 9000"; done
check_traffic "jumbo frames"
check_ports

if ((TSO)); then
    STEP="no drops for a missing offload"
    d="$(stat_of card0 ovs_tx_invalid_hwol_drops) $(stat_of card1 ovs_tx_invalid_hwol_drops)"
    [[ "$d" == "0 0" ]] && pass "ovs_tx_invalid_hwol_drops 0 on both cards" ||
        fail "ovs_tx_invalid_hwol_drops card0/card1: $d"
    STEP="userspace TSO"
    # Card 0's forwarder printed its totals when it stopped for MTU 9000:
    # the super-frames its kernel got (tx gso) since its restart.
    g="$(awk '/offloads: rx gso/ { for (i = 1; i < NF; i++) if ($i == "tx" && $(i + 1) == "gso") s += $(i + 2) } END { print s + 0 }' "$DIR/card0.log")"
    if grep -q 'Tx TSO offload is not supported' "$DIR/ovs-vswitchd.log"; then
        fail "$(grep 'Tx TSO offload is not supported' "$DIR/ovs-vswitchd.log" | head -2)"
    elif [[ "$g" -gt 0 ]]; then
        pass "enabled on both ports; card 0's kernel got $g TSO super-frames from OVS"
    else
        fail "enabled, but no super-frame reached card 0's kernel"
    fi
fi
STEP="link flaps"
# link_resets: the link state changes OVS saw on each port since it was
# added or the switch started (each card restart and port reconfiguration
# makes two).
echo "  info $STEP: link_resets card0/card1 $(vsctl get interface card0 link_resets)/$(vsctl get interface card1 link_resets) (since the switch started or add-port), $(grep -c 'peer silent' "$DIR/ovs-vswitchd.log") 'peer silent' lines in the switch's log"
STEP="ovs-vswitchd errors"
n="$(grep -c '|ERR|' "$DIR/ovs-vswitchd.log")"
[[ "$n" -eq 0 ]] && pass "none logged" || fail "$(grep '|ERR|' "$DIR/ovs-vswitchd.log" | head -5)"

echo "== $FAILS failed checks, $((SECONDS - T0)) s"
[[ $FAILS -eq 0 ]]
