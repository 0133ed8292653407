#!/bin/bash
# TX MBUF_FAST_FREE: the plugin without it (BEFORE.so) against the build's, stock testpmd pairs
# (../shared/bench/peers.sh; testpmd asks for MBUF_FAST_FREE whenever a port offers it), alternated
# per round.   flock /work/bench.lock docs/results/fast-free/run.sh BEFORE.so ROUNDS OUTDIR "SIZES"
set -u
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
AFTER="$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so"
BEFORE="$1" ROUNDS="${2:-3}" OUT="${3:-/tmp/fast-free}" SIZES="${4:-64 1518}"
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
cd "$REPO/../shared/bench" || exit 1
for ((r = 1; r <= ROUNDS; r++)); do
    for c in "before=$BEFORE" "after=$AFTER"; do
        echo "== round $r ${c%%=*} $(date +%T)"
        ./peers.sh -x -c cxlmem -d 8 -s "$SIZES" -p "${c#*=}" 2>&1 | grep '^net_cxlmem' | tee "$OUT/r$r-${c%%=*}.csv"
    done
done
