#!/bin/bash
# net_cxlmem nt_store=: the stock testpmd pairs of ../../../../shared/bench
# (peers.sh), cached against non-temporal stores, alternated per round.
#   flock /work/bench.lock docs/results/nt-store/run.sh ROUNDS OUTDIR
# Each line of OUTDIR/rN-CASE.csv is peers.sh's CSV (transport, direction,
# size, Mpps, Gbps, ..., c2c ns, near Mpps, near n, far Mpps, far n).
set -u
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
P="$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so"
ROUNDS="${1:-2}" OUT="${2:-/tmp/nt-store}"
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
cd "$REPO/../shared/bench" || exit 1
pair() { # CASE ARGS SIZES [JUMBO]
    local path="$PATH"
    [[ -n "${4:-}" ]] && path="$REPO/scripts/testpmd-jumbo:$PATH"
    echo "== round $r $1 ($2) $(date +%T)"
    CXLMEM_ARGS="$2" PATH="$path" ./peers.sh -x -c cxlmem -s "$3" -p "$P" 2>&1 |
        grep '^net_cxlmem' | tee "$OUT/r$r-$1.csv"
}
for ((r = 1; r <= ROUNDS; r++)); do
    pair hw "" "64 512 1518"
    pair hw-nt ",nt_store=on" "64 512 1518"
    pair hw-9000 "" 9000 jumbo
    pair hw-nt-9000 ",nt_store=on" 9000 jumbo
    pair flush-cached ",coherence=flush,nt_store=off" "64 1518"
    pair flush ",coherence=flush" "64 1518"
    echo "== round $r memif $(date +%T)"
    ./peers.sh -x -c memif -s "64 1518" 2>&1 | grep '^net_memif' | tee "$OUT/r$r-memif.csv"
done
