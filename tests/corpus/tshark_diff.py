#!/usr/bin/env python3
"""Differential test against tshark: the same fields, occurrence=f, over the
corpus's Ethernet files; at least 99.9% of packets must agree on every field.

All clean Ethernet files (MANIFEST status 0) are concatenated with
`mergecap -a` so tshark starts once instead of 1,800 times; both tools then
read the same file. A per-file map turns mismatching frame numbers back into
the original file names for the report."""
import collections
import json
import os
import subprocess
import sys
import tempfile

from common import fail, manifest, run, summary_line

FIELDS = ["frame.number", "frame.len", "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
THRESHOLD = 0.999

binary, shared = sys.argv[1], sys.argv[2]
rows = [r for r in manifest(shared) if r["linktype"] == "ether" and r["capinfos_status"] == 0]
for tool in ("tshark", "mergecap"):
    if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
        fail(f"{tool} not installed (make deps installs it)")

with tempfile.TemporaryDirectory() as tmp:
    merged = os.path.join(tmp, "ether.pcapng")
    # mergecap takes many arguments; chunks keep us under ARG_MAX.
    parts = []
    for i in range(0, len(rows), 400):
        part = os.path.join(tmp, f"part{i}.pcapng")
        p = run(["mergecap", "-a", "-F", "pcapng", "-w", part] + [r["path"] for r in rows[i:i + 400]], timeout=600)
        if p.returncode != 0:
            fail(f"mergecap: {p.stderr.decode(errors='replace')[:500]}")
        parts.append(part)
    p = run(["mergecap", "-a", "-F", "pcapng", "-w", merged] + parts, timeout=600)
    if p.returncode != 0:
        fail(f"mergecap: {p.stderr.decode(errors='replace')[:500]}")

    # IP defragmentation off: pcapscope's decoder is stateless (reassembly is
    # the session stage's job), so both tools must look at one packet at a
    # time. With it on, tshark shows the reassembled datagram's ports on the
    # last fragment instead of the first. Everything else is tshark's default.
    targs = ["tshark", "-n", "-r", merged, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
             "-T", "fields", "-E", "occurrence=f", "-E", "separator=,"]
    for f in FIELDS:
        targs += ["-e", f]
    t = run(targs, timeout=1800)
    if t.returncode != 0:
        fail(f"tshark exit {t.returncode}: {t.stderr.decode(errors='replace')[:500]}")
    o = run([binary, "packets", merged, "--format", "csv", "--fields", ",".join(FIELDS)], timeout=1800)
    if o.returncode != 0:
        fail(f"pcapscope exit {o.returncode}: {o.stderr.decode(errors='replace')[:500]}")

theirs = t.stdout.decode(errors="replace").splitlines()
ours = o.stdout.decode(errors="replace").splitlines()[1:]  # header row
if len(theirs) != len(ours):
    fail(f"packet counts differ: tshark {len(theirs)}, pcapscope {len(ours)}")

# frame number -> original file, from capinfos' counts in the manifest.
bounds, total = [], 0
for r in rows:
    total += r["packets"]
    bounds.append((total, r["file"]))


def file_of(frame):
    for end, name in bounds:
        if frame <= end:
            return name
    return "?"


classes = collections.Counter()
per_file = collections.Counter()
examples = collections.defaultdict(list)
bad = 0
for line_t, line_o in zip(theirs, ours):
    a, b = line_t.split(","), line_o.split(",")
    if a == b:
        continue
    bad += 1
    diff = tuple(FIELDS[i] for i in range(len(FIELDS)) if i >= len(a) or i >= len(b) or a[i] != b[i])
    classes[diff] += 1
    fname = file_of(int(a[0]) if a[0].isdigit() else 0)
    per_file[fname] += 1
    if len(examples[diff]) < 3:
        examples[diff].append(f"{fname} frame {a[0]}: tshark [{line_t}] pcapscope [{line_o}]")

n = len(theirs)
agree = (n - bad) / n if n else 0.0
print(f"tshark agreement: {n - bad}/{n} packets = {agree * 100:.3f}% (threshold {THRESHOLD * 100:.1f}%)")
for diff, count in classes.most_common():
    print(f"  {count:6d} differ in {', '.join(diff)}")
    for e in examples[diff]:
        print(f"         {e}")
print("  differing packets by file:")
for fname, count in per_file.most_common(20):
    print(f"  {count:6d}  {fname}")
print(f"tshark differential: {n - bad} of {n} packets agree")
sys.exit(0 if agree >= THRESHOLD else 1)
