#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cxl-fwd-vs-veth.sh: cxl-fwd next to a veth pair, in one run, between the
# same two network namespaces, at each MTU: first the veth pair (no
# forwarder running), then two cxl-fwd over a window file under /dev/shm
# with each kernel backend in turn (tun, then tap; started for their turn
# only). For each: ping RTT p50/p99, iperf3 TCP one stream and -P 4 both
# ways, redis-benchmark SET/GET without and with -P 16 pipelining, and the
# forwarders' CPU (under iperf3 -P 4 and idle). Optionally the ceiling of a
# userspace forwarder between two kernels on this machine, measured in the
# same run by calibrate-tun.sh (two vnet_hdr TAPs joined by a copy loop;
# with and without TSO). Prints a markdown table with the ratios.
#
#   ./scripts/cxl-fwd-vs-veth.sh [BUILDDIR] [options] [-- extra cxl-fwd options]
#
#   --mtus "LIST"       MTUs (default "1500 9000")
#   --kernels "LIST"    cxl-fwd backends (default "tun tap")
#   --pings N           pings per path (default 500)
#   --ping-interval S   seconds between pings (default 0.01; 0.2 or more
#                       reaches cxl-fwd's deep idle: a wake on the doorbell)
#   --secs N            iperf3 seconds per run (default 3)
#   --redis-n N         redis-benchmark requests per test (default 100000)
#   --calibrate PATH    calibrate-tun.sh to run (default: ../shared/bench/
#                       calibrate-tun.sh beside the repository, if present);
#                       "none" skips it
#   --quick             --mtus 1500 --pings 100 --secs 1 --redis-n 20000
#                       --calibrate none (for developing)
#   --cpus H,D          CPUs of the host and the device side's forwarder
#                       (EAL -l; default 0,1). 0,0 puts both forwarders on
#                       one CPU and leaves the other to the applications
#                       and the kernels.
#
# Needs root. Addresses: 192.0.2.0/24 over cxl-fwd, 198.51.100.0/24 over the
# veth pair (documentation ranges, used only inside the namespaces it makes).
# The machine should be otherwise quiet; on a shared machine hold a lock
# around the run, e.g. flock /work/bench.lock ./scripts/cxl-fwd-vs-veth.sh.
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=cxl-fwd-lib.sh
source "$HERE/cxl-fwd-lib.sh"

BUILD="build"
MTUS="1500 9000"
KERNELS="tun tap"
PINGS=500
PING_I=0.01
SECS=3
REDIS_N=100000
CALIB="$CXLMEM_ROOT/../shared/bench/calibrate-tun.sh"
if [[ $# -gt 0 && "$1" != -* ]]; then BUILD="$1"; shift; fi
while [[ $# -gt 0 ]]; do
    case "$1" in
        --mtus) MTUS="$2"; shift 2 ;;
        --kernels) KERNELS="$2"; shift 2 ;;
        --pings) PINGS="$2"; shift 2 ;;
        --ping-interval) PING_I="$2"; shift 2 ;;
        --secs) SECS="$2"; shift 2 ;;
        --redis-n) REDIS_N="$2"; shift 2 ;;
        --calibrate) CALIB="$2"; shift 2 ;;
        --cpus) [[ "$2" =~ ^([0-9]+),([0-9]+)$ ]] ||
                    cxlmem_die "--cpus '$2': expected H,D (two CPU numbers)"
                FWD_CORE_H="${BASH_REMATCH[1]}" FWD_CORE_D="${BASH_REMATCH[2]}"; shift 2 ;;
        --quick) MTUS=1500 PINGS=100 SECS=1 REDIS_N=20000 CALIB=none; shift ;;
        -h|--help) sed -n '3,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        --) shift; break ;;
        *) cxlmem_die "unknown argument '$1' (see --help)" ;;
    esac
done
USER_ARGS=("$@")

[[ $EUID -eq 0 ]] || cxlmem_die "needs root"
# Setup first (it installs the tools below on a fresh machine), then check.
cxlmem_ensure_built "$BUILD" >/dev/null || cxlmem_die "build failed"
for t in ip ping iperf3 redis-server redis-benchmark; do
    command -v "$t" >/dev/null ||
        cxlmem_die "$t is missing after setup (scripts/debian-packages.txt should provide it)"
done
fwd_init "$CXLMEM_BUILDDIR/app/cxl-fwd/cxl-fwd" "cmp$$"
trap 'fwd_cleanup' EXIT
trap 'exit 130' INT TERM
fwd_setup || exit 1
VETH_H=198.51.100.1 VETH_D=198.51.100.2

ip link add vh0 netns "$FWD_NS_H" type veth peer name vd0 netns "$FWD_NS_D" || exit 1
ip -n "$FWD_NS_H" addr add "$VETH_H/24" dev vh0
ip -n "$FWD_NS_D" addr add "$VETH_D/24" dev vd0
fwd_redis_start || cxlmem_die "redis-server did not start"

declare -A R   # R[path,mtu,metric]

cpu_ticks() {  # utime + stime of a process, in clock ticks
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
fwd_ticks() {  # both forwarders' ticks, or 0 when none runs
    local s=0 side
    for side in host device; do
        [[ -n "${FWD_PID[$side]:-}" ]] && s=$((s + $(cpu_ticks "${FWD_PID[$side]}")))
    done
    echo "$s"
}
pct_of_core() {  # TICKS SECONDS -> percent of one core
    awk -v t="$1" -v s="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t / hz / s * 100 }'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }

ping_pct() {   # DST -> "p50 p99" in microseconds
    fwd_in host ping -c "$PINGS" -i "$PING_I" -w "$(awk -v n="$PINGS" -v i="$PING_I" 'BEGIN{print int(n*i)+60}')" "$1" 2>/dev/null |
        sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -g |
        awk '{ v[NR] = $1 * 1000 } END {
            if (NR == 0) { print "n/a n/a"; exit }
            i50 = int(0.50 * NR + 0.5); i99 = int(0.99 * NR + 0.5)
            if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
            printf "%.0f %.0f\n", v[i50], v[i99] }'
}

iperf_gbps() { # DST PARALLEL [-R] -> receiver Gbit/s
    local dst="$1" par="$2" rev="${3:-}" pid
    fwd_in device iperf3 -s -1 -B "$dst" >/dev/null 2>&1 &
    pid=$!
    sleep 0.3
    fwd_in host timeout $((SECS + 20)) iperf3 -c "$dst" -t "$SECS" -P "$par" $rev -f g 2>/dev/null |
        awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Gbits/sec") v = $(i - 1) } END { print (v == "" ? "n/a" : v) }'
    wait "$pid" 2>/dev/null
}

redis_rps() {  # DST [-P N] -> "set get" requests per second
    fwd_in host timeout 120 redis-benchmark -h "$1" -n "$REDIS_N" -c 50 -t set,get --csv "${@:2}" 2>/dev/null |
        awk -F'"' '$2 == "SET" { s = $4 } $2 == "GET" { g = $4 } END { printf "%.0f %.0f\n", s, g }'
}

# measure PATH MTU DST: every metric of one path, into R[PATH,MTU,*]
measure() {
    local p="$1" m="$2" dst="$3" t0 c0 a b ts=$SECONDS tl=""
    read -r a b < <(ping_pct "$dst")
    tl+=" ping $((SECONDS - ts))"; ts=$SECONDS
    R[$p,$m,p50]=$a R[$p,$m,p99]=$b
    R[$p,$m,tcp1_hd]=$(iperf_gbps "$dst" 1)
    R[$p,$m,tcp1_dh]=$(iperf_gbps "$dst" 1 -R)
    c0=$(fwd_ticks) t0=$(now)
    R[$p,$m,tcp4_hd]=$(iperf_gbps "$dst" 4)
    R[$p,$m,cpu_tcp]=$(pct_of_core $(($(fwd_ticks) - c0)) "$(since "$t0")")
    R[$p,$m,tcp4_dh]=$(iperf_gbps "$dst" 4 -R)
    tl+=" iperf3 $((SECONDS - ts))"; ts=$SECONDS
    read -r a b < <(redis_rps "$dst")
    R[$p,$m,set]=$a R[$p,$m,get]=$b
    read -r a b < <(redis_rps "$dst" -P 16)
    R[$p,$m,setp]=$a R[$p,$m,getp]=$b
    tl+=" redis $((SECONDS - ts))"
    sleep 1
    c0=$(fwd_ticks)
    sleep 3
    R[$p,$m,cpu_idle]=$(pct_of_core $(($(fwd_ticks) - c0)) 3)
    echo "  $p MTU $m: ping p50 ${R[$p,$m,p50]} us, iperf3 ${R[$p,$m,tcp1_hd]}/${R[$p,$m,tcp1_dh]} Gb/s," \
         "-P 4 ${R[$p,$m,tcp4_hd]}/${R[$p,$m,tcp4_dh]}, redis ${R[$p,$m,set]}/${R[$p,$m,get]}" \
         "(seconds:$tl)" >&2
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cxl-fwd options: ${USER_ARGS[*]:-(defaults)}; forwarders on CPUs $FWD_CORE_H (host) and $FWD_CORE_D (device); pings $PINGS every $PING_I s, iperf3 -t $SECS, redis-benchmark -n $REDIS_N -c 50"
for mtu in $MTUS; do
    ip -n "$FWD_NS_H" link set vh0 mtu "$mtu" up
    ip -n "$FWD_NS_D" link set vd0 mtu "$mtu" up
    sleep 0.5
    measure veth "$mtu" "$VETH_D"
    ip -n "$FWD_NS_H" link set vh0 down
    ip -n "$FWD_NS_D" link set vd0 down
    for k in $KERNELS; do
        FWD_MTU=$mtu
        FWD_EXTRA_ARGS=(--kernel "$k" --stats 0 ${USER_ARGS[@]+"${USER_ARGS[@]}"})
        fwd_start host || exit 1
        fwd_start device || exit 1
        fwd_wait_ping 10 || cxlmem_die "cxl-fwd ($k) link did not come up; logs in $FWD_DIR"
        measure "$k" "$mtu" "$FWD_IP_D"
        fwd_kill device TERM
        fwd_kill host TERM
    done
done
if [[ "$CALIB" != none && -x "$CALIB" ]]; then
    for o in 1 0; do
        R[calib,$o]="$(OFFL=$o "$CALIB" 2>/dev/null | tail -n 1)"
        echo "  calibrate-tun.sh OFFL=$o: ${R[calib,$o]}" >&2
    done
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "n/a" }'; }
row() {  # MTU LABEL METRIC UNIT
    local m="$1" label="$2" k="$3" line
    line="| $m | $label | ${R[veth,$m,$k]:-n/a}"
    for kern in $KERNELS; do
        line+=" | ${R[$kern,$m,$k]:-n/a} | $(ratio "${R[$kern,$m,$k]:-}" "${R[veth,$m,$k]:-}")"
    done
    echo "$line |"
}
echo
hdr="| MTU | metric | veth" sep="|---|---|---"
for kern in $KERNELS; do hdr+=" | cxl-fwd $kern | $kern/veth"; sep+="|---|---"; done
echo "$hdr |"; echo "$sep|"
for m in $MTUS; do
    row "$m" "ping RTT p50 (µs)" p50
    row "$m" "ping RTT p99 (µs)" p99
    row "$m" "iperf3 1 stream host→device (Gb/s)" tcp1_hd
    row "$m" "iperf3 1 stream device→host (Gb/s)" tcp1_dh
    row "$m" "iperf3 -P 4 host→device (Gb/s)" tcp4_hd
    row "$m" "iperf3 -P 4 device→host (Gb/s)" tcp4_dh
    row "$m" "redis SET (req/s)" set
    row "$m" "redis GET (req/s)" get
    row "$m" "redis SET -P 16 (req/s)" setp
    row "$m" "redis GET -P 16 (req/s)" getp
    row "$m" "forwarders' CPU under iperf3 -P 4 (% of a core, both)" cpu_tcp
    row "$m" "forwarders' CPU idle (% of a core, both)" cpu_idle
done
if [[ -n "${R[calib,1]:-}${R[calib,0]:-}" ]]; then
    echo
    echo "Ceiling (calibrate-tun.sh, MTU 1500, one stream):"
    for o in 1 0; do
        [[ -n "${R[calib,$o]:-}" ]] || continue
        t="$(sed -n 's/.*: \([0-9.]*\) Gb\/s; veth.*/\1/p' <<<"${R[calib,$o]}")"
        echo "- ${R[calib,$o]}"
        for kern in $KERNELS; do
            [[ " $MTUS " == *" 1500 "* ]] || continue
            echo "  - cxl-fwd $kern host→device as a fraction of it: $(ratio "${R[$kern,1500,tcp1_hd]:-}" "$t")"
        done
    done
fi
