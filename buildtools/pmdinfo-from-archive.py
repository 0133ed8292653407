#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run DPDK's pmdinfogen.py on the object files of a static library.

usage: pmdinfo-from-archive.py AR ARCHIVE OUTPUT.c PMDINFOGEN...

PMDINFOGEN... is the command that runs DPDK's buildtools/pmdinfogen.py
including its format argument, e.g. "/usr/bin/python3 .../pmdinfogen.py elf".
This script takes the members out of ARCHIVE (a normal or a thin `ar`
archive) into a temporary folder, then runs
    PMDINFOGEN... OBJECT... OUTPUT.c
which writes the PMD_INFO_STRING C source that dpdk-pmdinfo.py later finds in
the shared plugin.
"""

import collections
import os
import subprocess
import sys
import tempfile


def members(ar, archive):
    out = subprocess.run([ar, "t", archive], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return [line for line in out.splitlines() if line]


def is_thin(archive):
    with open(archive, "rb") as f:
        return f.read(8) == b"!<thin>\n"


def object_files(ar, archive, tmpdir):
    names = members(ar, archive)
    if is_thin(archive):
        # A thin archive only names its members; GNU ar prints the paths as
        # stored, relative to the archive's folder.
        base = os.path.dirname(archive)
        return [n if os.path.isabs(n) else os.path.join(base, n) for n in names]
    # Two members may share a name; take the k-th one with `ar xN k` into its
    # own folder so none overwrites another.
    seen = collections.Counter()
    paths = []
    for name in names:
        seen[name] += 1
        k = seen[name]
        dest = os.path.join(tmpdir, str(k))
        os.makedirs(dest, exist_ok=True)
        cmd = [ar, "xN", str(k), archive, name] if k > 1 else [ar, "x", archive, name]
        subprocess.run(cmd, check=True, cwd=dest)
        paths.append(os.path.join(dest, name))
    return paths


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    ar, archive, output, gen = argv[1], os.path.abspath(argv[2]), argv[3], argv[4:]
    with tempfile.TemporaryDirectory(prefix="pmdinfo-",
                                     dir=os.path.dirname(os.path.abspath(output))) as tmp:
        objs = object_files(ar, archive, tmp)
        if not objs:
            sys.stderr.write("%s: %s has no members\n" % (argv[0], archive))
            return 1
        return subprocess.run(gen + objs + [output]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
