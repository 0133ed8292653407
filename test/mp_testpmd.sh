#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two processes through one window, with stock dpdk-testpmd loading the
# net_cxlmem plugin: role=host in txonly, role=device in rxonly. The frames
# the host sent must be the frames the device received, and `show port
# xstats` must list the PMD's counters.
# Then, when this machine can reserve hugepages (root, /proc/sys/vm), a
# secondary process (dpdk-proc-info --stats/--xstats) attaches to a
# primary's port; the hugepage reservation is undone at exit.
#
# Usage: mp_testpmd.sh <path to librte_net_cxlmem.so>
set -euo pipefail

plugin=$(readlink -f "$1")
tmp=$(mktemp -d /tmp/cxlmem-mp.XXXXXX)
plugin_dir=""

# EAL refuses a -d plugin below a world-writable folder (any parent, e.g. a
# checkout under /tmp): then load a copy from a private folder under /run.
world_writable_parent() {
	local d
	d=$(dirname "$1")
	while [ "$d" != / ]; do
		[ -n "$(find "$d" -maxdepth 0 -perm -0002 2>/dev/null)" ] && return 0
		d=$(dirname "$d")
	done
	return 1
}
if world_writable_parent "$plugin"; then
	plugin_dir=$(mktemp -d /run/cxlmem-plugin.XXXXXX)
	cp "$plugin" "$plugin_dir/"
	plugin="$plugin_dir/$(basename "$plugin")"
fi
win=/dev/shm/cxlmem-mp-$$
huge_dir=""
huge_before=""
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "$huge_dir" ]; then
		umount "$huge_dir" 2>/dev/null || true
		rmdir "$huge_dir" 2>/dev/null || true
	fi
	if [ -n "$huge_before" ]; then
		echo "$huge_before" > /proc/sys/vm/nr_hugepages || true
	fi
	rm -rf "$tmp" /dev/shm/cxlmem-mp-$$*
	[ -z "$plugin_dir" ] || rm -rf "$plugin_dir"
	rm -rf /var/run/dpdk/cxlmp$$*
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.log; do
		echo "== $f"
		grep -E 'link|Forward|-packets|ring_full|flaps|restarts|stale|rror|synchron|FATAL|PANIC|Cannot' "$f" | tail -40
	done
	exit 1
}

# testpmd reads its commands from a pipe; the sleeps pace them.
run_testpmd() { # <log> <script> <args...>
	local log=$1 script=$2
	shift 2
	(eval "$script") | dpdk-testpmd "$@" > "$log" 2>&1 &
	pids+=($!)
}

wait_file() { # <path>: the host end creates the window
	local i
	for i in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done
	fail "the host end did not create $1"
}

common=(--no-pci -m 256 -d "$plugin" --log-level=pmd.net.cxlmem:info)
tp=(-- -i --no-mlockall --total-num-mbufs=4096 --txd=1024 --rxd=1024)

# --- two processes, --no-huge ----------------------------------------------
run_testpmd "$tmp/host.log" \
	'sleep 3; echo "set fwd txonly"; echo "set txpkts 64"; echo start; sleep 3; echo stop; echo "show port xstats 0"; sleep 3; echo quit' \
	-l 0,1 --no-huge --file-prefix "cxlmp$$h" "${common[@]}" \
	--vdev="net_cxlmem0,role=host,path=$win,size=8M" "${tp[@]}"
wait_file "$win"
run_testpmd "$tmp/dev.log" \
	'sleep 2; echo "set fwd rxonly"; echo start; sleep 5; echo stop; echo "show port xstats 0"; sleep 1; echo quit' \
	-l 1,0 --no-huge --file-prefix "cxlmp$$d" "${common[@]}" \
	--vdev="net_cxlmem0,role=device,path=$win" "${tp[@]}"
wait "${pids[@]}" || true
pids=()

# The PMD's own counters: testpmd's forward statistics leave out what it
# flushes from RX queues when forwarding starts.
host_tx=$(sed -n 's/^tx_good_packets: *\([0-9]*\).*/\1/p' "$tmp/host.log" | tail -1)
dev_rx=$(sed -n 's/^rx_good_packets: *\([0-9]*\).*/\1/p' "$tmp/dev.log" | tail -1)
echo "host tx_good_packets: ${host_tx:-?}  device rx_good_packets: ${dev_rx:-?}"
[ -n "$host_tx" ] && [ -n "$dev_rx" ] || fail "no xstats from testpmd"
[ "$host_tx" -gt 0 ] || fail "host sent nothing (link never came up?)"
[ "$host_tx" = "$dev_rx" ] || fail "host sent $host_tx frames, device received $dev_rx"
for f in host dev; do
	for x in window_bytes_written window_bytes_read ring_full invalid_desc peer_restarts link_flaps; do
		grep -q "$x" "$tmp/$f.log" || fail "show port xstats on $f lacks $x"
	done
done
echo "ok: two processes counted the same $host_tx frames"

# --- secondary process on a primary with hugepages -------------------------
if [ "$(id -u)" != 0 ] || [ ! -w /proc/sys/vm/nr_hugepages ]; then
	echo "SKIP secondary-process check: cannot reserve hugepages (needs root and /proc/sys/vm)"
	exit 0
fi
huge_before=$(cat /proc/sys/vm/nr_hugepages)
echo $((huge_before + 160)) > /proc/sys/vm/nr_hugepages
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt $((huge_before + 160)) ]; then
	echo "SKIP secondary-process check: the kernel gave $(cat /proc/sys/vm/nr_hugepages) of $((huge_before + 160)) hugepages"
	exit 0
fi
huge_dir=$(mktemp -d /tmp/cxlmem-huge.XXXXXX)
mount -t hugetlbfs -o pagesize=2M none "$huge_dir"

run_testpmd "$tmp/prim.log" \
	'sleep 3; echo "set fwd txonly"; echo start; sleep 12; echo stop; sleep 1; echo quit' \
	-l 0,1 --huge-dir "$huge_dir" --file-prefix "cxlmp$$p" "${common[@]}" \
	--vdev="net_cxlmem0,role=host,path=$win-2,size=8M" "${tp[@]}"
wait_file "$win-2"
run_testpmd "$tmp/peer.log" \
	'sleep 2; echo "set fwd rxonly"; echo start; sleep 13; echo stop; sleep 1; echo quit' \
	-l 1,0 --no-huge --file-prefix "cxlmp$$q" "${common[@]}" \
	--vdev="net_cxlmem0,role=device,path=$win-2" "${tp[@]}"
# Ask until the primary's port shows traffic (start-up is slow on a busy machine).
sec_tx=0
for i in $(seq 10); do
	sleep 1
	dpdk-proc-info --file-prefix "cxlmp$$p" --huge-dir "$huge_dir" -d "$plugin" -- --stats \
		> "$tmp/stats.log" 2>&1 || continue
	sec_tx=$(sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' "$tmp/stats.log" | head -1)
	[ "${sec_tx:-0}" -gt 0 ] && break
done
dpdk-proc-info --file-prefix "cxlmp$$p" --huge-dir "$huge_dir" -d "$plugin" -- --xstats \
	> "$tmp/xstats.log" 2>&1 || fail "dpdk-proc-info --xstats failed"
kill "${pids[@]}" 2>/dev/null || true
wait "${pids[@]}" 2>/dev/null || true
pids=()
grep -q "window_bytes_written" "$tmp/xstats.log" || fail "proc-info --xstats lacks window_bytes_written"
[ -n "$sec_tx" ] && [ "$sec_tx" -gt 0 ] || fail "secondary saw no TX-packets on the primary's port"
echo "ok: secondary process read the primary's counters (TX-packets $sec_tx)"
