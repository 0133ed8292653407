#!/usr/bin/env bash
# scripts/setup.sh: prepare a Debian 12 or 13 machine to build and test cxlmem.
#
#   1. installs the packages of scripts/debian-packages.txt for the running
#      release (/etc/os-release) that are missing (needs root; apt-get update
#      runs only when something is missing);
#   2. gets the DPDK driver-SDK headers that Debian's libdpdk-dev does not
#      ship (ethdev_driver.h, ethdev_vdev.h, bus_vdev_driver.h, bus_driver.h,
#      dev_driver.h), plus DPDK's pmdinfogen.py/coff.py and VERSION, for the
#      installed DPDK version, into build-deps/dpdk-<version>/{include,buildtools}/.
#      In this order: nothing to do when the installed DPDK has them; else from
#      CXLMEM_DPDK_SRC=DIR (or build-deps/dpdk-src) when named: a folder holding
#      the headers, a DPDK source tree, or a DPDK git repository (its tag of the
#      installed version, else the newest of the same LTS line); else from
#      Debian's `dpdk` source package of exactly the installed version;
#   3. unpacks an arm64 sysroot for the arm64 cross build and its runs under
#      qemu-user (test/cross/arm64.sh): the arm64 Debian packages of
#      scripts/debian-packages-arm64.txt, libdpdk-dev at exactly the installed
#      amd64 version, and everything they depend on, downloaded with a private
#      apt configuration (arm64 only, empty package database) and unpacked with
#      dpkg-deb into build-deps/arm64-sysroot-<version>/root/. Nothing is
#      installed into the machine for it (no dpkg --add-architecture: Debian 12's
#      libdpdk-dev:arm64 cannot be installed next to libdpdk-dev:amd64, see
#      docs/build.md). When that is impossible here (no arm64 in the apt
#      sources, no network) it says why in build-deps/arm64-sysroot-<version>
#      .unavailable and goes on: only the arm64 test needs it, and it skips
#      with that reason.
#
# Idempotent; when everything is there it only checks and returns.
#
# usage: [CXLMEM_DPDK_SRC=DIR] scripts/setup.sh [--refetch | --packages-only]
#   --refetch        fetch the SDK headers and the arm64 sysroot again even when
#                    they are present (or were found unavailable)
#   --packages-only  step 1 only
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

refetch=0
packages_only=0
for arg in "$@"; do
    case "$arg" in
        --refetch) refetch=1 ;;
        --packages-only) packages_only=1 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) cxlmem_die "unknown argument '$arg' (see scripts/setup.sh --help)" ;;
    esac
done

# --- 1. Debian packages ------------------------------------------------------

install_packages() {
    local -a missing
    mapfile -t missing < <(cxlmem_missing_packages)
    ((${#missing[@]} == 0)) && return 0
    if ((EUID != 0)); then
        cxlmem_die "these Debian packages are missing: ${missing[*]}
    Installing them needs root. Run this script as root (for example
    'sudo ./scripts/setup.sh'), or install them yourself with
    'apt-get install ${missing[*]}'."
    fi
    command -v apt-get >/dev/null ||
        cxlmem_die "apt-get not found; this script is for Debian 12 (bookworm) and 13 (trixie)"
    cxlmem_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    mapfile -t missing < <(cxlmem_missing_packages)
    ((${#missing[@]} == 0)) ||
        cxlmem_die "still missing after apt-get install: ${missing[*]}"
}

# --- 2. DPDK driver-SDK headers ----------------------------------------------

# Write deb-src entries, one for each `deb` entry apt reads on this machine, into
# the folder $1: one-line entries (sources.list, *.list) go into derived.list,
# each deb822 file (*.sources) into a file of the same name. Options such as
# [signed-by=...] and Signed-By: are kept. No host name is written anywhere
# but in that private folder.
derive_source_entries() {
    local out="$1" SL SP f
    eval "$(apt-config shell SL Dir::Etc::SourceList/f SP Dir::Etc::SourceParts/d)"
    : >"$out/derived.list"
    for f in "${SL:-/etc/apt/sources.list}" "${SP:-/etc/apt/sources.list.d/}"*.list; do
        [[ -f "$f" ]] || continue
        # "deb [opts] URI suite comps" -> "deb-src [opts] URI suite comps"
        sed -n -e 's/#.*//' -e 's/^[[:space:]]*deb[[:space:]]\{1,\}/deb-src /p' "$f" \
            >>"$out/derived.list"
    done
    for f in "${SP:-/etc/apt/sources.list.d/}"*.sources; do
        [[ -f "$f" ]] || continue
        # Stanzas are separated by blank lines; a field continues on lines that
        # start with white space. Keep stanzas whose Types has "deb" and that
        # are not "Enabled: no", with Types replaced by deb-src.
        awk '
            function flush(  i) {
                if (n > 0 && is_deb && enabled) {
                    print "Types: deb-src"
                    for (i = 1; i <= n; i++) print line[i]
                    print ""
                }
                n = 0; is_deb = 0; enabled = 1; key = ""
            }
            BEGIN { enabled = 1 }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                if ($0 !~ /^[ \t]/) {
                    key = tolower($0); sub(/:.*/, "", key)
                    value = $0; sub(/^[^:]*:/, "", value)
                } else {
                    value = $0
                }
                if (key == "types") {
                    if (value ~ /(^|[ \t])deb([ \t]|$)/) is_deb = 1
                    next
                }
                if (key == "enabled" && tolower(value) ~ /no/) enabled = 0
                line[++n] = $0
            }
            END { flush() }
        ' "$f" >"$out/$(basename "$f")"
    done
}

fetch_sdk() {
    local upstream src_pkg src_ver dest work apt_dir tarball top f got
    upstream="$(cxlmem_dpdk_version)" ||
        cxlmem_die "libdpdk-dev is not installed (run this script as root to install it)"
    src_pkg="$(dpkg-query -W -f='${source:Package}' libdpdk-dev)"
    src_ver="$(dpkg-query -W -f='${source:Version}' libdpdk-dev)"
    dest="$CXLMEM_ROOT/build-deps/dpdk-$upstream"
    cxlmem_log "fetching DPDK $upstream driver-SDK headers from Debian source package $src_pkg=$src_ver"

    mkdir -p "$CXLMEM_ROOT/build-deps"
    work="$(mktemp -d "$CXLMEM_ROOT/build-deps/.fetch.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT

    # A private apt configuration: only deb-src entries, private lists and
    # cache, so the machine's own apt state is left as it is.
    apt_dir="$work/apt"
    mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" \
             "$apt_dir/cache/archives/partial" "$work/download" "$work/src" "$work/stage"
    : >"$apt_dir/sources.list"
    derive_source_entries "$apt_dir/sources.list.d"
    local -a apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
        -q
    )
    # As root apt downloads as user _apt, which cannot write into our folder.
    ((EUID == 0)) && apt_opts+=(-o "APT::Sandbox::User=root")

    # An entry without source indexes (some third-party repositories) makes
    # update fail; the Debian ones are enough, so go on and let `source` judge.
    if ! apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1; then
        cxlmem_log "note: 'apt-get update' of the deb-src entries reported errors:"
        grep -E '^(E|W):' "$work/update.log" >&2 || true
    fi
    if ! (cd "$work/download" &&
          apt-get "${apt_opts[@]}" source --download-only "$src_pkg=$src_ver" >"$work/source.log" 2>&1); then
        cat "$work/source.log" >&2
        cxlmem_die "could not download the source package $src_pkg=$src_ver.
    Its deb-src entries were derived from the deb entries of this machine's
    apt sources (sources.list, sources.list.d/*.list and *.sources).
    Either make them list a Debian archive that still carries $src_ver (for a
    security update, the security archive too), or name a copy of DPDK's
    source and run again:
        CXLMEM_DPDK_SRC=DIR $0
    DIR being a DPDK git clone with release tags (git clone
    https://dpdk.org/git/dpdk-stable), an unpacked DPDK $upstream source tree,
    or a folder holding the five headers ${CXLMEM_SDK_HEADERS[*]}
    of DPDK $upstream (see docs/build.md, \"Driver-SDK headers\")."
    fi
    tarball="$(compgen -G "$work/download/${src_pkg}_${upstream}.orig.tar.*" | head -n1 || true)"
    [[ -n "$tarball" ]] || cxlmem_die "no ${src_pkg}_${upstream}.orig.tar.* among: $(ls "$work/download")"

    # Unpack only what we need; the top folder's name varies (dpdk-stable-X/).
    tar -xf "$tarball" -C "$work/src" --wildcards --no-wildcards-match-slash \
        '*/VERSION' \
        '*/lib/ethdev/ethdev_driver.h' '*/lib/ethdev/ethdev_vdev.h' \
        '*/drivers/bus/vdev/bus_vdev_driver.h' \
        '*/lib/eal/include/bus_driver.h' '*/lib/eal/include/dev_driver.h' \
        '*/buildtools/pmdinfogen.py' '*/buildtools/coff.py'
    top="$(compgen -G "$work/src/*/VERSION" | head -n1 || true)"
    [[ -n "$top" ]] || cxlmem_die "no VERSION file in $(basename "$tarball")"
    top="$(dirname "$top")"

    got="$(tr -d '[:space:]' <"$top/VERSION")"
    [[ "$got" == "$upstream" ]] ||
        cxlmem_die "$(basename "$tarball") is DPDK '$got', but the installed libdpdk-dev is $upstream"

    mkdir -p "$work/stage/include" "$work/stage/buildtools"
    cp "$top/lib/ethdev/ethdev_driver.h" "$top/lib/ethdev/ethdev_vdev.h" \
       "$top/drivers/bus/vdev/bus_vdev_driver.h" \
       "$top/lib/eal/include/bus_driver.h" "$top/lib/eal/include/dev_driver.h" \
       "$work/stage/include/"
    cp "$top/buildtools/pmdinfogen.py" "$top/buildtools/coff.py" "$work/stage/buildtools/"
    cp "$top/VERSION" "$work/stage/VERSION"
    printf '%s %s\n' "$src_pkg" "$src_ver" >"$work/stage/DEBIAN_SOURCE"

    rm -rf "$dest"
    mv "$work/stage" "$dest"
    for f in "${CXLMEM_SDK_FILES[@]}"; do
        [[ -s "$dest/$f" ]] || cxlmem_die "$dest/$f is missing after the fetch"
    done
    cxlmem_log "DPDK driver-SDK headers are in ${dest#"$CXLMEM_ROOT"/}"
}

# --- 3. arm64 sysroot -------------------------------------------------------

# The reason of a failed fetch, for build-deps/arm64-sysroot-<version>.unavailable.
arm64_fail() {
    printf '%s\n' "$*" >"$ARM64_REASON"
    cxlmem_die "$*"
}

# Runs in a subshell (its own trap and exit); a failure leaves its reason in
# the file $ARM64_REASON.
fetch_arm64_sysroot() {
    local full_ver upstream dest work cfg deb n got f t
    local -a want
    full_ver="$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)" ||
        arm64_fail "libdpdk-dev is not installed"
    upstream="$(cxlmem_dpdk_version)"
    dest="$(cxlmem_arm64_sysroot_dir)"
    mapfile -t want < <(cxlmem_arm64_packages)
    # libdpdk-dev:arm64 must be the installed amd64 version: the driver-SDK
    # headers of build-deps/dpdk-<version>/ serve both architectures.
    for n in "${!want[@]}"; do
        [[ "${want[n]}" == libdpdk-dev ]] && want[n]="libdpdk-dev=$full_ver"
    done
    cxlmem_log "fetching the arm64 sysroot (${want[*]} and their dependencies)"

    mkdir -p "$CXLMEM_ROOT/build-deps"
    work="$(mktemp -d "$CXLMEM_ROOT/build-deps/.arm64.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/state" \
             "$work/log" "$work/stage/root"
    : >"$work/state/status"
    # The machine's own deb sources and apt.conf.d (proxies) are used; the
    # package database, lists, cache and logs are private, and the only
    # architecture is arm64, so apt resolves libdpdk-dev:arm64's dependencies
    # as for an empty arm64 system and downloads them all.
    cfg="$work/apt.conf"
    cat >"$cfg" <<EOF_CONF
Dir::State "$work/state";
Dir::State::Lists "$work/lists";
Dir::State::status "$work/state/status";
Dir::Cache "$work/cache";
Dir::Log "$work/log";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
APT::Get::Download-Only "true";
EOF_CONF
    ((EUID == 0)) && echo 'APT::Sandbox::User "root";' >>"$cfg"

    if ! APT_CONFIG="$cfg" apt-get -q update >"$work/update.log" 2>&1; then
        cxlmem_log "note: 'apt-get update' for arm64 reported errors:"
        grep -E '^(E|W):' "$work/update.log" >&2 || true
    fi
    if ! APT_CONFIG="$cfg" apt-get -q -y install "${want[@]}" >"$work/install.log" 2>&1; then
        grep -E '^(E|W):' "$work/install.log" >&2 || tail -n 5 "$work/install.log" >&2
        arm64_fail "cannot download the arm64 packages ${want[*]}: $(grep -m1 '^E:' "$work/install.log" || echo 'see above')"
    fi

    # Unpack without documentation and without DPDK's static libraries (the
    # cross build links DPDK's shared ones, as the amd64 build does).
    for deb in "$work"/cache/archives/*.deb; do
        dpkg-deb --fsys-tarfile "$deb" |
            tar -x -C "$work/stage/root" \
                --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' \
                --exclude='./usr/share/locale/*' --exclude='./usr/share/lintian/*' \
                --exclude='./usr/lib/aarch64-linux-gnu/librte_*.a' ||
            arm64_fail "cannot unpack $(basename "$deb")"
        # shellcheck disable=SC2016  # dpkg's own ${...} fields
        dpkg-deb -W --showformat='${Package}:${Architecture} ${Version}\n' "$deb" \
            >>"$work/stage/PACKAGES"
    done
    # Debian 13's packages put everything under /usr (merged /usr, whose
    # /lib -> usr/lib link comes from base-files, not unpacked here), but
    # binaries name their loader /lib/ld-linux-aarch64.so.1.
    if [[ ! -e "$work/stage/root/lib" && -d "$work/stage/root/usr/lib" ]]; then
        ln -s usr/lib "$work/stage/root/lib"
    fi
    # Absolute symbolic links (libz.so -> /lib/aarch64-linux-gnu/libz.so.1...)
    # would point into this machine's own /lib: make them relative.
    while IFS= read -r -d '' f; do
        t="$(readlink "$f")"
        ln -sfn "$(realpath -m --relative-to="$(dirname "$f")" "$work/stage/root$t")" "$f"
    done < <(find "$work/stage/root" -type l -lname '/*' -print0)

    f="$work/stage/root/usr/lib/aarch64-linux-gnu/pkgconfig/libdpdk.pc"
    [[ -f "$f" ]] || arm64_fail "no libdpdk.pc in the unpacked libdpdk-dev:arm64"
    got="$(sed -n 's/^Version:[[:space:]]*//p' "$f")"
    [[ "$got" == "$upstream" ]] ||
        arm64_fail "libdpdk-dev:arm64 is DPDK '$got', but the installed libdpdk-dev is $upstream"
    [[ -e "$work/stage/root/lib/ld-linux-aarch64.so.1" ]] ||
        arm64_fail "no arm64 dynamic loader in the unpacked libc6:arm64"

    cxlmem_arm64_packages >"$work/stage/WANTED"
    rm -rf "$dest" "$dest.unavailable"
    mv "$work/stage" "$dest"
    cxlmem_log "arm64 sysroot: ${dest#"$CXLMEM_ROOT"/} ($(wc -l <"$dest/PACKAGES") packages, $(du -sh "$dest" | cut -f1))"
}

# The order of docs/build.md: DPDK's own, a source the user names, Debian's.
get_sdk() {
    local upstream src
    upstream="$(cxlmem_dpdk_version)" ||
        cxlmem_die "libdpdk-dev is not installed (run this script as root to install it)"
    if cxlmem_dpdk_has_sdk; then
        cxlmem_log "the installed DPDK $upstream has the driver-SDK headers itself"
        return 0
    fi
    if src="$(cxlmem_dpdk_src)"; then
        cxlmem_sdk_extract "$src" "$upstream" "$(cxlmem_sdk_dir)" ||
            cxlmem_die "no driver-SDK headers of DPDK $upstream from $src (see above).
    Point CXLMEM_DPDK_SRC (or build-deps/dpdk-src, or
    /var/cache/cxlmem/dpdk-src) at a DPDK git clone with
    the tag v$upstream or another of the same line, a DPDK $upstream source
    tree, or a folder holding ${CXLMEM_SDK_HEADERS[*]};
    or unset it (and remove those links) to fetch Debian's source
    package instead."
        return 0
    fi
    fetch_sdk
}

install_packages
((packages_only)) && exit 0
if ((refetch)) || ! cxlmem_sdk_present; then
    get_sdk
fi
arm64_state="$(cxlmem_arm64_sysroot_state)"
if ((refetch)) || [[ "$arm64_state" == missing ]]; then
    arm64_dir="$(cxlmem_arm64_sysroot_dir)"
    ARM64_REASON="$(mktemp)"
    if ! (fetch_arm64_sysroot); then
        reason="$(cat "$ARM64_REASON")"
        printf '%s\n' "${reason:-the fetch failed (see the output of scripts/setup.sh)}" \
            >"$arm64_dir.unavailable"
        cxlmem_log "warning: no arm64 sysroot, so the arm64 test will skip: ${reason:-see above}"
        cxlmem_log "  ('scripts/setup.sh --refetch' tries again)"
    fi
    rm -f "$ARM64_REASON"
fi
