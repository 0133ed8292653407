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
# Then the multi-process datapath (issue 10, item 12): the host end's port
# is shared by a testpmd primary and a testpmd secondary, each polling its
# own queue pair (--num-procs 2, --proc-id 0/1), against a device end with
# both queues; frames must flow through both queues, both ways; and once
# more with zerocopy=rx on the host end, each process receiving lent frames
# and freeing them through its own free callback.
#
# Usage: mp_testpmd.sh <path to librte_net_cxlmem.so>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/plugin_path.sh
source "$here/plugin_path.sh"
cxlmem_plugin_path "$1"
plugin=$CXLMEM_PLUGIN
plugin_dir=$CXLMEM_PLUGIN_COPY
tmp=$(mktemp -d /tmp/cxlmem-mp.XXXXXX)
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
# Descriptor counts other than the window's ring size (1024), as apps ask
# (issue 10, item 11): each end takes its own.
tp=(-- -i --no-mlockall --total-num-mbufs=8192)
tp_host=("${tp[@]}" --txd=512 --rxd=4096)
tp_dev=("${tp[@]}" --txd=2048 --rxd=2048)

# --- two processes, --no-huge ----------------------------------------------
run_testpmd "$tmp/host.log" \
	'sleep 3; echo "set fwd txonly"; echo "set txpkts 64"; echo start; sleep 3; echo stop; echo "show port xstats 0"; sleep 3; echo quit' \
	-l 0,1 --no-huge --file-prefix "cxlmp$$h" "${common[@]}" \
	--vdev="net_cxlmem0,role=host,path=$win,size=8M" "${tp_host[@]}"
wait_file "$win"
run_testpmd "$tmp/dev.log" \
	'sleep 2; echo "set fwd rxonly"; echo start; sleep 5; echo stop; echo "show port xstats 0"; sleep 1; echo quit' \
	-l 1,0 --no-huge --file-prefix "cxlmp$$d" "${common[@]}" \
	--vdev="net_cxlmem0,role=device,path=$win" "${tp_dev[@]}"
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

# --- multi-process datapath: primary and secondary, one queue pair each ------
# xstat <log> <name>: the last value testpmd printed for it.
xstat() { sed -n "s/^ *$2: *\([0-9]*\).*/\1/p" "$1" | tail -1; }

# flag_wait <file>...: up to 30 s until each exists (the command scripts
# below use it so that counters are read only once every sender stopped,
# however slowly the processes started).
flag_wait() {
	local f i
	for f in "$@"; do
		for i in $(seq 300); do [ -e "$f" ] && break; sleep 0.1; done
	done
}

mp_round() { # <host mode> <device mode> <tag> [<host devargs> [<device command>]]
	local hmode=$1 dmode=$2 tag=$3 mwin=$win-mp-$3 hargs=${4:+,$4} dcmd=${5:-}
	local pdone=$tmp/$tag-prim.stopped sdone=$tmp/$tag-sec.stopped
	run_testpmd "$tmp/$tag-prim.log" \
		"sleep 4; echo 'set fwd $hmode'; echo start; sleep 8; echo stop; sleep 1; touch $pdone; flag_wait $sdone; echo 'show port xstats 0'; sleep 2; echo quit" \
		-l 0,1 --huge-dir "$huge_dir" --file-prefix "cxlmp$$m$tag" "${common[@]}" \
		--vdev="net_cxlmem0,role=host,path=$mwin,size=16M,queues=2$hargs" \
		-- -i --no-mlockall --total-num-mbufs=4096 --rxq=2 --txq=2 --num-procs=2 --proc-id=0
	wait_file "$mwin"
	sleep 2
	# The secondary's lcore ids (2, 3 on CPUs 1, 0) differ from the
	# primary's: a mempool's per-lcore caches are shared between the
	# processes and indexed by lcore id, so two processes running the same
	# lcore id on one pool could hand out one mbuf twice (DPDK's
	# multi-process guide: each process its own lcores).
	run_testpmd "$tmp/$tag-sec.log" \
		"sleep 2; echo 'set fwd $hmode'; echo start; sleep 7; echo stop; sleep 1; touch $sdone; echo quit" \
		--lcores=2@1,3@0 --main-lcore=2 --proc-type=secondary --huge-dir "$huge_dir" --file-prefix "cxlmp$$m$tag" \
		"${common[@]}" \
		-- -i --no-mlockall --rxq=2 --txq=2 --num-procs=2 --proc-id=1
	run_testpmd "$tmp/$tag-dev.log" \
		"sleep 2; echo 'set fwd $dmode'; ${dcmd:+echo '$dcmd';} echo start; sleep 9; flag_wait $pdone $sdone; sleep 1; echo stop; echo 'show port xstats 0'; sleep 1; echo quit" \
		-l 1,0 --no-huge --file-prefix "cxlmp$$d$tag" "${common[@]}" \
		--vdev="net_cxlmem0,role=device,path=$mwin" \
		-- -i --no-mlockall --total-num-mbufs=4096 --rxq=2 --txq=2
	wait "${pids[@]}" || true
	pids=()
}

mp_round txonly rxonly h2d
for q in 0 1; do
	htx=$(xstat "$tmp/h2d-prim.log" "tx_q${q}_packets")
	drx=$(xstat "$tmp/h2d-dev.log" "rx_q${q}_packets")
	echo "host queue $q (proc-id $q) sent ${htx:-?}, device queue $q received ${drx:-?}"
	[ -n "$htx" ] && [ "$htx" -gt 0 ] || fail "proc-id $q sent nothing on queue $q"
	[ "$htx" = "$drx" ] || fail "queue $q: host sent $htx, device received $drx"
done
grep -q "secondary process mapped window" "$tmp/h2d-sec.log" ||
	fail "the secondary did not map the window itself"
mp_round rxonly txonly d2h
for q in 0 1; do
	hrx=$(xstat "$tmp/d2h-prim.log" "rx_q${q}_packets")
	echo "device -> host queue $q: received by proc-id $q: ${hrx:-?}"
	[ -n "$hrx" ] && [ "$hrx" -gt 0 ] || fail "proc-id $q received nothing on queue $q"
done
echo "ok: a primary and a secondary each polled their own queue pair of one port, both ways"

# Zero-copy receive in both processes: 512-byte frames are lent in place,
# and each process frees its own mbufs through a free callback that must
# be its own (the queue state is shared memory; the function addresses of
# two processes differ).
mp_round rxonly txonly d2hzc zerocopy=rx "set txpkts 512"
for q in 0 1; do
	hrx=$(xstat "$tmp/d2hzc-prim.log" "rx_q${q}_packets")
	echo "zero-copy device -> host queue $q: received by proc-id $q: ${hrx:-?}"
	[ -n "$hrx" ] && [ "$hrx" -gt 10000 ] || fail "zero-copy: proc-id $q received ${hrx:-nothing} on queue $q"
done
zcf=$(xstat "$tmp/d2hzc-prim.log" rx_zerocopy_frames)
[ -n "$zcf" ] && [ "$zcf" -gt 0 ] || fail "zero-copy: no frame was lent (rx_zerocopy_frames ${zcf:-?})"
grep -q "Bye" "$tmp/d2hzc-sec.log" || fail "zero-copy: the secondary did not exit cleanly"
echo "ok: both processes received lent frames ($zcf) and freed them with their own callback"
