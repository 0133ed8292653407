#!/bin/bash
# cxl-perf two processes, net_cxlmem copy mode against nt_store=on (cxlmem-nt)
# run from the repository root, as root; flock /work/bench.lock on a shared machine
B=${B:-build/app/cxl-perf/cxl-perf}
EAL="--no-huge -m 1024 --no-pci --no-telemetry"
$B $EAL --file-prefix perf-p -l 0,1 --main-lcore 0 -- --role peer --tag pnt \
    --compare cxlmem-nt --mode throughput --sizes 64,512,1518,9000 --warmup 1 --time 3 --rounds 2 > /tmp/perf-peer.txt 2>&1 &
$B $EAL --file-prefix perf-g -l 0,1 --main-lcore 1 -- --role gen --tag pnt \
    --compare cxlmem-nt --mode throughput --sizes 64,512,1518,9000 --warmup 1 --time 3 --rounds 2
wait
