#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# charts.sh - the charts of docs/performance.md, drawn by gnuplot (gnuplot-nox)
# from the results of a full sweep (run.sh), by default this folder's.
#
# Usage: charts.sh [OUTDIR [DATADIR [LABEL]]]
#   OUTDIR   where the PNGs go (default: docs/img/ of this repository)
#   DATADIR  run.sh's output folder: r*-*.csv and perf/two/ (default: this folder)
#   LABEL    second line of every title (default: this folder's machine and date)
#
# Every chart shows either ratios of two rates measured back to back at the
# same point (same round, same frame length, the transports alternating), or
# one placement only, so that the host moving the two vCPUs between near and
# far (shared cache or not) during the sweep does not show as a step:
#   ratio-perf.png     cxl-perf, two processes, near seconds only:
#                      cxlmem / memif, cxlmem-zc / memif, cxlmem-flush /
#                      cxlmem (Mpps) per frame length; line: cxl-perf's own
#                      median of the per-round near ratios (perf/two/
#                      results.json, "Mpps near"), points: each round's ratio
#                      of the means of its near one-second samples
#                      (perf/two/progress.log; c2c < 250 ns)
#   ratio-latency.png  the same run's round-trip p50 ratios (lower is better)
#   ratio-testpmd.png  stock testpmd pairs (r*.csv): cxlmem / memif,
#                      zerocopy=rx / memif, coherence=flush / coherence=hw at
#                      64, 1518 and 9000 B; points: each round and direction,
#                      line: their median
#   near-mpps.png      cxl-perf, two processes: Mpps of the seconds whose
#                      core-to-core round trip was below 250 ns (near) only
#   window.png         window bytes per packet / frame length (placement
#                      does not enter)
# Prints how many one-second samples of the cxl-perf run were far.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:-$HERE/../../img}")
DATA=$(realpath -m "${2:-$HERE}")
MACHINE=${3:-"2-vCPU Intel Xeon KVM guest, 2026-12-06, docs/results/sweep-intel"}
[ -r "$DATA/perf/two/results.json" ] && [ -r "$DATA/perf/two/progress.log" ] ||
	{ echo "charts.sh: $DATA holds no run.sh results (perf/two/results.json, progress.log)" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 ||
	{ echo "charts.sh: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$DATA" "$TMP" <<'EOF'
import csv, glob, json, os, re, statistics, sys
here, tmp = sys.argv[1], sys.argv[2]
two = os.path.join(here, "perf", "two")

# cxl-perf medians of the per-round ratios, as cxl-perf computed them
res = json.load(open(os.path.join(two, "results.json")))
med = {}
for r in res["ratios_cxlmem_over"]:
    if r["cards"] == 1:
        med[(r["mode"], r["transport"], r["versus"], r["pkt_len"])] = r

# per-round, per-transport mean of the one-second samples
pat = re.compile(r"\[(\S+) (\S+) 1card (\d+)B r(\d+)\]\s+\S+\s+([\d.]+) Mpps rx\s+([\d.]+) Mpps tx\s+c2c (\S+) ns")
samp, far, total = {}, 0, 0
for line in open(os.path.join(two, "progress.log")):
    m = pat.search(line)
    if not m:
        continue
    tp, mode, ln, rnd, rx, tx, c2c = m.groups()
    total += 1
    if c2c == "NA" or float(c2c) >= 250:
        far += 1
        continue
    samp.setdefault((mode, tp, int(ln), int(rnd)), []).append(float(rx))
print(f"cxl-perf two processes: {far} of {total} one-second samples far or NA (c2c >= 250 ns), left out")

pairs = [("cxlmem", "memif"), ("cxlmem-zc", "memif"), ("cxlmem-flush", "cxlmem")]
sizes = sorted({k[2] for k in samp})
rounds = sorted({k[3] for k in samp})
for a, b in pairs:
    with open(os.path.join(tmp, f"perf-{a}-{b}.dat"), "w") as f:
        for ln in sizes:
            m = med[("throughput", a, b, ln)]
            per = []
            for r in rounds:
                sa, sb = samp.get(("throughput", a, ln, r)), samp.get(("throughput", b, ln, r))
                if sa and sb:
                    per.append(statistics.mean(sa) / statistics.mean(sb))
            v = m["mpps_near"] if m["mpps_near"] is not None else m["mpps"]
            f.write(f"{ln} {v:.4f} " + " ".join(f"{x:.4f}" for x in per) + "\n")
    with open(os.path.join(tmp, f"lat-{a}-{b}.dat"), "w") as f:
        for ln in sizes:
            m = med.get(("latency", a, b, ln))
            if m and m.get("p50") is not None:
                f.write(f"{ln} {m['p50']:.4f} {m['p99']:.4f}\n")

# one placement: near Mpps of the median round, and window bytes per packet
rows = list(csv.DictReader(open(os.path.join(two, "results.csv"))))
for tp in ("cxlmem", "memif", "cxlmem-zc", "cxlmem-flush"):
    with open(os.path.join(tmp, f"near-{tp}.dat"), "w") as f:
        for r in sorted((r for r in rows if r["transport"] == tp and r["mode"] == "throughput"
                         and r["card"] == "all"), key=lambda r: int(r["pkt_len"])):
            if r["mpps_near"]:
                f.write(f"{r['pkt_len']} {r['mpps_near']}\n")
    with open(os.path.join(tmp, f"win-{tp}.dat"), "w") as f:
        for r in sorted((r for r in rows if r["transport"] == tp and r["mode"] == "throughput"
                         and r["card"] == "all"), key=lambda r: int(r["pkt_len"])):
            if r["win_x_payload"]:
                f.write(f"{r['pkt_len']} {r['win_x_payload']}\n")

# stock testpmd pairs: every round and direction
VARIANT = {"hw": "hw", "zc": "zc", "flush": "flush", "j-hw": "hw", "j-zc16k": "zc",
           "j-flush": "flush", "j-memif": None}
rate = {}
for path in sorted(glob.glob(os.path.join(here, "r*-*.csv"))):
    m = re.match(r"r(\d+)-(.+)\.csv$", os.path.basename(path))
    rnd, tag = int(m.group(1)), m.group(2)
    for row in csv.DictReader(open(path)):
        if row["mpps"] in ("", "NA"):
            continue
        peer = row["peer"]
        port = VARIANT[tag] if peer == "net_cxlmem" else peer
        dirn = 0 if row["mode"] in ("client->server", "host->device") else 1
        rate[(port, int(row["pkt_len"]), rnd, dirn)] = float(row["mpps"])
for a, b in (("hw", "net_memif"), ("zc", "net_memif"), ("flush", "hw")):
    with open(os.path.join(tmp, f"tp-{a}-{b}.dat"), "w") as f:
        for ln in sorted({k[1] for k in rate}):
            per = [rate[(a, ln, r, d)] / rate[(b, ln, r, d)] for r in sorted({k[2] for k in rate})
                   for d in (0, 1) if (a, ln, r, d) in rate and (b, ln, r, d) in rate]
            if per:
                f.write(f"{ln} {statistics.median(per):.4f} " + " ".join(f"{x:.4f}" for x in per) + "\n")
EOF

SIZES='("64" 64, "128" 128, "256" 256, "512" 512, "1024" 1024, "1518" 1518, "4096" 4096, "9000" 9000)'
common() { # png title ylabel
	cat <<EOG
set terminal pngcairo size 900,560 noenhanced font 'sans,11'
set output '$OUT/$1'
set title "$2\\n$MACHINE"
set xlabel 'frame length (bytes, without FCS)'
set ylabel '$3'
set logscale x 2
set xrange [48:12000]
set xtics $SIZES
set grid
set key top left
EOG
}
# points: one column per round (3..N), drawn as small marks in the line's colour
rounds_of() { awk '{ print NF - 2; exit }' "$1"; }
points() { # file colour
	n=$(rounds_of "$1") i=3 s=""
	while [ "$i" -le $((n + 2)) ]; do
		s="$s, '$1' using 1:$i with points pt 6 ps 0.9 lc rgb '$2' notitle"
		i=$((i + 1))
	done
	echo "$s"
}

{
	common ratio-perf.png "cxl-perf, two processes: rate ratios measured back to back at each point, near seconds only" "ratio of rx Mpps"
	echo "set yrange [0:2]"
	echo "plot 1 with lines lc rgb 'gray' dt 2 notitle, \\"
	echo "  '$TMP/perf-cxlmem-memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'cxlmem / memif'$(points "$TMP/perf-cxlmem-memif.dat" '#1f77b4'), \\"
	echo "  '$TMP/perf-cxlmem-zc-memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'cxlmem zerocopy=rx / memif'$(points "$TMP/perf-cxlmem-zc-memif.dat" '#2ca02c'), \\"
	echo "  '$TMP/perf-cxlmem-flush-cxlmem.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'cxlmem coherence=flush / cxlmem'$(points "$TMP/perf-cxlmem-flush-cxlmem.dat" '#d62728')"
} | gnuplot

{
	common ratio-latency.png "cxl-perf, two processes: round trip (one frame in flight), ratio to memif" "ratio of round-trip time (lower is faster)"
	echo "set yrange [0:1.5]"
	echo "plot 1 with lines lc rgb 'gray' dt 2 notitle, \\"
	echo "  '$TMP/lat-cxlmem-memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'cxlmem / memif, p50', \\"
	echo "  '$TMP/lat-cxlmem-memif.dat' using 1:3 with linespoints lw 1 dt 2 pt 6 lc rgb '#1f77b4' title 'cxlmem / memif, p99', \\"
	echo "  '$TMP/lat-cxlmem-zc-memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'cxlmem zerocopy=rx / memif, p50', \\"
	echo "  '$TMP/lat-cxlmem-zc-memif.dat' using 1:3 with linespoints lw 1 dt 2 pt 6 lc rgb '#2ca02c' title 'cxlmem zerocopy=rx / memif, p99'"
} | gnuplot

{
	common ratio-testpmd.png "stock testpmd pairs: rate ratios in the same round and direction" "ratio of Mpps"
	echo "set xtics (\"64\" 64, \"1518\" 1518, \"9000\" 9000)"
	echo "set yrange [0:2.2]"
	echo "plot 1 with lines lc rgb 'gray' dt 2 notitle, \\"
	echo "  '$TMP/tp-hw-net_memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'net_cxlmem / net_memif'$(points "$TMP/tp-hw-net_memif.dat" '#1f77b4'), \\"
	echo "  '$TMP/tp-zc-net_memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'zerocopy=rx / net_memif (9000 B: bsize=16384)'$(points "$TMP/tp-zc-net_memif.dat" '#2ca02c'), \\"
	echo "  '$TMP/tp-flush-hw.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'coherence=flush / coherence=hw'$(points "$TMP/tp-flush-hw.dat" '#d62728')"
} | gnuplot

{
	common near-mpps.png "cxl-perf, two processes: rx Mpps, near placement only (vCPUs sharing a cache)" "Mpps (median of the near seconds)"
	echo "set logscale y 2"
	echo "set key top right"
	echo "plot '$TMP/near-cxlmem.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'cxlmem', \\"
	echo "  '$TMP/near-cxlmem-zc.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'cxlmem zerocopy=rx', \\"
	echo "  '$TMP/near-cxlmem-flush.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'cxlmem coherence=flush', \\"
	echo "  '$TMP/near-memif.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb 'black' title 'memif'"
} | gnuplot

{
	common window.png "window bytes per packet / frame length (1.00: only the frame crosses)" "max(written, read) / frame length"
	echo "set yrange [0.95:1.25]"
	echo "set key top right"
	echo "plot '$TMP/win-cxlmem.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'cxlmem', \\"
	echo "  '$TMP/win-cxlmem-zc.dat' using 1:2 with linespoints lw 1 pt 6 lc rgb '#2ca02c' title 'cxlmem zerocopy=rx', \\"
	echo "  '$TMP/win-cxlmem-flush.dat' using 1:2 with linespoints lw 1 pt 4 lc rgb '#d62728' title 'cxlmem coherence=flush'"
} | gnuplot

echo "charts in $OUT: ratio-perf.png ratio-latency.png ratio-testpmd.png near-mpps.png window.png"
