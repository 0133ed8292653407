# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/ovs-lib.sh (scripts/ovs-cards.sh, scripts/ovs-vs-memif.sh,
# test/ovs/ovs_e2e.sh): an Open vSwitch with its DPDK (userspace) datapath,
# with its own database, run, log folders and DPDK file prefix (never the
# system's service), and CXL cards on it: per card a window file, a
# net_cxlmem port (role=host) on the bridge and, in a network namespace of
# its own, `cxl-fwd role=device`.
# ovs-vswitchd runs inside the host's namespace: the bridge's internal
# port (the host side) lives there, and survives a restart of the switch.
# Bash only; sourcing defines functions and runs nothing.
#
#   ovs_prepare [PLUGIN]          for scripts: dies unless root and OVS with
#                                 DPDK is installed; builds the tree when
#                                 PLUGIN is empty; sets CXLMEM_PLUGIN (and
#                                 CXLMEM_PLUGIN_COPY, test/plugin_path.sh) to
#                                 the net_cxlmem plugin to load (PLUGIN, default
#                                 the build's; "installed": none, DPDK's plugin
#                                 folder has it) and OVS_FWD_BIN to the build's
#                                 cxl-fwd
#   ovs_init DIR TAG PLUGIN FWD   names (namespaces TAG-h, TAG-cN; windows
#                                 /dev/shm/TAG-cardN; DPDK prefix TAG), state
#                                 in DIR; PLUGIN: librte_net_cxlmem.so
#                                 (a path EAL accepts: see test/plugin_path.sh);
#                                 FWD: the cxl-fwd binary
#   ovs_db_start                  ovsdb-server with a new database, and the
#                                 Open_vSwitch settings (OVS_* below)
#   ovs_switch_start / _stop      ovs-vswitchd (DPDK build) in the host namespace
#   ovs_bridge                    bridge br0 (datapath netdev), host address on br0
#   ovs_up                        the three above; on failure says which on
#                                 stderr, with its log's tail, and returns 1
#   ovs_card_add N [ARGS]         port cardN (net_cxlmemN on window N, n_rxq
#                                 its queue pairs); ARGS: more `set Interface`
#                                 columns (options:n_rxq_desc=2048)
#   ovs_card_vdev N               the card's end of card N's link as a vdev
#                                 (NAME,ARGS) for a DPDK program on the card
#   ovs_fwd_start N [ARGS] / _kill N SIG
#                                 card N's cxl-fwd (role=device) in its
#                                 namespace; ARGS: more cxl-fwd options
#   vsctl ARGS / appctl ARGS      ovs-vsctl / ovs-appctl on this switch
#   ovs_cleanup                   stop all, delete namespaces, windows, DIR
#
# Settings: OVS_MTU (1500), OVS_QUEUES_N (queue pairs of card N's window,
# default 1), OVS_PMD_MASK (0x2), OVS_LCORE_MASK (0x1), OVS_MAXSLEEP (500,
# microseconds: pmd-maxsleep), OVS_MEM (MB of DPDK memory, 1024),
# OVS_OTHER_CONFIG (more Open_vSwitch other_config entries, KEY=VALUE
# separated by spaces, e.g. userspace-tso-enable=true),
# OVS_CXL_OPTS (more net_cxlmem devargs for both ends), OVS_FWD_LCORE
# (the CPU of every card's cxl-fwd; default card N on CPU N modulo the
# CPU count), OVS_VSWITCHD (default: Debian's
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk), OVS_TRANSPORT
# (cxlmem, the default; memif: each card's link is a net_memif pair instead,
# OVS's port the server and the card the client, for comparisons: see
# ovs_card_add).

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../test/plugin_path.sh
source "$(dirname "${BASH_SOURCE[0]}")/../test/plugin_path.sh"

OVS_VSWITCHD="${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}"
OVS_SCHEMA="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"

ovs_prepare() {
    local plugin="${1:-}"
    [[ $EUID -eq 0 ]] || cxlmem_die "needs root (network namespaces, OVS)"
    [[ -x "$OVS_VSWITCHD" ]] || cxlmem_die "$OVS_VSWITCHD missing: apt-get install openvswitch-switch-dpdk"
    if [[ -z "$plugin" ]]; then
        cxlmem_ensure_built build || cxlmem_die "build failed"
        plugin="$CXLMEM_BUILDDIR/drivers/net/cxlmem/librte_net_cxlmem.so"
    fi
    # shellcheck disable=SC2034  # for the caller
    OVS_FWD_BIN="$(realpath "${CXLMEM_BUILDDIR:-$CXLMEM_ROOT/build}/app/cxl-fwd/cxl-fwd" 2>/dev/null)"
    if [[ "$plugin" == installed ]]; then
        CXLMEM_PLUGIN="" CXLMEM_PLUGIN_COPY=""
    else
        cxlmem_plugin_path "$plugin"
    fi
}

ovs_init() {
    OVS_D="$1"
    OVS_TAG="$2"
    OVS_PLUGIN="$3"
    OVS_FWD="$4"
    OVS_NS_H="$OVS_TAG-h"
    OVS_MTU="${OVS_MTU:-1500}"
    OVS_PMD_MASK="${OVS_PMD_MASK:-0x2}"
    OVS_LCORE_MASK="${OVS_LCORE_MASK:-0x1}"
    OVS_MAXSLEEP="${OVS_MAXSLEEP:-500}"
    OVS_MEM="${OVS_MEM:-1024}"
    OVS_IP_H=198.51.100.1
    OVS_TRANSPORT="${OVS_TRANSPORT:-cxlmem}"
    OVS_CARDS=()
    declare -gA OVS_FWD_PID=()
    mkdir -p "$OVS_D"
    # ovs-vsctl, ovs-appctl and the daemons find their files here.
    export OVS_RUNDIR="$OVS_D" OVS_DBDIR="$OVS_D" OVS_LOGDIR="$OVS_D" OVS_SYSCONFDIR="$OVS_D"
}

ovs_ns_card() { echo "$OVS_TAG-c$1"; }
ovs_win() { echo "/dev/shm/$OVS_TAG-card$1"; }
ovs_memif_sock() { echo "$OVS_D/memif$1.sock"; }
ovs_ip_card() { echo "198.51.100.$((10 + $1))"; }
vsctl() { ovs-vsctl --db="unix:$OVS_D/db.sock" --timeout=30 "$@"; }
appctl() { ovs-appctl -t "$OVS_D/ovs-vswitchd.ctl" "$@"; }
ovs_in_host() { ip netns exec "$OVS_NS_H" "$@"; }
ovs_in_card() { local n="$1"; shift; ip netns exec "$(ovs_ns_card "$n")" "$@"; }

# A namespace with loopback up and IPv6 off (no router or neighbour
# solicitations, MLD reports: the frames the tests count are theirs only).
ovs_netns_add() {
    ip netns add "$1" || return 1
    ip -n "$1" link set lo up
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

ovs_db_start() {
    ovsdb-tool create "$OVS_D/conf.db" "$OVS_SCHEMA" || return 1
    ovsdb-server "$OVS_D/conf.db" --remote="punix:$OVS_D/db.sock" \
        --pidfile="$OVS_D/ovsdb-server.pid" --unixctl="$OVS_D/ovsdb-server.ctl" \
        --log-file="$OVS_D/ovsdb-server.log" --detach --no-chdir || return 1
    vsctl --no-wait init || return 1
    local kv
    local -a more=()
    for kv in ${OVS_OTHER_CONFIG:-}; do more+=("other_config:$kv"); done
    # No hugepages: --no-huge needs --legacy-mem beside the --in-memory
    # OVS adds. -d: the plugin from the build, not DPDK's plugin folder.
    # One PMD thread on its own core; it sleeps (up to pmd-maxsleep) while
    # the ports are idle, so the cards' forwarders get CPU on a small box.
    vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        other_config:dpdk-extra="--no-huge --legacy-mem -m $OVS_MEM --no-pci --file-prefix $OVS_TAG${OVS_PLUGIN:+ -d $OVS_PLUGIN}" \
        other_config:per-port-memory=true \
        other_config:dpdk-lcore-mask="$OVS_LCORE_MASK" \
        other_config:pmd-cpu-mask="$OVS_PMD_MASK" \
        other_config:pmd-maxsleep="$OVS_MAXSLEEP" ${more[@]+"${more[@]}"}
}

ovs_switch_start() {
    ip netns list | grep -qw "$OVS_NS_H" || ovs_netns_add "$OVS_NS_H" || return 1
    echo "=== $(date +%T) start" >>"$OVS_D/ovs-vswitchd.log"
    ovs_in_host "$OVS_VSWITCHD" "unix:$OVS_D/db.sock" --pidfile="$OVS_D/ovs-vswitchd.pid" \
        --unixctl="$OVS_D/ovs-vswitchd.ctl" --log-file="$OVS_D/ovs-vswitchd.log" \
        --detach --no-chdir || return 1
    # Up when the daemon answers and has applied the configuration.
    local i
    for ((i = 0; i < 100; i++)); do
        appctl version >/dev/null 2>&1 && vsctl --timeout=5 show >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

ovs_switch_stop() {
    local pid
    pid="$(cat "$OVS_D/ovs-vswitchd.pid" 2>/dev/null)" || return 0
    appctl exit >/dev/null 2>&1 || kill "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
}

ovs_bridge() {
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev || return 1
    vsctl set interface br0 mtu_request="$OVS_MTU" || return 1
    local i
    for ((i = 0; i < 50; i++)); do
        ip -n "$OVS_NS_H" link show br0 >/dev/null 2>&1 && break
        sleep 0.1
    done
    ip -n "$OVS_NS_H" addr replace "$OVS_IP_H/24" dev br0 && ip -n "$OVS_NS_H" link set br0 up
}

ovs_up() {
    local what log
    if ! ovs_db_start; then
        what=ovsdb-server log=ovsdb-server.log
    elif ! ovs_switch_start; then
        what=ovs-vswitchd log=ovs-vswitchd.log
    elif ! ovs_bridge; then
        what="bridge br0" log=ovs-vswitchd.log
    else
        return 0
    fi
    echo "$what did not come up; the end of $OVS_D/$log:" >&2
    tail -n 20 "$OVS_D/$log" >&2
    return 1
}

# Port cardN: the host end of card N's link of OVS_QUEUES_N queue pairs,
# all polled (n_rxq): what the card sends on a queue OVS does not poll is
# lost. cxlmem: window N, created by the port. memif: a net_memif server.
# OVS transmits on one TX queue per PMD thread plus one (its main
# thread's), and a memif server has as many rings towards its client as
# the client has RX queues: with fewer, what OVS's PMD thread sends has no
# ring and is dropped (tx_failure_drops), so a memif card needs at least
# that many queue pairs; and the server refuses a client with more TX
# queues than its own RX queues.
ovs_card_add() {
    local n="$1" q devargs; shift
    q="OVS_QUEUES_$n"; q="${!q:-1}"
    if [[ "$OVS_TRANSPORT" == memif ]]; then
        devargs="net_memif$n,role=server,id=0,socket=$(ovs_memif_sock "$n"),socket-abstract=no"
    else
        devargs="net_cxlmem$n,role=host,path=$(ovs_win "$n"),queues=$q,size=$((q * 8 + 1))M${OVS_CXL_OPTS:+,$OVS_CXL_OPTS}"
    fi
    vsctl add-port br0 "card$n" -- set Interface "card$n" type=dpdk \
        options:dpdk-devargs="$devargs" options:n_rxq="$q" mtu_request="$OVS_MTU" "$@"
}

ovs_card_vdev() {
    if [[ "$OVS_TRANSPORT" == memif ]]; then
        echo "net_memif0,role=client,id=0,socket=$(ovs_memif_sock "$1"),socket-abstract=no"
    else
        echo "net_cxlmem0,role=device,path=$(ovs_win "$1")${OVS_CXL_OPTS:+,$OVS_CXL_OPTS}"
    fi
}

ovs_fwd_start() {
    local n="$1" ns ip q vdev rc=0; shift
    local -a port
    ns="$(ovs_ns_card "$n")"
    ip="$(ovs_ip_card "$n")"
    q="OVS_QUEUES_$n"; q="${!q:-1}"
    vdev="$(ovs_card_vdev "$n")"
    if [[ "$OVS_TRANSPORT" == memif ]]; then port=(--port-devargs "$vdev"); else port=(--cxl "${vdev#*,}"); fi
    ip netns list | grep -qw "$ns" || ovs_netns_add "$ns" || return 1
    cxlmem_start_in_netns "$ns" cxl0 "$ip" "$OVS_D/card$n.log" "cxl-fwd of card $n" \
        "$OVS_FWD" --no-huge --no-pci -m 256 --file-prefix "$OVS_TAG-c$n" \
        -l "${OVS_FWD_LCORE:-$((n % $(nproc)))}" --log-level=lib.eal:warning -- \
        "${port[@]}" --queues "$q" --iface cxl0 --ipv4 "$ip/24" --mtu "$OVS_MTU" --stats 0 "$@" || rc=1
    OVS_FWD_PID[$n]=$CXLMEM_PID
    echo "${OVS_FWD_PID[$n]}" >"$OVS_D/card$n.pid"
    return $rc
}

ovs_fwd_kill() {
    [[ -n "${OVS_FWD_PID[$1]:-}" ]] || return 0
    cxlmem_stop "${OVS_FWD_PID[$1]}" "${2:-TERM}"
    unset "OVS_FWD_PID[$1]"
    rm -f "$OVS_D/card$1.pid"
}

# Wait until card N answers a ping from where (host | card number).
ovs_wait_ping() {
    local from="$1" to="$2" secs="${3:-15}" i
    for ((i = 0; i < secs * 4; i++)); do
        if [[ "$from" == host ]]; then
            ovs_in_host ping -c 1 -W 0.25 "$to" >/dev/null 2>&1 && return 0
        else
            ovs_in_card "$from" ping -c 1 -W 0.25 "$to" >/dev/null 2>&1 && return 0
        fi
    done
    return 1
}

ovs_cleanup() {
    [[ -n "${OVS_TAG:-}" ]] || return 0
    local n ns pid
    for n in "${!OVS_FWD_PID[@]}"; do ovs_fwd_kill "$n" TERM; done
    # Forwarders an earlier invocation started (scripts/ovs-cards.sh down).
    for pid in $(cat "$OVS_D"/card*.pid 2>/dev/null); do kill "$pid" 2>/dev/null; done
    rm -f "$OVS_D"/card*.pid
    ovs_switch_stop
    pid="$(cat "$OVS_D/ovsdb-server.pid" 2>/dev/null)" && kill "$pid" 2>/dev/null
    for ns in $(ip netns list | awk '{print $1}' | grep "^$OVS_TAG-"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns"
    done
    rm -f /dev/shm/"$OVS_TAG"-card*
    rm -rf /var/run/dpdk/"$OVS_TAG" /var/run/dpdk/"$OVS_TAG"-c*
}
