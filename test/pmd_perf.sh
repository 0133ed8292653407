#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# DPDK's own pmd_perf_autotest (dpdk-test) on a host/device pair of
# net_cxlmem ports in one process: it sizes its packet budget from the
# reported link speed, and ran for ever while the port reported
# RTE_ETH_SPEED_NUM_UNKNOWN (issue 10, item 14). It must end with
# "Test OK". speed=10000 keeps its budget (4 s of 10 Gbit/s at 64 B) short;
# the default speed is checked by the ethdev test.
#
# Usage: pmd_perf.sh <path to librte_net_cxlmem.so>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/plugin_path.sh
source "$here/plugin_path.sh"

command -v dpdk-test >/dev/null || { echo "SKIP: no dpdk-test (Debian package dpdk)"; exit 77; }
cxlmem_plugin_path "$1"
plugin=$CXLMEM_PLUGIN
win=/dev/shm/cxlmem-pmdperf-$$
log=$(mktemp /tmp/cxlmem-pmdperf.XXXXXX)
cleanup() {
	rm -f "$win" "$log"
	[ -z "$CXLMEM_PLUGIN_COPY" ] || rm -rf "$CXLMEM_PLUGIN_COPY"
	rm -rf /var/run/dpdk/cxlpp$$
}
trap cleanup EXIT

rc=0
echo pmd_perf_autotest | timeout 120 dpdk-test --no-huge -m 1024 --no-pci -l 0,1 \
	--file-prefix "cxlpp$$" -d "$plugin" \
	--vdev="net_cxlmem0,role=host,path=$win,size=16M,speed=10000" \
	--vdev="net_cxlmem1,role=device,path=$win,speed=10000" > "$log" 2>&1 || rc=$?
grep -E "Link up|Result|Test OK|Test Failed|packet," "$log" || true
if ((rc == 124)); then
	echo "FAIL: pmd_perf_autotest did not end within 120 s"
	exit 1
fi
grep -q "Link up at 10 Gbps" "$log" || { echo "FAIL: link speed not reported as 10 Gbps"; exit 1; }
grep -q "^Test OK" "$log" || { echo "FAIL: pmd_perf_autotest did not pass"; tail -20 "$log"; exit 1; }
echo "ok: pmd_perf_autotest ended"
