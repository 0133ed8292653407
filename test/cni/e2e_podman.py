#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end with a real container runtime: podman (its CNI backend, a
private containers.conf, storage and network configuration directory)
starts two containers from a busybox image built here, on the network
configuration list [bridge + host-local, cxlmem]. Two cards (network
namespaces, each with cxl-fwd role=device over its own window, redis-server
and sshd bound to the card's link address) stand behind them. From the root
namespace: redis-benchmark and redis-cli against each container's IP answer
from the matching card's redis (a key set on each card), and ssh to the
second service port lands on the matching card. kill -9 of a card's
forwarder: CHECK (run as libcni runs it, from podman's cached result)
reports the link down; the card restarted, traffic resumes with the
container untouched. kill -9 of a pod's forwarder: CHECK reports it, the
daemon restarts it, traffic resumes. podman rm: DEL leaves no process,
interface, rule, window file or state; a second DEL succeeds.

  test/cni/e2e_podman.py PATH/TO/cxlmem PATH/TO/cxl-fwd

Root only; exits 77 (skipped, reason printed) without root or a tool.
Addresses: the pods' network 198.51.100.128/25 (a bridge in the root
namespace), the card links 192.0.2.0/30 inside the namespaces only.
"""

import base64
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnilib import (Card, CniError, Daemon, args_or_skip, bridge_cxlmem_conflist,  # noqa: E402
                    exec_plugin, expect, fail, finish, in_ns, netns_exists, ok, pid_alive, sh, skip,
                    teardown, wait_for)

SUBNET = "198.51.100.128/25"
CARD_IP = "192.0.2.2"


def main():
    plugin, fwd = args_or_skip(__doc__, "podman, network namespaces, nftables",
                            ("podman", "runc", "nft", "ip", "redis-server", "redis-cli",
                             "redis-benchmark", "ssh", "ssh-keygen", "/usr/sbin/sshd", "busybox"))
    # busybox-static's /bin/busybox: the image's only file (no libraries).
    busybox = "/bin/busybox"
    if sh("ldd", busybox, check=False).returncode == 0:
        skip("/bin/busybox is not static (install busybox-static)")

    t0 = time.monotonic()
    tag = f"cnie{os.getpid()}"
    work = tempfile.mkdtemp(prefix=f"cxlmem-{tag}.")
    plugdir, netdir = os.path.join(work, "bin"), os.path.join(work, "net.d")
    os.mkdir(plugdir)
    os.mkdir(netdir)
    shutil.copy(plugin, os.path.join(plugdir, "cxlmem"))
    plugin = os.path.join(plugdir, "cxlmem")
    sock, state = os.path.join(work, "daemon.sock"), os.path.join(work, "state")
    windows = {"cardA": f"/dev/shm/{tag}-a", "cardB": f"/dev/shm/{tag}-b"}
    conflist = bridge_cxlmem_conflist(tag, work, sock, windows, [6379, 2222], SUBNET)
    bridge = conflist["plugins"][0]["bridge"]
    with open(os.path.join(netdir, f"{tag}.conflist"), "w") as f:
        json.dump(conflist, f, indent=1)
    conf = os.path.join(work, "containers.conf")
    # cgroupfs (no systemd here); runc (crun refuses this machine's cgroup
    # layout); ulimits the machine allows (podman's defaults exceed them).
    with open(conf, "w") as f:
        f.write(f"""[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "{os.path.join(work, 'tmp')}"
[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni", "{plugdir}"]
network_config_dir = "{netdir}"
""")
    env = dict(os.environ, CONTAINERS_CONF=conf)
    podman_base = ["podman", "--root", os.path.join(work, "root"), "--runroot",
                   os.path.join(work, "run"), "--storage-driver", "vfs"]

    def podman(*args, check=True, timeout=120):
        return subprocess.run(podman_base + list(args), env=env, capture_output=True, text=True,
                              check=check, timeout=timeout)

    # Podman 5 has the CNI backend only when built with it; Debian 13's
    # podman 5.4 is not (netavark only), and no other runtime there drives
    # CNI plugins (the cni-conformance test still drives them as libcni does).
    probe = podman("info", "--format", "{{.Host.NetworkBackend}}", check=False)
    if probe.returncode != 0 and "cni support is not enabled" in probe.stderr:
        shutil.rmtree(work, ignore_errors=True)
        version = sh("podman", "--version", check=False).stdout.strip()
        print(f"SKIP: {version} is built without its CNI backend (netavark only)")
        return 77

    cards, daemon, names = {}, None, [f"{tag}-c1", f"{tag}-c2"]
    # What the runtime leaves on the machine outside our directories: the
    # libcni cache and runc's state root (removed after, if we made them).
    made = [d for d in ("/var/lib/cni/results", "/var/lib/cni", "/run/runc", "/run/netns") if not os.path.exists(d)]
    sshdir = os.path.join(work, "ssh")
    try:
        print("== image: busybox-static rootfs, podman import")
        rootfs = os.path.join(work, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        shutil.copy(busybox, os.path.join(rootfs, "bin", "busybox"))
        for app in ("sh", "sleep"):
            os.symlink("busybox", os.path.join(rootfs, "bin", app))
        sh("tar", "-C", rootfs, "-cf", os.path.join(work, "rootfs.tar"), ".")
        image = f"localhost/{tag}-busybox"
        podman("import", os.path.join(work, "rootfs.tar"), image)

        daemon = Daemon(plugin, fwd, sock, state, os.path.join(work, "daemon.log"))

        print("== two containers on the conflist [bridge + host-local, cxlmem]")
        pods = {}
        for name in names:
            t = time.monotonic()
            r = podman("run", "-d", "--name", name, "--network", tag, image,
                       "/bin/sleep", "3600", check=False)
            if not expect(r.returncode == 0, f"podman run {name}", f"{time.monotonic() - t:.1f} s",
                          r.stderr.strip()[-400:]):
                raise RuntimeError("container did not start")
            info = json.loads(podman("inspect", name).stdout)[0]
            pods[name] = {"id": info["Id"], "ip": info["NetworkSettings"]["Networks"][tag]["IPAddress"],
                          "netns": info["NetworkSettings"]["SandboxKey"]}
        fw = {f["ContainerID"]: f for f in daemon.list(plugin)}
        for name in names:
            p = pods[name]
            st = fw.get(p["id"])
            if not expect(st and st["Running"], f"forwarder of {name}",
                          f"{p['ip']}, netns {p['netns']}, window {st and st['Window']['name']}",
                          f"daemon lists {list(fw)}"):
                raise RuntimeError("no forwarder")
            p["window"], p["st"] = st["Window"]["name"], st
        expect({pods[n]["window"] for n in names} == set(windows), "windows",
               "one card each", str([pods[n]["window"] for n in names]))

        print("== cards: cxl-fwd role=device, redis-server and sshd on 192.0.2.2")
        os.makedirs(sshdir, mode=0o700)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(sshdir, "host_key"))
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(sshdir, "id"))
        shutil.copy(os.path.join(sshdir, "id.pub"), os.path.join(sshdir, "authorized_keys"))
        os.makedirs("/run/sshd", exist_ok=True)
        for wname, wpath in windows.items():
            ns = f"{tag}-{wname}"
            card = Card(fwd, ns, wpath, f"{CARD_IP}/30", "192.0.2.1", ns,
                        os.path.join(work, f"{wname}.log"), "link_timeout=500")
            cards[wname] = card
            card.start()
            cfg = os.path.join(sshdir, f"sshd_{wname}")
            with open(cfg, "w") as f:
                f.write("\n".join([f"Port 2222", f"ListenAddress {CARD_IP}",
                                   f"HostKey {sshdir}/host_key", f"PidFile {sshdir}/{wname}.pid",
                                   f"AuthorizedKeysFile {sshdir}/authorized_keys",
                                   "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                                   "PermitRootLogin prohibit-password", "UsePAM no", "StrictModes no"]) + "\n")
            subprocess.Popen(["ip", "netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f", cfg],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"sshd-{wname}.log"), "w"))
            subprocess.Popen(["ip", "netns", "exec", ns, "redis-server", "--port", "6379", "--bind", CARD_IP,
                              "--protected-mode", "no", "--save", "", "--appendonly", "no",
                              "--dir", work, "--logfile", os.path.join(work, f"redis-{wname}.log")])
            wait_for(lambda: "PONG" in in_ns(ns, "redis-cli", "-h", CARD_IP, "PING").stdout, 10)
            in_ns(ns, "redis-cli", "-h", CARD_IP, "SET", "card", wname, check=True)
            wait_for(lambda: ":2222 " in in_ns(ns, "ss", "-Hltn").stdout, 10)

        def redis_get(name, timeout=5):
            return sh("timeout", str(timeout), "redis-cli", "-h", pods[name]["ip"], "GET", "card",
                      check=False).stdout.strip()

        def ssh_where(name):
            return sh("timeout", "20", "ssh", "-p", "2222", "-i", os.path.join(sshdir, "id"),
                      "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=no",
                      "-o", f"UserKnownHostsFile={sshdir}/known_hosts", "-o", "LogLevel=ERROR",
                      f"root@{pods[name]['ip']}", "ip netns identify $$", check=False)

        def traffic(step):
            for name in names:
                p = pods[name]
                got = ""
                wait_for(lambda: redis_get(name) == p["window"], 15, 0.2)
                got = redis_get(name)
                expect(got == p["window"], f"{step}: redis GET via {p['ip']}",
                       f"card {got} answered", f"got {got!r}, want {p['window']}")
                r = sh("timeout", "60", "redis-benchmark", "-h", p["ip"], "-n", "2000", "-c", "10",
                       "-t", "set,get", "--csv", check=False)
                good = r.returncode == 0 and '"SET"' in r.stdout and '"GET"' in r.stdout
                rps = " ".join(l.split(",")[0].strip('"') + " " + l.split(",")[1].strip('"')
                               for l in r.stdout.splitlines() if l.startswith(('"SET"', '"GET"')))
                expect(good, f"{step}: redis-benchmark via {p['ip']}", rps + " req/s",
                       (r.stdout + r.stderr)[-300:])
                r = ssh_where(name)
                want = f"{tag}-{p['window']}"
                expect(r.stdout.strip() == want, f"{step}: ssh to {p['ip']}:2222",
                       f"landed in {want}", f"rc {r.returncode}: {r.stdout.strip()} {r.stderr.strip()[-200:]}")

        print("== traffic from the root namespace to the containers' IPs")
        traffic("fresh")

        def cache(name):
            """podman's libcni cache of ADD (result and configuration)."""
            paths = glob.glob(f"/var/lib/cni/results/{tag}-{pods[name]['id']}-*")
            return json.load(open(paths[0])) if paths else None

        def cached_conf(c):
            """The conflist in a libcni cache entry (bytes: base64 in JSON)."""
            return json.loads(base64.b64decode(c["config"]))

        def cached_args(c):
            return ";".join("=".join(kv) for kv in c.get("cniArgs") or [])

        def check(name):
            """CHECK as libcni runs it: each plugin, the cached result as prevResult."""
            c = cache(name)
            if c is None:
                raise CniError("cache", 0, '{"code": 0, "msg": "no cached result"}')
            cl = cached_conf(c)
            for p in cl["plugins"]:
                pc = dict(p, name=cl["name"], cniVersion=cl["cniVersion"], prevResult=c["result"])
                path = "/usr/lib/cni/bridge" if p["type"] == "bridge" else plugin
                exec_plugin(path, "CHECK", pc, pods[name]["id"], pods[name]["netns"],
                            c.get("ifName", "eth0"), cached_args(c), cni_path=f"/usr/lib/cni:{plugdir}")

        def expect_check(step, name, want_ok, words=()):
            try:
                check(name)
                expect(want_ok, step, "CHECK passes", "CHECK passed; want an error")
            except CniError as e:
                good = not want_ok and e.code == 102 and all(w in e.text for w in words)
                expect(good, step, f"code {e.code}: {e.text[:120]}", str(e)[:300])

        expect_check("CHECK (both containers)", names[0], True)
        expect_check("CHECK (both containers)", names[1], True)

        print("== kill -9 card A's forwarder: CHECK reports it; restart: traffic resumes")
        name_a = next(n for n in names if pods[n]["window"] == "cardA")
        cards["cardA"].kill()
        wait_for(lambda: not any(f["LinkUp"] for f in daemon.list(plugin)
                                 if f["ContainerID"] == pods[name_a]["id"]), 10, 0.2)
        expect_check("CHECK with card A down", name_a, False, ["down", "role=device"])
        cards["cardA"].start()
        traffic("after card A's restart")
        expect_check("CHECK after card A's restart", name_a, True)

        print("== kill -9 a pod's forwarder: CHECK reports it; the daemon restarts it")
        name_b = next(n for n in names if pods[n]["window"] == "cardB")
        pid = pods[name_b]["st"]["Pid"]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid) and not any(
            f["Running"] for f in daemon.list(plugin) if f["ContainerID"] == pods[name_b]["id"]), 5, 0.05)
        expect_check("CHECK with the pod's forwarder killed", name_b, False, ["not running", "killed"])
        wait_for(lambda: any(f["Running"] and f["LinkUp"] for f in daemon.list(plugin)
                             if f["ContainerID"] == pods[name_b]["id"]), 30, 0.3)
        traffic("after the pod forwarder's restart")
        expect_check("CHECK after the restart", name_b, True)

        print("== podman rm: DEL; nothing left behind; a second DEL")
        sts = {f["ContainerID"]: f for f in daemon.list(plugin)}
        caches = {n: cache(n) for n in names}
        for name in names:
            r = podman("rm", "-f", "-t", "0", name, check=False)
            expect(r.returncode == 0, f"podman rm {name}", "removed", r.stderr[-300:])
        left = []
        for name in names:
            st = sts[pods[name]["id"]]
            if pid_alive(st["Pid"]):
                left.append(f"forwarder {st['Pid']}")
            if netns_exists(os.path.basename(pods[name]["netns"])):
                ns = os.path.basename(pods[name]["netns"])
                if in_ns(ns, "ip", "link", "show", "cxl0").returncode == 0:
                    left.append(f"cxl0 in {ns}")
                if in_ns(ns, "nft", "list", "table", "ip", "cxlmem").returncode == 0:
                    left.append(f"table in {ns}")
            if os.path.exists(f"/var/run/dpdk/{st['Prefix']}"):
                left.append(f"/var/run/dpdk/{st['Prefix']}")
        for w in windows.values():
            if os.path.exists(w):
                left.append(w)
        if daemon.list(plugin):
            left.append("daemon entries")
        if [f for f in os.listdir(state) if f.endswith(".json")]:
            left.append("state files")
        expect(not left, "after DEL", "no forwarder, interface, rule, window file, runtime dir or state",
               ", ".join(left))
        for name in names:
            c = caches[name]
            cl = cached_conf(c)
            p = dict(cl["plugins"][1], name=cl["name"], cniVersion=cl["cniVersion"], prevResult=c["result"])
            try:
                exec_plugin(plugin, "DEL", p, pods[name]["id"], pods[name]["netns"],
                            c.get("ifName", "eth0"), cached_args(c), cni_path=f"/usr/lib/cni:{plugdir}")
                ok(f"second DEL ({name})", "succeeds")
            except CniError as e:
                fail(f"second DEL ({name})", str(e))
        daemon.stop()
        daemon = None
    except Exception as e:  # noqa: BLE001
        fail("unexpected", repr(e))
    finally:
        podman("rm", "-af", "-t", "0", check=False)
        podman("rmi", "-af", check=False)
        teardown(tag, bridge, daemon, cards.values())
        for f in glob.glob(f"/var/lib/cni/results/{tag}-*"):
            os.remove(f)
        for d in made:
            try:
                os.rmdir(d)
            except OSError:
                pass
        mounts = [l.split()[1] for l in open("/proc/mounts") if work in l.split()[1]]
        for m in sorted(mounts, reverse=True):
            sh("umount", "-l", m, check=False)
    return finish(work, t0)


if __name__ == "__main__":
    sys.exit(main())
