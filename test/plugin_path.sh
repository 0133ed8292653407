#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by tests that load the net_cxlmem plugin into stock DPDK programs
# with -d. EAL refuses a -d plugin below a world-writable folder (any
# parent, e.g. a checkout under /tmp): cxlmem_plugin_path PLUGIN sets
# CXLMEM_PLUGIN to a path EAL accepts, copying the plugin into a private
# folder under /run when needed, and sets CXLMEM_PLUGIN_COPY to that folder
# (empty when no copy was made) for the caller's cleanup.

world_writable_parent() {
	local d
	d=$(dirname "$1")
	while [ "$d" != / ]; do
		[ -n "$(find "$d" -maxdepth 0 -perm -0002 2>/dev/null)" ] && return 0
		d=$(dirname "$d")
	done
	return 1
}

CXLMEM_PLUGIN=""
CXLMEM_PLUGIN_COPY=""
cxlmem_plugin_path() { # <plugin>
	CXLMEM_PLUGIN=$(readlink -f "$1")
	if world_writable_parent "$CXLMEM_PLUGIN"; then
		CXLMEM_PLUGIN_COPY=$(mktemp -d /run/cxlmem-plugin.XXXXXX)
		cp "$CXLMEM_PLUGIN" "$CXLMEM_PLUGIN_COPY/"
		CXLMEM_PLUGIN="$CXLMEM_PLUGIN_COPY/$(basename "$CXLMEM_PLUGIN")"
	fi
}
