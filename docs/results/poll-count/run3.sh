#!/bin/bash
set -u
OUT=/work/bench-out/ab; cd /work/shared/bench
for r in 8 9 10; do
  for v in old new new8; do
    p=/work/bench-out/librte_net_cxlmem-$v.so; [ $v = old ] && p=/work/bench-out/librte_net_cxlmem-fc524f8.so
    echo "== $(date -u +%T) round $r $v" | tee -a $OUT/progress.txt
    ./peers.sh -x -c cxlmem -s 64 -p "$p" > $OUT/r$r-$v.csv 2> $OUT/r$r-$v.err
  done
done
echo "== $(date -u +%T) done" | tee -a $OUT/progress.txt
