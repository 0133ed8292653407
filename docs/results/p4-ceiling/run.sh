#!/usr/bin/env bash
# Issue 11's "-P 4 >= 0.5x veth" at MTU 1500 against the ceiling of the design, in one run: each
# round the bare tun-to-tun copy loop and a veth pair with four iperf3 streams
# (calibrate-tun-streams.sh), then cxl-fwd (defaults, then zerocopy=rx) with four streams each way.
# Usage (from the repository): flock /work/bench.lock docs/results/p4-ceiling/run.sh [ROUNDS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
for ((r = 1; r <= ${1:-3}; r++)); do
    echo "round $r $(date -u +%T)"
    P=4 OFFL=1 "$here/calibrate-tun-streams.sh"
    SECS=5 METRICS=iperf4 "$here/../../../scripts/cxl-fwd-ab.sh" build "" "cxl:zerocopy=rx" 1 2>&1 | grep -v "^cxlmem: building"
done
