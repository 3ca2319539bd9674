#!/usr/bin/env python3
"""Output does not depend on the thread count: every command that takes -j
(packets, export, sessions, analyze) prints (or carves) exactly the same bytes with
-j 1 as with more threads than cores, over corpus captures of every kind (pcap, pcapng with several
interfaces, gzip, damaged and truncated files, several files as one
timeline), and PCAPSCOPE_THREADS is read, and refused with one line when bad.

usage: threads_identical.py PCAPSCOPE SHARED
"""
import hashlib
import os
import sys
import tempfile

from common import Checks, clean_env, manifest, parallel_map, private_copy, run

binary, shared = sys.argv[1], sys.argv[2]
check = Checks()

# Several packets per batch boundary matter more than many files: the files
# with the most packets of each kind, plus damaged ones (capinfos_status != 0).
rows = [r for r in manifest(shared) if r["packets"]]
by_kind = {}
for r in sorted(rows, key=lambda r: (-r["packets"], r["file"])):
    kind = (r["format"], r["linktype"], r["file"].endswith(".gz"), r["capinfos_status"] != 0)
    by_kind.setdefault(kind, []).append(r["path"])
files = sorted(p for paths in by_kind.values() for p in paths[:2])
check("enough corpus files of distinct kinds", len(files) >= 20, f"only {len(files)}")
# Batches hold at most 2,048 packets (cli/packet_batches.h): some inputs must span many.
counts = {r["path"]: r["packets"] for r in rows}
check("inputs that span many batches", sum(counts[f] > 4 * 2048 for f in files) >= 3)

# (name, arguments before the files, output is a carved file)
COMMANDS = [
    ("packets", ["packets"], False),
    ("packets json", ["packets", "--format", "json"], False),
    ("packets csv fields", ["packets", "--format", "csv", "--fields", "frame.number,frame.time_relative,ip.src,tcp.dstport,udp.length"], False),
    ("packets --filter", ["packets", "--filter", "tcp.len > 0 || udp.port in {53, 123} || icmp"], False),
    ("packets --hex --slice", ["packets", "--hex", "--slice", "3::2"], False),
    ("export --filter", ["export", "--filter", "ip.ttl < 128 || ipv6 || arp"], True),
    ("sessions json", ["sessions", "--format", "json"], False),
    ("sessions zeek --no-protocols", ["sessions", "--format", "zeek", "--no-protocols"], False),
    ("sessions --sort", ["sessions", "--sort", "orig_bytes", "--desc", "--format", "csv"], False),
    # Records stream in the order they are made and detectors see them in it:
    # JSON Lines shows any change of order.
    ("analyze jsonl", ["analyze", "--format", "jsonl"], False),
    ("analyze report", ["analyze"], False),
]


def digest(data):
    return hashlib.sha256(data).hexdigest()


def output_of(args, inputs, threads, tmp, tag, env=None):
    extra = [] if threads is None else ["-j", str(threads)]
    if args[0] == "export":
        out = os.path.join(tmp, f"{tag}-{threads}.pcapng")
        p = run([exe] + args + extra + inputs + ["-o", out, "--force"], timeout=300, env=env or clean_env())
        data = open(out, "rb").read() if os.path.exists(out) else b""
        return p.returncode, digest(data) + digest(p.stderr.replace(out.encode(), b"OUT"))
    p = run([exe] + args + extra + inputs, timeout=300, env=env or clean_env())
    return p.returncode, digest(p.stdout) + digest(p.stderr)


with tempfile.TemporaryDirectory() as tmp:
    exe = private_copy(binary, tmp)
    inputs = [[f] for f in files] + [files[:2]]  # and two files merged into one timeline

    def compare(item):
        (name, args, _), inp, idx, n = item
        tag = f"{idx}-{name.replace(' ', '_')}"
        one = output_of(args, inp, 1, tmp, tag)
        many = output_of(args, inp, n, tmp, tag)
        return name, inp, n, one, many

    # 3: more threads than this machine's cores. sessions and analyze also at
    # 2, their other mode: one worker takes whole packets, nothing is sharded.
    items = [(c, inp, i, n) for i, inp in enumerate(inputs) for c in COMMANDS
             for n in ((2, 3) if c[1][0] in ("sessions", "analyze") else (3,))]
    for name, inp, n, one, many in parallel_map(compare, items, workers=2):
        check(f"{name} -j 1 == -j {n}: {' + '.join(os.path.basename(f) for f in inp)}", one == many,
              f"exit {one[0]} vs {many[0]}")

    big = files[0]
    one = output_of(["packets"], [big], 1, tmp, "env")
    env_two = output_of(["packets"], [big], None, tmp, "env", env=clean_env(PCAPSCOPE_THREADS="2"))
    check("PCAPSCOPE_THREADS=2 gives the -j 1 output", one == env_two)
    for bad in ("0", "abc", "-1", "3x", "100000"):
        p = run([exe, "packets", big], env=clean_env(PCAPSCOPE_THREADS=bad))
        err = p.stderr.decode(errors="replace")
        check(f"PCAPSCOPE_THREADS={bad!r} is refused with one line",
              p.returncode == 2 and not p.stdout and err.count("\n") == 1 and "PCAPSCOPE_THREADS" in err, err)
    p = run([exe, "packets", "-j", "0", big], env=clean_env())
    check("-j 0 is a usage error", p.returncode != 0 and not p.stdout, p.stderr.decode(errors="replace"))

check.finish("thread-count independence: ")
