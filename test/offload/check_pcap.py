#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""check_pcap.py whole|segmented PCAP N PAYLOAD: what arrived of the stream
make_tcp_pcap.py wrote.
  whole:     N frames of 54 + PAYLOAD bytes (GSO frames that crossed whole,
             LRO on the receiver); their captured bytes match the stream.
  segmented: frames of at most 1502 bytes (MSS 1448), N * ceil(PAYLOAD /
             1448) of them, each with a correct IPv4 header checksum and a
             correct TCP checksum, together the whole stream.
Exits 0 when so, 1 otherwise (the first line says what arrived)."""
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
mode, path, npk, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
d = open(path, 'rb').read()
off, recs = 24, []
while off + 16 <= len(d):
    _, _, cap, orig = struct.unpack('<IIII', d[off:off+16]); off += 16
    recs.append((orig, d[off:off+cap])); off += cap
def pat(i): return ((i) * 7 + ((i) >> 8)) & 0xff
bad = 0; got = {}
for orig, f in recs:
    ip = f[14:34]; tcp = f[34:54]
    seq = struct.unpack('!I', tcp[4:8])[0]
    data = f[54:]
    for j, b in enumerate(data):
        if b != pat(seq + j): bad += 1; break
    if mode == 'segmented':
        if orig > 1502 or len(f) != orig: bad += 1; continue
        if csum(ip) != 0: bad += 1
        tot = struct.unpack('!H', ip[2:4])[0]
        ph = ip[12:20] + struct.pack('!BBH', 0, 6, tot - 20)
        if csum(ph + f[34:14 + tot]) != 0: bad += 1
    got[seq] = orig - 54
if mode == 'whole':
    ok = len(recs) == npk and all(o == 54 + payload for o, _ in recs)
else:
    total = sum(got.values())
    ok = total == npk * payload and len(recs) == npk * ((payload + 1447) // 1448)
print(f"{mode}: {len(recs)} frames, {bad} bad, sizes {sorted(set(o for o,_ in recs))[:5]}")
sys.exit(0 if ok and bad == 0 else 1)
