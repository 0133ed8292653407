#!/usr/bin/env bash
# test/chroot/debian13.sh [TEST...] - build cxlmem and run part of its suite in
# a fresh Debian 13 (trixie, DPDK 24.11) minbase chroot, the way a newcomer
# on Debian 13 would: scripts/setup.sh installs the packages of
# scripts/debian-packages.txt for Debian 13 and gets the driver-SDK headers,
# then meson (warnings as errors), ninja and `meson test` on the tests named,
# by default the unit and ethdev suites, a stock-testpmd pair and cxl-fwd end
# to end (and only the targets they need are built):
#   pmdinfo layout fwd-poll ethdev ethdev-flush ethdev-asan-hw
#   ethdev-asan-flush mp-testpmd cxl-fwd-e2e
# `--full` runs ./scripts/test.sh (the whole suite) instead.
#
# The chroot is cached in /var/cache/cxlmem-chroot/debian13 (see
# test/chroot/lib.sh; CXLMEM_CHROOT_CACHE changes the folder) and made again
# when missing. The driver-SDK headers of the chroot's DPDK come from
# CXLMEM_DPDK_SRC or build-deps/dpdk-src on this machine (a DPDK git clone,
# source tree or folder of headers, see docs/build.md), else from Debian's
# dpdk source package through scripts/setup.sh; where none has them the run
# says so in one line and is skipped (exit 77). Needs root, debootstrap and
# network access to the Debian archive that apt uses here.
set -euo pipefail
# shellcheck source=test/chroot/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

full=0
tests=()
for a in "$@"; do
    case "$a" in
        --full) full=1 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) tests+=("$a") ;;
    esac
done
# By default only what those tests need is built (the whole build with
# -Werror against a newer DPDK is sid-build.sh's job, and --full's).
targets=()
if ((${#tests[@]} == 0)); then
    tests=(pmdinfo layout fwd-poll ethdev ethdev-flush ethdev-asan-hw ethdev-asan-flush
           mp-testpmd cxl-fwd-e2e)
    targets=(drivers/net/cxlmem/librte_net_cxlmem.so test/test_layout test/test_fwd_poll
             test/test_ethdev test/test_ethdev_asan app/cxl-fwd/cxl-fwd)
fi

chroot_preflight
t0=$SECONDS
chroot_ensure debian13 trixie
chroot_copy_src

# 1. The packages (setup.sh's first step), so that the DPDK version is known.
echo "== scripts/setup.sh --packages-only (Debian 13)"
chroot_run ./scripts/setup.sh --packages-only
ver="$(chroot_dpdk_version)" || { echo "FAIL: no libdpdk-dev in the chroot after setup"; exit 1; }
echo "== DPDK $ver in the chroot"

# 2. The driver-SDK headers: a DPDK source named on this machine first (the
# chroot sees none of the host's files), else setup.sh's own order.
sdk="$CHROOT_DIR/src/build-deps/dpdk-$ver"
if [[ ! -s "$sdk/include/ethdev_driver.h" ]] && src="$(chroot_find_dpdk_src)"; then
    cxlmem_sdk_extract "$src" "$ver" "$sdk" ||
        chroot_skip "Debian 13 chroot: no driver-SDK headers of DPDK $ver in $src (see above)"
fi
echo "== scripts/setup.sh"
if ! chroot_run ./scripts/setup.sh; then
    [[ -s "$sdk/include/ethdev_driver.h" ]] && { echo "FAIL: scripts/setup.sh failed in the chroot"; exit 1; }
    chroot_skip "Debian 13 chroot: no driver-SDK headers of DPDK $ver on this machine (Debian's dpdk source package could not be fetched; name a DPDK source with CXLMEM_DPDK_SRC or build-deps/dpdk-src, docs/build.md)"
fi
echo "== setup done after $((SECONDS - t0)) s"

# 3. Build and test.
if ((full)); then
    chroot_run ./scripts/test.sh
    exit
fi
rc=0
chroot_run bash -c 'rm -rf build && meson setup build -Dwerror=true >build-setup.log 2>&1 ||
                    { cat build-setup.log; exit 1; }; grep -E "DPDK|probes" build-setup.log; ninja -C build "$@"' bash "${targets[@]}" || rc=$?
if ((rc != 0)); then
    echo "FAIL: the build against DPDK $ver failed"
    exit 1
fi
echo "== built after $((SECONDS - t0)) s"
chroot_run meson test -C build --no-rebuild --print-errorlogs "${tests[@]}" || rc=$?
# A test that skipped in the chroot (a package missing from the Debian 13
# list, say) fails this one: the point is that it runs there.
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
echo "== Debian 13 chroot (DPDK $ver): $( ((rc == 0)) && echo passed || echo FAILED) after $((SECONDS - t0)) s"
exit "$rc"
