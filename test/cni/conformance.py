#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Conformance test of the cxlmem CNI plugin, driven as a runtime drives it
(environment + stdin, the conflist [bridge + host-local, cxlmem] chained as
libcni chains it; the reference plugins from /usr/lib/cni): VERSION; ADD,
CHECK, DEL (twice), also at cniVersion 0.4.0; ADD on an existing
interface; a window in use by another pod; all windows in use; bad
configurations (no window, unknown key, unsupported cniVersion, bad
addresses, no prevResult, no daemon) each a CNI error with its code and a
message that names the fix, leaving nothing behind; CHECK reporting a
killed forwarder and a dead card link, and passing again after the
daemon's restart and the card's; a pod namespace that disappears without
DEL. After each DEL: no forwarder process, no interface, no nftables table,
no window file, no DPDK runtime directory, no state.

  test/cni/conformance.py PATH/TO/cxlmem PATH/TO/cxl-fwd

Root only; exits 77 (skipped, reason printed) without root or a tool.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnilib import (Card, CniError, ConfList, Daemon, args_or_skip,  # noqa: E402
                    bridge_cxlmem_conflist, exec_plugin, expect, fail, finish, in_ns, netns_add,
                    netns_del, netns_exists, ok, pid_alive, sh, skip, teardown, wait_for)


def main():
    plugin, fwd = args_or_skip(__doc__, "network namespaces, nftables, TAP", ("ip", "nft"))
    for p in ("/usr/lib/cni/bridge", "/usr/lib/cni/host-local"):
        if not os.access(p, os.X_OK):
            skip(f"{p} missing (containernetworking-plugins)")
    if not os.path.exists("/dev/net/tun"):
        skip("/dev/net/tun missing")

    tag = f"cnic{os.getpid()}"
    work = tempfile.mkdtemp(prefix=f"cxlmem-{tag}.")
    plugdir = os.path.join(work, "bin")
    os.mkdir(plugdir)
    shutil.copy(plugin, os.path.join(plugdir, "cxlmem"))
    plugin = os.path.join(plugdir, "cxlmem")
    sock, state = os.path.join(work, "daemon.sock"), os.path.join(work, "state")
    win_a, win_b = f"/dev/shm/{tag}-a", f"/dev/shm/{tag}-b"
    pods = [f"{tag}-p{i}" for i in range(1, 6)]
    cards = []
    daemon = None
    conflist = bridge_cxlmem_conflist(tag, work, sock, {"cardA": win_a, "cardB": win_b},
                                      [6379, 2222])
    bridge = conflist["plugins"][0]["bridge"]
    rt = ConfList(conflist, ["/usr/lib/cni", plugdir])
    cx = conflist["plugins"][1]

    def nsp(pod):
        return f"/run/netns/{pod}"

    def cxl_conf(**over):
        """The cxlmem entry alone as the runtime passes it (name, cniVersion, prevResult)."""
        c = {"cniVersion": "1.0.0", "name": tag, **json.loads(json.dumps(cx))}
        c.update(over)
        return c

    def nothing_in(pod):
        """The pod namespace has neither the link interface nor the table."""
        link = in_ns(pod, "ip", "link", "show", "cxl0").returncode == 0
        table = in_ns(pod, "nft", "list", "table", "ip", "cxlmem").returncode == 0
        return (not link and not table), f"cxl0 {'present' if link else 'absent'}, table {'present' if table else 'absent'}"

    def forwarders():
        return daemon.list(plugin)

    def gone_after_del(step, cid, pod, st):
        """Everything of one pod's forwarder is gone."""
        left = []
        if pid_alive(st["Pid"]):
            left.append(f"process {st['Pid']}")
        if netns_exists(pod) and not nothing_in(pod)[0]:
            left.append(nothing_in(pod)[1])
        if st["Created"] and os.path.exists(st["Window"]["path"]):
            left.append(f"window file {st['Window']['path']}")
        if os.path.exists(f"/var/run/dpdk/{st['Prefix']}"):
            left.append(f"/var/run/dpdk/{st['Prefix']}")
        if os.path.exists(os.path.join(state, cid + ".json")):
            left.append("state file")
        if any(f["ContainerID"] == cid for f in forwarders()):
            left.append("daemon entry")
        expect(not left, step, "no process, interface, table, window file, runtime dir or state left",
               "left behind: " + ", ".join(left))

    def expect_err(step, fn, code, words, pod=None):
        before = {f["ContainerID"] for f in forwarders()}
        files = set(os.listdir("/dev/shm"))
        try:
            fn()
        except CniError as e:
            good = e.code == code and all(w.lower() in e.text.lower() for w in words)
            expect(good, step, f"code {e.code}: {e.text[:150]}",
                   f"want code {code} naming {words}, got {e.code}: {e.text}")
        else:
            fail(step, "succeeded; want an error")
        left = []
        if pod and not nothing_in(pod)[0]:
            left.append(nothing_in(pod)[1])
        if {f["ContainerID"] for f in forwarders()} != before:
            left.append("a new forwarder")
        new = {f for f in set(os.listdir("/dev/shm")) - files if f.startswith(tag)}
        if new:
            left.append(f"new files {new}")
        expect(not left, step + " leaves nothing", "nothing new", ", ".join(left))

    C = {c: f"{tag}-{c}" for c in ("c1", "c2", "c3", "c4")}
    t0 = time.monotonic()
    try:
        print("== VERSION")
        v = exec_plugin(plugin, "VERSION", {"cniVersion": "1.0.0"})
        expect(set(v.get("supportedVersions", [])) >= {"0.4.0", "1.0.0"}, "VERSION",
               f"supports {v['supportedVersions']}", f"got {v}")

        daemon = Daemon(plugin, fwd, sock, state, os.path.join(work, "daemon.log"))
        for p in pods:
            netns_add(p)

        print("== ADD pod 1 (conflist [bridge + host-local, cxlmem], cniVersion 1.0.0)")
        res = rt.add(C["c1"], nsp(pods[0]))
        ifs = {i["name"]: i for i in res["interfaces"]}
        expect("cxl0" in ifs and ifs["cxl0"].get("sandbox") == nsp(pods[0]) and "eth0" in ifs,
               "ADD result", "prevResult passed on, cxl0 added with its sandbox",
               f"interfaces {res['interfaces']}")
        pod_ip = res["ips"][0]["address"].split("/")[0]
        fw = forwarders()
        st1 = next((f for f in fw if f["ContainerID"] == C["c1"]), None)
        expect(st1 and st1["Running"] and st1["Window"]["name"] == "cardA", "daemon",
               f"forwarder pid {st1 and st1['Pid']} on cardA", f"forwarders {fw}")
        rules = in_ns(pods[0], "nft", "list", "table", "ip", "cxlmem").stdout
        expect(f"ip daddr {pod_ip} tcp dport 6379" in rules and "dnat to 192.0.2.2" in rules,
               "pass-through rules", f"DNAT {pod_ip}:6379,2222 -> 192.0.2.2", rules)
        fwd_on = in_ns(pods[0], "cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip()
        addr = in_ns(pods[0], "ip", "-4", "-o", "addr", "show", "dev", "cxl0").stdout
        expect(fwd_on == "1" and "192.0.2.1/30" in addr, "pod namespace",
               "cxl0 192.0.2.1/30, forwarding on", f"ip_forward={fwd_on}, {addr}")

        print("== the card: cxl-fwd role=device over cardA's window")
        card = Card(fwd, f"{tag}-ca", win_a, "192.0.2.2/30", "192.0.2.1", f"{tag}-ca",
                    os.path.join(work, "card-a.log"), "link_timeout=500")
        cards.append(card)
        card.start()
        r = in_ns(pods[0], "ping", "-c", "1", "-W", "5", "192.0.2.2")
        expect(r.returncode == 0, "link", "the pod reaches the card across the window", r.stdout[-200:])
        # Pass-through: a TCP listener on the card answers on the pod's IP.
        lsn = subprocess.Popen(["ip", "netns", "exec", card.ns, "nc", "-l", "192.0.2.2", "6379"],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        subprocess.run(["nc", "-N", "-w", "5", pod_ip, "6379"], input="via-pod\n", text=True,
                       capture_output=True, timeout=20)
        try:
            got = lsn.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            lsn.kill()
            got = lsn.communicate()[0]
        expect(got.strip() == "via-pod", "DNAT", f"{pod_ip}:6379 reached the card's 192.0.2.2:6379",
               f"card got {got!r}")

        print("== CHECK")
        wait_for(lambda: all(f["LinkUp"] for f in forwarders()), 10, 0.3)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            ok("CHECK", "forwarder alive, link up, interface and rules present")
        except CniError as e:
            fail("CHECK", str(e))

        print("== ADD errors")
        expect_err("ADD twice (interface exists)", lambda: exec_plugin(
            plugin, "ADD", cxl_conf(prevResult=rt.cache[C["c1"]]), C["c1"], nsp(pods[0]),
            cni_path=rt.cni_path), 103, ["already exists", "DEL first"])
        prev2 = exec_plugin("/usr/lib/cni/bridge", "ADD",
                            {"cniVersion": "1.0.0", "name": tag, **conflist["plugins"][0]},
                            C["c2"], nsp(pods[1]), cni_path=rt.cni_path)
        expect_err("window in use by another pod (CXLMEM_WINDOW=cardA)", lambda: exec_plugin(
            plugin, "ADD", cxl_conf(prevResult=prev2), C["c2"], nsp(pods[1]),
            args="IgnoreUnknown=1;CXLMEM_WINDOW=cardA", cni_path=rt.cni_path),
            100, ["cardA", "in use", C["c1"], "CXLMEM_WINDOW"], pods[1])
        expect_err("unknown window name", lambda: exec_plugin(
            plugin, "ADD", cxl_conf(prevResult=prev2), C["c2"], nsp(pods[1]),
            args="CXLMEM_WINDOW=cardZ", cni_path=rt.cni_path), 7, ["cardZ", "cardA, cardB"], pods[1])
        expect_err("window in use by another pod (args.cni.window)", lambda: exec_plugin(
            plugin, "ADD", cxl_conf(prevResult=prev2, args={"cni": {"window": "cardA"}}), C["c2"],
            nsp(pods[1]), cni_path=rt.cni_path), 100, ["cardA", "in use", C["c1"]], pods[1])
        only_a = cxl_conf(prevResult=prev2, windows=[cx["windows"][0]])
        expect_err("all windows in use", lambda: exec_plugin(
            plugin, "ADD", only_a, C["c2"], nsp(pods[1]), cni_path=rt.cni_path),
            100, ["in use", "cardA by " + C["c1"], "add a window"], pods[1])

        print("== podNamespaces: a pod of another Kubernetes namespace passes through")
        others = cxl_conf(prevResult=prev2, podNamespaces=["cxl-cards"])
        before = len(forwarders())
        try:
            out = exec_plugin(plugin, "ADD", others, C["c2"], nsp(pods[1]),
                              args="K8S_POD_NAMESPACE=default;K8S_POD_NAME=web", cni_path=rt.cni_path)
            exec_plugin(plugin, "DEL", others, C["c2"], nsp(pods[1]),
                        args="K8S_POD_NAMESPACE=default;K8S_POD_NAME=web", cni_path=rt.cni_path)
            expect(out["interfaces"] == prev2["interfaces"] and len(forwarders()) == before and
                   nothing_in(pods[1])[0], "pod of namespace default", "prevResult unchanged, no forwarder",
                   f"result {out['interfaces']}, {len(forwarders())} forwarders, {nothing_in(pods[1])[1]}")
        except CniError as e:
            fail("pod of namespace default", str(e))

        print("== bad configurations: a CNI error naming the fix, nothing left behind")
        bad = [
            ("no window", dict(windows=[]), 7, ["no window", '"windows"']),
            ("unknown key", dict(windowz=[]), 2, ['"windowz"', "remove it", "windows"]),
            ("unknown key in link", dict(link={**cx["link"], "gateway": "192.0.2.1"}), 2,
             ['"gateway"', "hostAddress"]),
            ("cniVersion 0.3.1", dict(cniVersion="0.3.1"), 1, ["0.3.1", "0.4.0", "1.0.0"]),
            ("cniVersion 2.0.0", dict(cniVersion="2.0.0"), 1, ["2.0.0", "1.0.0"]),
            ("card address outside the link", dict(link={"hostAddress": "192.0.2.1/30",
                                                         "cardAddress": "192.0.2.9"}), 7,
             ["cardAddress", "192.0.2.0/30"]),
            ("no services", dict(services=[]), 7, ['"services"']),
            ("window with path and dax", dict(windows=[{"path": win_b, "dax": "dax0.0"}]), 7,
             ["exactly one"]),
            ("absent file without size", dict(windows=[{"path": f"/dev/shm/{tag}-none"}]), 7,
             ["does not exist", '"size"']),
            ("no prevResult", dict(prevResult=None), 7, ["chained", "after"]),
            ("no daemon", dict(daemonSocket=os.path.join(work, "none.sock")), 11,
             ["cxlmem daemon", "start it"]),
        ]
        for name, over, code, words in bad:
            c = cxl_conf(prevResult=prev2)
            c.update(over)
            if c.get("prevResult") is None:
                c.pop("prevResult")
            expect_err(name, lambda c=c: exec_plugin(plugin, "ADD", c, C["c2"], nsp(pods[1]),
                                                     cni_path=rt.cni_path), code, words, pods[1])
        exec_plugin("/usr/lib/cni/bridge", "DEL",
                    {"cniVersion": "1.0.0", "name": tag, **conflist["plugins"][0], "prevResult": prev2},
                    C["c2"], nsp(pods[1]), cni_path=rt.cni_path)

        print("== cniVersion 0.4.0: ADD, CHECK (link down: no card on cardB), DEL")
        rt04 = ConfList({**conflist, "cniVersion": "0.4.0"}, ["/usr/lib/cni", plugdir])
        res = rt04.add(C["c3"], nsp(pods[2]))
        st3 = next(f for f in forwarders() if f["ContainerID"] == C["c3"])
        expect(res.get("cniVersion") == "0.4.0" and any(i["name"] == "cxl0" for i in res["interfaces"])
               and st3["Window"]["name"] == "cardB", "ADD 0.4.0",
               "0.4.0 result with cxl0, the free window cardB", f"{res}, {st3['Window']}")
        try:
            rt04.check(C["c3"], nsp(pods[2]))
            fail("CHECK with no card", "passed; want link down")
        except CniError as e:
            expect(e.code == 102 and "down" in e.text and "role=device" in e.text,
                   "CHECK with no card", e.text[:140], str(e))
        rt04.delete(C["c3"], nsp(pods[2]))
        gone_after_del("DEL 0.4.0", C["c3"], pods[2], st3)

        print("== kill -9 the pod's forwarder: CHECK reports it, the daemon restarts it")
        os.kill(st1["Pid"], signal.SIGKILL)
        wait_for(lambda: not pid_alive(st1["Pid"]) and
                 not next(f for f in forwarders() if f["ContainerID"] == C["c1"])["Running"], 5, 0.05)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            fail("CHECK after kill -9", "passed")
        except CniError as e:
            expect(e.code == 102 and "not running" in e.text and "signal: killed" in e.text,
                   "CHECK after kill -9", e.text[:140], str(e))
        restarted = wait_for(lambda: any(f["ContainerID"] == C["c1"] and f["Running"] and f["LinkUp"]
                                         and f["Restarts"] == 1 for f in forwarders()), 30, 0.3)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            expect(restarted, "CHECK after restart", "passes again (restart 1)", "restart not seen")
        except CniError as e:
            fail("CHECK after restart", str(e))
        st1 = next(f for f in forwarders() if f["ContainerID"] == C["c1"])

        print("== kill -9 the card's forwarder: CHECK reports the link down; restart the card")
        card.kill()
        down = wait_for(lambda: not next(f for f in forwarders() if f["ContainerID"] == C["c1"])["LinkUp"], 10, 0.2)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            fail("CHECK with the card down", f"passed (link seen down: {down})")
        except CniError as e:
            expect(e.code == 102 and "down" in e.text, "CHECK with the card down", e.text[:140], str(e))
        card.start()
        wait_for(lambda: next(f for f in forwarders() if f["ContainerID"] == C["c1"])["LinkUp"], 15, 0.2)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            ok("CHECK after the card's restart", "passes")
        except CniError as e:
            fail("CHECK after the card's restart", str(e))

        print("== the daemon restarts: SIGTERM, then kill -9; the forwarder comes back")

        def fwd1():
            return next((f for f in forwarders() if f["ContainerID"] == C["c1"]), {})

        pid_before = fwd1()["Pid"]
        daemon.stop()
        expect(not pid_alive(pid_before) and os.path.exists(os.path.join(state, C["c1"] + ".json")),
               "daemon SIGTERM", "stopped the forwarder, kept its record",
               f"forwarder alive {pid_alive(pid_before)}, state {os.listdir(state)}")
        daemon = Daemon(plugin, fwd, sock, state, os.path.join(work, "daemon.log"))
        back = wait_for(lambda: fwd1().get("Running") and fwd1().get("LinkUp"), 30, 0.3)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            expect(back, "daemon started again", f"forwarder restored (pid {fwd1().get('Pid')}), CHECK passes",
                   "not restored")
        except CniError as e:
            fail("daemon started again", str(e))
        pid_before = fwd1()["Pid"]
        daemon.proc.kill()
        daemon.proc.wait()
        daemon.stop()
        expect(pid_alive(pid_before), "daemon kill -9", "its forwarder runs on (the data path stays)",
               "the forwarder died with the daemon")
        daemon = Daemon(plugin, fwd, sock, state, os.path.join(work, "daemon.log"))
        back = wait_for(lambda: fwd1().get("Running") and fwd1().get("LinkUp") and
                        fwd1().get("Pid") != pid_before, 30, 0.3)
        try:
            rt.check(C["c1"], nsp(pods[0]))
            expect(back and not pid_alive(pid_before), "daemon after kill -9",
                   f"the orphan {pid_before} stopped, a forwarder of its own (pid {fwd1().get('Pid')}), CHECK passes",
                   f"restored {back}, orphan alive {pid_alive(pid_before)}")
        except CniError as e:
            fail("daemon after kill -9", str(e))
        st1 = fwd1()

        print("== DEL pod 1, twice")
        prev1 = rt.cache[C["c1"]]
        rt.delete(C["c1"], nsp(pods[0]))
        gone_after_del("DEL", C["c1"], pods[0], st1)
        try:
            rt.cache[C["c1"]] = prev1
            rt.delete(C["c1"], nsp(pods[0]))      # the whole chain again
            exec_plugin(plugin, "DEL", cxl_conf(), C["c1"], nsp(pods[0]), cni_path=rt.cni_path)
            ok("second DEL", "succeeds")
        except CniError as e:
            fail("second DEL", str(e))
        netns_del(pods[0])
        try:
            exec_plugin(plugin, "DEL", cxl_conf(), C["c1"], nsp(pods[0]), cni_path=rt.cni_path)
            ok("DEL with the namespace gone", "succeeds")
        except CniError as e:
            fail("DEL with the namespace gone", str(e))

        print("== a pod namespace that disappears without DEL")
        rt.add(C["c4"], nsp(pods[3]))
        st4 = next(f for f in forwarders() if f["ContainerID"] == C["c4"])
        sh("ip", "netns", "del", pods[3])
        released = wait_for(lambda: not any(f["ContainerID"] == C["c4"] for f in forwarders()), 15, 0.2)
        expect(released, "namespace gone", "the daemon released the window", "still listed")
        gone_after_del("namespace gone", C["c4"], pods[3], st4)
        try:
            rt.delete(C["c4"], nsp(pods[3]))
            ok("DEL after the namespace went", "succeeds")
        except CniError as e:
            fail("DEL after the namespace went", str(e))

        print("== daemon stop")
        daemon.stop()
        left = [f for f in os.listdir(state) if not f.endswith(".log")] if os.path.isdir(state) else []
        expect(not left and not os.path.exists(sock), "daemon stop",
               "no socket, no state left", f"left {left}")
    except Exception as e:  # noqa: BLE001
        fail("unexpected", repr(e))
    finally:
        teardown(tag, bridge, daemon, cards, pods)
    return finish(work, t0)


if __name__ == "__main__":
    sys.exit(main())
