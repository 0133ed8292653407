#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark (not a test): a card's services through the pod against the
same card reached directly over its link, in one run, alternating.

One pod namespace set up by the conflist [bridge + host-local, cxlmem]
(run as libcni runs it, test/cni/cnilib.py), one card (cxl-fwd role=device,
redis-server and iperf3 -s on 192.0.2.2). Per round, in alternating order:
  pod:    from the root namespace to the pod's IP (bridge, DNAT in the pod,
          the window, the card)
  direct: from inside the pod's namespace to 192.0.2.2 (the window and the
          card only)
redis-benchmark GET (-n, -c 20) and iperf3 (one stream, -t) both ways.
Prints the raw lines and, per metric, pod/direct per round and overall.

  flock /work/bench.lock test/cni/bench.py PATH/TO/cxlmem PATH/TO/cxl-fwd [--rounds 3] [--secs 5] [--requests 100000]

Root only. Addresses: 198.51.100.0/25 (a bridge in the root namespace),
192.0.2.0/30 inside the namespaces.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnilib import (Card, ConfList, Daemon, bridge_cxlmem_conflist, in_ns, netns_add,  # noqa: E402
                    sh, teardown, wait_for)


def redis_get(prefix, host, n):
    r = subprocess.run(prefix + ["redis-benchmark", "-h", host, "-n", str(n), "-c", "20", "-t", "get",
                                 "--csv"], capture_output=True, text=True, timeout=300)
    for line in r.stdout.splitlines():
        if line.startswith('"GET"'):
            return float(line.split(",")[1].strip('"')), line
    raise RuntimeError(f"redis-benchmark: {r.stdout} {r.stderr}")


def iperf(prefix, host, secs, reverse):
    r = subprocess.run(prefix + ["iperf3", "-c", host, "-t", str(secs), "-J"] + (["-R"] if reverse else []),
                       capture_output=True, text=True, timeout=secs + 60)
    j = json.loads(r.stdout)
    bps = j["end"]["sum_received"]["bits_per_second"]
    return bps / 1e9, f"{bps / 1e9:.3f} Gbit/s received"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plugin")
    ap.add_argument("fwd")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--secs", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100000)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root")
        return 77
    plugin, fwd = os.path.abspath(a.plugin), os.path.abspath(a.fwd)
    tag = f"cnib{os.getpid()}"
    work = tempfile.mkdtemp(prefix=f"cxlmem-{tag}.")
    plugdir = os.path.join(work, "bin")
    os.mkdir(plugdir)
    shutil.copy(plugin, os.path.join(plugdir, "cxlmem"))
    sock, state = os.path.join(work, "d.sock"), os.path.join(work, "state")
    win = f"/dev/shm/{tag}-a"
    pod = f"{tag}-pod"
    conflist = bridge_cxlmem_conflist(tag, work, sock, {"card": win}, [6379, 5201])
    rt = ConfList(conflist, ["/usr/lib/cni", plugdir])
    daemon = card = None
    rows = []
    try:
        daemon = Daemon(os.path.join(plugdir, "cxlmem"), fwd, sock, state, os.path.join(work, "daemon.log"))
        netns_add(pod)
        res = rt.add(f"{tag}-c", f"/run/netns/{pod}")
        ip = res["ips"][0]["address"].split("/")[0]
        card = Card(fwd, f"{tag}-card", win, "192.0.2.2/30", "192.0.2.1", f"{tag}-card",
                    os.path.join(work, "card.log"), "link_timeout=500")
        card.start()
        subprocess.Popen(["ip", "netns", "exec", card.ns, "redis-server", "--port", "6379", "--bind", "192.0.2.2",
                          "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", work],
                         stdout=subprocess.DEVNULL)
        subprocess.Popen(["ip", "netns", "exec", card.ns, "iperf3", "-s", "-B", "192.0.2.2"],
                         stdout=subprocess.DEVNULL)
        wait_for(lambda: "PONG" in sh("redis-cli", "-h", ip, "PING", check=False).stdout, 15)
        in_ns(card.ns, "redis-cli", "-h", "192.0.2.2", "SET", "key:__rand_int__", "x")
        ways = {"pod": ([], ip), "direct": (["ip", "netns", "exec", pod], "192.0.2.2")}
        print(f"# {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, pod IP {ip}, "
              f"{a.rounds} rounds, load {os.getloadavg()[0]:.2f}")
        for rnd in range(a.rounds):
            order = ["pod", "direct"] if rnd % 2 == 0 else ["direct", "pod"]
            for way in order:
                prefix, host = ways[way]
                for metric, fn in (("redis GET req/s", lambda: redis_get(prefix, host, a.requests)),
                                   ("iperf3 to card Gbit/s", lambda: iperf(prefix, host, a.secs, False)),
                                   ("iperf3 from card Gbit/s", lambda: iperf(prefix, host, a.secs, True))):
                    v, raw = fn()
                    rows.append((rnd, way, metric, v))
                    print(f"round {rnd + 1} {way:6s} {metric:24s} {v:12.3f}   {raw}", flush=True)
        print("\n| metric | round | pod | direct | pod/direct |\n|---|---|---|---|---|")
        for metric in dict.fromkeys(r[2] for r in rows):
            tp = td = 0.0
            for rnd in range(a.rounds):
                p = next(r[3] for r in rows if r[0] == rnd and r[1] == "pod" and r[2] == metric)
                d = next(r[3] for r in rows if r[0] == rnd and r[1] == "direct" and r[2] == metric)
                tp, td = tp + p, td + d
                print(f"| {metric} | {rnd + 1} | {p:.3f} | {d:.3f} | {p / d:.2f}x |")
            ratios = sorted(next(r[3] for r in rows if r[0] == i and r[1] == "pod" and r[2] == metric) /
                            next(r[3] for r in rows if r[0] == i and r[1] == "direct" and r[2] == metric)
                            for i in range(a.rounds))
            print(f"| {metric} | mean of rounds | {tp / a.rounds:.3f} | {td / a.rounds:.3f} | {tp / td:.2f}x |")
            print(f"| {metric} | median ratio | | | {ratios[len(ratios) // 2]:.2f}x |")
    finally:
        try:
            rt.delete(f"{tag}-c", f"/run/netns/{pod}")
        except Exception as e:  # noqa: BLE001
            print(f"DEL: {e}")
        teardown(tag, conflist["plugins"][0]["bridge"], daemon, [card] if card else [], [pod])
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
