# shellcheck shell=bash
# scripts/cxl-fwd-lib.sh: two network namespaces joined by two cxl-fwd
# instances over one window file. Shared by scripts/demo.sh and the e2e test.
# Bash only; sourcing defines functions and runs nothing.
#
#   fwd_init BIN TAG       names: namespaces cxl-h-TAG / cxl-d-TAG, window
#                          /dev/shm/cxl-fwd-TAG, work dir FWD_DIR; addresses
#                          192.0.2.1 (host side) / 192.0.2.2 (device side), and
#                          2001:db8::1 / 2001:db8::2 (documentation ranges,
#                          used only inside these namespaces).
#   fwd_setup              create the namespaces (loopback up).
#   fwd_start SIDE [ARGS]  start cxl-fwd for SIDE (host|device) inside its
#                          namespace; extra ARGS go after its own options.
#                          Log: $FWD_DIR/SIDE.log (appended across restarts).
#   fwd_kill SIDE [SIG]    send SIG (default TERM) and wait for it to exit.
#   fwd_wait_ping SECS     wait until the device side answers a ping.
#   fwd_in SIDE CMD...     run CMD inside SIDE's namespace.
#   fwd_redis_start        start redis-server in the device namespace on
#                          port 6379 (all its addresses, no persistence, its
#                          log in $FWD_DIR) and wait up to 5 s until it
#                          answers PING; non-zero if it never did.
#   fwd_sshd_start         start an sshd in the device namespace on
#                          port 2222 (all its addresses) with its own config, host key and
#                          a generated client key under $FWD_DIR/ssh (never
#                          the system's); fwd_ssh CMD... runs CMD there as
#                          root from the host namespace (batch mode).
#   fwd_cleanup            stop everything running in our namespaces, delete
#                          them, the window and the work dir (idempotent).
#
# Settings: FWD_MTU (1500), FWD_TRANSPORT (cxl; memif and virtio are for
# developing the forwarder without the cxlmem PMD: virtio is net_vhost
# (host side, socket client) to virtio_user (device side, socket server), a
# transport that carries TSO/LRO and checksum offloads), FWD_EXTRA_ARGS (array, added to
# both sides), FWD_CXL_OPTS (extra cxlmem devargs, e.g. coherence=flush;
# default none), FWD_CORE_H / FWD_CORE_D (the CPU, as EAL -l, of the host and
# the device side's forwarder; default 0 and 1, or 0 and 0 on one CPU).

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fwd_init() {
    FWD_BIN="$1"
    FWD_TAG="$2"
    FWD_NS_H="cxl-h-$FWD_TAG"
    FWD_NS_D="cxl-d-$FWD_TAG"
    FWD_WIN="/dev/shm/cxl-fwd-$FWD_TAG"
    FWD_DIR="$(mktemp -d "/tmp/cxl-fwd-$FWD_TAG.XXXXXX")"
    FWD_IP_H=192.0.2.1
    FWD_IP_D=192.0.2.2
    FWD_IP6_H=2001:db8::1
    FWD_IP6_D=2001:db8::2
    FWD_MTU="${FWD_MTU:-1500}"
    FWD_TRANSPORT="${FWD_TRANSPORT:-cxl}"
    FWD_CXL_OPTS="${FWD_CXL_OPTS-}"
    declare -gA FWD_PID=()
    # One lcore each; by default, on a machine with two cores or more they
    # do not share.
    FWD_CORE_H="${FWD_CORE_H:-0}"
    FWD_CORE_D="${FWD_CORE_D:-$(( $(nproc) > 1 ? 1 : 0 ))}"
}

fwd_ns() {
    case "$1" in
        host) echo "$FWD_NS_H" ;;
        device) echo "$FWD_NS_D" ;;
        *) echo "fwd_ns: side must be host or device, not '$1'" >&2; return 1 ;;
    esac
}

fwd_in() {
    local ns
    ns="$(fwd_ns "$1")" || return 1
    shift
    ip netns exec "$ns" "$@"
}

fwd_setup() {
    local ns
    for ns in "$FWD_NS_H" "$FWD_NS_D"; do
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up || return 1
    done
}

fwd_start() {
    local side="$1"; shift
    local ns core ip ip6 prefix
    local -a port
    ns="$(fwd_ns "$side")" || return 1
    if [[ "$side" == host ]]; then
        core=$FWD_CORE_H ip=$FWD_IP_H ip6=$FWD_IP6_H
    else
        core=$FWD_CORE_D ip=$FWD_IP_D ip6=$FWD_IP6_D
    fi
    prefix="cxl-fwd-$side-$FWD_TAG"
    case "$FWD_TRANSPORT" in
        cxl)
            if [[ "$side" == host ]]; then
                port=(--cxl "role=host,path=$FWD_WIN,size=16M${FWD_CXL_OPTS:+,$FWD_CXL_OPTS}")
            else
                port=(--cxl "role=device,path=$FWD_WIN${FWD_CXL_OPTS:+,$FWD_CXL_OPTS}")
            fi ;;
        memif)
            port=(--port-devargs "net_memif0,role=$([[ $side == host ]] && echo server || echo client),socket=$FWD_DIR/memif.sock,socket-abstract=no") ;;
        virtio)
            # net_vhost as client (it reconnects), virtio_user as server
            # (it takes a new client): either side may restart.
            if [[ "$side" == host ]]; then
                port=(--port-devargs "net_vhost0,iface=$FWD_DIR/vhost.sock,client=1,queues=1,tso=1")
            else
                port=(--port-devargs "virtio_user0,path=$FWD_DIR/vhost.sock,server=1,queues=1,queue_size=1024")
            fi
            # net_vhost has no scatter: a jumbo frame needs one mbuf.
            ((FWD_MTU > 1500)) && port+=(--mbuf-size $((FWD_MTU + 1024))) ;;
        *) echo "FWD_TRANSPORT must be cxl, memif or virtio" >&2; return 1 ;;
    esac
    local rc=0
    cxlmem_start_in_netns "$ns" cxl0 "$ip" "$FWD_DIR/$side.log" "cxl-fwd ($side)" \
        "$FWD_BIN" --no-huge --no-pci -m 128 --file-prefix "$prefix" \
        -l "$core" --log-level=lib.eal:warning -- \
        "${port[@]}" --iface cxl0 --ipv4 "$ip/24" --ipv6 "$ip6/64" --mtu "$FWD_MTU" \
        --stats 5 ${FWD_EXTRA_ARGS[@]+"${FWD_EXTRA_ARGS[@]}"} "$@" || rc=1
    FWD_PID[$side]=$CXLMEM_PID
    return $rc
}

fwd_kill() {
    cxlmem_stop "${FWD_PID[$1]:-}" "${2:-TERM}"
    unset "FWD_PID[$1]"
}

fwd_wait_ping() {
    local secs="$1" i
    for ((i = 0; i < secs * 5; i++)); do
        fwd_in host ping -c 1 -W 0.2 "$FWD_IP_D" >/dev/null 2>&1 && return 0
    done
    return 1
}

fwd_sshd_start() {
    local d="$FWD_DIR/ssh" i
    mkdir -p "$d" && chmod 700 "$d" || return 1
    [[ -f "$d/host_key" ]] || ssh-keygen -q -t ed25519 -N '' -C cxl-fwd-host -f "$d/host_key" || return 1
    [[ -f "$d/id" ]] || ssh-keygen -q -t ed25519 -N '' -C cxl-fwd-client -f "$d/id" || return 1
    cp "$d/id.pub" "$d/authorized_keys"
    printf '%s\n' "Port 2222" "ListenAddress 0.0.0.0" "HostKey $d/host_key" \
        "PidFile $d/sshd.pid" "AuthorizedKeysFile $d/authorized_keys" \
        "PubkeyAuthentication yes" "PasswordAuthentication no" \
        "KbdInteractiveAuthentication no" "PermitRootLogin prohibit-password" \
        "UsePAM no" "StrictModes no" >"$d/sshd_config"
    # sshd insists on its privilege separation directory.
    mkdir -p /run/sshd
    fwd_in device /usr/sbin/sshd -D -e -f "$d/sshd_config" >>"$d/sshd.log" 2>&1 &
    for ((i = 0; i < 50; i++)); do
        fwd_in device ss -Hltn "sport = :2222" | grep -q . && return 0
        sleep 0.1
    done
    echo "sshd did not start; its log:" >&2
    cat "$d/sshd.log" >&2
    return 1
}

fwd_ssh() {
    local d="$FWD_DIR/ssh"
    fwd_in host ssh -p 2222 -i "$d/id" -o BatchMode=yes -o ConnectTimeout=10 \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile="$d/known_hosts" \
        -o LogLevel=ERROR "root@$FWD_IP_D" "$@"
}

fwd_cleanup() {
    local side ns pid
    [[ -n "${FWD_TAG:-}" ]] || return 0
    for side in device host; do
        [[ -n "${FWD_PID[$side]:-}" ]] && fwd_kill "$side" TERM
    done
    # Anything else still running inside our own namespaces (redis, iperf3,
    # nc) was started by us.
    for ns in "$FWD_NS_H" "$FWD_NS_D"; do
        if ip netns list | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -TERM "$pid" 2>/dev/null
            done
            sleep 0.2
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null
            done
            ip netns del "$ns"
        fi
    done
    rm -f "$FWD_WIN"
    rm -rf "/var/run/dpdk/cxl-fwd-host-$FWD_TAG" "/var/run/dpdk/cxl-fwd-device-$FWD_TAG"
    if [[ -n "${FWD_DIR:-}" && -d "$FWD_DIR" ]]; then
        if [[ "${FWD_KEEP_LOGS:-0}" == 1 ]]; then
            echo "logs kept in $FWD_DIR" >&2
        else
            rm -rf "$FWD_DIR"
        fi
    fi
    FWD_TAG=
}

fwd_redis_start() {
    local i
    fwd_in device redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' \
        --appendonly no --dir "$FWD_DIR" --logfile "$FWD_DIR/redis.log" &
    for ((i = 0; i < 50; i++)); do
        [[ "$(fwd_in device redis-cli PING 2>/dev/null)" == PONG ]] && return 0
        sleep 0.1
    done
    return 1
}
