#!/usr/bin/env bash
# calibrate-tun.sh (../shared/bench) with the number of iperf3 streams as P (default 1): the ceiling of
# the kernel-path design with P streams. Differs from the shared script only in "-P ${P:-1}" and in
# reading the SUM line. Usage: P=4 OFFL=1 docs/results/p4-ceiling/calibrate-tun-streams.sh
set -u
d=$(mktemp -d); gcc -O2 -pthread -o "$d/tunfwd" "${TUNFWD_C:-$(dirname "$0")/../../../../shared/bench/tunfwd.c}" || exit 1
ip netns add tfa; ip netns add tfb
"$d/tunfwd" "${OFFL:-1}" >/dev/null 2>&1 & p=$!; sleep 1
ip -n tfa addr add 192.0.2.101/24 dev ta0; ip -n tfa link set ta0 up; ip -n tfa link set lo up
ip -n tfb addr add 192.0.2.102/24 dev tb0; ip -n tfb link set tb0 up; ip -n tfb link set lo up; sleep 1
ip netns exec tfb iperf3 -s -1 -B 192.0.2.102 >/dev/null 2>&1 & sleep 0.5
t=$(ip netns exec tfa iperf3 -c 192.0.2.102 -t 5 -P ${P:-1} -f g | awk '/receiver/{v=$(NF-2)} END{print v}')
kill $p; wait $p 2>/dev/null
ip link add cva netns tfa type veth peer name cvb netns tfb
ip -n tfa addr add 198.51.100.101/24 dev cva; ip -n tfa link set cva up
ip -n tfb addr add 198.51.100.102/24 dev cvb; ip -n tfb link set cvb up; sleep 1
ip netns exec tfb iperf3 -s -1 -B 198.51.100.102 >/dev/null 2>&1 & sleep 0.5
v=$(ip netns exec tfa iperf3 -c 198.51.100.102 -t 5 -P ${P:-1} -f g | awk '/receiver/{v=$(NF-2)} END{print v}')
ip netns del tfa; ip netns del tfb; rm -rf "$d"
echo "tun forwarder (offloads ${OFFL:-1}): $t Gb/s; veth: $v Gb/s; ratio $(awk -v a="$t" -v b="$v" 'BEGIN{printf "%.2f", a/b}')"
