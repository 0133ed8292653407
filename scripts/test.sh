#!/usr/bin/env bash
# scripts/test.sh: set up (when something is missing), build in build/, and run
# the whole test suite with `meson test`.
#
# usage: scripts/test.sh [MESON-TEST-ARGS...]
#   e.g. scripts/test.sh --suite unit
#        scripts/test.sh pmdinfo -v
#
# Ends with one line "N passed, N failed, N skipped" (counted from
# build/meson-logs/testlog.json); exits non-zero when a test failed or when
# none ran and passed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

builddir="$CXLMEM_ROOT/build"
testlog="$builddir/meson-logs/testlog.json"

summary() {
    # Prints "passed failed skipped" from meson's JSON-lines test log.
    local py=python3
    [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
    "$py" - "$1" <<'EOF'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            result = json.loads(line).get("result", "")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:   # FAIL, UNEXPECTEDPASS, TIMEOUT, ERROR, ...
                failed += 1
except FileNotFoundError:
    pass
print(passed, failed, skipped)
EOF
}

rm -f "$testlog"
if ! cxlmem_ensure_built "$builddir"; then
    cxlmem_log "setup or build failed (see above); no test ran"
    echo "0 passed, 0 failed, 0 skipped"
    exit 1
fi

cd "$CXLMEM_ROOT"
meson_rc=0
meson test -C "$builddir" --print-errorlogs "$@" || meson_rc=$?

read -r passed failed skipped < <(summary "$testlog")
status=0
if ((failed > 0)); then
    status=1
elif ((passed == 0)); then
    cxlmem_log "no test ran and passed (meson test exited $meson_rc)"
    status=1
elif ((meson_rc != 0)); then
    cxlmem_log "meson test exited $meson_rc"
    status=$meson_rc
fi
# The closing line, last on the output: CI reads it.
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
