#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The installed plugin with stock dpdk-testpmd and no -d: after
# `meson install -C build`, EAL loads librte_net_cxlmem.so from its plugin
# folder (RTE_EAL_PMD_PATH, pmds-<ABI>) at startup, so two testpmd processes
# with only --vdev=net_cxlmem0,... move frames host -> device (txonly on the
# host end, rxonly on the device end). Passes when the device end received
# frames; skips (exit 77) when no net_cxlmem plugin is installed there.
# Changes nothing on the machine (the window is a file under /dev/shm).
#
# Usage: test/installed_testpmd.sh        (root; docs/build.md, "Stock testpmd")
set -euo pipefail

command -v dpdk-testpmd >/dev/null || { echo "SKIP: no dpdk-testpmd (Debian: apt-get install dpdk)"; exit 77; }
# RTE_EAL_PMD_PATH from DPDK's rte_build_config.h, in one of the folders
# libdpdk.pc puts on the include path (Debian: the multiarch one).
pmd_dir=
for d in $(pkg-config --cflags-only-I libdpdk | tr ' ' '\n' | sed -n 's/^-I//p'); do
	[ -f "$d/rte_build_config.h" ] || continue
	pmd_dir=$(sed -n 's/^#define RTE_EAL_PMD_PATH "\(.*\)"$/\1/p' "$d/rte_build_config.h")
	[ -n "$pmd_dir" ] && break
done
[ -n "$pmd_dir" ] || { echo "FAIL: RTE_EAL_PMD_PATH not found in DPDK's rte_build_config.h"; exit 1; }
[ -e "$pmd_dir/librte_net_cxlmem.so" ] ||
	{ echo "SKIP: no librte_net_cxlmem.so in $pmd_dir (meson install -C build first)"; exit 77; }

tmp=$(mktemp -d /tmp/cxlmem-inst.XXXXXX)
win=/dev/shm/cxlmem-inst-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp" "$win" /var/run/dpdk/cxlinst$$*
}
trap cleanup EXIT
# No -d: the driver can only come from the plugin folder.
common=(--no-huge -m 512 --no-pci --log-level=pmd.net.cxlmem:info)

(sleep 3; echo "set fwd txonly"; echo start; sleep 5; echo stop; sleep 1; echo quit) |
	dpdk-testpmd -l 1,0 --file-prefix "cxlinst$$h" "${common[@]}" \
		--vdev="net_cxlmem0,role=host,path=$win,size=16M" \
		-- -i --no-mlockall --total-num-mbufs=8192 >"$tmp/host.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "$win" ] && break; sleep 0.1; done
(sleep 2; echo "set fwd rxonly"; echo start; sleep 6; echo "show port stats 0"; echo stop; sleep 1; echo quit) |
	dpdk-testpmd -l 0,1 --file-prefix "cxlinst$$d" "${common[@]}" \
		--vdev="net_cxlmem0,role=device,path=$win" \
		-- -i --no-mlockall --total-num-mbufs=8192 >"$tmp/dev.log" 2>&1 &
pids+=($!)
wait "${pids[@]}" || true
pids=()

rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' "$tmp/dev.log" | head -n 1)
if [ -z "$rx" ] || [ "$rx" -eq 0 ]; then
	echo "FAIL: the device end received ${rx:-no} frames with the plugin of $pmd_dir"
	for f in "$tmp/host.log" "$tmp/dev.log"; do
		echo "== $f"
		grep -iE 'cxlmem|error|fail|link|RX-packets|TX-packets' "$f" | tail -20
	done
	exit 1
fi
echo "ok: stock dpdk-testpmd of DPDK $(pkg-config --modversion libdpdk) with the plugin of $pmd_dir (no -d): host -> device $rx frames"
