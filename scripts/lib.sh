# shellcheck shell=bash
# scripts/lib.sh: shell helpers shared by cxlmem's scripts. Bash only.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sourcing defines functions and variables and runs nothing else; it does
# not change the caller's shell options (set -e etc.).
#
#   CXLMEM_ROOT                 absolute path of the repository.
#   cxlmem_ensure_built [DIR]   make sure the Debian packages and DPDK driver-SDK
#                               headers are there (runs scripts/setup.sh only when
#                               something is missing), configure DIR with meson if
#                               it is not configured yet, then build it with ninja.
#                               DIR defaults to "build"; a relative DIR is taken
#                               from the repository root. Sets CXLMEM_BUILDDIR to
#                               its absolute path. Returns non-zero on failure.
#                               Extra `meson setup` options for a first configure
#                               can be given in the array CXLMEM_MESON_ARGS.
#   cxlmem_ensure_setup         just the first step of cxlmem_ensure_built.
#   cxlmem_missing_packages     print (one a line) the packages of
#                               scripts/debian-packages.txt that are not installed.
#   cxlmem_dpdk_version         print the installed libdpdk-dev upstream version
#                               (e.g. 22.11.11); fails when it is not installed.
#   cxlmem_sdk_dir              print build-deps/dpdk-<version> (may not exist).
#   cxlmem_sdk_present          true when cxlmem_sdk_dir holds everything setup.sh
#                               fetches.
#   cxlmem_arm64_sysroot_dir    print build-deps/arm64-sysroot-<dpdk version>: the
#                               arm64 Debian packages that scripts/setup.sh unpacks
#                               for the arm64 cross build (test/cross/arm64.sh).
#   cxlmem_arm64_packages       print scripts/debian-packages-arm64.txt's package
#                               names, one per line, without comments.
#   cxlmem_arm64_sysroot_state  print "present", "unavailable" (setup.sh tried and
#                               wrote why into <dir>.unavailable) or "missing"
#                               (also when the sysroot was unpacked from another
#                               package list than today's).
#   cxlmem_log MSG... / cxlmem_die MSG...   messages on stderr ("cxlmem: ...");
#                               cxlmem_die exits 1.
#
# Environment: CXLMEM_SKIP_SETUP=1 makes cxlmem_ensure_setup do nothing (for
# builds against your own DPDK, see docs/build.md).

CXLMEM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The files and headers scripts/setup.sh takes from DPDK's source, as paths
# inside build-deps/dpdk-<version>/.
CXLMEM_SDK_FILES=(
    include/ethdev_driver.h
    include/ethdev_vdev.h
    include/bus_vdev_driver.h
    include/bus_driver.h
    include/dev_driver.h
    buildtools/pmdinfogen.py
    buildtools/coff.py
    VERSION
)

cxlmem_log() {
    printf 'cxlmem: %s\n' "$*" >&2
}

cxlmem_die() {
    printf 'cxlmem: error: %s\n' "$*" >&2
    exit 1
}

cxlmem_package_list() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' \
        "$CXLMEM_ROOT/scripts/debian-packages.txt"
}

cxlmem_missing_packages() {
    local -a want
    local installed pkg
    mapfile -t want < <(cxlmem_package_list)
    # Packages dpkg does not know at all make dpkg-query complain on stderr and
    # return 1; the ones it does know are still listed.
    installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' \
                 "${want[@]}" 2>/dev/null | awk '$2 == "ii" { print $1 }' || true)"
    for pkg in "${want[@]}"; do
        grep -qxF -- "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
    done
}

cxlmem_dpdk_version() {
    local v
    v="$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)" || return 1
    [[ -n "$v" ]] || return 1
    v="${v#*:}"             # epoch
    printf '%s\n' "${v%-*}" # Debian revision
}

cxlmem_sdk_dir() {
    local v
    v="$(cxlmem_dpdk_version)" || return 1
    printf '%s\n' "$CXLMEM_ROOT/build-deps/dpdk-$v"
}

cxlmem_sdk_present() {
    local dir f
    dir="$(cxlmem_sdk_dir)" || return 1
    for f in "${CXLMEM_SDK_FILES[@]}"; do
        [[ -s "$dir/$f" ]] || return 1
    done
}

cxlmem_arm64_sysroot_dir() {
    local v
    v="$(cxlmem_dpdk_version)" || return 1
    printf '%s\n' "$CXLMEM_ROOT/build-deps/arm64-sysroot-$v"
}

cxlmem_arm64_packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' \
        "$CXLMEM_ROOT/scripts/debian-packages-arm64.txt"
}

cxlmem_arm64_sysroot_state() {
    local dir
    if ! dir="$(cxlmem_arm64_sysroot_dir)"; then
        echo missing
    elif [[ -s "$dir/PACKAGES" && -f "$dir/root/usr/lib/aarch64-linux-gnu/pkgconfig/libdpdk.pc" ]]; then
        # A package added to the list since the sysroot was unpacked (say a
        # library a new meson.build line looks up) needs a new fetch.
        if [[ "$(cat "$dir/WANTED" 2>/dev/null)" == "$(cxlmem_arm64_packages)" ]]; then
            echo present
        elif [[ -f "$dir.unavailable" ]]; then
            echo unavailable    # a new fetch was tried and failed
        else
            echo missing
        fi
    elif [[ -f "$dir.unavailable" ]]; then
        echo unavailable
    else
        echo missing
    fi
}

cxlmem_ensure_setup() {
    [[ "${CXLMEM_SKIP_SETUP:-0}" == 1 ]] && return 0
    if [[ -n "$(cxlmem_missing_packages)" ]] || ! cxlmem_sdk_present ||
       [[ "$(cxlmem_arm64_sysroot_state)" == missing ]]; then
        cxlmem_log "something is missing; running scripts/setup.sh"
        "$CXLMEM_ROOT/scripts/setup.sh" || return 1
    fi
}

cxlmem_ensure_built() {
    local dir="${1:-build}"
    [[ "$dir" == /* ]] || dir="$CXLMEM_ROOT/$dir"
    cxlmem_ensure_setup || return 1
    if [[ ! -f "$dir/build.ninja" ]]; then
        local -a wipe=()
        # A configure that stopped half-way leaves meson-private/ behind.
        [[ -d "$dir/meson-private" ]] && wipe=(--wipe)
        cxlmem_log "configuring $dir"
        meson setup ${wipe[@]+"${wipe[@]}"} \
            ${CXLMEM_MESON_ARGS[@]+"${CXLMEM_MESON_ARGS[@]}"} "$dir" "$CXLMEM_ROOT" || return 1
    fi
    cxlmem_log "building $dir"
    ninja -C "$dir" || return 1
    # shellcheck disable=SC2034  # for the caller
    CXLMEM_BUILDDIR="$dir"
}
