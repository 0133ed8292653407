#!/usr/bin/env python3
"""make_corpus.py DIR - write the seed inputs of fuzz_window into DIR.

One seed per shape the harness understands (see fuzz_window.c): a valid and
a few broken superblocks, rings with single frames, chains and bad chains,
TX bursts, and window images that bring a probed device port's link up.
The fuzzer grows its own corpus from these; test/fuzz/corpus/ holds the
seeds plus what earlier long runs found worth keeping.
"""
import hashlib
import os
import struct
import sys

MAGIC = 0x0057454D4D4C5843
LINE = 64


def buf_offset(rs):
    d = 2 * LINE + rs * 8
    return (d + LINE - 1) & ~(LINE - 1)


def stride(rs, bs):
    s = buf_offset(rs) + rs * bs
    return (s + 4095) & ~4095


def sb(nq=1, rs=64, bs=256, version=1, win=None, qoff=4096, st=None):
    win = win if win is not None else 4096 + 2 * nq * stride(rs, bs)
    st = st if st is not None else stride(rs, bs)
    return struct.pack("<QIIQQIIIIQQ", MAGIC, version, LINE, 0, win, nq, rs, bs, 8, qoff, st)


def ctrl(state=0, epoch=0, ack=0, hb=0):
    return struct.pack("<IIIIQ6sHII", state, epoch, ack, 1500, hb, b"\x02\0\0\0\0\x01",
                       1, 1234, 10000).ljust(LINE, b"\0")


def desc(length, more=False):
    return struct.pack("<IHH", length, 1 if more else 0, 0)


seeds = {}
# target 0: superblocks
seeds["sb-valid"] = bytes([0]) + sb() + struct.pack("<Q", 45056)
seeds["sb-4q"] = bytes([0]) + sb(nq=4, rs=1024, bs=2048) + struct.pack("<Q", 1 << 30)
seeds["sb-version"] = bytes([0]) + sb(version=2) + struct.pack("<Q", 45056)
seeds["sb-short-window"] = bytes([0]) + sb() + struct.pack("<Q", 45055)
seeds["sb-stride"] = bytes([0]) + sb(st=4096) + struct.pack("<Q", 45056)
# target 1: RX. cfg bits: 0 flush, 1-2 ring size, 3-4 buf size, 5-6 pool.
for name, cfg, descs in [
        ("rx-single", 0x20, [desc(60), desc(256), desc(100)]),
        ("rx-single-flush", 0x21, [desc(60), desc(1514 % 256 + 1)]),
        ("rx-chain", 0x20, [desc(256, True), desc(256, True), desc(10)]),
        ("rx-chain-small-mbufs", 0x10, [desc(2048, True), desc(2048, True), desc(2048)]),
        ("rx-jumbo", 0x18 | 0x40, [desc(9000)]),
        ("rx-bad-len", 0x20, [desc(0), desc(100000), desc(60)]),
        ("rx-open-chain", 0x20, [desc(100, True)] * 3)]:
    body = b"".join(descs)
    seeds[name] = bytes([1, cfg]) + struct.pack("<IBIB", 0xFFFFFFF0, 0, len(descs), 32) + body
seeds["rx-index-far"] = bytes([1, 0x20]) + struct.pack("<IBIB", 5, 0x80, 0x80000000, 8)
# target 2: TX. per round: cons selector, cons, count, then mbufs (kind, len).
def mb(kind, length):
    return struct.pack("<BI", kind, length)
seeds["tx-mixed"] = bytes([2, 0x00]) + struct.pack("<I", 100) + \
    struct.pack("<BIB", 0, 64, 4) + mb(0, 60) + mb(0x30, 9000) + mb(0, 0) + mb(1, 500)
seeds["tx-hostile-cons"] = bytes([2, 0x01]) + struct.pack("<I", 7) + \
    struct.pack("<BIB", 0x80, 7 + 1000, 2) + mb(0, 60) + mb(0, 60)
# target 3: attach. cfg bit 0 flush, 1+3 keep device state, 2 truncate, 7 pool.
image = sb().ljust(LINE, b"\0") + ctrl(2, 5, 1, 7) + ctrl()
ring = bytes(2 * LINE)
patch = bytes([3]) + desc(100) + desc(60) + desc(256) + bytes([0, 2])
patch += bytes([2]) + desc(300 % 256 or 1, True) + desc(44) + bytes([0, 1])
seeds["attach-linkup"] = bytes([3, 0]) + image + ring + patch
seeds["attach-linkup-flush"] = bytes([3, 1]) + image + ring + patch
seeds["attach-truncated"] = bytes([3, 4]) + image + ring + bytes([200])
seeds["attach-version"] = bytes([3, 0]) + sb(version=9).ljust(LINE, b"\0") + ctrl(2, 5, 1, 7) + ctrl() + ring
seeds["attach-blank"] = bytes([3, 0]) + bytes(3 * LINE) + ring

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(out, f"seed-{name}-{h}"), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")
