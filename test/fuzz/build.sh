#!/usr/bin/env bash
# test/fuzz/build.sh OUTDIR [TARGET...] - build libFuzzer harnesses with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer, from the code's own
# sources (not the gcc-built objects: libFuzzer needs clang's coverage
# instrumentation in the code under test). Targets (default: all):
#   fuzz_window  the PMD against hostile window contents (fuzz_window.c)
#   fuzz_vnet    cxl-fwd's virtio-net header translation (fuzz_vnet.c,
#                app/cxl-fwd/vnet_hdr.c; no EAL, no driver SDK)
#
# Exits 77 (meson's "skipped") with the reason when clang or its libFuzzer
# runtime is missing (Debian 12: apt-get install clang).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: build.sh OUTDIR [TARGET...]}"
shift
targets=("$@")
((${#targets[@]})) || targets=(fuzz_window fuzz_vnet)
mkdir -p "$out"

CLANG="${CLANG:-}"
if [[ -z "$CLANG" ]]; then
    for c in clang clang-19 clang-16 clang-15 clang-14; do
        if command -v "$c" >/dev/null 2>&1; then CLANG="$c"; break; fi
    done
fi
if [[ -z "$CLANG" ]]; then
    echo "SKIP: no clang found (Debian: apt-get install clang); the fuzz harness needs clang's libFuzzer" >&2
    exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){(void)d;(void)n;return 0;}' |
        "$CLANG" -x c -fsanitize=fuzzer,address,undefined -o "$out/.probe" - >/dev/null 2>&1; then
    echo "SKIP: $CLANG cannot link -fsanitize=fuzzer,address,undefined (libFuzzer runtime missing; Debian: apt-get install clang and libclang-rt-N-dev of its version N: 14 on Debian 12, 19 on Debian 13)" >&2
    exit 77
fi
rm -f "$out/.probe"

cflags=(-g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Werror=implicit-function-declaration
        -D_GNU_SOURCE= -DALLOW_INTERNAL_API -DALLOW_EXPERIMENTAL_API)

# The DPDK API probes of meson.build (see drivers/net/cxlmem/cxlmem_compat.h):
# meson's test passes their flags; by hand, the same probes run here.
# dpdk_compiles CODE: does CODE compile against the installed DPDK?
dpdk_compiles() {
    # shellcheck disable=SC2046
    printf '%b' "$1" | "$CLANG" -x c -fsyntax-only $(pkg-config --cflags libdpdk) - 2>/dev/null
}
if [[ -z "${CXLMEM_COMPAT_CFLAGS+set}" ]]; then
    CXLMEM_COMPAT_CFLAGS=""
    if dpdk_compiles '#include <rte_ethdev.h>\nint probe = sizeof(((struct rte_eth_stats *)0)->q_ipackets);\n'; then
        CXLMEM_COMPAT_CFLAGS+=" -DCXLMEM_HAVE_ETH_STATS_QUEUE_FIELDS"
    fi
    if dpdk_compiles '#include <rte_stdatomic.h>\n'; then
        CXLMEM_COMPAT_CFLAGS+=" -DCXLMEM_HAVE_RTE_STDATOMIC"
    fi
    if dpdk_compiles '#include <rte_log.h>\n#ifndef RTE_LOG_LINE_PREFIX\n#error no RTE_LOG_LINE_PREFIX\n#endif\n'; then
        CXLMEM_COMPAT_CFLAGS+=" -DCXLMEM_HAVE_RTE_LOG_LINE_PREFIX"
    fi
fi

build_window() {
    local ver sdk drv
    ver="$(pkg-config --modversion libdpdk)"
    # CXLMEM_SDK_INCLUDEDIR: the folder with the driver-SDK headers, or "dpdk"
    # for DPDK's own include dir (meson's test passes what the build uses).
    sdk="${CXLMEM_SDK_INCLUDEDIR:-$root/build-deps/dpdk-$ver/include}"
    [[ "$sdk" == dpdk ]] && sdk=/nonexistent
    if [[ ! -f "$sdk/ethdev_driver.h" ]]; then
        # A DPDK built with enable_driver_sdk installs them in its own include dir.
        if ! echo '#include <ethdev_driver.h>' | "$CLANG" -x c -fsyntax-only $(pkg-config --cflags libdpdk) - 2>/dev/null; then
            echo "FAIL: DPDK driver-SDK headers not found in $sdk (run ./scripts/setup.sh, or set CXLMEM_SDK_INCLUDEDIR)" >&2
            exit 1
        fi
        sdk=""
    fi
    drv="$root/drivers/net/cxlmem"
    # Every source file of the PMD, as drivers/net/cxlmem/meson.build lists
    # them all: a file split or added there needs no change here.
    drv_sources=("$drv"/*.c)
    # shellcheck disable=SC2046
    "$CLANG" "${cflags[@]}" -DRTE_LOG_DEFAULT_LOGTYPE=pmd.net.cxlmem $CXLMEM_COMPAT_CFLAGS \
        -I"$drv" ${sdk:+-I"$sdk"} $(pkg-config --cflags libdpdk libdaxctl numa) \
        "$here/fuzz_window.c" "${drv_sources[@]}" \
        -o "$out/fuzz_window.new" \
        $(pkg-config --libs libdpdk libdaxctl numa) -lrte_bus_vdev -lpthread
}

build_vnet() {
    # shellcheck disable=SC2046
    "$CLANG" "${cflags[@]}" -I"$root/app/cxl-fwd" $(pkg-config --cflags libdpdk) \
        "$here/fuzz_vnet.c" "$root/app/cxl-fwd/vnet_hdr.c" \
        -o "$out/fuzz_vnet.new" $(pkg-config --libs libdpdk)
}

for t in "${targets[@]}"; do
    case "$t" in
        fuzz_window) build_window ;;
        fuzz_vnet) build_vnet ;;
        *) echo "FAIL: unknown fuzz target '$t' (fuzz_window, fuzz_vnet)" >&2; exit 1 ;;
    esac
    mv "$out/$t.new" "$out/$t"
    echo "built $out/$t"
done
