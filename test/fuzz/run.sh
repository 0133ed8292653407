#!/usr/bin/env bash
# test/fuzz/run.sh [--target NAME] OUTDIR SECONDS [libFuzzer args...]
#
# Builds the harness NAME (fuzz_window, the default, or fuzz_vnet; see
# build.sh) into OUTDIR (again only when a source changed), then fuzzes for
# SECONDS, starting from the corpus kept in test/fuzz/ (corpus/ for
# fuzz_window, corpus-vnet/ for fuzz_vnet; read only: what the run finds
# goes to OUTDIR/corpus or OUTDIR/corpus-vnet). A crash, a sanitizer report
# or a broken invariant fails the run; its input is saved as
# OUTDIR/artifacts/crash-* (fuzz_vnet: OUTDIR/artifacts/vnet-crash-*;
# replay: OUTDIR/NAME FILE).
# Exits 77 (skipped) when clang/libFuzzer is not installed.
#
# The bounded runs of ./scripts/test.sh use 60 s (fuzz_window) and 45 s
# (fuzz_vnet); a long run, e.g. 8 hours on every core:
#   test/fuzz/run.sh build-fuzz 28800 -jobs=$(nproc) -workers=$(nproc)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target=fuzz_window
if [[ "${1:-}" == "--target" ]]; then
    target="${2:?usage: run.sh [--target NAME] OUTDIR SECONDS [libFuzzer args]}"
    shift 2
fi
out="${1:?usage: run.sh [--target NAME] OUTDIR SECONDS [libFuzzer args]}"
secs="${2:?usage: run.sh [--target NAME] OUTDIR SECONDS [libFuzzer args]}"
shift 2
case "$target" in
    fuzz_window)
        sources=("$here"/fuzz_window.c "$root"/drivers/net/cxlmem/*.[ch])
        corpus=corpus prefix= ;;
    fuzz_vnet)
        sources=("$here"/fuzz_vnet.c "$here"/../heap_mbuf.h "$root"/app/cxl-fwd/vnet_hdr.[ch])
        corpus=corpus-vnet prefix=vnet- ;;
    *)
        echo "FAIL: unknown fuzz target '$target' (fuzz_window, fuzz_vnet)" >&2
        exit 1 ;;
esac
mkdir -p "$out"
out="$(cd "$out" && pwd)"

bin="$out/$target"
stale=1
if [[ -x "$bin" ]]; then
    stale=0
    for f in "${sources[@]}" "$here"/build.sh; do
        [[ "$f" -nt "$bin" ]] && stale=1
    done
fi
if ((stale)); then
    rc=0
    "$here/build.sh" "$out" "$target" || rc=$?
    if ((rc == 77)); then exit 77; fi
    if ((rc != 0)); then echo "FAIL: building the fuzz harness failed" >&2; exit 1; fi
fi

mkdir -p "$out/$corpus" "$out/artifacts"
cd "$out"
# ASan: leaks in the harness process count; DPDK's own memory is not ASan's.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "fuzzing for $secs s: $bin, corpus $out/$corpus + $here/$corpus"
rc=0
"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=4096 -len_control=0 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$prefix" "$@" \
    "$out/$corpus" "$here/$corpus" 2>&1 | grep -vE '^#[0-9]+.*(NEW|REDUCE|pulse)|^EAL: ' || rc=${PIPESTATUS[0]}
if ((rc != 0)); then
    echo "FAIL: the fuzzer stopped with status $rc; inputs in $out/artifacts:" >&2
    ls -l "$out/artifacts" >&2 || true
    exit 1
fi
echo "fuzz: no crash, no sanitizer report, no broken invariant in $secs s"
