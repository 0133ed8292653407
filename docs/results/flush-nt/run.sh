#!/bin/bash
# coherence=flush against coherence=hw (and memif), stock testpmd pairs of
# ../../../../shared/bench (peers.sh), alternated per round.
#   flock /work/bench.lock docs/results/flush-nt/run.sh ROUNDS OUTDIR "SIZES" [CASE=ARGS...]
# default cases: hw="" flush=",coherence=flush" flush-cached=",coherence=flush,nt_store=off"
# Each line of OUTDIR/rN-CASE.csv is peers.sh's CSV (transport, direction,
# size, Mpps, Gbps, ..., c2c ns, near Mpps, near n, far Mpps, far n).
set -u
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
P="$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so"
ROUNDS="${1:-2}" OUT="${2:-/tmp/flush-nt}" SIZES="${3:-64 512 1518}"
shift 3 2>/dev/null || shift $#
CASES=("$@")
[[ ${#CASES[@]} -gt 0 ]] || CASES=("hw=" "flush=,coherence=flush" "flush-cached=,coherence=flush,nt_store=off")
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
cd "$REPO/../shared/bench" || exit 1
for ((r = 1; r <= ROUNDS; r++)); do
    for c in "${CASES[@]}"; do
        echo "== round $r ${c%%=*} (${c#*=}) $(date +%T)"
        CXLMEM_ARGS="${c#*=}" ./peers.sh -x -c cxlmem -d 8 -s "$SIZES" -p "$P" 2>&1 |
            grep '^net_cxlmem' | tee "$OUT/r$r-${c%%=*}.csv"
    done
    echo "== round $r memif $(date +%T)"
    ./peers.sh -x -d 8 -c memif -s "$SIZES" 2>&1 | grep '^net_memif' | tee "$OUT/r$r-memif.csv"
done
