#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ovs-cards.sh: Open vSwitch with its DPDK datapath switching N CXL cards
# and the host: one bridge (br0, datapath netdev), one net_cxlmem port
# (role=host) per card, each on a window of its own, and the bridge's
# internal port as the host's side. Runs its own ovsdb-server and
# ovs-vswitchd (Debian: openvswitch-switch-dpdk), never the system's
# service, with state and logs in DIR. docs/ovs.md.
#
#   ./scripts/ovs-cards.sh up N [--mtu M] [--dir DIR] [--no-cards]
#                               [--window-dir D] [--plugin PATH]
#   ./scripts/ovs-cards.sh down [--dir DIR]
#   ./scripts/ovs-cards.sh status [--dir DIR]
#
# up: starts the switch (in network namespace cxovs-h, where br0 gets
# 198.51.100.1/24) and N ports card0..cardN-1 on windows
# D/cxovs-card0.. (default D=/dev/shm). Unless --no-cards, it also starts
# each card's side as a card's OS would run it, for trying it out on one
# machine: `cxl-fwd role=device` in namespace cxovs-cN, interface cxl0 with
# 198.51.100.(10+N)/24. With real cards, give --no-cards and run cxl-fwd
# role=device (docs/cxl-fwd.md) on each card against its window.
# --plugin: the net_cxlmem plugin to load with -d (default: the build's,
# build/drivers/net/cxlmem/librte_net_cxlmem.so; "installed": none, the one
# in DPDK's plugin folder, see docs/build.md "meson install").
# Settings for a small machine (environment): OVS_PMD_MASK (0x2: one PMD
# thread on CPU 1), OVS_LCORE_MASK (0x1), OVS_MAXSLEEP (500 us), OVS_MEM
# (1024 MB), OVS_QUEUES_<n> (queue pairs of card n's window and its n_rxq),
# OVS_CXL_OPTS (more devargs for both ends of every window; default
# link_timeout=500).
# Needs root.
set -u

CMD="${1:-}"; shift || true
N=0
[[ "$CMD" == up ]] && { N="${1:?up needs the number of cards}"; shift; }
DIR=/run/cxlmem-ovs
MTU=1500
CARDS=1
WINDIR=/dev/shm
PLUGIN=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --mtu) MTU="${2:?}"; shift 2 ;;
        --dir) DIR="${2:?}"; shift 2 ;;
        --no-cards) CARDS=0; shift ;;
        --window-dir) WINDIR="${2:?}"; shift 2 ;;
        --plugin) PLUGIN="${2:?}"; shift 2 ;;
        -h|--help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "ovs-cards.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

# shellcheck source=ovs-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ovs-lib.sh"
[[ $EUID -eq 0 ]] || cxlmem_die "ovs-cards.sh needs root (namespaces, OVS)"

TAG=cxovs
case "$CMD" in
    up)
        [[ "$N" =~ ^[1-9][0-9]*$ ]] || cxlmem_die "up N: N is the number of cards (1 or more)"
        [[ ! -e "$DIR/conf.db" ]] || cxlmem_die "$DIR holds a running setup: ./scripts/ovs-cards.sh down --dir $DIR first"
        ovs_prepare "$PLUGIN"
        FWD="$OVS_FWD_BIN"
        OVS_MTU=$MTU
        # See docs/ovs.md, "Liveness on a busy machine".
        OVS_CXL_OPTS="${OVS_CXL_OPTS-link_timeout=500}"
        ovs_init "$DIR" "$TAG" "$CXLMEM_PLUGIN" "$FWD"
        ovs_win() { echo "$WINDIR/$OVS_TAG-card$1"; }
        echo "$CXLMEM_PLUGIN_COPY" >"$DIR/plugin-copy"
        ovs_up || exit 1
        for ((n = 0; n < N; n++)); do
            ovs_card_add "$n" || cxlmem_die "add-port card$n (log: $DIR/ovs-vswitchd.log)"
        done
        if [[ $CARDS -eq 1 ]]; then
            [[ -x "$FWD" ]] || cxlmem_die "cxl-fwd not built ($FWD)"
            for ((n = 0; n < N; n++)); do ovs_fwd_start "$n" || cxlmem_die "card $n's cxl-fwd"; done
        fi
        echo "up: br0 in namespace $OVS_NS_H ($OVS_IP_H/24), $N card port(s), logs in $DIR"
        vsctl show
        [[ $CARDS -eq 1 ]] && echo "try: ip netns exec $OVS_NS_H ping $(ovs_ip_card 0)"
        ;;
    down)
        ovs_init "$DIR" "$TAG" "" ""
        copy="$(cat "$DIR/plugin-copy" 2>/dev/null)"
        ovs_cleanup
        [[ -z "$copy" ]] || rm -rf "$copy"
        rm -f "$WINDIR/$TAG"-card* "$DIR"/conf.db "$DIR/plugin-copy"
        echo "down"
        ;;
    status)
        ovs_init "$DIR" "$TAG" "" ""
        vsctl show && appctl dpif-netdev/pmd-rxq-show
        for i in $(vsctl --bare --columns=name find interface type=dpdk); do
            echo "$i: link $(vsctl get interface "$i" link_state), mtu $(vsctl get interface "$i" mtu)"
            vsctl get interface "$i" statistics
        done
        ;;
    *) echo "usage: ovs-cards.sh up N [options] | down | status (try --help)" >&2; exit 2 ;;
esac
