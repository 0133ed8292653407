#!/bin/bash
# usage: gracewatch.sh [cxl-fwd options]: 500 pings at 10 ms, each side's grace at its 1 s --stats prints (root)
set -u
cd "$(dirname "$0")/../../.."
source scripts/lib.sh; source scripts/cxl-fwd-lib.sh
fwd_init build/app/cxl-fwd/cxl-fwd "gw$$"
trap 'fwd_cleanup' EXIT
fwd_setup || exit 1
FWD_EXTRA_ARGS=(--stats 1 "$@")
fwd_start host; fwd_start device; fwd_wait_ping 10; sleep 1
fwd_in host ping -c 500 -i 0.01 "$FWD_IP_D" | tail -2
grep -o "grace [0-9]* us, longest [0-9]* us\|yields; grace [0-9]*" "$FWD_DIR/host.log" | tail -8 | tr '\n' '|'; echo
grep -o "grace [0-9]* us" "$FWD_DIR/device.log" | tail -8 | tr '\n' '|'; echo
