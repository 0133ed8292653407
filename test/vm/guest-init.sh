#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test/vm/guest-init.sh: /init of the guest that test/vm/cxl-vm-test.sh boots.
#
# Runs under busybox in an initramfs, as root. It:
#   1. loads the guest kernel's CXL stack and turns the emulated CXL Type-3
#      device into /dev/dax0.0 (cxl create-region -> pmem region -> ndctl
#      devdax namespace);
#   2. prints "CXLVM: READY ..." with the offset of dax0.0's byte 0 in the
#      device's memory (the host-side backing file), as the guest's sysfs
#      tells it;
#   3. for each round of /etc/cxlvm.conf: runs cxl-fwd with role=host on
#      dax=dax0.0 (found by libdaxctl), pings the machine, sends it a file and
#      receives one, all with sha256 sums printed for the machine to check;
#   4. powers off.
# Every line meant for the machine starts with "CXLVM: ". Nothing here
# decides pass or fail: the machine side does.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "CXLVM: $*"; }
die() {
    say "ERROR $*"
    poweroff -f
    sleep 60
}

/bin/busybox mkdir -p /proc /sys /dev /tmp /run /var/run /dev/shm /usr/sbin /usr/bin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/shm /dev/net
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
ip link set lo up
say "INIT kernel=$(uname -r) cpus=$(nproc) uptime=$(cut -d' ' -f1 /proc/uptime)"

. /etc/cxlvm.conf || die "no /etc/cxlvm.conf"

# --- 1. CXL region -> devdax ---------------------------------------------------
for m in cxl_acpi cxl_pci cxl_port cxl_mem cxl_pmem libnvdimm nd_pmem dax_pmem device_dax tun; do
    modprobe "$m" 2>/dev/null
done
# The memdev appears asynchronously after cxl_pci binds.
i=0
while [ ! -e /sys/bus/cxl/devices/mem0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/bus/cxl/devices/mem0 ] || die "no CXL memdev (mem0) after loading cxl_acpi/cxl_pci/cxl_mem"
i=0
while [ ! -e /sys/bus/cxl/devices/decoder0.0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cxl create-region -m -d decoder0.0 -w 1 -g 256 -t pmem mem0 >/tmp/region.log 2>&1 ||
    { cat /tmp/region.log; die "cxl create-region failed"; }
ndctl create-namespace -r region0 -m devdax >/tmp/ns.log 2>&1 ||
    { cat /tmp/ns.log; die "ndctl create-namespace -m devdax failed"; }
i=0
while [ ! -c /dev/dax0.0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -c /dev/dax0.0 ] || die "/dev/dax0.0 did not appear"

# Where dax0.0's byte 0 lies in the device's memory: its physical address
# minus the region's, plus the endpoint decoder's device physical address.
dax_res=$(cat /sys/bus/dax/devices/dax0.0/resource)
reg_res=$(cat /sys/bus/cxl/devices/region0/resource)
target=$(cat /sys/bus/cxl/devices/region0/target0)
dpa=$(cat "/sys/bus/cxl/devices/$target/dpa_resource")
fileoff=$((dax_res - reg_res + dpa))
dax_size=$(cat /sys/bus/dax/devices/dax0.0/size)
dax_align=$(cat /sys/bus/dax/devices/dax0.0/align 2>/dev/null || echo "?")
say "DAXCTL $(daxctl list -d dax0.0 2>/dev/null | tr -d ' \n')"
say "READY dev=/dev/dax0.0 size=$dax_size align=$dax_align fileoff=$(printf 0x%x "$fileoff") uptime=$(cut -d' ' -f1 /proc/uptime)"

# --- 2. rounds -------------------------------------------------------------------
up() { cut -d' ' -f1 /proc/uptime; }
# seconds between two /proc/uptime readings, 2 decimals
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

run_round() {
    name=$1 coherence=$2 link_timeout=$3
    log=/tmp/fwd-$name.log
    say "ROUND-START $name"
    devargs="role=host,dax=dax0.0,$WIN_GEOMETRY,coherence=$coherence"
    [ "$link_timeout" != default ] && devargs="$devargs,link_timeout=$link_timeout"
    t0=$(up)
    # lcore 1 polls; the EAL's control threads (heartbeat alarm) stay on CPU 0.
    cxl-fwd -l 1 --no-huge -m 96 --file-prefix cxlvm-$name --no-pci --no-telemetry \
        --log-level=lib.eal:warning --log-level=pmd.net.cxlmem:info -- \
        --cxl "$devargs" --iface cxl0 --ipv4 "$GUEST_IP/24" --mtu 1500 \
        --rxd 256 --txd 256 --stats 0 $GUEST_FWD_ARGS >"$log" 2>&1 &
    fwd=$!
    i=0
    until ip -4 addr show dev cxl0 2>/dev/null | grep -q "inet $GUEST_IP/"; do
        if ! kill -0 $fwd 2>/dev/null || [ $i -ge 600 ]; then
            sed 's/^/CXLVM: FWD-LOG /' "$log"
            say "ROUND-FAIL $name cxl-fwd did not bring up cxl0"
            kill -9 $fwd 2>/dev/null
            return 1
        fi
        sleep 0.1; i=$((i + 1))
    done
    say "FWD-UP $name after $(elapsed "$t0" "$(up)") s"
    say "KERN $name $(grep -m1 'backend,' "$log")"
    grep -m1 "role=host window" "$log" | sed 's/^/CXLVM: PMD /'

    # Link: first answered ping.
    t1=$(up) ok=0 i=0
    while [ $i -lt 120 ]; do
        if ping -c 1 -W 1 "$MACHINE_IP" >/dev/null 2>&1; then ok=1; break; fi
        i=$((i + 1))
    done
    [ $ok = 1 ] || { say "ROUND-FAIL $name no ping answer from $MACHINE_IP in 120 tries"; }
    say "LINK $name first ping answered $(elapsed "$t1" "$(up)") s after cxl0 was up"

    say "PING $name $(ping -c "$PING_COUNT" -i 0.2 -W 2 -q "$MACHINE_IP" 2>&1 | tr '\n' ' ')"

    # Receive the machine's file on 5002 (in the background), send ours to 5001.
    rm -f /tmp/m2g.bin
    nc -l -p 5002 </dev/null >/tmp/m2g.bin &
    rcv=$!
    dd if=/dev/urandom of=/tmp/g2m.bin bs=1024 count="$XFER_KIB" 2>/dev/null
    say "G2M-SHA $name $(sha256sum </tmp/g2m.bin | cut -d' ' -f1)"
    i=0 sent=0
    while [ $i -lt 60 ]; do
        t2=$(up)
        if nc -w 5 "$MACHINE_IP" 5001 </tmp/g2m.bin; then sent=1; break; fi
        sleep 0.5; i=$((i + 1))
    done
    t3=$(up)
    [ $sent = 1 ] && say "G2M-SENT $name $XFER_KIB KiB in $(elapsed "$t2" "$t3") s" ||
        say "G2M-SENT $name failed"
    # The machine connects to 5002 after its own checks; wait for it (busybox
    # timeout cannot wrap a shell function, so poll the listener).
    i=0
    while kill -0 $rcv 2>/dev/null && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
    kill $rcv 2>/dev/null
    say "M2G-SHA $name $(sha256sum </tmp/m2g.bin | cut -d' ' -f1) $(wc -c </tmp/m2g.bin)"

    # Link-down events while the round ran (the stop below logs one more).
    flaps=$(grep -c 'set_link(): .* link down' "$log")
    kill -TERM $fwd
    i=0
    while kill -0 $fwd 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 $fwd 2>/dev/null
    wait $fwd 2>/dev/null
    say "FLAPS $name $flaps"
    sed "s/^/CXLVM: FWDLOG $name /" "$log"
    say "ROUND-END $name"
}

for r in $ROUNDS; do
    # name:coherence:link_timeout[:order]; the order matters to the machine only
    IFS=: read -r n c l o <<EOF
$r
EOF
    run_round "$n" "$c" "${l:-default}"
done
say "ALL-DONE uptime=$(up)"
sync
poweroff -f
sleep 60
