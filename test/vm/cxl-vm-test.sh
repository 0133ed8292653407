#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test/vm/cxl-vm-test.sh: net_cxlmem on a real devdax device, end to end, in a
# QEMU machine with an emulated CXL Type-3 memory device (TCG; no KVM needed).
#
# The device's memory is a file under /dev/shm that QEMU maps shared. Inside
# the guest, the kernel's own CXL stack (cxl_acpi, cxl_pci, cxl_mem, a pmem
# region, an nvdimm namespace in devdax mode) turns it into /dev/dax0.0, and
# cxl-fwd runs with role=host,dax=dax0.0: libdaxctl finds and sizes the
# window, the PMD maps it at the device's alignment. On this machine, cxl-fwd
# runs with role=device,path=<that file>,offset=<where dax0.0 starts in it>,
# inside a network namespace. Each side gets a kernel interface from cxl-fwd's
# default tun backend (a multi-queue TAP with virtio-net headers; TSO and
# checksum offloads whenever the net_cxlmem port advertises them); the test
# pings both ways and moves a file each way over TCP, checking sha256 sums. Rounds:
# coherence=hw, then coherence=flush, over the same window.
#
# The guest is built here from Debian packages only: the kernel package that
# linux-image-cloud-amd64 points to (fetched with apt-get download, unpacked,
# never installed), busybox-static, ndctl/daxctl, and the shared libraries of
# the binaries put into it (DPDK's among them), found with ldd.
#
# usage: test/vm/cxl-vm-test.sh --fwd PATH/TO/cxl-fwd [options]
#   --work DIR        cache and scratch folder (default: build-vm/vm next to
#                     cxl-fwd's build, i.e. <builddir>/test/vm)
#   --rounds LIST     space-separated name:coherence:link_timeout[:order],
#                     link_timeout in ms or "default", order host-first (the
#                     guest's role=host end formats the window before the
#                     machine's end starts) or device-first
#                     (default: "hw:hw:1000:device-first flush:flush:1000:host-first")
#   --geometry ARGS   window geometry devargs for both ends
#                     (default: size=2M,rsize=256,bsize=2048)
#   --xfer-kib N      size of each TCP transfer (default 1024)
#   --ping-count N    pings each way per round (default 20)
#   --timeout SECS    whole run, boot included (default 180)
#   --idle-sleep US   both cxl-fwd poll adaptively and look at an idle window
#                     every US microseconds (default 50; 0 = --poll busy). On
#                     2 cores, two busy pollers plus QEMU's vCPUs starve the
#                     guest.
#   --smp N --mem MB  guest vCPUs (default 2) and RAM (default 512)
#   --keep            keep the console log, the side logs and the backing file
#   --image-only DIR  build the guest's root tree into DIR (for a look or a
#                     chroot) and stop; no boot
# Environment: CXLMEM_VM_KERNEL_PKG pins the guest kernel package (default:
#   what linux-image-cloud-amd64 depends on); CXLMEM_VM_SKIP=1 skips;
#   CXLMEM_VM_GUEST_FWD_ARGS / CXLMEM_VM_MACHINE_FWD_ARGS add cxl-fwd options
#   on one side.
#
# Exit status: 0 passed, 1 failed, 77 skipped (reason printed: no root, a
# missing program, no guest kernel package, or QEMU/the guest kernel could not
# bring up the CXL device). Everything it starts is stopped and everything it
# creates (network namespace, backing file, scratch files) is removed on
# every exit path, timeout and signals included.
set -u   # no pipefail: "grep -q" and "grep -m1" may close a pipe early on purpose

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FWD="" WORK="" KEEP=0 IMAGE_ONLY="" TIMEOUT=180 SMP=2 MEM_MB=512
ROUNDS="hw:hw:1000:device-first flush:flush:1000:host-first"
GEOMETRY="size=2M,rsize=256,bsize=2048"
XFER_KIB=1024 PING_COUNT=20 IDLE_US=50
WIN_MB=256
GUEST_IP=198.51.100.1 MACHINE_IP=198.51.100.2   # TEST-NET-2, only inside the VM and our netns

while (($#)); do
    case "$1" in
        --fwd) FWD="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --geometry) GEOMETRY="$2"; shift 2 ;;
        --xfer-kib) XFER_KIB="$2"; shift 2 ;;
        --ping-count) PING_COUNT="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --idle-sleep) IDLE_US="$2"; shift 2 ;;
        --smp) SMP="$2"; shift 2 ;;
        --mem) MEM_MB="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --image-only) IMAGE_ONLY="$2"; shift 2 ;;
        -h|--help) sed -n '3,/^set -u /{/^set -u /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "cxl-vm-test: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if ((IDLE_US == 0)); then POLL_ARGS="--poll busy"; else POLL_ARGS="--idle-sleep $IDLE_US"; fi
T0=$(date +%s.%N)
DEADLINE=$(( $(date +%s) + TIMEOUT ))
log() { printf '[cxl-vm %6.1fs] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*"; }
skip() { log "SKIP: $*"; exit 77; }
FAILS=0
ok() { log "  ok   $*"; }
bad() { log "  FAIL $*"; FAILS=$((FAILS + 1)); }

[[ "${CXLMEM_VM_SKIP:-0}" == 1 ]] && skip "CXLMEM_VM_SKIP=1"
[[ -n "$FWD" ]] || { echo "cxl-vm-test: --fwd PATH/TO/cxl-fwd is required" >&2; exit 2; }
[[ -x "$FWD" ]] || { echo "cxl-vm-test: $FWD is not an executable" >&2; exit 2; }
FWD="$(realpath "$FWD")"
[[ -n "$WORK" ]] || WORK="$(dirname "$(dirname "$(dirname "$FWD")")")/test/vm"
mkdir -p "$WORK"
WORK="$(realpath "$WORK")"

((EUID == 0)) || skip "needs root (network namespace, TAP, /dev/shm backing file, depmod into the image)"
# program -> Debian package, for the skip message
declare -A NEED=(
    [qemu-system-x86_64]=qemu-system-x86 [cpio]=cpio [depmod]=kmod [cxl]=ndctl
    [ndctl]=ndctl [daxctl]=daxctl [apt-get]=apt [dpkg-deb]=dpkg [ip]=iproute2
    [nc]=netcat-openbsd [ping]=iputils-ping [sha256sum]=coreutils [ldd]=libc-bin
    [gzip]=gzip [od]=coreutils [xz]=xz-utils
)
for prog in "${!NEED[@]}"; do
    command -v "$prog" >/dev/null ||
        skip "$prog not found (Debian package ${NEED[$prog]}; scripts/setup.sh installs it)"
done
BUSYBOX=/bin/busybox
[[ -x "$BUSYBOX" ]] && ! ldd "$BUSYBOX" >/dev/null 2>&1 ||
    skip "no static $BUSYBOX (Debian package busybox-static)"
grep -q -- '-N' <<<"$(nc -h 2>&1)" || skip "nc is not OpenBSD netcat (Debian package netcat-openbsd)"

# --- scratch state and cleanup -------------------------------------------------
RUN="$(mktemp -d "/tmp/cxl-vm.XXXXXX")"
SHM="/dev/shm/cxl-vm-$$.raw"
NETNS="cxl-vm-$$"
CONSOLE="$RUN/console.log"
QEMU_PID="" MFWD_PID=""
declare -a BG_PIDS=()

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in $MFWD_PID "${BG_PIDS[@]}" $QEMU_PID; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
    done
    for pid in $MFWD_PID "${BG_PIDS[@]}" $QEMU_PID; do
        [[ -n "$pid" ]] || continue
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NETNS" 2>/dev/null
    if ((KEEP)) || { ((rc != 0 && rc != 77)) && [[ -s "$CONSOLE" ]]; }; then
        local keep="$WORK/last-run"
        rm -rf "$keep"; mkdir -p "$keep"
        cp "$RUN"/*.log "$keep/" 2>/dev/null
        ((KEEP)) && mv "$SHM" "$keep/backing.raw" 2>/dev/null
        log "logs kept in $keep"
    fi
    rm -f "$SHM"
    rm -rf "$RUN"
    exit "$rc"
}
trap cleanup EXIT

# Leftovers of runs that were killed outright (SIGKILL skips the cleanup):
# namespaces and backing files named after a process that is gone.
for stale in $(ip netns list 2>/dev/null | awk '/^cxl-vm-[0-9]+/ { print $1 }') /dev/shm/cxl-vm-*.raw; do
    pid="${stale##*cxl-vm-}"; pid="${pid%.raw}"
    [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null || continue
    case "$stale" in
        /dev/shm/*) rm -f "$stale" ;;
        *) ip netns del "$stale" 2>/dev/null ;;
    esac
done
trap 'log "interrupted"; exit 1' INT TERM

time_left() { echo $((DEADLINE - $(date +%s))); }

# --- 1. guest kernel: unpacked from Debian's package, cached in $WORK/kernel ----
KDIR="$WORK/kernel"
fetch_kernel() {
    local pkg="${CXLMEM_VM_KERNEL_PKG:-}" dl="$RUN/deb"
    if [[ -z "$pkg" ]]; then
        kernel_pkg() {
            apt-cache depends linux-image-cloud-amd64 2>/dev/null |
                awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
        }
        pkg="$(kernel_pkg)"
        if [[ -z "$pkg" && ! -f "$KDIR/vmlinuz" ]]; then
            # No package lists yet (a machine where nothing was installed).
            log "apt-get update (to find linux-image-cloud-amd64)"
            apt-get update -q >"$RUN/apt.log" 2>&1
            pkg="$(kernel_pkg)"
        fi
        if [[ -z "$pkg" ]]; then
            # Offline, but a kernel was fetched before: use it.
            [[ -f "$KDIR/vmlinuz" ]] && return 0
            echo "apt-cache knows no linux-image-cloud-amd64" >&2
            return 1
        fi
    fi
    if [[ -f "$KDIR/package" && "$(cat "$KDIR/package")" == "$pkg" && -f "$KDIR/vmlinuz" ]]; then
        return 0
    fi
    log "fetching guest kernel package $pkg (apt-get download; not installed)"
    mkdir -p "$dl"
    chmod 777 "$dl"   # apt's download user writes here
    (cd "$dl" && apt-get download -q "$pkg" >"$RUN/apt.log" 2>&1) || { cat "$RUN/apt.log" >&2; return 1; }
    rm -rf "$KDIR.new"; mkdir -p "$KDIR.new/root"
    # Debian 12's kernel packages have their modules in /lib/modules, Debian
    # 13's in /usr/lib/modules and xz-compressed (.ko.xz).
    local deb m
    deb="$(echo "$dl"/"$pkg"_*.deb)"
    m="$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep -m1 -oE '^\./(usr/)?lib/modules/')"
    [[ -n "$m" ]] || { echo "$deb has no lib/modules/" >&2; return 1; }
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$KDIR.new/root" --wildcards './boot/vmlinuz-*' \
            "$m*/modules.order" "$m*/modules.builtin*" \
            "$m*/kernel/drivers/cxl/*" "$m*/kernel/drivers/nvdimm/*" \
            "$m*/kernel/drivers/dax/*" "$m*/kernel/drivers/acpi/nfit/*" \
            "$m*/kernel/drivers/net/tun.ko*" || return 1
    rm -rf "$dl"
    if [[ "$m" == ./usr/* ]]; then
        mkdir -p "$KDIR.new/root/lib"
        mv "$KDIR.new/root/usr/lib/modules" "$KDIR.new/root/lib/modules"
        rm -rf "$KDIR.new/root/usr"
    fi
    # busybox's modprobe in the guest loads plain .ko files only.
    find "$KDIR.new/root/lib/modules" -name '*.ko.xz' -exec xz -d {} + || return 1
    local kver
    kver="$(ls "$KDIR.new/root/lib/modules")"
    mv "$KDIR.new/root/boot/vmlinuz-$kver" "$KDIR.new/vmlinuz"
    rmdir "$KDIR.new/root/boot"
    echo "$kver" >"$KDIR.new/kver"
    echo "$pkg" >"$KDIR.new/package"
    rm -rf "$KDIR"; mv "$KDIR.new" "$KDIR"
}
fetch_kernel || skip "could not get the guest kernel package from Debian's archive with apt-get download (see above); CXLMEM_VM_KERNEL_PKG names another one"
KVER="$(cat "$KDIR/kver")"
log "guest kernel $KVER ($(cat "$KDIR/package")), $(qemu-system-x86_64 --version | head -n1)"

# --- 2. initramfs ------------------------------------------------------------------
ROOT="$RUN/root"
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,tmp,run}
ln -s usr/bin "$ROOT/bin"; ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"; ln -s usr/lib64 "$ROOT/lib64"

# Copy FILE to the same path in the image, following symlinks.
put() { mkdir -p "$ROOT$(dirname "$1")" && cp -L "$1" "$ROOT$1"; }
# Copy an ELF file and the shared libraries it needs (ldd's closure).
put_elf() {
    local f="$1" dest="${2:-$1}" lib
    mkdir -p "$ROOT$(dirname "$dest")"
    cp -L "$f" "$ROOT$dest"
    while read -r lib; do
        [[ -e "$ROOT$lib" ]] || put "$lib"
    done < <(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

cp "$BUSYBOX" "$ROOT/usr/bin/busybox"
ln -s busybox "$ROOT/usr/bin/sh"
install -m 0755 "$HERE/guest-init.sh" "$ROOT/init"
for prog in cxl ndctl daxctl; do put_elf "$(command -v "$prog")" "/usr/bin/$prog"; done
put_elf "$FWD" /usr/bin/cxl-fwd
# glibc loads libgcc_s at run time for pthread_cancel (DPDK's threads use it).
libgcc="$(ldconfig -p | awk '/^[[:space:]]*libgcc_s\.so\.1 .*x86-64/ { print $NF; exit }')"
[[ -n "$libgcc" ]] && put "$libgcc"
# DPDK loads its drivers as plugins from RTE_EAL_PMD_PATH: the TAP PMD and the
# ring mempool are the two cxl-fwd needs (net_cxlmem is linked into cxl-fwd).
PMD_DIR="$(sed -n 's/^#define RTE_EAL_PMD_PATH "\(.*\)"$/\1/p' \
           "$(pkg-config --variable=includedir libdpdk 2>/dev/null || echo /usr/include)"/*/dpdk/rte_build_config.h \
           /usr/include/dpdk/rte_build_config.h /usr/include/*/dpdk/rte_build_config.h 2>/dev/null | head -n1)"
[[ -n "$PMD_DIR" && -d "$PMD_DIR" ]] || skip "cannot find DPDK's plugin folder (RTE_EAL_PMD_PATH in rte_build_config.h)"
for plugin in librte_net_tap librte_mempool_ring; do
    # EAL loads only names ending in .so or .so.<ABI>.<minor> (e.g. .so.23.0).
    so="$(readlink -f "$PMD_DIR/$plugin.so" 2>/dev/null)"
    [[ -f "$so" ]] || skip "$plugin.so not found in $PMD_DIR (Debian package dpdk)"
    put_elf "$so" "$PMD_DIR/$(basename "$so")"
done
# Kernel modules for the CXL -> nvdimm -> dax chain and TAP.
mkdir -p "$ROOT/lib/modules"
cp -a "$KDIR/root/lib/modules/$KVER" "$ROOT/lib/modules/"
depmod -b "$ROOT" "$KVER" || skip "depmod failed for the guest kernel $KVER"

cat >"$ROOT/etc/cxlvm.conf" <<EOF
ROUNDS="$ROUNDS"
WIN_GEOMETRY="$GEOMETRY"
GUEST_IP=$GUEST_IP
MACHINE_IP=$MACHINE_IP
XFER_KIB=$XFER_KIB
PING_COUNT=$PING_COUNT
GUEST_FWD_ARGS="$POLL_ARGS ${CXLMEM_VM_GUEST_FWD_ARGS:-}"
EOF
if [[ -n "$IMAGE_ONLY" ]]; then
    rm -rf "$IMAGE_ONLY"; cp -a "$ROOT" "$IMAGE_ONLY"
    log "guest root tree in $IMAGE_ONLY"; exit 0
fi
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$RUN/initrd.gz" ||
    { echo "cannot build the initramfs" >&2; exit 1; }
log "initramfs: $(du -h "$RUN/initrd.gz" | cut -f1) ($(find "$ROOT" -type f | wc -l) files)"

# --- 3. boot -----------------------------------------------------------------------
# The backing file of the CXL device's memory. QEMU 7.2's cxl-type3 has only
# the persistent memdev (a pmem region); its label area stays in RAM so no
# stale labels survive to the next run. A pxb-cxl host bridge with one root
# port is a passthrough decoder to Linux 6.1, which QEMU 7.2 does not route:
# the second, empty root port makes Linux program a real decoder. The CPU
# does not say it runs under a hypervisor: from Linux 6.3 on, committing a
# region needs a way to invalidate CPU caches, which on x86 is WBINVD, and
# a guest that sees the hypervisor CPUID bit refuses (ENXIO, "Failed to
# synchronize CPU cache state"); TCG executes WBINVD as on bare metal.
truncate -s "${WIN_MB}M" "$SHM" || skip "cannot create $SHM"
rm -f "$CONSOLE"; : >"$CONSOLE"
QEMU_ARGS=(
    -nodefaults -no-user-config -display none -no-reboot
    -machine q35,cxl=on -accel tcg,thread=multi -cpu max,hypervisor=off -smp "$SMP" -m "${MEM_MB}M"
    -object "memory-backend-file,id=cxlvm-mem,share=on,mem-path=$SHM,size=${WIN_MB}M"
    -object memory-backend-ram,id=cxlvm-lsa,size=256K
    -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0
    -device cxl-rp,port=0,bus=cxl.0,id=cxlvm-rp0,chassis=0,slot=2
    -device cxl-rp,port=1,bus=cxl.0,id=cxlvm-rp1,chassis=0,slot=3
    -device cxl-type3,bus=cxlvm-rp0,memdev=cxlvm-mem,lsa=cxlvm-lsa,id=cxlvm-pmem0
    -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G
    -kernel "$KDIR/vmlinuz" -initrd "$RUN/initrd.gz"
    -append "console=ttyS0 quiet panic=-1 rdinit=/init"
    -serial "file:$CONSOLE"
)
echo "qemu-system-x86_64 ${QEMU_ARGS[*]}" >"$RUN/qemu-cmdline.log"
qemu-system-x86_64 "${QEMU_ARGS[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
QEMU_PID=$!
log "QEMU started (pid $QEMU_PID, TCG, $SMP vCPUs, ${MEM_MB} MiB, CXL window ${WIN_MB} MiB backed by $SHM)"

# Console lines, without the serial port's carriage returns.
console() { tr -d '\r' <"$CONSOLE" 2>/dev/null; }
# wait_console REGEX SECS: wait for a console line matching REGEX (an extended
# regex); prints it. Fails on timeout, when QEMU is gone, or on a guest ERROR.
wait_console() {
    local re="$1" secs="$2" line end=$(( $(date +%s) + $2 ))
    while :; do
        line="$(console | grep -E -m1 -- "$re")"
        [[ -n "$line" ]] && { echo "$line"; return 0; }
        console | grep -q '^CXLVM: ERROR' && return 2
        kill -0 "$QEMU_PID" 2>/dev/null || return 3
        (( $(date +%s) >= end || $(date +%s) >= DEADLINE )) && return 1
        sleep 0.2
    done
}
boot_failed() {
    log "console (last 30 lines):"; console | tail -n 30 | sed 's/^/    /'
    [[ -s "$RUN/qemu.log" ]] && { log "QEMU said:"; sed 's/^/    /' "$RUN/qemu.log"; }
}

ready="$(wait_console '^CXLVM: READY ' 120)"
case $? in
    0) ;;
    2) boot_failed; skip "the guest could not set up the CXL device: $(console | grep -m1 '^CXLVM: ERROR')" ;;
    3) boot_failed; skip "QEMU exited before the guest was ready (no CXL support in this QEMU, or no memory?)" ;;
    *) boot_failed; skip "the guest did not reach READY within 120 s (too slow a machine for TCG?)" ;;
esac
log "guest: ${ready#CXLVM: }"
console | grep '^CXLVM: DAXCTL' | sed 's/^CXLVM: /      /'

# --- 4. where dax0.0 starts in the backing file ----------------------------------------
# The guest computed it from sysfs; the devdax info block in the namespace's
# second 4 KiB says it too: "NVDIMM_DAX_INFO\0", then dataoff (LE u64) at +56.
GUEST_OFF="$(sed -n 's/.* fileoff=\(0x[0-9a-f]*\).*/\1/p' <<<"$ready")"
DAX_SIZE="$(sed -n 's/.* size=\([0-9]*\) .*/\1/p' <<<"$ready")"
SIG="$(od -An -c -j 4096 -N 15 "$SHM" | tr -d ' \n')"
INFO_OFF="$(od -An -t u8 -j $((4096 + 56)) -N 8 "$SHM" | tr -d ' ')"
if [[ "$SIG" == NVDIMM_DAX_INFO ]] && ((INFO_OFF == GUEST_OFF)); then
    ok "devdax info block in the backing file: dataoff=$(printf 0x%x "$INFO_OFF"), as the guest's sysfs says"
else
    bad "devdax info block: signature '$SIG', dataoff '$INFO_OFF'; the guest says $GUEST_OFF"
fi
DATAOFF=$((GUEST_OFF))

# --- 5. rounds --------------------------------------------------------------------------
ip netns add "$NETNS" || { echo "cannot create network namespace $NETNS" >&2; exit 1; }
ip -n "$NETNS" link set lo up
in_ns() { ip netns exec "$NETNS" "$@"; }
now() { date +%s.%N; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
PORT_CORE=$(( $(nproc) > 1 ? 1 : 0 ))

start_machine_fwd() {
    local name="$1" coherence="$2" lt="$3" devargs
    devargs="role=device,path=$SHM,offset=$DATAOFF,$GEOMETRY,coherence=$coherence"
    [[ "$lt" != default ]] && devargs+=",link_timeout=$lt"
    # Started directly (not through a shell function), so that $! is the
    # process that becomes cxl-fwd.
    ip netns exec "$NETNS" "$FWD" -l "$PORT_CORE" --no-huge -m 128 --no-pci --no-telemetry --file-prefix "$NETNS" \
        --log-level=lib.eal:warning --log-level=pmd.net.cxlmem:info -- \
        --cxl "$devargs" --iface cxl0 --ipv4 "$MACHINE_IP/24" --mtu 1500 --stats 0 \
        $POLL_ARGS ${CXLMEM_VM_MACHINE_FWD_ARGS:-} >"$RUN/machine-$name.log" 2>&1 &
    MFWD_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$MFWD_PID" 2>/dev/null || break
        ip -n "$NETNS" -4 addr show dev cxl0 2>/dev/null | grep -q "inet $MACHINE_IP/" && return 0
        sleep 0.1
    done
    bad "$name: machine-side cxl-fwd did not bring up cxl0; its log:"
    tail -n 20 "$RUN/machine-$name.log" | sed 's/^/    /'
    return 1
}

stop_machine_fwd() {
    local i
    [[ -n "$MFWD_PID" ]] || return 0
    kill -TERM "$MFWD_PID" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$MFWD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$MFWD_PID" 2>/dev/null
    wait "$MFWD_PID" 2>/dev/null
    MFWD_PID=""
}

# result lines of this round from the guest
guest_line() { console | grep -E -m1 "^CXLVM: $1 $2( |$)" | sed "s/^CXLVM: $1 $2 \{0,1\}//"; }

# check_ping WHAT OUTPUT: iputils or busybox ping -q output. Up to 10% loss
# passes with a warning (a loaded CI machine can stall TCG for a second);
# the TCP transfers with their sha256 sums are the strict checks.
check_ping() {
    local what="$1" out="$2" loss rtt
    loss="$(grep -o '[0-9.]*% packet loss' <<<"$out" | cut -d% -f1)"
    rtt="$(grep -o '\(rtt\|round-trip\) min/avg/max[^ ]* = [0-9./]* ms' <<<"$out")"
    if [[ -z "$loss" ]]; then
        bad "$what: no ping summary: $out"
    elif [[ "$loss" == 0 ]]; then
        ok "$what: $rtt"
    elif awk -v l="$loss" 'BEGIN { exit !(l <= 10) }'; then
        ok "$what: $rtt (WARNING: $loss% lost)"
    else
        bad "$what: $loss% lost; $rtt"
    fi
}

run_round() {
    local name="$1" coherence="$2" lt="$3" order="$4" line rpid t0 out sha_sent sha_got i flaps
    log "round $name: coherence=$coherence link_timeout=$lt, $order, geometry $GEOMETRY"
    # host-first: the guest's role=host end formats the window, then the
    # machine's role=device end attaches. device-first: the device end waits
    # (link down) for the superblock.
    if [[ "$order" == device-first ]]; then
        start_machine_fwd "$name" "$coherence" "$lt" || return 1
    fi
    line="$(wait_console "^CXLVM: (FWD-UP|ROUND-FAIL) $name" 90)" ||
        { bad "$name: guest cxl-fwd did not come up"; return 1; }
    [[ "$line" == *ROUND-FAIL* ]] && { bad "$name: ${line#CXLVM: }"; console | grep '^CXLVM: FWD-LOG' | tail -n 20; return 1; }
    log "      guest: ${line#CXLVM: }"
    console | grep -m1 "^CXLVM: PMD .*coherence=$coherence" | sed 's/^CXLVM: PMD /      guest PMD: /'
    if [[ "$order" != device-first ]]; then
        start_machine_fwd "$name" "$coherence" "$lt" || return 1
    fi
    grep -m1 'role=device window' "$RUN/machine-$name.log" | sed 's/^/      machine PMD: /'
    # Both sides bridge to the kernel through the tun backend.
    local kg km
    kg="$(wait_console "^CXLVM: KERN $name " 30 | sed "s/^CXLVM: KERN $name //")"
    km="$(grep -m1 'tun backend' "$RUN/machine-$name.log")"
    if [[ "$kg" == *"tun backend"* && -n "$km" ]]; then
        ok "$name: tun backend on both sides; guest:${kg#*cxl0:}; machine:${km#*cxl0:}"
    else
        bad "$name: tun backend not in use: guest '$kg', machine '$km'"
    fi
    # Listener for the guest's file (the guest retries until it connects).
    rm -f "$RUN/g2m.recv"
    ip netns exec "$NETNS" timeout "$(time_left)" nc -l -d "$MACHINE_IP" 5001 >"$RUN/g2m.recv" </dev/null &
    rpid=$!
    BG_PIDS+=("$rpid")

    # Link up: the guest answers a ping.
    t0=$(now)
    for ((i = 0; i < 600; i++)); do
        in_ns ping -c 1 -W 0.5 "$GUEST_IP" >/dev/null 2>&1 && break
        (( $(time_left) > 0 )) || break
    done
    if ((i < 600)) && (( $(time_left) > 0 )); then
        ok "$name: link up, guest answers ping $(secs_since "$t0") s after its cxl0 came up"
    else
        bad "$name: the guest never answered a ping"; return 1
    fi

    out="$(in_ns ping -c "$PING_COUNT" -i 0.2 -W 2 -q "$GUEST_IP" 2>&1)"
    check_ping "$name: ping machine -> guest x$PING_COUNT" "$out"

    # Guest -> machine file.
    line="$(wait_console "^CXLVM: G2M-SENT $name" 120)" || { bad "$name: the guest did not send its file"; }
    wait "$rpid" 2>/dev/null
    sha_sent="$(guest_line G2M-SHA "$name")"
    sha_got="$(sha256sum <"$RUN/g2m.recv" | cut -d' ' -f1)"
    if [[ -n "$sha_sent" && "$sha_sent" == "$sha_got" ]]; then
        ok "$name: TCP guest -> machine, $(guest_line G2M-SENT "$name"), sha256 ${sha_got:0:16}... matches"
    else
        bad "$name: TCP guest -> machine: guest sent sha256 '$sha_sent', machine got $sha_got ($(stat -c %s "$RUN/g2m.recv") bytes)"
    fi

    # Machine -> guest file.
    head -c $((XFER_KIB * 1024)) /dev/urandom >"$RUN/m2g.bin"
    sha_sent="$(sha256sum <"$RUN/m2g.bin" | cut -d' ' -f1)"
    local sent=0 dt=""
    for ((i = 0; i < 40; i++)); do
        t0=$(now)
        if in_ns timeout 60 nc -N "$GUEST_IP" 5002 <"$RUN/m2g.bin" >/dev/null 2>&1; then
            dt="$(secs_since "$t0")"; sent=1; break
        fi
        sleep 0.5
    done
    line="$(wait_console "^CXLVM: M2G-SHA $name" 60)"
    sha_got="$(guest_line M2G-SHA "$name" | cut -d' ' -f1)"
    if ((sent)) && [[ "$sha_got" == "$sha_sent" ]]; then
        ok "$name: TCP machine -> guest, $XFER_KIB KiB in $dt s, sha256 ${sha_got:0:16}... matches"
    else
        bad "$name: TCP machine -> guest: sent=$sent sha256 $sha_sent, guest got '$(guest_line M2G-SHA "$name")'"
    fi

    line="$(wait_console "^CXLVM: ROUND-END $name" 60)" || bad "$name: the guest did not finish the round"
    flaps="$(guest_line FLAPS "$name")"
    check_ping "$name: ping guest -> machine x$PING_COUNT" "$(guest_line PING "$name")"
    # The machine side sees one link down when the guest stops its port.
    local mdown
    mdown=$(grep -c 'set_link(): .* link down' "$RUN/machine-$name.log")
    log "      link flaps (link down while both ends ran): guest ${flaps:-?}, machine $((mdown > 0 ? mdown - 1 : 0))"
    console | grep "^CXLVM: FWDLOG $name \[" | grep -E 'net_cxlmem0: link (up|down)' | sed "s/^CXLVM: FWDLOG $name /      guest:   /"
    grep -E '^\[.*net_cxlmem0: link (up|down)' "$RUN/machine-$name.log" | sed 's/^/      machine: /'
    stop_machine_fwd
}

for r in $ROUNDS; do
    IFS=: read -r n c l o <<<"$r"
    run_round "$n" "$c" "${l:-default}" "${o:-host-first}" || log "round $n stopped early"
    stop_machine_fwd
    (( $(time_left) > 0 )) || { bad "out of time (--timeout $TIMEOUT)"; break; }
done

if wait_console '^CXLVM: ALL-DONE' 60 >/dev/null; then
    # The guest powers itself off; the cleanup kills QEMU if it does not.
    for _ in $(seq 1 100); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$QEMU_PID" 2>/dev/null || { wait "$QEMU_PID" 2>/dev/null; QEMU_PID=""; }
else
    bad "the guest did not finish all rounds"
fi

if ((FAILS)); then
    log "FAILED: $FAILS check(s)"
    exit 1
fi
log "PASSED"
exit 0
