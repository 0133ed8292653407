#!/usr/bin/env bash
# test/cross/arm64.sh: build net_cxlmem and its layout and ethdev tests for
# arm64 and run them under qemu-user (meson test suite 'cross').
#
#   1. writes a meson cross file for Debian's aarch64-linux-gnu-gcc with the
#      arm64 sysroot that scripts/setup.sh unpacks (Debian's arm64 packages,
#      libdpdk-dev at the installed amd64 version) and qemu-aarch64 as the
#      exe_wrapper;
#   2. configures this project in BUILDDIR with it (-Dwerror=true) and builds
#      only the static driver library, test_layout and test_ethdev;
#   3. checks in the driver's arm64 objects that every DSB is DSB SY (issue 10
#      item 2: DSB ST does not complete DC CVAC/CIVAC, see cxlmem_coherence.h)
#      and that the DC CVAC/CIVAC of coherence=flush are there;
#   4. runs under qemu-aarch64: test_layout; test_ethdev with coherence=hw and
#      with coherence=flush (the test's own EAL arguments: --no-huge -m 256
#      --no-pci --no-shconf -l 0 --file-prefix).
#
# Exits 77 (meson: skipped) with a one-line reason when the cross compiler,
# qemu-user or the arm64 sysroot is not there.
#
# usage: test/cross/arm64.sh [BUILDDIR]    (default: build-arm64)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

builddir="${1:-$CXLMEM_ROOT/build-arm64}"
[[ "$builddir" == /* ]] || builddir="$PWD/$builddir"
cross_cc="aarch64-linux-gnu-gcc"
qemu="qemu-aarch64"
# Under emulation a control thread can be held up longer than the default
# 80 ms; no check of test_ethdev relies on that timeout (they all pass with
# link_timeout=60000: a stopped or closed peer says so in its state word), so
# a longer one only keeps a slow emulated tick from looking like a dead peer.
link_timeout=1000

skip() {
    echo "SKIP: $*"
    exit 77
}

command -v "$cross_cc" >/dev/null ||
    skip "$cross_cc not found (Debian: apt-get install gcc-aarch64-linux-gnu, or ./scripts/setup.sh)"
command -v "$qemu" >/dev/null ||
    skip "$qemu not found (Debian: apt-get install qemu-user, or ./scripts/setup.sh)"
case "$(cxlmem_arm64_sysroot_state)" in
    present) ;;
    unavailable)
        skip "no arm64 sysroot: $(head -n1 "$(cxlmem_arm64_sysroot_dir).unavailable")" ;;
    *)
        skip "no arm64 sysroot in build-deps/ (run ./scripts/setup.sh)" ;;
esac
cxlmem_sdk_present || skip "no DPDK driver-SDK headers in build-deps/ (run ./scripts/setup.sh)"
sysroot="$(cxlmem_arm64_sysroot_dir)/root"

# --- 1. cross file ---------------------------------------------------------
# meson 1.0 (Debian 12) names pkg-config "pkgconfig" in [binaries]. The
# sysroot's pkg-config files are found through pkg_config_libdir; sys_root
# becomes PKG_CONFIG_SYSROOT_DIR, which pkgconf prefixes to -I/-L and to
# variables such as libdir (meson.build reads libdpdk's libdir).
cross_ini="$(cat <<EOF
# Written by test/cross/arm64.sh; the sysroot is build-deps/arm64-sysroot-*.
[constants]
sysroot = '$sysroot'

[binaries]
c = '$cross_cc'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
pkgconfig = 'pkg-config'
exe_wrapper = ['$qemu', '-L', sysroot]

[properties]
sys_root = sysroot
pkg_config_libdir = [sysroot / 'usr/lib/aarch64-linux-gnu/pkgconfig', sysroot / 'usr/share/pkgconfig']

[built-in options]
c_args = ['--sysroot=' + sysroot]
c_link_args = ['--sysroot=' + sysroot]

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'armv8-a'
endian = 'little'
EOF
)"

# --- 2. configure and build --------------------------------------------------
# The build dir is this script's own: a changed cross file (new sysroot after
# a DPDK update) starts it afresh.
if [[ ! -f "$builddir/build.ninja" ]] ||
   [[ "$(cat "$builddir/arm64-cross.ini" 2>/dev/null)" != "$cross_ini" ]]; then
    rm -rf "$builddir"
    mkdir -p "$builddir"
    printf '%s\n' "$cross_ini" >"$builddir/arm64-cross.ini"
    # PKG_CONFIG_PATH would put the build machine's (amd64) .pc files first.
    if ! env -u PKG_CONFIG_PATH meson setup --cross-file "$builddir/arm64-cross.ini" \
            -Dwerror=true "$builddir" "$CXLMEM_ROOT"; then
        echo "FAIL: meson setup for arm64 (a library that meson.build looks up needs its arm64" \
             "-dev package in scripts/debian-packages-arm64.txt; then ./scripts/setup.sh --refetch)"
        rm -f "$builddir/build.ninja"
        exit 1
    fi
fi
targets=(test/test_layout test/test_ethdev)
ninja -C "$builddir" "${targets[@]}" || { echo "FAIL: arm64 build"; exit 1; }

# --- 3. the barriers in the driver's arm64 code ------------------------------
# The driver's static library, whatever its name: meson's own list of targets.
mapfile -t driver_libs < <(meson introspect --targets "$builddir" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "static library" and t["defined_in"].endswith("drivers/net/cxlmem/meson.build"):
        print("\n".join(t["filename"]))')
((${#driver_libs[@]} > 0)) || { echo "FAIL: no driver static library among meson's targets"; exit 1; }
for lib in "${driver_libs[@]}"; do
    [[ -f "$lib" ]] || { echo "FAIL: $lib was not built"; exit 1; }
    dis="$(aarch64-linux-gnu-objdump -d "$lib")"
    bad="$(grep -E '[[:space:]]dsb[[:space:]]' <<<"$dis" | grep -vE '[[:space:]]dsb[[:space:]]+sy$' || true)"
    if [[ -n "$bad" ]]; then
        echo "FAIL: $(basename "$lib") has a DSB other than DSB SY; DC CVAC/CIVAC need a DSB" \
             "for loads and stores (Arm ARM D7.5.9.15, see cxlmem_coherence.h):"
        echo "$bad" | head -n 5
        exit 1
    fi
    for insn in cvac civac; do
        grep -qE "[[:space:]]dc[[:space:]]+$insn," <<<"$dis" ||
            { echo "FAIL: no DC ${insn^^} in $(basename "$lib") (coherence=flush code missing?)"; exit 1; }
    done
    echo "barriers: $(basename "$lib"): $(grep -cE '[[:space:]]dsb[[:space:]]+sy$' <<<"$dis") DSB SY," \
         "no other DSB; $(grep -cE '[[:space:]]dc[[:space:]]+cvac,' <<<"$dis") DC CVAC," \
         "$(grep -cE '[[:space:]]dc[[:space:]]+civac,' <<<"$dis") DC CIVAC"
done

# --- 4. run under qemu-user ----------------------------------------------------
failed=0
run() {
    local name="$1" start rc=0
    shift
    echo "=== $name: $*"
    start=$SECONDS
    timeout 300 "$@" || rc=$?
    echo "=== $name: exit $rc after $((SECONDS - start)) s"
    ((rc == 0)) || failed=$((failed + 1))
}
wrap=("$qemu" -L "$sysroot")
run layout "${wrap[@]}" "$builddir/test/test_layout"
run ethdev-hw env CXLMEM_TEST_DEVARGS="link_timeout=$link_timeout" \
    "${wrap[@]}" "$builddir/test/test_ethdev"
run ethdev-flush env CXLMEM_TEST_DEVARGS="coherence=flush,link_timeout=$link_timeout" \
    "${wrap[@]}" "$builddir/test/test_ethdev"

echo "arm64 under $("$qemu" --version | head -n1): $((3 - failed)) of 3 runs passed"
((failed == 0))
