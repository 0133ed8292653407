#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test: dpdk-pmdinfo.py lists net_cxlmem and its devargs in the plugin.

usage: pmdinfo_check.py DPDK_PMDINFO PLUGIN [WHY_SKIPPED]

Runs DPDK's dpdk-pmdinfo.py on the built plugin (librte_net_cxlmem.so) and
checks that it reports the driver net_cxlmem with a parameter string naming
every devarg. A non-empty WHY_SKIPPED (the build had no pmdinfogen, or
DPDK_PMDINFO is empty: no dpdk-pmdinfo.py) makes the test report SKIP (exit 77)
with that reason.
"""

import json
import subprocess
import sys

DRIVER = "net_cxlmem"
DEVARGS = ["role", "path", "dax", "offset", "size", "queues", "rsize", "bsize",
           "mac", "coherence", "link_timeout"]


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    tool, plugin = argv[1], argv[2]
    if len(argv) > 3 and argv[3]:
        why = argv[3] if not tool else "the plugin was built without PMD_INFO_STRING: " + argv[3]
        print("SKIP: " + why)
        return 77
    run = subprocess.run([tool, plugin], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        print("FAIL: %s %s exited %d:\n%s" % (tool, plugin, run.returncode, run.stderr))
        return 1
    info = json.loads(run.stdout)
    print(json.dumps(info, indent=2))
    drivers = [d for d in info if d.get("name") == DRIVER]
    if not drivers:
        print("FAIL: %s does not list %s (found: %s)"
              % (tool, DRIVER, [d.get("name") for d in info]))
        return 1
    params = drivers[0].get("params", "")
    missing = [k for k in DEVARGS if (k + "=") not in params]
    if missing:
        print("FAIL: the parameter string %r lacks %s"
              % (params, ", ".join(k + "=" for k in missing)))
        return 1
    print("OK: %s lists %s with params %r" % (plugin, DRIVER, params))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
