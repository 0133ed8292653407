# shellcheck shell=bash
# test/chroot/lib.sh: helpers of the chroot checks (test/chroot/*.sh). Bash only.
#
# A chroot is a Debian minbase made with debootstrap, cached between runs in
# $CXLMEM_CHROOT_CACHE/<name> (default /var/cache/cxlmem-chroot), outside the
# source tree, and made again when missing or when what it was made from
# changed. Each run copies the source tree (without build dirs, build-deps/
# and .git) into <chroot>/src and runs there in private mount and PID
# namespaces (unshare), with its own /proc, /sys, /run, /tmp and /dev/shm and
# the host's /dev and cgroup hierarchies; everything mounted and every
# process started goes away with the run.
#
#   chroot_skip MSG            print "SKIP: MSG" and exit 77 (meson's "skipped")
#   chroot_mirror              print the Debian archive URI apt uses here
#   chroot_ensure NAME SUITE PKGS...
#                              make (or keep) the chroot NAME of SUITE with PKGS
#                              installed; sets CHROOT_DIR
#   chroot_copy_src            copy the source tree into $CHROOT_DIR/src, keeping
#                              its build-deps/ from earlier runs
#   chroot_run CMD...          run CMD in $CHROOT_DIR, cwd /src
#   chroot_dpdk_version        print the chroot's libdpdk-dev upstream version
#   chroot_find_dpdk_src       print the DPDK source named on this machine
#                              (CXLMEM_DPDK_SRC, else build-deps/dpdk-src), or fail

CHROOT_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$CHROOT_HERE/../../scripts/lib.sh"
CHROOT_CACHE="${CXLMEM_CHROOT_CACHE:-/var/cache/cxlmem-chroot}"

chroot_skip() {
    echo "SKIP: $*"
    exit 77
}

chroot_mirror() {
    local codename site
    if [[ -n "${CXLMEM_DEBIAN_MIRROR:-}" ]]; then
        printf '%s\n' "$CXLMEM_DEBIAN_MIRROR"
        return 0
    fi
    # shellcheck disable=SC1091
    codename="$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")"
    # The archive that serves this machine's own release (not -security or
    # -updates): the same mirror for the chroot, whatever its host name.
    # shellcheck disable=SC2016  # apt's own $(...) fields
    site="$(apt-get indextargets --format '$(SITE) $(RELEASE) $(IDENTIFIER)' 2>/dev/null |
            awk -v c="$codename" '$2 == c && $3 == "Packages" { print $1; exit }')"
    [[ -n "$site" ]] || return 1
    printf '%s\n' "$site"
}

# The chroot is usable when its stamp says it was made from the same SUITE
# and package list.
chroot_ensure() {
    local name="$1" suite="$2" mirror stamp want new t0
    shift 2
    CHROOT_DIR="$CHROOT_CACHE/$name"
    want="$suite $*"
    stamp="$CHROOT_DIR/.cxlmem-chroot"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        echo "chroot $CHROOT_DIR: cached ($suite)"
        return 0
    fi
    mirror="$(chroot_mirror)" ||
        chroot_skip "no Debian archive in this machine's apt sources to debootstrap $suite from (set CXLMEM_DEBIAN_MIRROR=URI)"
    t0=$SECONDS
    new="$CHROOT_DIR.new"
    rm -rf "$new"
    mkdir -p "$CHROOT_CACHE"
    echo "chroot $CHROOT_DIR: debootstrap --variant=minbase $suite from $mirror"
    if ! debootstrap --variant=minbase "$suite" "$new" "$mirror" >"$CHROOT_CACHE/$name.debootstrap.log" 2>&1; then
        tail -n 20 "$CHROOT_CACHE/$name.debootstrap.log"
        echo "FAIL: debootstrap $suite failed (log: $CHROOT_CACHE/$name.debootstrap.log)"
        exit 1
    fi
    if (($# > 0)); then
        # Check-Valid-Until off: a mirror that serves a snapshot of the
        # archive (as some caching registries do) has a Release file of
        # unstable whose validity ran out; its signature is still checked.
        CHROOT_DIR="$new" chroot_run_in / sh -c 'apt-get -q -o Acquire::Check-Valid-Until=false update &&
            apt-get -q install -y --no-install-recommends "$@" && apt-get clean' \
            sh "$@" >"$CHROOT_CACHE/$name.apt.log" 2>&1 || {
            tail -n 20 "$CHROOT_CACHE/$name.apt.log"
            echo "FAIL: installing $* into the $suite chroot failed"
            exit 1
        }
    fi
    printf '%s\n' "$want" >"$new/.cxlmem-chroot"
    rm -rf "$CHROOT_DIR"
    mv "$new" "$CHROOT_DIR"
    echo "chroot $CHROOT_DIR: made in $((SECONDS - t0)) s"
}

chroot_copy_src() {
    local keep="$CHROOT_DIR/.src-build-deps"
    rm -rf "$keep"
    [[ -d "$CHROOT_DIR/src/build-deps" ]] && mv "$CHROOT_DIR/src/build-deps" "$keep"
    rm -rf "$CHROOT_DIR/src"
    mkdir -p "$CHROOT_DIR/src"
    tar -C "$CXLMEM_ROOT" --exclude=./.git --exclude=./build --exclude='./build-*' \
        --exclude=./build-deps --exclude='__pycache__' -cf - . | tar -C "$CHROOT_DIR/src" -xf -
    if [[ -d "$keep" ]]; then
        mv "$keep" "$CHROOT_DIR/src/build-deps"
    else
        mkdir -p "$CHROOT_DIR/src/build-deps"
    fi
}

# chroot_run_in DIR CMD...: CMD in $CHROOT_DIR with cwd DIR.
chroot_run_in() {
    local cwd="$1"
    shift
    unshare --mount --pid --fork --propagation private -- bash -c '
        set -e
        r="$1" cwd="$2"
        shift 2
        # A mount point at the chroot'"'"'s / (ip netns wants to make it rslave).
        mount --bind "$r" "$r"
        mount -t proc proc "$r/proc"
        mount -t sysfs sysfs "$r/sys"
        # The host'"'"'s cgroup hierarchies (v1 or v2): podman'"'"'s runc needs them.
        [[ -d /sys/fs/cgroup ]] && mount --rbind /sys/fs/cgroup "$r/sys/fs/cgroup"
        mount --bind /dev "$r/dev"
        mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
        mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm"
        mount -t tmpfs -o mode=0755 tmpfs "$r/run"
        mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
        cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
        cd "$r"
        exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive CXLMEM_IN_CHROOT=1 \
            ${http_proxy:+http_proxy=$http_proxy} \
            bash -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
    ' chroot-run "$CHROOT_DIR" "$cwd" "$@"
}

chroot_run() {
    chroot_run_in /src "$@"
}

chroot_dpdk_version() {
    local v
    v="$(chroot "$CHROOT_DIR" dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)" || return 1
    v="${v#*:}"
    printf '%s\n' "${v%-*}"
}

chroot_find_dpdk_src() {
    cxlmem_dpdk_src
}

# The common checks of every chroot script.
chroot_preflight() {
    [[ -z "${CXLMEM_IN_CHROOT:-}" ]] || chroot_skip "already inside a cxlmem chroot"
    ((EUID == 0)) || chroot_skip "not root (debootstrap and chroot need root)"
    command -v debootstrap >/dev/null || chroot_skip "no debootstrap (apt-get install debootstrap)"
    command -v unshare >/dev/null || chroot_skip "no unshare (util-linux)"
}
