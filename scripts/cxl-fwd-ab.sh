#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cxl-fwd-ab.sh: cxl-fwd option sets (two or more) in turn, on the same two
# namespaces and window, for ROUNDS rounds: per round and set, iperf3 TCP
# host->device and device->host and the two forwarders' CPU ticks over both;
# with METRICS also ping RTT p50 and redis-benchmark. Rotating the sets
# round by round keeps the comparison fair on a machine whose load changes.
#
#   ./scripts/cxl-fwd-ab.sh [BUILDDIR] "A OPTIONS" "B OPTIONS" ["C OPTIONS"...] [ROUNDS]
#   e.g. ./scripts/cxl-fwd-ab.sh build "--uring off" "--uring on" 4
#        METRICS="ping redis iperf" ./scripts/cxl-fwd-ab.sh build \
#            "--poll-yield off" "" "--poll-grace 2000" 3
#
# An empty string is the defaults. A set whose first word is cxl:ARGS also
# appends ARGS to both sides' net_cxlmem devargs (e.g. "cxl:zerocopy=rx").
# BUILDDIR is taken as such when it is a
# directory; a last argument that is a number is ROUNDS (default 4).
# Environment: SECS (iperf3 seconds, default 2), FWD_MTU (1500), METRICS
# (any of "ping redis iperf iperf4"; default "iperf"): ping = p50 of 200
# pings at 10 ms; redis = redis-benchmark -n 50000 -c 50 -t set,get, then the
# same with -P 16 and -n 100000 (redis-server in the device namespace);
# iperf4 = iperf3 -P 4 each way.
# Needs root. On a shared machine hold a lock around it (flock /work/bench.lock ...).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=cxl-fwd-lib.sh
source "$HERE/cxl-fwd-lib.sh"

BUILD=build ROUNDS=4
if [[ $# -gt 0 && -n "$1" && -d "$1" ]]; then BUILD="$1"; shift; fi
if [[ $# -gt 2 && "${!#}" =~ ^[0-9]+$ ]]; then ROUNDS="${!#}"; set -- "${@:1:$#-1}"; fi
[[ $# -ge 2 ]] ||
    cxlmem_die "usage: $0 [BUILDDIR] \"A OPTIONS\" \"B OPTIONS\" [\"C OPTIONS\"...] [ROUNDS]"
SECS="${SECS:-2}" METRICS="${METRICS:-iperf}"
[[ $EUID -eq 0 ]] || cxlmem_die "needs root"
for m in $METRICS; do
    [[ $m =~ ^(ping|redis|iperf|iperf4)$ ]] ||
        cxlmem_die "METRICS: '$m' is none of ping, redis, iperf, iperf4"
done
[[ " $METRICS " != *" redis "* ]] || command -v redis-benchmark >/dev/null ||
    cxlmem_die "METRICS has redis: install redis-server and redis-tools"
cxlmem_ensure_built "$BUILD" >/dev/null || cxlmem_die "build failed"
fwd_init "$CXLMEM_BUILDDIR/app/cxl-fwd/cxl-fwd" "ab$$"
trap 'fwd_cleanup' EXIT
trap 'exit 130' INT TERM
fwd_setup || exit 1
if [[ " $METRICS " == *" redis "* ]]; then
    fwd_redis_start || cxlmem_die "redis-server did not start"
fi

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
both_ticks() { echo $(( $(ticks "${FWD_PID[host]}") + $(ticks "${FWD_PID[device]}") )); }

ping_p50() {
    fwd_in host ping -c 200 -i 0.01 "$FWD_IP_D" 2>/dev/null |
        awk -F'time=' '/time=/ { split($2, a, " "); print a[1] }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%d", v[int((NR + 1) / 2)] * 1000 }'
}
redis_rps() {  # extra redis-benchmark flags
    fwd_in host redis-benchmark -h "$FWD_IP_D" -c 50 -t set,get -q "$@" 2>/dev/null |
        tr '\r' '\n' | awk '/requests per second/ { printf "%s%.0f", sep, $2; sep = " / " }'
}

run() {  # LABEL OPTIONS
    local r=() c0 rev out="" FWD_CXL_OPTS="$FWD_CXL_OPTS" words=()
    read -r -a words <<<"$2"
    if [[ "${words[0]:-}" == cxl:* ]]; then
        FWD_CXL_OPTS="${FWD_CXL_OPTS:+$FWD_CXL_OPTS,}${words[0]#cxl:}"
        words=("${words[@]:1}")
    fi
    FWD_EXTRA_ARGS=(--stats 0 ${words[@]+"${words[@]}"})
    fwd_start host || exit 1
    fwd_start device || exit 1
    fwd_wait_ping 10 || cxlmem_die "no link with $2"
    c0=$(both_ticks)
    for m in $METRICS; do
        case $m in
            ping) out+="ping p50 $(ping_p50) µs; " ;;
            redis) out+="redis SET / GET $(redis_rps -n 50000) rps, -P 16 $(redis_rps -n 100000 -P 16); " ;;
            iperf|iperf4)
                local par=1 sum=receiver
                [[ $m == iperf4 ]] && par=4 sum='SUM.*receiver'
                r=()
                for rev in "" -R; do
                    fwd_in device iperf3 -s -1 -B "$FWD_IP_D" >/dev/null 2>&1 &
                    sleep 0.3
                    r+=("$(fwd_in host timeout $((SECS + 20)) iperf3 -c "$FWD_IP_D" -t "$SECS" -P $par $rev -f g 2>/dev/null |
                           awk "/$sum/ { print \$(NF-2) }")")
                    wait $! 2>/dev/null
                done
                out+="iperf3 -P $par host->device ${r[0]:-n/a}, device->host ${r[1]:-n/a} Gb/s; " ;;
        esac
    done
    printf '%s (%s): %sforwarders %s ticks\n' "$1" "$2" "$out" "$(( $(both_ticks) - c0 ))"
    fwd_kill host
    fwd_kill device
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  load $(cut -d' ' -f1-3 /proc/loadavg)  MTU $FWD_MTU  iperf3 -t $SECS  metrics: $METRICS"
labels=(A B C D E F G H)
for ((i = 1; i <= ROUNDS; i++)); do
    k=0
    for set in "$@"; do
        run "${labels[k]:-set$k}" "$set"
        k=$((k + 1))
    done
done
