#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The stale-read injector bites: coherence=hw (no write-backs, no
# invalidations) under CXLMEM_STALE_INJECT=payload, where only the packet
# buffers are cached privately, must fail the soak on its payload checks
# (frames out of sequence, wrong, corrupt or foreign), with the link up.
# Passes when it does; fails when the soak passes or fails for another
# reason (a link that never came up proves nothing about payload reads).
#
# Usage: catches_hw.sh <test_soak_stale>
set -uo pipefail
out=$(CXLMEM_STALE_INJECT=payload CXLMEM_STALE_GEOMETRY=4,1024,2048 "$1" --seconds 2 2>&1)
rc=$?
echo "$out" | grep -E "FAIL|received|soak:" | head -20
if ((rc == 0)); then
	echo "FAIL: the soak passed on coherence=hw with stale payload reads: the injector does not bite"
	exit 1
fi
if echo "$out" | grep -q "link not up"; then
	echo "FAIL: the link did not come up: the control lines should be coherent in payload mode"
	exit 1
fi
if ! echo "$out" | grep -qE "FAIL.*received [0-9]+ out-of-sequence"; then
	echo "FAIL: the soak failed, but not on its payload checks"
	exit 1
fi
echo "ok: stale payload reads were caught by the soak's payload checks"
