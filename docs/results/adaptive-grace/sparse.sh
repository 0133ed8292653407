#!/bin/bash
# forwarders' CPU ticks and ping p50 under pings at interval I, per option set
# usage: [BUILD=builddir] sparse.sh INTERVAL_S "OPTION SET" ["OPTION SET"...]  (root; two rounds)
set -u
cd "$(dirname "$0")/../../.."
source scripts/lib.sh; source scripts/cxl-fwd-lib.sh
I=$1; shift
fwd_init "${BUILD:-build}/app/cxl-fwd/cxl-fwd" "sp$$"
trap 'fwd_cleanup' EXIT
fwd_setup || exit 1
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
for r in 1 2; do
for set in "$@"; do
  read -r -a words <<<"$set"
  FWD_EXTRA_ARGS=(--stats 0 ${words[@]+"${words[@]}"})
  fwd_start host; fwd_start device; fwd_wait_ping 10; sleep 1
  c0=$(( $(ticks ${FWD_PID[host]}) + $(ticks ${FWD_PID[device]}) ))
  p=$(fwd_in host ping -c 60 -i $I "$FWD_IP_D" | awk -F'time=' '/time=/ { split($2, a, " "); print a[1] }' | sort -n | awk '{ v[NR] = $1 } END { printf "%d", v[int((NR + 1) / 2)] * 1000 }')
  c1=$(( $(ticks ${FWD_PID[host]}) + $(ticks ${FWD_PID[device]}) ))
  echo "interval $I ($set): ping p50 $p us; forwarders $((c1-c0)) ticks over 60 pings"
  fwd_kill host; fwd_kill device
done; done
