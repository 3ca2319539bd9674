#!/usr/bin/env python3
"""Damaged evidence: smash record headers, cut a file mid-record, break a
pcapng block length -- in copies of real corpus captures -- and show that
pcapscope recovers >= 99% of the undamaged packets and reports every damaged
region at its offset, where capinfos stops at the first damage."""
import json
import os
import re
import shutil
import struct
import sys
import tempfile

from common import fail, manifest, run, summary_line

binary, shared = sys.argv[1], sys.argv[2]
rows = manifest(shared)
results = []


def check(name, ok, detail):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")


def pcap_records(data):
    """(offset, caplen) of every record of a clean little/big-endian classic pcap."""
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    recs, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from(e + "I", data, off + 8)[0]
        recs.append((off, caplen))
        off += 16 + caplen
    return recs


def pcapng_epbs(data):
    """(offset, length) of every Enhanced Packet Block of a little-endian pcapng."""
    out, off = [], 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12:
            break
        if btype == 6:
            out.append((off, blen))
        off += blen
    return out


def info(path):
    p = run([binary, "info", "--format", "json", "--no-hash", path], timeout=60)
    if p.returncode != 0:
        fail(f"pcapscope info {path}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    return json.loads(p.stdout.decode().splitlines()[0])


def capinfos_count(path):
    """Packets capinfos reads before it gives up (it reports them on stderr when it stops)."""
    p = run(["capinfos", "-c", "-M", path], timeout=60)
    text = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    m = re.search(r"after reading (\d+) packets", text) or re.search(r"Number of packets:\s+(\d+)", text)
    return int(m.group(1)) if m else 0, p.returncode


def pick(fmt, n=3):
    cands = [r for r in rows if r["format"] == fmt and r["linktype"] == "ether" and r["capinfos_status"] == 0
             and not r["file"].endswith(".gz") and 300 <= (r["packets"] or 0) <= 20000]
    cands.sort(key=lambda r: (-r["packets"], r["file"]))
    if len(cands) < n:
        fail(f"not enough {fmt} captures in the corpus to damage")
    return cands[:n]


with tempfile.TemporaryDirectory() as tmp:
    # 1. Smashed record headers at several places (caplen/origlen = 0xffffffff).
    for row in pick("pcap"):
        data = bytearray(open(row["path"], "rb").read())
        recs = pcap_records(bytes(data))
        total = len(recs)
        victims = sorted({int(total * f) for f in (0.1, 0.4, 0.7)} | {1})
        for v in victims:
            off = recs[v][0]
            data[off + 8:off + 16] = b"\xff" * 8
        path = os.path.join(tmp, "smashed-" + os.path.basename(row["file"]))
        open(path, "wb").write(data)
        j = info(path)
        undamaged = total - len(victims)
        offsets = [d["offset"] for d in j["damaged_regions"]]
        want = [recs[v][0] for v in victims]
        cap, _ = capinfos_count(path)
        check(f"smashed headers {row['file']}",
              j["packets"] >= 0.99 * undamaged and j["packets"] <= total and offsets == want and cap < j["packets"],
              f"{j['packets']}/{undamaged} undamaged packets recovered, regions at {offsets} (smashed {want}); "
              f"capinfos stops at {cap}")

    # 2. A file cut mid-record.
    row = pick("pcap")[0]
    data = open(row["path"], "rb").read()
    recs = pcap_records(data)
    k = len(recs) - 5
    cut = recs[k][0] + 16 + recs[k][1] // 2
    path = os.path.join(tmp, "cut-" + os.path.basename(row["file"]))
    open(path, "wb").write(data[:cut])
    j = info(path)
    regions = j["damaged_regions"]
    check(f"cut mid-record {row['file']}",
          j["packets"] == k and len(regions) == 1 and regions[0]["offset"] == recs[k][0]
          and regions[0]["offset"] + regions[0]["length"] == cut,
          f"{j['packets']}/{k} complete packets, regions {regions}")

    # 3. pcapng blocks with an impossible length (one in the middle, one near the end).
    # The corpus's pcapng files are small, so a large real pcap is converted
    # with editcap (Wireshark's writer, not ours) first.
    row = pick("pcap")[2]
    ng = os.path.join(tmp, "converted.pcapng")
    p = run(["editcap", "-F", "pcapng", row["path"], ng])
    if p.returncode != 0:
        fail(f"editcap: {p.stderr.decode(errors='replace')}")
    row = dict(row, path=ng)
    data = bytearray(open(row["path"], "rb").read())
    if data[:4] != b"\x0a\x0d\x0d\x0a" or struct.unpack_from("<I", data, 8)[0] != 0x1A2B3C4D:
        fail(f"{row['file']}: expected a little-endian pcapng")
    epbs = pcapng_epbs(bytes(data))
    victims = [len(epbs) // 2, len(epbs) - 3]
    for v in victims:
        struct.pack_into("<I", data, epbs[v][0] + 4, 0x7ffffff1)
    path = os.path.join(tmp, "badblock-" + os.path.basename(row["file"]))
    open(path, "wb").write(data)
    j = info(path)
    undamaged = len(epbs) - len(victims)
    offsets = [d["offset"] for d in j["damaged_regions"]]
    cap, _ = capinfos_count(path)
    check(f"pcapng bad block length {row['file']}",
          j["packets"] >= 0.99 * undamaged and offsets == [epbs[v][0] for v in victims] and cap < j["packets"],
          f"{j['packets']}/{undamaged} undamaged packets recovered, regions at {offsets}; capinfos stops at {cap}")

    # 4. Everything at once in one file, read through gzip to exercise the streaming path.
    row = pick("pcap")[1]
    data = bytearray(open(row["path"], "rb").read())
    recs = pcap_records(bytes(data))
    victims = [len(recs) // 5, len(recs) // 2]
    for v in victims:
        off = recs[v][0]
        data[off:off + 16] = os.urandom(8) + b"\xff\xff\x0f\x00" + os.urandom(4)
    k = len(recs) - 2
    data = data[:recs[k][0] + 10]
    path = os.path.join(tmp, "mixed.pcap")
    open(path, "wb").write(data)
    gz = path + ".gz"
    run(["gzip", "-k", path])
    for p in (path, gz):
        j = info(p)
        check(f"smashed + cut {'(gzip) ' if p.endswith('.gz') else ''}{row['file']}",
              j["packets"] >= 0.99 * (k - len(victims)) and len(j["damaged_regions"]) == 3,
              f"{j['packets']}/{k - len(victims)} recovered, {len(j['damaged_regions'])} regions")

summary_line(sum(results), len(results) - sum(results), "damage recovery: ")
sys.exit(0 if all(results) else 1)
