#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# perf_smoke.sh - a short cxl-perf run (suite perf-smoke): checks that every
# point produced sane non-zero figures and that the JSON and CSV are well
# formed. Not a benchmark: the figures are not compared with any target.
# The core-to-core probe (on by default) must have answered in each run and
# cost its lcores less than 2 % of their time at every point: c2c_cost is the
# probe's own thread CPU time over the measured time, a count, not a rate.
#
# Usage: perf_smoke.sh CXL_PERF [PLOT_SH]
#   1. one process: cxlmem, memif and ring, two cards, 64 and 1518 B,
#      throughput and latency, and the 1..2 cards scaling table;
#   2. two processes (--role gen / --role peer): cxlmem, memif and the
#      cxlmem-flush variant (a line of cxl-perf's transport table: cxlmem
#      cards with coherence=flush, in windows of their own), 64 B;
#   3. one process, memif: 9000 B then 64 B frames on the same ports; every
#      row must have its frames arrive whole (frames_intact);
#   4. PLOT_SH on the CSV of 1, when gnuplot is installed.
# Needs root (DPDK without hugepages), /usr/bin/python3 for the checks.
set -eu

BIN=${1:?usage: perf_smoke.sh CXL_PERF [PLOT_SH]}
PLOT=${2:-}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/perf-smoke.XXXXXX)
TAG=perf-smoke-$$
PEER=
cleanup() {
	[ -n "$PEER" ] && kill "$PEER" 2>/dev/null && wait "$PEER" 2>/dev/null
	rm -rf "$TMP" /dev/shm/$TAG* /tmp/$TAG* /var/run/dpdk/${TAG}-*
}
trap cleanup EXIT INT TERM

EAL="--no-huge -m 512 --no-pci --no-telemetry --log-level=lib.eal:warning"
fail() { echo "perf-smoke: FAIL: $*" >&2; exit 1; }

# check FILE.json FILE.csv EXPECTED_ROWS: well-formed, and sane figures
check() {
	$PY -m json.tool "$1" >/dev/null || fail "$1 is not valid JSON"
	$PY - "$1" "$2" "$3" <<'EOF' || fail "figures of $1 / $2"
import csv, json, math, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
want = int(sys.argv[3])
bad = []
if len(j["results"]) != want or len(rows) != want:
    bad.append("expected %d results, JSON has %d, CSV %d" % (want, len(j["results"]), len(rows)))
with open(sys.argv[2]) as f:
    widths = {len(l.rstrip("\n").split(",")) for l in f}
if len(widths) != 1:
    bad.append("CSV rows of different widths %s" % sorted(widths))
answered = 0
for r in j["results"]:
    cost = r.get("c2c_cost")
    if cost is None or not (0 <= cost < 0.02):
        bad.append("%s %s %sB: core-to-core probe cost %s of a worker's time (limit 0.02)"
                   % (r["transport"], r["mode"], r["pkt_len"], cost))
    if r["c2c_ns"] is not None:
        answered += 1
        if not (cost and cost > 0):
            bad.append("%s %s %sB: probe answered (%s ns) but its CPU time was not counted"
                       % (r["transport"], r["mode"], r["pkt_len"], r["c2c_ns"]))
if answered == 0:
    bad.append("the core-to-core probe answered at no point")
for r in j["results"]:
    name = "%s %s %s %sB cards=%s card=%s" % (r["section"], r["transport"], r["mode"],
                                               r["pkt_len"], r["cards"], r["card"])
    if not (r["rx_mpps"] and r["rx_mpps"] > 0 and r["tx_mpps"] > 0 and r["gbps"] > 0):
        bad.append(name + ": zero rate")
    if r.get("frames_intact") is not True:
        bad.append(name + ": frames arrived merged or split (mean %s B)" % r.get("rx_len_mean"))
    if r["mode"] == "throughput" and r["rx_mpps"] > r["tx_mpps"] * 1.05 + 0.01:
        bad.append(name + ": received more than sent")
    if r["transport"].startswith("cxlmem"):
        for k in ("win_wr_per_pkt", "win_rd_per_pkt"):
            if r[k] is None or not (r[k] >= r["pkt_len"] * 0.99):
                bad.append(name + ": %s = %s, below the frame length" % (k, r[k]))
    if r["mode"] == "latency" and r["card"] == "all":
        l = r["latency_ns"]
        if not (l["samples"] > 0 and 0 < l["p50"] <= l["p90"] <= l["p99"] <= l["p99_9"] <= l["max"]):
            bad.append(name + ": latency percentiles %s" % l)
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

echo "perf-smoke: one process"
# 2 cards x (cxlmem, memif, ring): sweep 2 sizes x 2 modes x (aggregate + 2
# cards) = 12 per transport, scaling 1 card (1 row) + 2 cards (3 rows) = 4
"$BIN" $EAL --file-prefix $TAG-a --lcores 0@1,1@0,2@1 -- --tag $TAG \
	--cards 2 --compare memif,ring --mode all --sizes 64,1518 --warmup 0.2 --time 0.5 \
	--scaling --no-progress --json "$TMP/one.json" --csv "$TMP/one.csv" >"$TMP/one.txt" 2>&1 ||
	{ cat "$TMP/one.txt" >&2; fail "one-process run"; }
check "$TMP/one.json" "$TMP/one.csv" 48
grep -q "cxlmem / memif" "$TMP/one.txt" || fail "no ratio table in the output"

echo "perf-smoke: two processes"
"$BIN" $EAL --file-prefix $TAG-p -l 0,1 --main-lcore 0 -- --role peer --tag $TAG \
	--compare memif,cxlmem-flush --mode all --sizes 64 >"$TMP/peer.txt" 2>&1 &
PEER=$!
"$BIN" $EAL --file-prefix $TAG-g -l 0,1 --main-lcore 1 -- --role gen --tag $TAG \
	--compare memif,cxlmem-flush --mode all --sizes 64 --warmup 0.2 --time 0.5 --no-progress \
	--json "$TMP/two.json" --csv "$TMP/two.csv" >"$TMP/two.txt" 2>&1 ||
	{ cat "$TMP/two.txt" "$TMP/peer.txt" >&2; fail "two-process run"; }
wait "$PEER" || { cat "$TMP/peer.txt" >&2; fail "peer process exit status"; }
PEER=
check "$TMP/two.json" "$TMP/two.csv" 6
grep -q "cxlmem-flush / cxlmem" "$TMP/two.txt" || fail "no variant / anchor ratio table"

echo "perf-smoke: memif after chained frames"
# 9000-byte frames, then 64-byte ones on the same memif ports: DPDK 22.11's
# memif left a stale NEXT flag in slots a chained frame had used, and merged
# the later small frames (cxl-perf sizes memif's buffers to avoid it; the
# frames_intact check above is what sees it)
"$BIN" $EAL --file-prefix $TAG-m --lcores 0@1,1@0,2@1 -- --tag $TAG-m \
	--compare memif --mode throughput --sizes 9000,64 --warmup 0.2 --time 0.5 \
	--no-progress --json "$TMP/chain.json" --csv "$TMP/chain.csv" >"$TMP/chain.txt" 2>&1 ||
	{ cat "$TMP/chain.txt" >&2; fail "memif chained-frames run"; }
check "$TMP/chain.json" "$TMP/chain.csv" 4
grep -q "WARNING" "$TMP/chain.txt" && { cat "$TMP/chain.txt" >&2; fail "a warning in the report"; }

if [ -n "$PLOT" ] && command -v gnuplot >/dev/null 2>&1; then
	echo "perf-smoke: plot"
	"$PLOT" "$TMP/one.csv" "$TMP/img" "smoke" >/dev/null || fail "plot.sh"
	for p in mpps gbps latency window scaling; do
		[ -s "$TMP/img/perf-$p.png" ] || fail "plot.sh made no perf-$p.png"
	done
fi
echo "perf-smoke: ok"
