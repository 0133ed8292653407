#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cxl-fwd-ab.sh: two cxl-fwd option sets, A and B, alternately, on the same
# two namespaces and window: per round and set, iperf3 TCP host->device and
# device->host and the two forwarders' CPU ticks over both. Alternating
# rounds keep the comparison fair on a machine whose load changes.
#
#   ./scripts/cxl-fwd-ab.sh [BUILDDIR] "A OPTIONS" "B OPTIONS" [ROUNDS]
#   e.g. ./scripts/cxl-fwd-ab.sh build "--uring off" "--uring on" 4
#
# Needs root. Environment: SECS (iperf3 seconds, default 2), FWD_MTU (1500).
# On a shared machine hold a lock around it (flock /work/bench.lock ...).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=cxl-fwd-lib.sh
source "$HERE/cxl-fwd-lib.sh"

BUILD=build
if [[ $# -eq 4 || ( $# -eq 3 && ! "$3" =~ ^[0-9]+$ ) ]]; then BUILD="$1"; shift; fi
[[ $# -ge 2 ]] || cxlmem_die "usage: $0 [BUILDDIR] \"A OPTIONS\" \"B OPTIONS\" [ROUNDS]"
A="$1" B="$2" ROUNDS="${3:-4}" SECS="${SECS:-2}"
[[ $EUID -eq 0 ]] || cxlmem_die "needs root"
cxlmem_ensure_built "$BUILD" >/dev/null || cxlmem_die "build failed"
fwd_init "$CXLMEM_BUILDDIR/app/cxl-fwd/cxl-fwd" "ab$$"
trap 'fwd_cleanup' EXIT
trap 'exit 130' INT TERM
fwd_setup || exit 1

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
both_ticks() { echo $(( $(ticks "${FWD_PID[host]}") + $(ticks "${FWD_PID[device]}") )); }

run() {  # LABEL OPTIONS
    local r=() c0 rev
    read -r -a FWD_EXTRA_ARGS <<<"--stats 0 $2"
    fwd_start host || exit 1
    fwd_start device || exit 1
    fwd_wait_ping 10 || cxlmem_die "no link with $2"
    c0=$(both_ticks)
    for rev in "" -R; do
        fwd_in device iperf3 -s -1 -B "$FWD_IP_D" >/dev/null 2>&1 &
        sleep 0.3
        r+=("$(fwd_in host timeout $((SECS + 20)) iperf3 -c "$FWD_IP_D" -t "$SECS" $rev -f g 2>/dev/null |
               awk '/receiver/ { print $7 }')")
        wait $! 2>/dev/null
    done
    printf '%s (%s): iperf3 host->device %s, device->host %s Gb/s; forwarders %s ticks\n' \
        "$1" "$2" "${r[0]:-n/a}" "${r[1]:-n/a}" "$(( $(both_ticks) - c0 ))"
    fwd_kill host
    fwd_kill device
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  load $(cut -d' ' -f1-3 /proc/loadavg)  MTU $FWD_MTU  iperf3 -t $SECS"
for ((i = 1; i <= ROUNDS; i++)); do
    run A "$A"
    run B "$B"
done
