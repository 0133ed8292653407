#!/bin/bash
# Idle OVS bridge with 2 cards at the default link_timeout (80 ms), under a
# compiler load; count "peer silent" lines in the switch's and the cards' logs.
# Usage: run.sh SECS ROUNDS   (alternates the build before the poll-count change and after)
set -u
SECS=${1:-120}; ROUNDS=${2:-1}
OUT=/work/bench-out/ovs-live; cd /work/main
load() {  # compiler jobs on both CPUs, as in the runs where the links flapped
    rm -rf /tmp/loadbuild; meson setup /tmp/loadbuild >/dev/null 2>&1
    while :; do ninja -C /tmp/loadbuild -j4 >/dev/null 2>&1; ninja -C /tmp/loadbuild clean >/dev/null 2>&1; done
}
for ((r = 1; r <= ROUNDS; r++)); do
  for v in old new; do
    if [ $v = old ]; then B=/work/bench-out/oldbuild; else B=/work/main/build; fi
    D=/tmp/ovslive-$v-$r; rm -rf $D
    OVS_CXL_OPTS= CXLMEM_BUILDDIR=$B ./scripts/ovs-cards.sh up 2 --dir $D --plugin $B/drivers/net/cxlmem/librte_net_cxlmem.so > $OUT/$v-$r-up.log 2>&1 || { echo "up failed $v"; cat $OUT/$v-$r-up.log; exit 1; }
    sleep 3
    load & LP=$!
    sleep 5; t0=$(date -u +%T)
    ip netns exec cxovs-h ping -q -i 0.2 -w $SECS 198.51.100.10 > $OUT/$v-$r-ping.txt 2>&1 &
    PP=$!
    sleep $SECS
    la=$(cut -d' ' -f1-3 /proc/loadavg)
    kill -- -$LP 2>/dev/null; pkill -P $LP; kill $LP; pkill ninja; wait $PP
    sleep 1
    sw=$(grep -c 'peer silent' $D/ovs-vswitchd.log); cards=$(cat $D/*card*.log 2>/dev/null | grep -c 'peer silent')
    echo "$(date -u +%T) round $r $v: from $t0 ${SECS}s, load $la: switch 'peer silent' $sw, cards $cards; ping: $(tail -2 $OUT/$v-$r-ping.txt | tr '\n' ' ')" | tee -a $OUT/summary.txt
    cp $D/ovs-vswitchd.log $OUT/$v-$r-ovs-vswitchd.log; ls $D > $OUT/$v-$r-files.txt
    ./scripts/ovs-cards.sh down --dir $D >/dev/null 2>&1
  done
done
