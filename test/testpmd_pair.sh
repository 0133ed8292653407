# SPDX-License-Identifier: BSD-3-Clause
# Shared set-up of the tests that drive two stock dpdk-testpmd processes
# through a window (offload_testpmd.sh, csum_testpmd.sh). Sourced, after
# `here` is set; then call:
#   testpmd_pair_init <plugin> <tag> <grep -E pattern for fail()'s log excerpt>
# It sets plugin, tmp, win, pids and common (the EAL arguments of both
# ends), installs the cleanup trap (processes, files, DPDK runtime dirs) and
# defines fail MESSAGE (prints the logs' matching lines and exits 1).

# shellcheck source=test/plugin_path.sh
source "$here/plugin_path.sh"

testpmd_pair_init() {
	cxlmem_plugin_path "$1"
	plugin=$CXLMEM_PLUGIN
	pair_tag=$2
	pair_grep=$3
	tmp=$(mktemp -d "/tmp/cxlmem-$pair_tag.XXXXXX")
	win=/dev/shm/cxlmem-$pair_tag-$$
	pids=()
	trap testpmd_pair_cleanup EXIT
	common=(--no-huge -m 512 --no-pci -d "$plugin" --log-level=pmd.net.cxlmem:info)
}

testpmd_pair_cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp" "$win"
	[ -z "$CXLMEM_PLUGIN_COPY" ] || rm -rf "$CXLMEM_PLUGIN_COPY"
	rm -rf /var/run/dpdk/cxl"$pair_tag"$$*
}

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.log; do
		echo "== $f"
		grep -vE '^EAL' "$f" | grep -iE "$pair_grep" | tail -30
	done
	exit 1
}
