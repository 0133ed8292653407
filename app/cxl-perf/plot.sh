#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# plot.sh - PNG charts from a cxl-perf CSV (--csv FILE), drawn by gnuplot
# (Debian package gnuplot-nox).
#
# Usage: plot.sh RESULTS.csv [OUTDIR] [TITLE]
#   OUTDIR  where the PNGs go (default: the CSV's folder)
#   TITLE   a line added to every chart title (e.g. the date and machine)
#
# Writes, for what the CSV holds:
#   perf-mpps.png     rx Mpps versus frame length, one line per transport
#   perf-gbps.png     Gbps versus frame length
#   perf-latency.png  round-trip p50 and p99 versus frame length
#   perf-window.png   window bytes per packet / frame length versus frame length
#   perf-scaling.png  aggregate rx Mpps versus number of cards
# Only the aggregate rows (card "all") of the selected rounds are plotted;
# the CSV holds nothing else.
set -eu

usage() { sed -n '4,/^$/{s/^# \{0,1\}//;p}' "$0"; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in -h|--help) usage; exit 0 ;; esac
CSV=$1
OUT=${2:-$(dirname "$CSV")}
TITLE=${3:-}
[ -r "$CSV" ] || { echo "plot.sh: cannot read $CSV" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 ||
	{ echo "plot.sh: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Column numbers by header name, so the CSV may grow columns.
col() { head -n1 "$CSV" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
C_SEC=$(col section) C_TP=$(col transport) C_MODE=$(col mode) C_CARDS=$(col cards)
C_CARD=$(col card) C_LEN=$(col pkt_len) C_MPPS=$(col rx_mpps) C_GBPS=$(col gbps)
C_P50=$(col p50_ns) C_P99=$(col p99_ns) C_WX=$(col win_x_payload)


# data file per (section, mode, transport): "x value..." lines, sorted by x
extract() { # section mode transport xcol ycols... -> file name on stdout
	sec=$1 mode=$2 tp=$3 xc=$4; shift 4
	f="$TMP/$sec-$mode-$tp-$*.dat"
	awk -F, -v s="$sec" -v m="$mode" -v t="$tp" -v x="$xc" -v ys="$*" -v cs="$C_SEC" \
	    -v cm="$C_MODE" -v ct="$C_TP" -v cc="$C_CARD" '
		NR > 1 && $cs == s && $cm == m && $ct == t && $cc == "all" {
			n = split(ys, y, " "); line = $x
			for (i = 1; i <= n; i++) {
				if ($y[i] == "") next  # not measured (e.g. no window xstats)
				line = line " " $y[i]
			}
			print line
		}' "$CSV" | sort -n >"$f"
	[ -s "$f" ] && echo "$f"
}

transports=$(awk -F, -v c="$C_TP" 'NR > 1 { print $c }' "$CSV" | awk '!seen[$0]++')

# plot_lines OUT.png TITLE XLABEL YLABEL LOGX SECTION MODE XCOL "YCOL:label-suffix"...
plot_lines() {
	png=$1 title=$2 xl=$3 yl=$4 logx=$5 sec=$6 mode=$7 xc=$8; shift 8
	plots=""
	for tp in $transports; do
		for spec in "$@"; do
			yc=${spec%%:*} suffix=${spec#*:}
			f=$(extract "$sec" "$mode" "$tp" "$xc" "$yc") || continue
			# a line needs two points
			[ "$(wc -l <"$f")" -ge 2 ] || continue
			[ -n "$plots" ] && plots="$plots, "
			plots="$plots'$f' using 1:2 with linespoints lw 2 pt 7 title '$tp$suffix'"
		done
	done
	[ -n "$plots" ] || return 0
	{
		echo "set terminal pngcairo size 900,560 noenhanced font 'sans,11'"
		echo "set output '$OUT/$png'"
		t=$title
		[ -n "$TITLE" ] && t="$title\\n$TITLE"
		printf 'set title "%s"\n' "$t"
		echo "set xlabel '$xl'; set ylabel '$yl'"
		echo "set grid; set key top right box opaque Left reverse; set yrange [0:*]"
		[ "$logx" = log ] && echo "set logscale x 2; set xtics (64,128,256,512,1024,1518,4096,9000)"
		[ "$logx" = int ] && echo "set xtics 1; set xrange [0.5:*]"
		echo "plot $plots"
	} >"$TMP/plot.gp"
	gnuplot "$TMP/plot.gp"
	echo "$OUT/$png"
}

plot_lines perf-mpps.png "Throughput (packets)" "frame length, bytes" "rx Mpps" log \
	sweep throughput "$C_LEN" "$C_MPPS:"
plot_lines perf-gbps.png "Throughput (bits, L2 frame without FCS)" "frame length, bytes" "Gbps" log \
	sweep throughput "$C_LEN" "$C_GBPS:"
plot_lines perf-latency.png "Round-trip latency (loopback through a reflector)" \
	"frame length, bytes" "ns" log sweep latency "$C_LEN" "$C_P50: p50" "$C_P99: p99"
plot_lines perf-window.png "Window traffic per packet (1.0 = payload only)" \
	"frame length, bytes" "max(written, read) / frame length" log \
	sweep throughput "$C_LEN" "$C_WX:"
plot_lines perf-scaling.png "Aggregate throughput versus cards (same lcores)" \
	"cards" "aggregate rx Mpps" int scaling throughput "$C_CARDS" "$C_MPPS:"
