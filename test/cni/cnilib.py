# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the CNI tests: run a network configuration list the way a
container runtime's libcni does (each plugin found in CNI_PATH, called with
the CNI_* variables and its configuration on stdin: name and cniVersion
copied in, prevResult chained on ADD, the cached result of ADD as prevResult
on CHECK and DEL, DEL in reverse order), plus the test's own network
namespaces, cards (cxl-fwd role=device) and the cxlmem daemon, the conflist
they run, and their clean-up and verdict."""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time


def skip(why):
    """Ends a test as skipped (meson: exit 77), saying why."""
    print(f"SKIP: {why}")
    sys.exit(77)


def args_or_skip(doc, root_for, tools):
    """A test's command line, PLUGIN FWD (the cxlmem plugin, cxl-fwd), and
    what every CNI test needs: root (root_for says what for), the commands
    in tools, the plugin built. Exits 2 after printing doc when the command
    line is wrong, skips (77) when something is missing; returns the two
    paths made absolute."""
    if len(sys.argv) != 3:
        print(doc)
        sys.exit(2)
    plugin, fwd = map(os.path.abspath, sys.argv[1:3])
    if os.geteuid() != 0:
        skip(f"needs root ({root_for})")
    for tool in tools:
        if not shutil.which(tool):
            skip(f"{tool} not installed (scripts/debian-packages.txt)")
    if not os.access(plugin, os.X_OK):
        skip(f"{plugin} not built (needs golang-go and the CNI Go sources)")
    return plugin, fwd


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


class CniError(Exception):
    def __init__(self, plugin, rc, out):
        self.plugin, self.rc, self.raw = plugin, rc, out
        try:
            self.err = json.loads(out)
        except ValueError:
            self.err = {"code": None, "msg": out}
        super().__init__(f"{plugin}: rc {rc}: {out.strip()}")

    @property
    def code(self):
        return self.err.get("code")

    @property
    def text(self):
        return (self.err.get("msg", "") + " " + self.err.get("details", "")).strip()


def exec_plugin(path, command, conf, cid="", netns="", ifname="eth0", args="", cni_path=""):
    """One plugin call; returns the parsed stdout or raises CniError."""
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "CNI_COMMAND": command, "CNI_PATH": cni_path}
    if command != "VERSION":
        env.update(CNI_CONTAINERID=cid, CNI_NETNS=netns, CNI_IFNAME=ifname)
        if args:
            env["CNI_ARGS"] = args
    p = subprocess.run([path], input=json.dumps(conf), env=env, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise CniError(os.path.basename(path), p.returncode, p.stdout or p.stderr)
    return json.loads(p.stdout) if p.stdout.strip() else None


class ConfList:
    """A network configuration list and a result cache, as libcni keeps one."""

    def __init__(self, conflist, plugin_dirs):
        self.conflist = conflist
        self.cni_path = ":".join(plugin_dirs)
        self.cache = {}

    def find(self, t):
        for d in self.cni_path.split(":"):
            if os.access(os.path.join(d, t), os.X_OK):
                return os.path.join(d, t)
        raise FileNotFoundError(f"plugin {t} not in {self.cni_path}")

    def conf(self, plugin, prev):
        c = dict(plugin)
        c["name"] = self.conflist["name"]
        c["cniVersion"] = self.conflist["cniVersion"]
        if prev is not None:
            c["prevResult"] = prev
        return c

    def add(self, cid, netns, args="", ifname="eth0"):
        prev = None
        for p in self.conflist["plugins"]:
            prev = exec_plugin(self.find(p["type"]), "ADD", self.conf(p, prev), cid, netns,
                               ifname, args, self.cni_path)
        self.cache[cid] = prev
        return prev

    def check(self, cid, netns, args="", ifname="eth0"):
        for p in self.conflist["plugins"]:
            exec_plugin(self.find(p["type"]), "CHECK", self.conf(p, self.cache[cid]), cid, netns,
                        ifname, args, self.cni_path)

    def delete(self, cid, netns, args="", ifname="eth0"):
        for p in reversed(self.conflist["plugins"]):
            exec_plugin(self.find(p["type"]), "DEL", self.conf(p, self.cache.get(cid)), cid,
                        netns, ifname, args, self.cni_path)
        self.cache.pop(cid, None)


def bridge_cxlmem_conflist(tag, work, sock, windows, ports, subnet="198.51.100.0/25"):
    """The conflist [bridge + host-local, cxlmem] the tests run, named tag: a
    bridge tag[:15] in the root namespace, pod addresses from subnet (leases
    in work/ipam); cxlmem with the daemon at sock, the link 192.0.2.1/30 to a
    card at 192.0.2.2, pass-through of the TCP ports, and windows
    ({name: path}, 16 MiB files made on ADD)."""
    return {
        "cniVersion": "1.0.0", "name": tag,
        "plugins": [
            {"type": "bridge", "bridge": tag[:15], "isGateway": True, "ipMasq": False,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]],
                      "dataDir": os.path.join(work, "ipam")}},
            {"type": "cxlmem", "daemonSocket": sock,
             "link": {"hostAddress": "192.0.2.1/30", "cardAddress": "192.0.2.2"},
             "services": [{"port": p} for p in ports],
             "windows": [{"name": n, "path": p, "size": "16M"} for n, p in windows.items()],
             "cxlOptions": "link_timeout=500"},
        ]}


def netns_add(name):
    sh("ip", "netns", "add", name)
    sh("ip", "-n", name, "link", "set", "lo", "up")


def netns_exists(name):
    return os.path.exists(f"/run/netns/{name}")


def netns_del(name):
    if not netns_exists(name):
        return
    for pid in sh("ip", "netns", "pids", name, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    sh("ip", "netns", "del", name, check=False)


def in_ns(name, *cmd, check=False, **kw):
    return sh("ip", "netns", "exec", name, *cmd, check=check, **kw)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(pred, secs, step=0.1):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Card:
    """A stand-in CXL card: a network namespace with cxl-fwd role=device over
    a window, its link address, a default route back through the pod's end."""

    def __init__(self, fwd, ns, window, addr, gw, prefix, log, cxl_opts=""):
        self.fwd, self.ns, self.window, self.addr, self.gw = fwd, ns, window, addr, gw
        self.prefix, self.logpath, self.cxl_opts = prefix, log, cxl_opts
        self.proc = None
        netns_add(ns)

    def start(self, timeout=30):
        devargs = f"role=device,path={self.window}" + (f",{self.cxl_opts}" if self.cxl_opts else "")
        log = open(self.logpath, "a")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, self.fwd, "--no-huge", "--no-pci", "-m", "128",
             "--file-prefix", self.prefix, "-l", "1" if os.cpu_count() > 1 else "0",
             "--log-level=lib.eal:warning", "--", "--cxl", devargs, "--iface", "cxl0",
             "--ipv4", self.addr, "--stats", "0"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        ip = self.addr.split("/")[0]
        ok = wait_for(lambda: self.proc.poll() is None and
                      f"inet {ip}/" in in_ns(self.ns, "ip", "-4", "addr", "show", "dev", "cxl0").stdout,
                      timeout)
        if not ok:
            raise RuntimeError(f"card {self.ns}: cxl-fwd role=device did not come up; "
                               f"log {self.logpath}: {open(self.logpath).read()[-600:]}")
        in_ns(self.ns, "ip", "route", "replace", "default", "via", self.gw, check=True)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            # ip netns exec execs cxl-fwd itself: this pid is the forwarder.
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def destroy(self):
        self.kill(signal.SIGTERM)
        netns_del(self.ns)
        sh("rm", "-rf", f"/var/run/dpdk/{self.prefix}", check=False)


class Daemon:
    def __init__(self, plugin, fwd, sock, state, log, restart_delay="2s"):
        self.sock, self.state = sock, state
        self.logf = open(log, "a")
        self.proc = subprocess.Popen(
            [plugin, "daemon", "--socket", sock, "--state-dir", state, "--cxl-fwd", fwd,
             "--restart-delay", restart_delay], stdout=self.logf, stderr=subprocess.STDOUT)
        def listening():
            c = socket.socket(socket.AF_UNIX)
            try:
                c.connect(sock)
                return True
            except OSError:
                return False
            finally:
                c.close()
        if not wait_for(lambda: listening() or self.proc.poll() is not None, 10):
            raise RuntimeError("cxlmem daemon did not listen on its socket")
        if self.proc.poll() is not None:
            raise RuntimeError(f"cxlmem daemon exited: {open(log).read()[-600:]}")

    def list(self, plugin):
        out = sh(plugin, "list", "--socket", self.sock).stdout
        return json.loads(out) or []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.logf.close()

    def records(self):
        """The daemon's state files (forwarders it still holds)."""
        out = []
        for f in os.listdir(self.state) if os.path.isdir(self.state) else []:
            if f.endswith(".json"):
                try:
                    out.append(json.load(open(os.path.join(self.state, f))))
                except ValueError:
                    pass
        return out

    def cleanup(self):
        """After a failure: kill the recorded forwarders still running, stop
        the daemon, remove their DPDK runtime directories."""
        recs = self.records()
        for pid in self.leftover_pids():
            os.kill(pid, signal.SIGKILL)
        self.stop()
        for r in recs:
            if r.get("Prefix", "").startswith("cxlmem-"):
                sh("rm", "-rf", f"/var/run/dpdk/{r['Prefix']}", check=False)

    def leftover_pids(self):
        """Forwarders recorded in the state dir that still run (cleanup)."""
        pids = []
        for f in os.listdir(self.state) if os.path.isdir(self.state) else []:
            if f.endswith(".json"):
                try:
                    pid = json.load(open(os.path.join(self.state, f))).get("Pid", 0)
                except ValueError:
                    continue
                if pid and pid_alive(pid):
                    pids.append(pid)
        return pids


def teardown(tag, bridge, daemon=None, cards=(), namespaces=()):
    """After a test, whatever it left: the daemon and the forwarders it
    recorded (Daemon.cleanup), the cards, the namespaces, the bridge, the
    window files /dev/shm/TAG-*."""
    if daemon:
        daemon.cleanup()
    for c in cards:
        c.destroy()
    for ns in namespaces:
        netns_del(ns)
    sh("ip", "link", "del", bridge, check=False)
    for f in glob.glob(f"/dev/shm/{tag}-*"):
        os.remove(f)


# ---- the tests' check reporting -------------------------------------------

_FAILS = [0]


def ok(step, what=""):
    print(f"  ok   {step}{': ' + what if what else ''}", flush=True)


def fail(step, what):
    _FAILS[0] += 1
    print(f"  FAIL {step}: {what}", flush=True)


def expect(cond, step, what_ok, what_fail):
    (ok if cond else fail)(step, what_ok if cond else what_fail)
    return cond


def failures():
    """Checks failed so far."""
    return _FAILS[0]


def finish(work, t0):
    """The end of a test: its folder work removed (kept with its logs after a
    failed check when CNI_KEEP_LOGS is set), its time since t0 (monotonic)
    and its verdict printed; returns the exit status (0 passed, 1 failed)."""
    if failures() and os.environ.get("CNI_KEEP_LOGS"):
        print(f"logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{time.monotonic() - t0:.0f} s")
    if failures():
        print(f"FAILED: {failures()} check(s)")
        return 1
    print("PASSED")
    return 0
