#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TSO across the window with two stock dpdk-testpmd processes (issue 11).
# Host end: a net_pcap port reads 10 TCP frames of 20000 bytes of payload;
# testpmd's csum engine forwards them to the net_cxlmem port with IP and
# TCP checksum offload and `tso set 1448`. Device end: testpmd's io engine
# forwards what the net_cxlmem port receives to a net_pcap port that writes
# a file. Twice:
#   LRO on  (port config 0 rx_offload tcp_lro on, --max-lro-pkt-size 65535):
#           the 10 frames arrive whole (the host sent them as GSO frames);
#   LRO off: they arrive as 140 segments of at most 1448 bytes of payload,
#           each with correct checksums (the host segmented them).
#
# Usage: offload_testpmd.sh <path to librte_net_cxlmem.so>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/testpmd_pair.sh
source "$here/testpmd_pair.sh"
testpmd_pair_init "$1" ofl 'link|error|fail|offload|gso|csum|too_long|good_packets'

NPK=10 PAYLOAD=20000
python3 "$here/offload/make_tcp_pcap.py" "$tmp/in.pcap" $NPK $PAYLOAD

round() { # <lro on|off>
	local lro=$1 dev_cmds
	rm -f "$win" "$tmp/out.pcap"
	# The host end: csum engine, TSO on the cxlmem port (port 0). It
	# starts forwarding after the device end is up; --no-flush-rx keeps
	# testpmd from draining the pcap file before it forwards.
	(sleep 6; echo "port stop 0"; echo "csum set ip hw 0"; echo "csum set tcp hw 0"
	 echo "tso set 1448 0"; echo "port start 0"; echo "set fwd csum"; sleep 3; echo start
	 sleep 4; echo stop; echo "show port xstats 0"; sleep 1; echo quit) |
		dpdk-testpmd -l 1,0 --file-prefix "cxlofl$$h" "${common[@]}" \
			--vdev="net_cxlmem0,role=host,path=$win,size=32M" \
			--vdev="net_pcap0,rx_pcap=$tmp/in.pcap" \
			-- -i --no-mlockall --total-num-mbufs=8192 --mbuf-size=22000 --no-flush-rx \
			> "$tmp/host-$lro.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do [ -e "$win" ] && break; sleep 0.1; done
	dev_cmds='echo "set fwd io"; echo start; sleep 11; echo stop; echo "show port xstats 0"; sleep 1; echo quit'
	if [ "$lro" = on ]; then
		dev_cmds='echo "port stop 0"; echo "port config 0 rx_offload tcp_lro on"; echo "port start 0"; '"$dev_cmds"
	fi
	(sleep 2; eval "$dev_cmds") |
		dpdk-testpmd -l 0,1 --file-prefix "cxlofl$$d" "${common[@]}" \
			--vdev="net_cxlmem0,role=device,path=$win" \
			--vdev="net_pcap0,tx_pcap=$tmp/out.pcap" \
			-- -i --no-mlockall --total-num-mbufs=8192 --max-lro-pkt-size=65535 \
			> "$tmp/dev-$lro.log" 2>&1 &
	pids+=($!)
	wait "${pids[@]}" || true
	pids=()
}

round on
python3 "$here/offload/check_pcap.py" whole "$tmp/out.pcap" $NPK $PAYLOAD ||
	fail "LRO on: the TSO frames did not arrive whole"
grep -q "tx_gso_segmented: 0" "$tmp/host-on.log" || fail "LRO on: the host segmented"

round off
python3 "$here/offload/check_pcap.py" segmented "$tmp/out.pcap" $NPK $PAYLOAD ||
	fail "LRO off: the TSO frames did not arrive as valid segments"
grep -q "tx_gso_segmented: $NPK" "$tmp/host-off.log" || fail "LRO off: tx_gso_segmented is not $NPK"
echo "ok: TSO frames cross whole to an LRO receiver, segmented with valid checksums otherwise"
