#!/usr/bin/env python3
"""Placement-matched ratios of run.sh's testpmd CSVs (peers.sh -x rows).

Usage: placed.py OUTDIR/dpdk-22.11 [OUTDIR/dpdk-24.11 ...]
For each release folder, frame and net_cxlmem variant: net_cxlmem / net_memif
from the seconds both spent in the same vCPU placement (near: the two vCPUs
share a cache; far: they do not), same round and direction: the columns
mpps_near / mpps_far of each case, used where both ends of the ratio have at
least MIN_SECONDS seconds of that placement. Prints one Markdown row per
frame: median (range, count) of the near ratios and of the far ratios."""
import csv, glob, os, re, statistics, sys

MIN_SECONDS = 2
VARIANT = {"hw": "copy", "zc": "zerocopy=rx", "j-hw": "copy", "j-zc16k": "zerocopy=rx",
           "j-memif": None}


def load(d):
    rows = {}  # (round, port, dir, len) -> {"n": (mpps, secs), "f": (mpps, secs)}
    for path in sorted(glob.glob(os.path.join(d, "r*-*.csv"))):
        m = re.match(r"r(\d+)-(.+)\.csv$", os.path.basename(path))
        r, tag = int(m.group(1)), m.group(2)
        for row in csv.reader(open(path)):
            if not row or row[0] == "peer" or len(row) < 11:
                continue
            port = "memif" if row[0] == "net_memif" else VARIANT.get(tag)
            if port is None:
                continue
            dirn = row[1] in ("client->server", "host->device")
            place = {}
            for key, mp, n in (("n", row[7], row[8]), ("f", row[9], row[10])):
                if mp not in ("NA", "") and int(n or 0) >= MIN_SECONDS:
                    place[key] = float(mp)
            rows[(r, port, dirn, int(row[2]))] = place
    return rows


def cell(v):
    if not v:
        return "-"
    return f"{statistics.median(v):.2f}x ({min(v):.2f}-{max(v):.2f}, {len(v)})"


for d in sys.argv[1:]:
    rows = load(d)
    print(f"{d}: net_cxlmem / net_memif, placement-matched: median (range, ratios)")
    print("| frame | copy, near | copy, far | zerocopy=rx, near | zerocopy=rx, far |")
    print("|---|---|---|---|---|")
    for ln in sorted({k[3] for k in rows}):
        out = []
        for var in ("copy", "zerocopy=rx"):
            for pl in ("n", "f"):
                v = []
                for (r, port, dirn, l), place in rows.items():
                    if port != var or l != ln or pl not in place:
                        continue
                    mem = rows.get((r, "memif", dirn, ln), {})
                    if pl in mem:
                        v.append(place[pl] / mem[pl])
                out.append(cell(v))
        print(f"| {ln} B | " + " | ".join(out) + " |")
    print()
