#!/bin/bash
# net_cxlmem against net_memif with stock testpmd on two DPDK releases, on one
# machine, round by round: DPDK 22.11 on the Debian 12 host, then DPDK 24.11
# in the Debian 13 chroot of test/chroot/debian13.sh (its build/ holds the
# plugin built against 24.11; run `test/chroot/debian13.sh` once first).
# Same harness (shared/bench/peers.sh, copied into the chroot), same sizes,
# alternating releases so that both see the same vCPU placements.
# Needs root; run from the repository, under the bench lock:
#   flock /work/bench.lock docs/results/dpdk-24.11-memif/run.sh OUTDIR [ROUNDS]
#   docs/results/sweep-intel/table.py OUTDIR/dpdk-22.11    # per release
#   docs/results/sweep-intel/table.py OUTDIR/dpdk-24.11
set -u
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=$(realpath -m "${1:?usage: run.sh OUTDIR [ROUNDS]}"); ROUNDS=${2:-2}
BENCH=${BENCH:-$REPO/../shared/bench}
# shellcheck source=test/chroot/lib.sh
source "$REPO/test/chroot/lib.sh"
CHROOT_DIR="$CHROOT_CACHE/debian13"
CP=/src/build/drivers/net/cxlmem/librte_net_cxlmem.so
[[ -s "$CHROOT_DIR$CP" ]] || { echo "no $CHROOT_DIR$CP: run test/chroot/debian13.sh first"; exit 1; }
[[ -s "$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so" ]] || { echo "build the host first (scripts/test.sh)"; exit 1; }
rm -rf "$CHROOT_DIR/bench" && cp -r "$BENCH" "$CHROOT_DIR/bench"
mkdir -p "$OUT/dpdk-22.11" "$OUT/dpdk-24.11"
log() { echo "== $(date -u +%T) $*" | tee -a "$OUT/progress.txt"; }
log "start, commit $(git -C "$REPO" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"

# one_release DIR PLUGIN ROUND RUNNER...: the cases of one round, each peers.sh
# call run through RUNNER (nothing on the host, chroot_run_in in the chroot).
one_release() {
    local o="$1" p="$2" r="$3" jumbo="$4"
    shift 4
    "$@" ./peers.sh -x -c "memif cxlmem" -s "64 1518" -p "$p" >"$o/r$r-hw.csv" 2>"$o/r$r-hw.err"
    "$@" env CXLMEM_ARGS=",zerocopy=rx" ./peers.sh -x -c cxlmem -s "64 1518" -p "$p" >"$o/r$r-zc.csv" 2>"$o/r$r-zc.err"
    "$@" env TESTPMD_JUMBO_MAX_PKT_LEN= "PATH=$jumbo:$PATH" ./peers.sh -x -c memif -s 9000 >"$o/r$r-j-memif.csv" 2>"$o/r$r-j-memif.err"
    "$@" env "PATH=$jumbo:$PATH" ./peers.sh -x -c cxlmem -s 9000 -p "$p" >"$o/r$r-j-hw.csv" 2>"$o/r$r-j-hw.err"
    "$@" env CXLMEM_ARGS=",zerocopy=rx,bsize=16384" "PATH=$jumbo:$PATH" ./peers.sh -x -c cxlmem -s 9000 -p "$p" \
        >"$o/r$r-j-zc16k.csv" 2>"$o/r$r-j-zc16k.err"
}
in_bench() { (cd "$BENCH" && "$@"); }
in_chroot() { chroot_run_in /bench "$@"; }

for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r DPDK $(dpkg-query -W -f='${Version}' libdpdk-dev) (host)"
    one_release "$OUT/dpdk-22.11" "$REPO/build/drivers/net/cxlmem/librte_net_cxlmem.so" "$r" \
        "$REPO/scripts/testpmd-jumbo" in_bench
    log "round $r DPDK $(chroot "$CHROOT_DIR" dpkg-query -W -f='${Version}' libdpdk-dev) (Debian 13 chroot)"
    one_release "$OUT/dpdk-24.11" "$CP" "$r" /src/scripts/testpmd-jumbo in_chroot
done
log done
