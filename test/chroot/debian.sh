#!/usr/bin/env bash
# test/chroot/debian.sh 12|13 [--full] [--demo] [--installed] [TEST...] - cxlmem on a
# fresh minbase chroot of Debian 12 (bookworm, DPDK 22.11) or 13 (trixie,
# DPDK 24.11), the way a newcomer there would: scripts/setup.sh installs the
# packages of scripts/debian-packages.txt for that release and gets the
# driver-SDK headers, then meson (warnings as errors), ninja and
# `meson test` on the tests named, by default the unit and ethdev suites, a
# stock-testpmd pair and cxl-fwd end to end (and only the targets they need
# are built):
#   pmdinfo layout fwd-poll ethdev ethdev-flush ethdev-asan-hw
#   ethdev-asan-flush mp-testpmd cxl-fwd-e2e
# `--full` runs ./scripts/test.sh (the whole suite) instead; `--demo` runs
# ./scripts/demo.sh (after the tests, when some are asked for too);
# `--installed` then runs `meson install -C build` in the chroot and
# test/installed_testpmd.sh (stock testpmd finds the plugin with no -d).
# test/chroot/debian12.sh and debian13.sh are this script for one release.
#
# The chroot is cached in /var/cache/cxlmem-chroot/debian<release> (see
# test/chroot/lib.sh; CXLMEM_CHROOT_CACHE changes the folder) and made again
# when missing. The driver-SDK headers of the chroot's DPDK come the way
# setup.sh gets them there (Debian's dpdk source package of the installed
# version); only where that fails (a registry that does not serve source
# packages), from CXLMEM_DPDK_SRC or build-deps/dpdk-src on this machine (a
# DPDK git clone, source tree or folder of headers, see docs/build.md), as
# the folder a newcomer would name; where none has them the run says so in
# one line and is skipped (exit 77). A test that skips in the chroot fails
# the run when tests are named (the point is that they run there); --full
# counts as scripts/test.sh does. Needs root, debootstrap and network
# access to the Debian archive that apt uses here.
set -euo pipefail
# shellcheck source=test/chroot/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
rel="${1:-}"
case "$rel" in
    12) suite=bookworm ;;
    13) suite=trixie ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac
shift
full=0
demo=0
installed=0
tests=()
for a in "$@"; do
    case "$a" in
        --full) full=1 ;;
        --demo) demo=1 ;;
        --installed) installed=1 ;;
        -h|--help) usage; exit 0 ;;
        *) tests+=("$a") ;;
    esac
done
# By default only what the default tests need is built (the whole build
# with -Werror is --full's job, and sid-build.sh's against a newer DPDK).
targets=()
if ((${#tests[@]} == 0 && !full && !demo && !installed)); then
    tests=(pmdinfo layout fwd-poll ethdev ethdev-flush ethdev-asan-hw ethdev-asan-flush
           mp-testpmd cxl-fwd-e2e)
    targets=(drivers/net/cxlmem/librte_net_cxlmem.so test/test_layout test/test_fwd_poll
             test/test_ethdev test/test_ethdev_asan app/cxl-fwd/cxl-fwd)
fi

chroot_preflight
t0=$SECONDS
chroot_ensure "debian$rel" "$suite"
chroot_copy_src

# 1. The packages (setup.sh's first step), so that the DPDK version is known.
echo "== scripts/setup.sh --packages-only (Debian $rel)"
chroot_run ./scripts/setup.sh --packages-only
ver="$(chroot_dpdk_version)" || { echo "FAIL: no libdpdk-dev in the chroot after setup"; exit 1; }
echo "== DPDK $ver in the chroot"

# 2. The rest of setup.sh, as the newcomer runs it; where it cannot get the
# driver-SDK headers, the DPDK source named on this machine (the chroot sees
# none of the host's files), then setup.sh again.
echo "== scripts/setup.sh"
sdk="$CHROOT_DIR/src/build-deps/dpdk-$ver"
if ! chroot_run ./scripts/setup.sh; then
    [[ -s "$sdk/include/ethdev_driver.h" ]] && { echo "FAIL: scripts/setup.sh failed in the chroot"; exit 1; }
    src="$(chroot_find_dpdk_src)" ||
        chroot_skip "Debian $rel chroot: no driver-SDK headers of DPDK $ver (Debian's dpdk source package could not be fetched, and no DPDK source is named on this machine: CXLMEM_DPDK_SRC or build-deps/dpdk-src, docs/build.md)"
    echo "== driver-SDK headers from $src instead"
    cxlmem_sdk_extract "$src" "$ver" "$sdk" ||
        chroot_skip "Debian $rel chroot: no driver-SDK headers of DPDK $ver in $src (see above)"
    chroot_run ./scripts/setup.sh || { echo "FAIL: scripts/setup.sh failed in the chroot"; exit 1; }
fi
how="DPDK's own"
[[ -f "$sdk/DEBIAN_SOURCE" ]] && how="Debian source package $(cat "$sdk/DEBIAN_SOURCE")"
[[ -f "$sdk/SOURCE" ]] && how="$(cat "$sdk/SOURCE")"
echo "== setup done after $((SECONDS - t0)) s (driver-SDK headers: $how)"

# 3. Build and test.
rc=0
if ((full)); then
    chroot_run ./scripts/test.sh || rc=$?
    echo "== Debian $rel chroot (DPDK $ver): ./scripts/test.sh $( ((rc == 0)) && echo passed || echo FAILED) after $((SECONDS - t0)) s"
elif ((${#tests[@]} > 0)); then
    chroot_run bash -c 'rm -rf build && meson setup build -Dwerror=true >build-setup.log 2>&1 ||
                        { cat build-setup.log; exit 1; }; grep -E "DPDK|probes" build-setup.log
                        ninja -C build "$@"' bash ${targets[@]+"${targets[@]}"} ||
        { echo "FAIL: the build against DPDK $ver failed"; exit 1; }
    echo "== built after $((SECONDS - t0)) s"
    chroot_run meson test -C build --no-rebuild --print-errorlogs "${tests[@]}" || rc=$?
    chroot_run python3 -c '
import json, sys
n = {}
for line in open("build/meson-logs/testlog.json"):
    if line.strip():
        j = json.loads(line)
        n[j["result"]] = n.get(j["result"], 0) + 1
        print("  %-22s %-8s %6.1f s" % (j["name"], j["result"], j["duration"]))
print("  " + ", ".join("%d %s" % (v, k) for k, v in sorted(n.items())))
sys.exit(0 if set(n) <= {"OK", "EXPECTEDFAIL"} else 1)
' || rc=1
    echo "== Debian $rel chroot (DPDK $ver): $( ((rc == 0)) && echo passed || echo FAILED) after $((SECONDS - t0)) s"
fi
if ((demo)); then
    drc=0
    chroot_run ./scripts/demo.sh || drc=$?
    echo "== Debian $rel chroot (DPDK $ver): ./scripts/demo.sh $( ((drc == 0)) && echo passed || echo FAILED) after $((SECONDS - t0)) s"
    ((drc == 0)) || rc=1
fi
if ((installed)); then
    irc=0
    chroot_run bash -c '{ [[ -f build/build.ninja ]] || meson setup build >build-setup.log; } &&
                        meson install -C build --quiet && test/installed_testpmd.sh' || irc=$?
    echo "== Debian $rel chroot (DPDK $ver): meson install and test/installed_testpmd.sh $( ((irc == 0)) && echo passed || echo FAILED) after $((SECONDS - t0)) s"
    ((irc == 0)) || rc=1
fi
exit "$rc"
