#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make_tcp_pcap.py OUT N PAYLOAD: a pcap of N TCP/IPv4 frames of PAYLOAD
bytes each, one stream (sequence numbers follow on), payload byte i of the
stream = (i * 7 + (i >> 8)) & 0xff, IPv4 and TCP checksums correct. The
input of test/offload_testpmd.sh: frames far above the MTU, which testpmd's
csum engine sends with TSO."""
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
out = open(sys.argv[1], 'wb')
npk, payload = int(sys.argv[2]), int(sys.argv[3])
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
seq = 1000
for i in range(npk):
    data = bytes(((seq + j) * 7 + ((seq + j) >> 8)) & 0xff for j in range(payload))
    ip_src, ip_dst = bytes([192,0,2,1]), bytes([192,0,2,2])
    tcp = struct.pack('!HHIIBBHHH', 40000, 5201, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
    ph = ip_src + ip_dst + struct.pack('!BBH', 0, 6, 20 + payload)
    c = csum(ph + tcp + data)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + 20 + payload, i, 0x4000, 64, 6, 0, ip_src, ip_dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    eth = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00'
    frame = eth + ip + tcp + data
    out.write(struct.pack('<IIII', 0, 0, len(frame), len(frame)))
    out.write(frame)
    seq += payload
