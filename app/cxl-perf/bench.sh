#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# bench.sh - the full cxl-perf benchmark of docs/performance.md, on a 2-CPU
# machine: one forwarding core per end.
#
# Usage: bench.sh [-b CXL_PERF] [-o OUTDIR] [-r ROUNDS] [-t SEC] [-s SIZES] [-c TRANSPORTS] [-x ARGS]
#   -b  the cxl-perf binary          (default build-perf/app/cxl-perf/cxl-perf)
#   -o  results and charts go here   (default bench-out)
#   -r  rounds of each alternation   (default 3)
#   -t  measuring seconds per point  (default 2; warm-up 1)
#   -s  frame lengths                (default full: 64..9000)
#   -c  transports compared with cxlmem in the two-process run
#       (default memif,cxlmem-zc,cxlmem-flush: lines of ports.c's table)
#   -x  extra cxl-perf options for every run (e.g. "--card-extra coherence=flush")
#
# Runs, in this order:
#   two/    two processes (--role gen on CPU 0, --role peer on CPU 1), one card,
#           cxlmem against memif and its variants (-c), throughput and
#           latency, every frame length;
#   one/    one process, two lcores, cxlmem against memif and net_ring;
#   scale/  two processes, two cards on the same two cores: 64 B at 1 and 2 cards;
# then app/cxl-perf/plot.sh on each CSV. Needs root; DPDK runs --no-huge.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=build-perf/app/cxl-perf/cxl-perf OUT=bench-out ROUNDS=3 T=2 SIZES=full EXTRA=
COMPARE=memif,cxlmem-zc,cxlmem-flush
while getopts "b:o:r:t:s:c:x:h" opt; do
	case $opt in
	b) BIN=$OPTARG ;;
	o) OUT=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	t) T=$OPTARG ;;
	s) SIZES=$OPTARG ;;
	c) COMPARE=$OPTARG ;;
	x) EXTRA=$OPTARG ;;
	h) sed -n '4,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
[ -x "$BIN" ] || { echo "bench.sh: no cxl-perf at $BIN (build: meson setup build-perf && ninja -C build-perf)" >&2; exit 1; }
mkdir -p "$OUT/two" "$OUT/one" "$OUT/scale"
TAG=bench-$$
EAL="--no-huge -m 1024 --no-pci --no-telemetry --log-level=lib.eal:warning"
COMMON="--warmup 1 --time $T --rounds $ROUNDS $EXTRA"
PEER=
trap '[ -n "$PEER" ] && kill "$PEER" 2>/dev/null; rm -rf /var/run/dpdk/$TAG-*' EXIT INT TERM

echo "# $(date -u +%FT%TZ) $(uname -n): $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"

# two_proc NAME OPTIONS...: peer on CPU 1 (main lcore 0), generator on CPU 0
two_proc() {
	name=$1; shift
	# shellcheck disable=SC2086
	"$BIN" $EAL --file-prefix $TAG-p -l 0,1 --main-lcore 0 -- --role peer --tag $TAG "$@" \
		>"$OUT/$name/peer.log" 2>&1 &
	PEER=$!
	# shellcheck disable=SC2086
	"$BIN" $EAL --file-prefix $TAG-g -l 0,1 --main-lcore 1 -- --role gen --tag $TAG "$@" \
		--json "$OUT/$name/results.json" --csv "$OUT/$name/results.csv" \
		2>"$OUT/$name/progress.log" | tee "$OUT/$name/table.txt"
	wait "$PEER"
	PEER=
}

# shellcheck disable=SC2086
two_proc two --compare "$COMPARE" --mode all --sizes "$SIZES" $COMMON

# shellcheck disable=SC2086
"$BIN" $EAL --file-prefix $TAG-o --lcores 0@1,1@0,2@1 -- --tag $TAG \
	--compare memif,ring --mode all --sizes "$SIZES" $COMMON \
	--json "$OUT/one/results.json" --csv "$OUT/one/results.csv" \
	2>"$OUT/one/progress.log" | tee "$OUT/one/table.txt"

# shellcheck disable=SC2086
two_proc scale --cards 2 --compare memif --mode throughput --sizes 64 --scaling $COMMON

for d in two one scale; do
	"$HERE/plot.sh" "$OUT/$d/results.csv" "$OUT/$d" "$d: $(date -u +%F) $(uname -n)"
done
