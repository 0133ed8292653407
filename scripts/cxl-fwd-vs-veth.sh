#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cxl-fwd-vs-veth.sh: ping RTT and iperf3 TCP throughput between the same two
# network namespaces, once across two cxl-fwd (window file under /dev/shm)
# and once across a plain veth pair, in one run. Prints both and the ratios.
#
#   ./scripts/cxl-fwd-vs-veth.sh [BUILDDIR] [-- extra cxl-fwd options]
#
# Needs root. Addresses: 192.0.2.0/24 over cxl-fwd, 198.51.100.0/24 over the
# veth pair (documentation ranges, used only inside the namespaces it makes).
# Environment: PINGS (default 500), SECS (iperf3 seconds, default 5), FWD_MTU.
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
source "$HERE/cxl-fwd-lib.sh"

BUILD="build"
if [[ $# -gt 0 && "$1" != -- ]]; then BUILD="$1"; shift; fi
[[ "${1:-}" == -- ]] && shift
FWD_EXTRA_ARGS=("$@")
PINGS="${PINGS:-500}"
SECS="${SECS:-5}"

[[ $EUID -eq 0 ]] || cxlmem_die "needs root"
cxlmem_ensure_built "$BUILD" >/dev/null || cxlmem_die "build failed"
fwd_init "$CXLMEM_BUILDDIR/app/cxl-fwd/cxl-fwd" "cmp$$"
trap 'fwd_cleanup' EXIT
trap 'exit 130' INT TERM
fwd_setup || exit 1

# veth pair between the same namespaces, same MTU.
ip link add vh0 netns "$FWD_NS_H" type veth peer name vd0 netns "$FWD_NS_D" || exit 1
ip -n "$FWD_NS_H" link set vh0 mtu "$FWD_MTU" up
ip -n "$FWD_NS_D" link set vd0 mtu "$FWD_MTU" up
ip -n "$FWD_NS_H" addr add 198.51.100.1/24 dev vh0
ip -n "$FWD_NS_D" addr add 198.51.100.2/24 dev vd0

fwd_start host || exit 1
fwd_start device || exit 1
fwd_wait_ping 10 || cxlmem_die "cxl-fwd link did not come up"

ping_avg() {   # prints the average RTT in ms
    fwd_in host ping -q -c "$PINGS" -i 0.002 -w 60 "$1" |
        awk -F'/' '/^rtt/ { print $5 }'
}
iperf_gbps() { # prints the receiver's Gbit/s
    local dst="$1" rev="${2:-}" pid
    fwd_in device iperf3 -s -1 -B "$dst" >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    fwd_in host iperf3 -c "$dst" -t "$SECS" $rev -f g 2>/dev/null |
        awk '/receiver/ { print $7 }'
    wait "$pid" 2>/dev/null
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cpus, $(uname -r)  MTU $FWD_MTU"
echo "cxl-fwd options: ${FWD_EXTRA_ARGS[*]:-(defaults)}"
declare -A R
R[veth_rtt]=$(ping_avg 198.51.100.2)
R[cxl_rtt]=$(ping_avg "$FWD_IP_D")
R[veth_tx]=$(iperf_gbps 198.51.100.2)
R[cxl_tx]=$(iperf_gbps "$FWD_IP_D")
R[veth_rx]=$(iperf_gbps 198.51.100.2 -R)
R[cxl_rx]=$(iperf_gbps "$FWD_IP_D" -R)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-28s %12s %12s %10s\n' "" "cxl-fwd" "veth" "cxl/veth"
printf '%-28s %12s %12s %10s\n' "ping RTT avg (ms, n=$PINGS)" "${R[cxl_rtt]}" "${R[veth_rtt]}" "$(ratio "${R[cxl_rtt]}" "${R[veth_rtt]}")"
printf '%-28s %12s %12s %10s\n' "iperf3 host->device (Gb/s)" "${R[cxl_tx]}" "${R[veth_tx]}" "$(ratio "${R[cxl_tx]}" "${R[veth_tx]}")"
printf '%-28s %12s %12s %10s\n' "iperf3 device->host (Gb/s)" "${R[cxl_rx]}" "${R[veth_rx]}" "$(ratio "${R[cxl_rx]}" "${R[veth_rx]}")"
