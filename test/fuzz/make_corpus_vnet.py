#!/usr/bin/env python3
"""make_corpus_vnet.py DIR - write the seed inputs of fuzz_vnet into DIR.

The input layout is fuzz_vnet.c's: mode, transport TX offloads, kernel
offloads, RX flags, tso_segsz, a virtio_net_hdr, segment cuts, the frame.
One seed per frame shape (IPv4/IPv6, TCP/UDP, VLAN, IPv4 options, IPv6
extension headers) and direction, with the offload fields a kernel or a
peer would give it: the parsing lives in DPDK's rte_net_get_ptype(), which
is not instrumented, so the fuzzer needs well-formed frames to start from.
The regress-* inputs reproduce the bugs the unit test test_vnet_hdr.c was
written for; they are kept in test/fuzz/corpus-vnet/ beside these seeds.
"""
import hashlib
import os
import struct
import sys

TCP, UDP = 6, 17
# fuzz_vnet.c bit orders
TX_ALL = 0x1F           # TCP_CKSUM UDP_CKSUM TCP_TSO UDP_TSO IPV4_CKSUM
TUN_ALL = 0x1F          # CSUM TSO4 TSO6 USO4 USO6
TUN_61 = 0x07           # what Linux 6.1 takes: CSUM TSO4 TSO6
L4_UNKNOWN, L4_BAD, L4_GOOD, L4_NONE = 0, 1, 2, 3
LRO = 4
NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4 = 0, 1, 3, 4, 5


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def frame(ipv=4, proto=TCP, doff=5, payload=100, vlan=False, ihl=5, ext=0, ethertype=None):
    """Returns (bytes, l2, l3, l4_len as the header says)."""
    eth = bytes.fromhex("020000000002020000000001")
    if vlan:
        eth += b"\x81\x00\x00\x07"
    et = ethertype if ethertype is not None else (0x0800 if ipv == 4 else 0x86DD)
    eth += struct.pack("!H", et)
    l4phys = max(20, doff * 4) if proto == TCP else 8
    body = bytes((i * 7 + 3) & 0xFF for i in range(payload))
    if proto == TCP:
        l4 = struct.pack("!HHIIBBHHH", 40000, 5201, 1000, 0, doff << 4, 0x18, 512, 0, 0)
        l4 += b"\0" * (l4phys - 20)
    else:
        l4 = struct.pack("!HHHH", 40000, 5201, 8 + payload, 0)
    if ipv == 4:
        opts = b"\x01" * ((ihl - 5) * 4)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + l4phys + payload, 0x1234, 0,
                          64, proto, 0, bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2])) + opts
        c = (~csum(hdr)) & 0xFFFF
        ip = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    else:
        nxt = 60 if ext else proto
        ip = struct.pack("!IHBB16s16s", 6 << 28, ext + l4phys + payload, nxt, 64,
                         bytes.fromhex("20010db8000000000000000000000001"),
                         bytes.fromhex("20010db8000000000000000000000002"))
        if ext:
            ip += bytes([proto, ext // 8 - 1, 1, (ext - 4) & 0xFF]) + b"\0" * (ext - 4)
    return eth + ip + l4 + body, len(eth), len(ip), (doff * 4 if proto == TCP else 8)


def seed(mode, tx, tun, rxf, segsz, vh, cuts, data):
    head = bytes([mode, tx, tun, rxf]) + struct.pack("<H", segsz)
    head += struct.pack("<BBHHHH", *vh)
    head += bytes([len(cuts)]) + b"".join(struct.pack("<H", c) for c in cuts)
    return head + data


def vnet(flags=0, gso=0, hdr_len=0, gso_size=0, start=0, off=0):
    return (flags, gso, hdr_len, gso_size, start, off)


seeds = {}
shapes = {
    "tcp4": dict(ipv=4, proto=TCP),
    "tcp4-opts": dict(ipv=4, proto=TCP, doff=8, ihl=6),
    "udp4": dict(ipv=4, proto=UDP),
    "tcp6": dict(ipv=6, proto=TCP, doff=8),
    "udp6": dict(ipv=6, proto=UDP),
    "tcp4-vlan": dict(ipv=4, proto=TCP, vlan=True),
    "tcp6-ext": dict(ipv=6, proto=TCP, ext=24),
    "udp6-ext200": dict(ipv=6, proto=UDP, ext=200),
}
for name, kw in shapes.items():
    for big in (False, True):
        data, l2, l3, l4 = frame(payload=1400 if big else 100, **kw)
        tcp = kw["proto"] == TCP
        off = 16 if tcp else 6
        sfx = "-big" if big else ""
        hdrs = l2 + l3 + l4
        cut = [hdrs] if big else []
        # window -> kernel
        for fl, fname in ((L4_GOOD, "good"), (L4_NONE, "none"), (L4_NONE | LRO, "lro")):
            seeds[f"to-{name}{sfx}-{fname}"] = seed(0, TX_ALL, TUN_ALL, fl, 1448 if big else 0,
                                                    vnet(), cut, data)
        seeds[f"to-{name}{sfx}-lro-61"] = seed(0, TX_ALL, TUN_61, L4_NONE | LRO, 1448,
                                               vnet(), cut, data)
        # kernel -> window
        vcs = vnet(NEEDS_CSUM, GSO_NONE, hdrs, 0, l2 + l3, off)
        seeds[f"from-{name}{sfx}-csum"] = seed(1, TX_ALL, TUN_ALL, 0, 0, vcs, cut, data)
        seeds[f"from-{name}{sfx}-csum-sw"] = seed(1, 0, TUN_ALL, 0, 0, vcs, cut, data)
        seeds[f"from-{name}{sfx}-valid"] = seed(1, TX_ALL, TUN_ALL, 0, 0, vnet(2), cut, data)
        gso = (GSO_TCPV4 if kw["ipv"] == 4 else GSO_TCPV6) if tcp else GSO_UDP_L4
        vg = vnet(NEEDS_CSUM, gso, hdrs, 1448, l2 + l3, off)
        seeds[f"from-{name}{sfx}-gso"] = seed(1, TX_ALL, TUN_ALL, 0, 0, vg, cut, data)
        # round trip
        seeds[f"rt-{name}{sfx}-csum"] = seed(2, TX_ALL, TUN_ALL, L4_GOOD, 0, vcs, cut, data)
        seeds[f"rt-{name}{sfx}-gso"] = seed(2, TX_ALL, TUN_ALL, 0, 0, vg, cut, data)
        seeds[f"rt-{name}{sfx}-gso-61"] = seed(2, TX_ALL, TUN_61, 0, 0, vg, cut, data)
        seeds[f"rt-{name}{sfx}-sw"] = seed(2, 0, TUN_ALL, L4_GOOD, 0, vcs, cut, data)

# Regressions: the frames of the bugs fixed with test_vnet_hdr.c.
data, l2, l3, _ = frame(ipv=6, proto=TCP, doff=0, ext=200)
seeds["regress-to-vnet-short-tcp-past-copy"] = seed(0, TX_ALL, TUN_ALL, L4_GOOD, 0, vnet(), [], data)
data, l2, l3, _ = frame(ipv=4, proto=TCP, doff=0, payload=3000)
seeds["regress-from-vnet-gso-short-tcp"] = seed(
    1, TX_ALL, TUN_ALL, 0, 0, vnet(NEEDS_CSUM, GSO_TCPV4, l2 + l3, 1448, l2 + l3, 16), [l2 + l3], data)
data, _, _, _ = frame(ethertype=0x88B5)
seeds["regress-csum-odd-offset"] = seed(1, TX_ALL, TUN_ALL, 0, 0, vnet(NEEDS_CSUM, 0, 0, 0, 15, 0), [], data)
data, _, _, _ = frame(ipv=4, proto=UDP, payload=3000)
seeds["regress-lro-udp-without-uso"] = seed(0, TX_ALL, TUN_61, L4_NONE | LRO, 1400, vnet(), [], data)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, blob in seeds.items():
    if name.startswith("regress-"):
        path = os.path.join(out, name)
    else:
        path = os.path.join(out, f"seed-{name}-{hashlib.sha1(blob).hexdigest()[:12]}")
    with open(path, "wb") as f:
        f.write(blob)
print(f"{len(seeds)} seeds in {out}")
