#!/bin/bash
# cxl-perf (two processes, probe on) alternated with the stock testpmd pair
# (peers.sh), net_cxlmem coherence=hw, 64 and 1518 B; ROUNDS rounds.
#   flock /work/bench.lock docs/results/cxl-perf-vs-testpmd/run.sh ROUNDS
set -u
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
B="$REPO/build/app/cxl-perf/cxl-perf"
P="$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so"
EAL="--no-huge -m 1024 --no-pci --no-telemetry"
for ((r = 1; r <= ${1:-2}; r++)); do
    echo "== round $r testpmd pair $(date +%T)"
    (cd "$REPO/../shared/bench" && ./peers.sh -x -c cxlmem -d 8 -s "64 1518" -p "$P" 2>&1 | grep '^net_cxlmem')
    echo "== round $r cxl-perf two processes $(date +%T)"
    "$B" $EAL --file-prefix cvt-p -l 0,1 --main-lcore 0 -- --role peer --tag cvt \
        --transports cxlmem --mode throughput --sizes 64,1518 --warmup 2 --time 5 > /tmp/cvt-peer.txt 2>&1 &
    "$B" $EAL --file-prefix cvt-g -l 0,1 --main-lcore 1 -- --role gen --tag cvt \
        --transports cxlmem --mode throughput --sizes 64,1518 --warmup 2 --time 5 2>&1 |
        sed -n "/^  size port/,/^$/p"
    wait
done
