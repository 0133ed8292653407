#!/usr/bin/env python3
"""Tables of docs/results/sweep-intel/README.md (and docs/performance.md) from run.sh's testpmd CSVs (peers.sh -x rows:
peer,mode,pkt_len,mpps,gbps,foreign_pct,c2c_ns,mpps_near,n_near,mpps_far,n_far).

Usage: table.py [DIR]   (default: this file's folder). Prints, per frame and port, each round's
median Mpps with the placement of its seconds (n: most seconds near, f: most far), then the
issue 12 ratios round by round (same round, same direction pairing as the docs)."""
import csv, glob, os, re, sys

d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
# file tag -> label of the net_cxlmem variant it measured
VARIANT = {"hw": "net_cxlmem", "zc": "net_cxlmem zerocopy=rx", "flush": "net_cxlmem coherence=flush",
           "j-hw": "net_cxlmem", "j-zc16k": "net_cxlmem zerocopy=rx,bsize=16384",
           "j-flush": "net_cxlmem coherence=flush", "j-memif": None}
rows = {}  # (round, port, dir, len) -> (mpps, place)
rounds = set()
for path in sorted(glob.glob(os.path.join(d, "r*-*.csv"))):
    m = re.match(r"r(\d+)-(.+)\.csv$", os.path.basename(path))
    r, tag = int(m.group(1)), m.group(2)
    rounds.add(r)
    for row in csv.reader(open(path)):
        if not row or row[0] == "peer" or len(row) < 11:
            continue
        peer, mode, ln, mpps = row[0], row[1], int(row[2]), row[3]
        if mpps in ("NA", ""):
            continue
        nn, nf = int(row[8] or 0), int(row[10] or 0)
        port = peer if peer != "net_cxlmem" else VARIANT.get(tag) or peer
        # memif directions in the cxlmem order: client->server = host->device
        dirn = {"client->server": "h->d", "server->client": "d->h",
                "host->device": "h->d", "device->host": "d->h"}.get(mode, mode)
        rows[(r, port, dirn, ln)] = (float(mpps), "n" if nn >= nf else "f")
rounds = sorted(rounds)
ports = sorted({k[1] for k in rows}, key=lambda p: (not p.startswith("net_memif"), p))
print("| frame | port | " + " | ".join(f"r{r} h→d / d→h" for r in rounds) + " |")
print("|---|---|" + "---|" * len(rounds))
for ln in sorted({k[3] for k in rows}):
    for p in ports:
        cells = []
        for r in rounds:
            c = [rows.get((r, p, x, ln)) for x in ("h->d", "d->h")]
            cells.append(" / ".join(f"{v[0]:.2f} {v[1]}" if v else "-" for v in c))
        if any(rows.get((r, p, x, ln)) for r in rounds for x in ("h->d", "d->h")):
            print(f"| {ln} | {p} | " + " | ".join(cells) + " |")

def ratio(a, b, ln):
    out = []
    for r in rounds:
        for x in ("h->d", "d->h"):
            va, vb = rows.get((r, a, x, ln)), rows.get((r, b, x, ln))
            if va and vb:
                out.append(f"{va[0] / vb[0]:.2f}{'' if va[1] == vb[1] else ' (' + va[1] + '/' + vb[1] + ')'}")
    return ", ".join(out) or "-"

print()
print("ratios, round by round, h→d then d→h ((n/f): placements differed):")
for what, a, b, ln in (("64 B net_cxlmem / net_memif", "net_cxlmem", "net_memif", 64),
                       ("64 B zerocopy=rx / net_memif", "net_cxlmem zerocopy=rx", "net_memif", 64),
                       ("1518 B net_cxlmem / net_memif", "net_cxlmem", "net_memif", 1518),
                       ("1518 B zerocopy=rx / net_memif", "net_cxlmem zerocopy=rx", "net_memif", 1518),
                       ("9000 B net_cxlmem / net_memif", "net_cxlmem", "net_memif", 9000),
                       ("9000 B zerocopy=rx,bsize=16384 / net_memif", "net_cxlmem zerocopy=rx,bsize=16384", "net_memif", 9000),
                       ("64 B flush / hw", "net_cxlmem coherence=flush", "net_cxlmem", 64),
                       ("1518 B flush / hw", "net_cxlmem coherence=flush", "net_cxlmem", 1518),
                       ("9000 B flush / hw", "net_cxlmem coherence=flush", "net_cxlmem", 9000)):
    print(f"- {what}: {ratio(a, b, ln)}")
