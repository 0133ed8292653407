#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh: the main job on one machine. Two network namespaces stand in for
# the host and the CXL card; a window file under /dev/shm stands in for the
# CXL memory window. One cxl-fwd runs in each namespace (role=host and
# role=device), each with a tun kernel interface (cxl0); redis-server and an
# sshd run on the "card", and the host reaches them through the window:
# ping, a TCP file transfer checked with sha256, redis-benchmark, redis-cli
# SET/GET, ssh; then kill -9 and restart of the card side and of the host
# side, each followed by a redis GET over a new connection.
#
#   ./scripts/demo.sh [--mtu N] [--kernel tun|tap] [--keep-logs]
#
# Needs root. Builds first (scripts/lib.sh: setup when something is missing,
# then meson/ninja in ./build; set CXLMEM_BUILDDIR_DEMO to use another dir).
# Cleans up everything it created, also when interrupted.
set -u

MTU=1500
KERNEL=tun
while [[ $# -gt 0 ]]; do
    case "$1" in
        --mtu) MTU="${2:?--mtu needs a value}"; shift 2 ;;
        --kernel) KERNEL="${2:?--kernel needs tun or tap}"; shift 2 ;;
        --keep-logs) export FWD_KEEP_LOGS=1; shift ;;
        -h|--help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=cxl-fwd-lib.sh
source "$HERE/cxl-fwd-lib.sh"

[[ $EUID -eq 0 ]] || cxlmem_die "demo.sh needs root (network namespaces, TAP interfaces); run it with sudo"

# Setup first (it installs the tools below on a fresh machine), then check.
cxlmem_ensure_built "${CXLMEM_BUILDDIR_DEMO:-build}" || cxlmem_die "build failed"
for t in ip ping nc sha256sum redis-server redis-cli redis-benchmark ssh ssh-keygen /usr/sbin/sshd; do
    command -v "$t" >/dev/null ||
        cxlmem_die "$t is missing after setup (scripts/debian-packages.txt should provide it)"
done
BIN="$CXLMEM_BUILDDIR/app/cxl-fwd/cxl-fwd"
[[ -x "$BIN" ]] || cxlmem_die "$BIN was not built"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

FWD_MTU=$MTU
# Adaptive polling (the default) lets two pollers and the services share
# the cores of a small machine (see docs/cxl-fwd.md, --poll).
FWD_EXTRA_ARGS=(--kernel "$KERNEL")
fwd_init "$BIN" "demo$$"
trap 'fwd_cleanup' EXIT
trap 'echo "demo.sh: interrupted, cleaning up" >&2; exit 130' INT TERM HUP

step "namespaces $FWD_NS_H (host) and $FWD_NS_D (card), window $FWD_WIN, MTU $MTU"
fwd_setup || cxlmem_die "cannot create the namespaces"

step "cxl-fwd role=host in $FWD_NS_H: cxl0 $FWD_IP_H/24 ($KERNEL backend)"
fwd_start host || cxlmem_die "cxl-fwd (host) did not start"
step "cxl-fwd role=device in $FWD_NS_D: cxl0 $FWD_IP_D/24"
fwd_start device || cxlmem_die "cxl-fwd (device) did not start"
fwd_wait_ping 10 || cxlmem_die "the link did not come up; logs in $FWD_DIR (use --keep-logs)"

step "redis-server on the card ($FWD_NS_D, $FWD_IP_D:6379)"
fwd_redis_start || cxlmem_die "redis-server did not start"

step "sshd on the card ($FWD_NS_D, port 2222; its own config and keys in $FWD_DIR/ssh)"
fwd_sshd_start || cxlmem_die "sshd did not start"

RC=0
step "ping from the host namespace across the window"
fwd_in host ping -c 20 -i 0.05 -w 20 "$FWD_IP_D" | tail -n 3 || RC=1

step "TCP: 16 MiB host -> card with nc, sha256 on both ends"
head -c $((16 << 20)) /dev/urandom >"$FWD_DIR/blob"
fwd_in device timeout 30 nc -l "$FWD_IP_D" 5002 >"$FWD_DIR/blob.recv" &
sleep 0.3
fwd_in host timeout 30 nc -N "$FWD_IP_D" 5002 <"$FWD_DIR/blob"
wait $!
SENT="$(sha256sum <"$FWD_DIR/blob" | cut -d' ' -f1)"
GOT="$(sha256sum <"$FWD_DIR/blob.recv" | cut -d' ' -f1)"
echo "sent $SENT"; echo "got  $GOT"
[[ "$SENT" == "$GOT" ]] || RC=1

step "ssh root@$FWD_IP_D (card namespace): where am I?"
fwd_ssh 'echo "on $(ip -o -4 addr show dev cxl0 | awk "{print \$4}"), uptime: $(cut -d" " -f1 /proc/uptime) s"' || RC=1

step "redis-benchmark from the host namespace (-n 10000 -c 20)"
fwd_in host redis-benchmark -h "$FWD_IP_D" -n 10000 -c 20 -t set,get,lpush,lpop -q 2>&1 \
    | tr '\r' '\n' | grep 'requests per second' || RC=1

step "redis-cli SET/GET"
fwd_in host redis-cli -h "$FWD_IP_D" SET cxl:demo "hello over CXL memory" || RC=1
GOT="$(fwd_in host redis-cli -h "$FWD_IP_D" GET cxl:demo)"
echo "GET cxl:demo -> $GOT"
[[ "$GOT" == "hello over CXL memory" ]] || RC=1

step "kill -9 the card's cxl-fwd and restart it (host side untouched)"
fwd_kill device KILL
fwd_start device || cxlmem_die "cxl-fwd (device) did not restart"
GOT=""
for ((i = 0; i < 100; i++)); do
    GOT="$(fwd_in host redis-cli -h "$FWD_IP_D" GET cxl:demo 2>/dev/null)" && [[ -n "$GOT" ]] && break
    sleep 0.1
done
echo "GET cxl:demo -> $GOT (new connection)"
[[ "$GOT" == "hello over CXL memory" ]] || RC=1

step "kill -9 the host's cxl-fwd and restart it (card side untouched)"
fwd_kill host KILL
fwd_start host || cxlmem_die "cxl-fwd (host) did not restart"
GOT=""
for ((i = 0; i < 100; i++)); do
    GOT="$(fwd_in host redis-cli -h "$FWD_IP_D" GET cxl:demo 2>/dev/null)" && [[ -n "$GOT" ]] && break
    sleep 0.1
done
echo "GET cxl:demo -> $GOT (new connection)"
[[ "$GOT" == "hello over CXL memory" ]] || RC=1

step "cxl-fwd counters (SIGTERM: stop, drain, print totals)"
fwd_kill device TERM
fwd_kill host TERM
for side in host device; do
    echo "-- $side side:"
    sed -n '/totals at exit/,/^cxl-fwd: done/p' "$FWD_DIR/$side.log" | tail -n 11
done

if [[ $RC -eq 0 ]]; then
    step "demo OK"
else
    step "demo FAILED (see above)"
fi
exit $RC
