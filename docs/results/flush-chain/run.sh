#!/bin/bash
# coherence=flush with frames of several slots (9000 B: five 2 KiB slots), before and after the
# receive path's batched invalidation, with coherence=hw for the ratio; stock testpmd pairs
# (../shared/bench/peers.sh, testpmd-jumbo), alternated per round.
#   flock /work/bench.lock docs/results/flush-chain/run.sh BEFORE.so ROUNDS OUTDIR
set -u
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
AFTER="$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so"
BEFORE="$1" ROUNDS="${2:-2}" OUT="${3:-/tmp/flush-chain}"
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
cd "$REPO/../shared/bench" || exit 1
export PATH="$REPO/scripts/testpmd-jumbo:$PATH"
for ((r = 1; r <= ROUNDS; r++)); do
    for c in "before-flush=$BEFORE=,coherence=flush" "after-flush=$AFTER=,coherence=flush" "after-hw=$AFTER="; do
        IFS== read -r name so args <<<"$c"
        echo "== round $r $name $(date +%T)"
        CXLMEM_ARGS="$args" ./peers.sh -x -c cxlmem -s 9000 -p "$so" 2>&1 |
            grep '^net_cxlmem' | tee "$OUT/r$r-$name.csv"
    done
done
