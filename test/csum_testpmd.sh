#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Partial checksums and an application that forwards what it receives, with
# two stock dpdk-testpmd processes. Host end: a net_pcap port reads 10
# TCP/IPv4 frames of 1000 bytes of payload; testpmd's csum engine sends
# them on the net_cxlmem port with TCP checksum offload (`csum set tcp hw`):
# they cross the window with their checksums partial (the device end took
# them: it enabled TCP checksum offload). Device end: the net_cxlmem port
# with RX TCP checksum offload on, forwarding to a net_pcap port that
# writes a file, twice:
#   io engine:   frames forwarded as they came (a switch): each written
#                frame must carry a valid TCP checksum (net_cxlmem completed
#                it on receive: rx_csum_completed 10);
#   csum engine: testpmd's checksum forwarding; valid checksums, no
#                Bad-l4csum, rx_csum_completed 10.
#
# Usage: csum_testpmd.sh <path to librte_net_cxlmem.so>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/testpmd_pair.sh
source "$here/testpmd_pair.sh"
testpmd_pair_init "$1" csum 'link|error|fail|csum|cksum|packets'

NPK=10 PAYLOAD=1000
python3 "$here/offload/make_tcp_pcap.py" "$tmp/in.pcap" $NPK $PAYLOAD

round() { # <device forwarding engine: io|csum>
	local eng=$1
	rm -f "$win" "$tmp/out.pcap"
	(sleep 6; echo "port stop 0"; echo "csum set ip hw 0"; echo "csum set tcp hw 0"
	 echo "port start 0"; echo "set fwd csum"; sleep 3; echo start
	 sleep 4; echo stop; echo "show port xstats 0"; sleep 1; echo quit) |
		dpdk-testpmd -l 1,0 --file-prefix "cxlcsum$$h" "${common[@]}" \
			--vdev="net_cxlmem0,role=host,path=$win,size=16M" \
			--vdev="net_pcap0,rx_pcap=$tmp/in.pcap" \
			-- -i --no-mlockall --total-num-mbufs=8192 --no-flush-rx \
			> "$tmp/host-$eng.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do [ -e "$win" ] && break; sleep 0.1; done
	(sleep 2; echo "port stop 0"; echo "port config 0 rx_offload tcp_cksum on"; echo "port start 0"
	 echo "set fwd $eng"; echo start; sleep 11; echo stop; echo "show port xstats 0"; sleep 1
	 echo quit) |
		dpdk-testpmd -l 0,1 --file-prefix "cxlcsum$$d" "${common[@]}" \
			--vdev="net_cxlmem0,role=device,path=$win" \
			--vdev="net_pcap0,tx_pcap=$tmp/out.pcap" \
			-- -i --no-mlockall --total-num-mbufs=8192 \
			> "$tmp/dev-$eng.log" 2>&1 &
	pids+=($!)
	wait "${pids[@]}" || true
	pids=()
}

for eng in io csum; do
	round $eng
	grep -q "tx_csum_completed: 0" "$tmp/host-$eng.log" ||
		fail "$eng: the host completed checksums (they must cross partial)"
	python3 "$here/offload/check_pcap.py" segmented "$tmp/out.pcap" $NPK $PAYLOAD ||
		fail "$eng: forwarded frames without valid checksums"
	grep -q "rx_csum_completed: $NPK" "$tmp/dev-$eng.log" ||
		fail "$eng: rx_csum_completed is not $NPK"
	if [ "$eng" = csum ]; then
		grep -q "Bad-l4csum: 0" "$tmp/dev-$eng.log" || fail "csum: Bad-l4csum"
	fi
	echo "ok: $eng engine forwarded $NPK frames whose partial checksums net_cxlmem completed"
done
