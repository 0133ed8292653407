#!/bin/bash
# A/B: net_cxlmem before (fc524f8) and after the poll-count change, same harness, alternating.
set -u
OUT=/work/bench-out/ab; BENCH=/work/shared/bench
OLD=/work/bench-out/librte_net_cxlmem-fc524f8.so; NEW=/work/bench-out/librte_net_cxlmem-new.so
cd "$BENCH"
for r in 4 5 6 7; do
  for v in old new; do
    p=$OLD; [ $v = new ] && p=$NEW
    echo "== $(date -u +%T) round $r $v" | tee -a $OUT/progress.txt
    ./peers.sh -x -c cxlmem -s 64 -p "$p" > $OUT/r$r-$v.csv 2> $OUT/r$r-$v.err
  done
done
echo "== $(date -u +%T) done" | tee -a $OUT/progress.txt
