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
#   cxlmem_debian_release       print the running Debian release: VERSION_ID of
#                               /etc/os-release (12, 13), else its codename (sid).
#   cxlmem_package_list         print scripts/debian-packages.txt's packages for
#                               the running release, one a line (see that file).
#   cxlmem_missing_packages     print (one a line) the packages of
#                               scripts/debian-packages.txt that are not installed.
#   cxlmem_dpdk_version         print the installed libdpdk-dev upstream version
#                               (e.g. 22.11.11); fails when it is not installed.
#   cxlmem_sdk_dir              print build-deps/dpdk-<version> (may not exist).
#   cxlmem_dpdk_has_sdk         true when the installed DPDK's own include dirs hold
#                               the driver-SDK headers (-Denable_driver_sdk=true).
#   cxlmem_sdk_present          true when the driver-SDK headers are there: in
#                               DPDK's include dirs, or in cxlmem_sdk_dir (with its
#                               VERSION file).
#   cxlmem_sdk_extract SRC VERSION DEST
#                               copy the driver-SDK headers (and pmdinfogen.py,
#                               coff.py, VERSION when SRC has them) of DPDK VERSION
#                               into DEST/{include,buildtools}/ from SRC: a folder
#                               holding the headers (or holding include/ with them),
#                               a DPDK source tree, or a DPDK git repository (bare or
#                               not; the tag vVERSION, else the newest tag of the
#                               same LTS line, e.g. v24.11.6 for 24.11.8). Returns
#                               non-zero, saying why, when SRC has no headers of
#                               VERSION's line.
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
#   cxlmem_start_in_netns NS IFACE ADDR LOG WHAT CMD...
#                               start CMD (a program that creates the network
#                               interface IFACE and gives it the IPv4 address ADDR,
#                               such as cxl-fwd) in network namespace NS, in the
#                               background, its output appended to LOG after a line
#                               "=== HH:MM:SS start WHAT"; sets CXLMEM_PID to its pid
#                               (a child of the caller's shell, so that it can
#                               `wait` for it: do not call this inside $(...)).
#                               Waits up to 10 s for ADDR on IFACE; returns non-zero,
#                               saying on stderr that WHAT exited (with LOG's last
#                               20 lines) or did not bring IFACE up, otherwise.
#   cxlmem_stop PID [SIG]       send SIG (default TERM) to PID, a child of this
#                               shell, and wait for it to exit; nothing when PID
#                               is empty.
#
# Environment: CXLMEM_SKIP_SETUP=1 makes cxlmem_ensure_setup do nothing (for
# builds against your own DPDK, see docs/build.md). CXLMEM_DPDK_SRC=DIR names
# where scripts/setup.sh takes the driver-SDK headers from when the installed
# DPDK lacks them (SRC of cxlmem_sdk_extract); build-deps/dpdk-src (a folder or
# a symbolic link) is used the same way when it exists.

CXLMEM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The files scripts/setup.sh takes from DPDK's source, as paths inside
# build-deps/dpdk-<version>/. The buildtools (for the plugin's pmdinfo) are
# optional when the headers come from a folder that lacks them.
CXLMEM_SDK_HEADERS=(ethdev_driver.h ethdev_vdev.h bus_vdev_driver.h bus_driver.h dev_driver.h)
CXLMEM_SDK_FILES=(
    include/ethdev_driver.h
    include/ethdev_vdev.h
    include/bus_vdev_driver.h
    include/bus_driver.h
    include/dev_driver.h
    VERSION
)
# Where each header lives in DPDK's source tree.
CXLMEM_SDK_SOURCE_PATHS=(
    lib/ethdev/ethdev_driver.h
    lib/ethdev/ethdev_vdev.h
    drivers/bus/vdev/bus_vdev_driver.h
    lib/eal/include/bus_driver.h
    lib/eal/include/dev_driver.h
)

cxlmem_log() {
    printf 'cxlmem: %s\n' "$*" >&2
}

cxlmem_die() {
    printf 'cxlmem: error: %s\n' "$*" >&2
    exit 1
}

cxlmem_start_in_netns() {
    local ns="$1" iface="$2" addr="$3" log="$4" what="$5" i
    shift 5
    echo "=== $(date +%T) start $what" >>"$log"
    ip netns exec "$ns" "$@" >>"$log" 2>&1 &
    CXLMEM_PID=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$CXLMEM_PID" 2>/dev/null; then
            echo "$what exited early; its log ($log):" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        ip -n "$ns" -4 addr show dev "$iface" 2>/dev/null | grep -q "inet $addr/" && return 0
        sleep 0.1
    done
    echo "$what did not bring up $iface within 10 s; log: $log" >&2
    return 1
}

cxlmem_stop() {
    [[ -n "$1" ]] || return 0
    kill "-${2:-TERM}" "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

cxlmem_debian_release() {
    (
        # shellcheck disable=SC1091
        . /etc/os-release 2>/dev/null || true
        printf '%s\n' "${VERSION_ID:-${VERSION_CODENAME:-unknown}}"
    )
}

# A line "PACKAGE" is for every release; "PACKAGE @12 @13" only for those.
cxlmem_package_list() {
    sed -e 's/#.*//' "$CXLMEM_ROOT/scripts/debian-packages.txt" |
        awk -v rel="@$(cxlmem_debian_release)" '
            NF == 1 { print $1; next }
            NF > 1 { for (i = 2; i <= NF; i++) if ($i == rel) { print $1; next } }'
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

cxlmem_dpdk_has_sdk() {
    local flags d h found
    flags="$(pkg-config --cflags-only-I libdpdk 2>/dev/null)" || return 1
    for h in "${CXLMEM_SDK_HEADERS[@]}"; do
        found=0
        for d in $flags; do
            [[ -f "${d#-I}/$h" ]] && found=1 && break
        done
        ((found)) || return 1
    done
}

cxlmem_sdk_present() {
    local dir f
    cxlmem_dpdk_has_sdk && return 0
    dir="$(cxlmem_sdk_dir)" || return 1
    for f in "${CXLMEM_SDK_FILES[@]}"; do
        [[ -s "$dir/$f" ]] || return 1
    done
}

cxlmem_sdk_extract() {
    local src="$1" want="$2" dest="$3" line work tag got how d i
    line="$(cut -d. -f1,2 <<<"$want")"
    if [[ ! -e "$src" ]]; then
        cxlmem_log "$src does not exist"
        return 1
    fi
    mkdir -p "$(dirname "$dest")"
    work="$(mktemp -d "$(dirname "$dest")/.sdk.XXXXXX")"
    mkdir -p "$work/stage/include" "$work/stage/buildtools"
    if [[ -f "$src/ethdev_driver.h" || -f "$src/include/ethdev_driver.h" ]]; then
        d="$src"
        [[ -f "$src/include/ethdev_driver.h" ]] && d="$src/include"
        for i in "${CXLMEM_SDK_HEADERS[@]}"; do
            cp "$d/$i" "$work/stage/include/" 2>/dev/null ||
                { cxlmem_log "$d has ethdev_driver.h but not $i"; rm -rf "$work"; return 1; }
        done
        [[ -f "$src/buildtools/pmdinfogen.py" ]] &&
            cp "$src/buildtools/pmdinfogen.py" "$src/buildtools/coff.py" "$work/stage/buildtools/"
        if [[ -f "$src/VERSION" ]]; then
            cp "$src/VERSION" "$work/stage/VERSION"
        else
            printf '%s\n' "$want" >"$work/stage/VERSION"   # the user vouches for it
        fi
        how="the folder $src"
    elif [[ -f "$src/lib/ethdev/ethdev_driver.h" && -f "$src/VERSION" ]]; then
        cp "$src/VERSION" "$work/stage/VERSION"
        for i in "${CXLMEM_SDK_SOURCE_PATHS[@]}"; do
            cp "$src/$i" "$work/stage/include/" || { rm -rf "$work"; return 1; }
        done
        cp "$src/buildtools/pmdinfogen.py" "$src/buildtools/coff.py" "$work/stage/buildtools/" 2>/dev/null || true
        how="the DPDK source tree $src"
    elif git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
        tag="v$want"
        if ! git -C "$src" rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
            tag="$(git -C "$src" tag -l "v$line" "v$line.*" | grep -v -- '-rc' | sort -V | tail -n1)"
        fi
        if [[ -z "$tag" ]]; then
            cxlmem_log "the DPDK git repository $src has no tag v$want nor any other v$line.x"
            rm -rf "$work"
            return 1
        fi
        mkdir -p "$work/tree"
        if ! git -C "$src" archive "$tag" VERSION "${CXLMEM_SDK_SOURCE_PATHS[@]}" \
                buildtools/pmdinfogen.py buildtools/coff.py | tar -x -C "$work/tree"; then
            cxlmem_log "cannot read the driver-SDK headers of $tag from $src"
            rm -rf "$work"
            return 1
        fi
        cp "$work/tree/VERSION" "$work/stage/VERSION"
        for i in "${CXLMEM_SDK_SOURCE_PATHS[@]}"; do
            cp "$work/tree/$i" "$work/stage/include/"
        done
        cp "$work/tree/buildtools/pmdinfogen.py" "$work/tree/buildtools/coff.py" "$work/stage/buildtools/"
        how="tag $tag of the DPDK git repository $src"
    else
        cxlmem_log "$src is neither a folder holding ${CXLMEM_SDK_HEADERS[*]}, nor a DPDK source tree, nor a DPDK git repository"
        rm -rf "$work"
        return 1
    fi
    got="$(tr -d '[:space:]' <"$work/stage/VERSION")"
    if [[ "$(cut -d. -f1,2 <<<"$got")" != "$line" ]]; then
        cxlmem_log "$how is DPDK $got, but the DPDK built against is $want (another release line: its driver API differs)"
        rm -rf "$work"
        return 1
    fi
    [[ "$got" == "$want" ]] ||
        cxlmem_log "note: driver-SDK headers of DPDK $got for DPDK $want (same LTS line $line)"
    printf '%s\n' "$how" >"$work/stage/SOURCE"
    rm -rf "$dest"
    mv "$work/stage" "$dest"
    rm -rf "$work"
    cxlmem_log "DPDK driver-SDK headers from $how are in $dest"
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

# The DPDK source named on this machine for driver-SDK headers, or nothing
# (exit 1): CXLMEM_DPDK_SRC, else build-deps/dpdk-src of this checkout, else
# /var/cache/cxlmem/dpdk-src (a machine-wide link to a DPDK git clone, which
# every checkout and CI run on the machine then finds; docs/build.md).
cxlmem_dpdk_src() {
    local d
    for d in "${CXLMEM_DPDK_SRC:-}" "$CXLMEM_ROOT/build-deps/dpdk-src" /var/cache/cxlmem/dpdk-src; do
        if [[ -n "$d" && -e "$d" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    return 1
}
