#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The example configuration of docs/cni.md, checked: config/cni/*.conflist
parses as JSON and the cxlmem plugin itself accepts its entry (an ADD
without prevResult must fail with "chained" and nothing else, that is after
every other check passed); k8s-cxlmem.yaml parses as YAML (PyYAML), its
ConfigMap carries the same conflist; the card's unit environment
(cxl-fwd-card.env) agrees with the conflist: --ipv4 is the card address
with the link's prefix, --mtu the link's, the cxlmem devargs carry the
conflist's cxlOptions and name a window of its "windows"; and the card's
route drop-in points at the host end.

  test/cni/config_check.py PATH/TO/cxlmem CONFIG_DIR

No root needed. Exits 77 when PyYAML is missing.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile


def main():
    plugin, cfg = sys.argv[1], sys.argv[2]
    try:
        import yaml
    except ImportError:
        print("SKIP: python3-yaml not installed")
        return 77
    if not os.access(plugin, os.X_OK):
        print(f"SKIP: {plugin} not built (needs golang-go and the CNI Go sources)")
        return 77
    fails = []

    def check(cond, what):
        print(("  ok   " if cond else "  FAIL ") + what)
        if not cond:
            fails.append(what)

    conflist = json.load(open(os.path.join(cfg, "10-cxlmem.conflist")))
    cx = next(p for p in conflist["plugins"] if p["type"] == "cxlmem")
    check(conflist["plugins"][-1] is cx, "cxlmem is chained last, after the plugin giving the pod its IP")

    conf = dict(cx, name=conflist["name"], cniVersion=conflist["cniVersion"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CNI_COMMAND": "ADD",
           "CNI_CONTAINERID": "config-check", "CNI_NETNS": "/nonexistent", "CNI_IFNAME": "eth0",
           "CNI_PATH": "/nonexistent"}
    p = subprocess.run([plugin], input=json.dumps(conf), env=env, capture_output=True, text=True)
    try:
        err = json.loads(p.stdout)
    except ValueError:
        err = {}
    check(p.returncode != 0 and err.get("code") == 7 and "chained" in err.get("msg", ""),
          f"the plugin accepts the conflist's cxlmem entry (got {err.get('code')}: {err.get('msg')})")

    docs = list(yaml.safe_load_all(open(os.path.join(cfg, "k8s-cxlmem.yaml"))))
    kinds = [d["kind"] for d in docs]
    check(kinds == ["Namespace", "ConfigMap", "DaemonSet", "Deployment", "Service"],
          f"k8s-cxlmem.yaml: {kinds}")
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    check(json.loads(cm["data"]["10-cxlmem.conflist"]) == conflist,
          "the ConfigMap's conflist is config/cni/10-cxlmem.conflist")
    dep = next(d for d in docs if d["kind"] == "Deployment")
    svc = next(d for d in docs if d["kind"] == "Service")
    check(dep["metadata"]["namespace"] in cx.get("podNamespaces", [dep["metadata"]["namespace"]]),
          "the card pods' namespace is in podNamespaces")
    check(svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items(),
          "the Service selects the card pods")
    check(sorted(p["targetPort"] for p in svc["spec"]["ports"]) == sorted(s["port"] for s in cx["services"]),
          "the Service's target ports are the conflist's services")

    envf = {}
    for line in open(os.path.join(cfg, "cxl-fwd-card.env")):
        if "=" in line and not line.startswith("#"):
            k, v = line.rstrip("\n").split("=", 1)
            envf[k] = v
    args = shlex.split(envf["CXL_FWD_ARGS"])
    opt = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
    prefix = cx["link"]["hostAddress"].split("/")[1]
    check(opt.get("--ipv4") == f"{cx['link']['cardAddress']}/{prefix}",
          f"card --ipv4 {opt.get('--ipv4')} is cardAddress/{prefix}")
    check(int(opt.get("--mtu", 1500)) == cx["link"].get("mtu", 1500), "card --mtu is the link's mtu")
    dev = dict(kv.split("=", 1) for kv in opt["--cxl"].split(","))
    check(dev.get("role") == "device", "card side is role=device")
    want = dict(kv.split("=", 1) for kv in cx.get("cxlOptions", "").split(",") if kv)
    check(all(dev.get(k) == v for k, v in want.items()), f"card devargs carry cxlOptions {want}")
    check(any(w.get("dax") == dev.get("dax") or w.get("path") == dev.get("path") for w in cx["windows"]),
          "the card's window is one of the conflist's windows")
    route = open(os.path.join(cfg, "cxl-fwd-card-route.conf")).read()
    host = cx["link"]["hostAddress"].split("/")[0]
    check(re.search(rf"default via {re.escape(host)} dev {cx['link'].get('ifName', 'cxl0')}", route) is not None,
          "the card's default route is via the host end")

    # The units as systemd reads them (the card's instance with its drop-in,
    # the daemon's unit): only the absent installed binaries may be named.
    if shutil.which("systemd-analyze"):
        with tempfile.TemporaryDirectory(prefix="cxlmem-units.") as d:
            shutil.copy(os.path.join(cfg, "..", "cxl-fwd@.service"), d)
            shutil.copy(os.path.join(cfg, "cxlmem-daemon.service"), d)
            os.mkdir(os.path.join(d, "cxl-fwd@card.service.d"))
            shutil.copy(os.path.join(cfg, "cxl-fwd-card-route.conf"),
                        os.path.join(d, "cxl-fwd@card.service.d", "route.conf"))
            r = subprocess.run(["systemd-analyze", "verify", "--man=no", "cxl-fwd@card.service",
                                "cxlmem-daemon.service"], capture_output=True, text=True,
                               env=dict(os.environ, SYSTEMD_UNIT_PATH=d + ":"))
            other = [line for line in (r.stdout + r.stderr).splitlines()
                     if line.strip() and "is not executable" not in line]
            check(not other, "systemd-analyze verify: cxl-fwd@card (with the route drop-in), cxlmem-daemon"
                  + ("" if not other else ": " + " | ".join(other)))
    else:
        print("  (systemd-analyze not installed: the units' syntax not checked)")
    if fails:
        print(f"FAILED: {len(fails)}")
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
