#!/bin/bash
# Issue 12's full sweep on one machine (the 2-vCPU Intel Xeon KVM guest, 2026-12-06), as run:
# three rounds of stock testpmd pairs (every case in turn each round), then cxl-perf's full sweep
# (app/cxl-perf/bench.sh, three rounds). Needs root; run from the repository, under the bench lock:
#   flock /work/bench.lock docs/results/sweep-intel/run.sh [OUTDIR] [ROUNDS]
set -u
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=$(realpath -m "${1:-$REPO/docs/results/sweep-intel}"); ROUNDS=${2:-3}
BENCH=${BENCH:-$REPO/../shared/bench}
P=$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so
J="PATH=$REPO/scripts/testpmd-jumbo:$PATH"
mkdir -p "$OUT"
log() { echo "== $(date -u +%T) $*" | tee -a "$OUT/progress.txt"; }
log "start, commit $(git -C "$REPO" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$BENCH" || exit 1
for ((r = 1; r <= ROUNDS; r++)); do
  log "round $r 64/1518"
  ./peers.sh -x -c "memif memif_zc cxlmem" -s "64 1518" -p $P >"$OUT/r$r-hw.csv" 2>"$OUT/r$r-hw.err"
  CXLMEM_ARGS=",zerocopy=rx" ./peers.sh -x -c cxlmem -s "64 1518" -p $P >"$OUT/r$r-zc.csv" 2>"$OUT/r$r-zc.err"
  CXLMEM_ARGS=",coherence=flush" ./peers.sh -x -c cxlmem -s "64 1518" -p $P >"$OUT/r$r-flush.csv" 2>"$OUT/r$r-flush.err"
  log "round $r 9000"
  env TESTPMD_JUMBO_MAX_PKT_LEN= "$J" ./peers.sh -x -c "memif memif_zc" -s 9000 >"$OUT/r$r-j-memif.csv" 2>"$OUT/r$r-j-memif.err"
  env "$J" ./peers.sh -x -c cxlmem -s 9000 -p $P >"$OUT/r$r-j-hw.csv" 2>"$OUT/r$r-j-hw.err"
  env CXLMEM_ARGS=",zerocopy=rx,bsize=16384" "$J" ./peers.sh -x -c cxlmem -s 9000 -p $P >"$OUT/r$r-j-zc16k.csv" 2>"$OUT/r$r-j-zc16k.err"
  env CXLMEM_ARGS=",coherence=flush" "$J" ./peers.sh -x -c cxlmem -s 9000 -p $P >"$OUT/r$r-j-flush.csv" 2>"$OUT/r$r-j-flush.err"
done
log "cxl-perf bench"
cd "$REPO" && app/cxl-perf/bench.sh -b build/app/cxl-perf/cxl-perf -o "$OUT/perf" -r 3 -t 2 >"$OUT/perf.out" 2>&1
log done
