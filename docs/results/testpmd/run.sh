#!/bin/bash
# The run behind docs/results/testpmd/README.md (2026-11-30 20:58-21:13 UTC), as run;
# paths are those of the machine it ran on. The fuzzers named below were paused (SIGSTOP) meanwhile.
set -u
OUT=/work/bench-final/out; mkdir -p $OUT
P=/work/main/build/drivers/net/cxlmem/librte_net_cxlmem.so
cd /work/shared/bench
pkill -STOP -f "fuzz_window -runs"
trap 'pkill -CONT -f "fuzz_window -runs"' EXIT
log() { echo "== $(date -u +%T) $*" | tee -a $OUT/progress.txt; }
for r in 1 2; do
  log "round $r 64/1518"
  ./peers.sh -x -c "memif memif_zc cxlmem" -s "64 1518" -p $P >$OUT/r$r-hw.csv 2>$OUT/r$r-hw.err
  CXLMEM_ARGS=",zerocopy=rx" ./peers.sh -x -c cxlmem -s "64 1518" -p $P >$OUT/r$r-zc.csv 2>$OUT/r$r-zc.err
  CXLMEM_ARGS=",coherence=flush" ./peers.sh -x -c cxlmem -s "64 1518" -p $P >$OUT/r$r-flush.csv 2>$OUT/r$r-flush.err
  log "round $r 9000"
  TESTPMD_JUMBO_MAX_PKT_LEN= PATH=/work/main/scripts/testpmd-jumbo:$PATH ./peers.sh -x -c "memif memif_zc" -s 9000 >$OUT/r$r-j-memif.csv 2>$OUT/r$r-j-memif.err
  PATH=/work/main/scripts/testpmd-jumbo:$PATH ./peers.sh -x -c cxlmem -s 9000 -p $P >$OUT/r$r-j-hw.csv 2>$OUT/r$r-j-hw.err
  CXLMEM_ARGS=",zerocopy=rx" PATH=/work/main/scripts/testpmd-jumbo:$PATH ./peers.sh -x -c cxlmem -s 9000 -p $P >$OUT/r$r-j-zc.csv 2>$OUT/r$r-j-zc.err
  CXLMEM_ARGS=",coherence=flush" PATH=/work/main/scripts/testpmd-jumbo:$PATH ./peers.sh -x -c cxlmem -s 9000 -p $P >$OUT/r$r-j-flush.csv 2>$OUT/r$r-j-flush.err
done
log "cxl-perf bench"
cd /work/main && app/cxl-perf/bench.sh -b build/app/cxl-perf/cxl-perf -o $OUT/perf -r 3 -t 2 >$OUT/perf.out 2>&1
log "cxl-fwd vs veth"
cd /work/main && ./scripts/cxl-fwd-vs-veth.sh build --calibrate /work/shared/bench/calibrate-tun.sh >$OUT/fwd.md 2>$OUT/fwd.err
log "cxl-fwd vs veth, zerocopy=rx, tun"
cd /work/main && FWD_CXL_OPTS=zerocopy=rx ./scripts/cxl-fwd-vs-veth.sh build --kernels tun --calibrate none >$OUT/fwd-zc.md 2>$OUT/fwd-zc.err
log done
