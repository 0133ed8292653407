#!/usr/bin/env bash
# test/chroot/sid-build.sh - compile the driver, the plugin, the apps and the
# tests against the DPDK of Debian unstable (sid; DPDK 25.11 today), with
# warnings as errors, in a minbase sid chroot. Build only: nothing runs.
#
# The chroot is cached in /var/cache/cxlmem-chroot/sid-build (see
# test/chroot/lib.sh) and made again when missing or when its package list
# changes. The driver-SDK headers of sid's DPDK come from CXLMEM_DPDK_SRC or
# build-deps/dpdk-src on this machine (a DPDK git clone, source tree or
# folder of headers, see docs/build.md); without them the run says so in one
# line and is skipped (exit 77). Needs root, debootstrap and network access
# to the Debian archive that apt uses here.
set -euo pipefail
# shellcheck source=test/chroot/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
esac

chroot_preflight
# What the build needs, no more (scripts/debian-packages.txt has the rest).
pkgs=(libdpdk-dev python3-pyelftools libdaxctl-dev libnuma-dev libmnl-dev liburing-dev
      libjansson-dev meson ninja-build pkg-config gcc libc6-dev)
src="$(chroot_find_dpdk_src)" ||
    chroot_skip "DPDK unstable build: no DPDK source named on this machine for the driver-SDK headers (set CXLMEM_DPDK_SRC or link build-deps/dpdk-src to a DPDK git clone; docs/build.md)"
t0=$SECONDS
chroot_ensure sid-build sid "${pkgs[@]}"
ver="$(chroot_dpdk_version)" || { echo "FAIL: no libdpdk-dev in the sid chroot"; exit 1; }
sdk="$CHROOT_DIR/sdk/dpdk-$ver"
if [[ ! -s "$sdk/include/ethdev_driver.h" ]]; then
    cxlmem_sdk_extract "$src" "$ver" "$sdk" ||
        chroot_skip "DPDK unstable build: no driver-SDK headers of DPDK $ver in $src (see above)"
fi
chroot_copy_src
echo "== DPDK $ver (Debian unstable), $(chroot "$CHROOT_DIR" gcc --version | head -n1)"
rc=0
chroot_run bash -c "meson setup build -Dwerror=true -Ddpdk_sdk_includedir=/sdk/dpdk-$ver/include \
        -Ddpdk_buildtools_dir=/sdk/dpdk-$ver/buildtools -Dpmdinfo=enabled >build-setup.log 2>&1 ||
        { cat build-setup.log; exit 1; }
    grep -E 'DPDK|probes' build-setup.log
    ninja -C build" || rc=$?
if ((rc != 0)); then
    echo "FAIL: the build against DPDK $ver (Debian unstable) failed"
    exit 1
fi
echo "== built against DPDK $ver with -Werror in $((SECONDS - t0)) s"
