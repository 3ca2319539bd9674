#!/usr/bin/env python3
"""Differential test of `pcapscope follow --raw -o DIR` against tcpflow over
the corpus's HTTP captures (Ethernet files whose names contain "http",
MANIFEST status 0; the first MAX_FILES by name so the run stays ~2 minutes).

Only gap-free TCP sessions are compared, where the reassembled bytes are
unambiguous and both tools must agree byte for byte:
  * proto tcp, missed_bytes == 0 (no sequence gap in either direction);
  * history starts with "S" and contains "h": the originator's SYN is the
    session's first packet and the responder's SYN-ACK was seen, so both
    initial sequence numbers are known (tcpflow anchors offset 0 at the SYN;
    without it the two tools legitimately start at different bytes);
  * no "overlap_differs" flag (retransmissions that carry different bytes:
    pcapscope keeps the first copy, tcpflow overwrites with the last);
  * the 5-tuple occurs in only one pcapscope session of the file, and
    tcpflow wrote no other flow file for it (tcpflow numbers a reused tuple's
    later connections with a "c<N>" suffix, which pcapscope does not do);
  * at least one payload byte in some direction.
A direction with no payload has no file on either side (an absent file and
an empty one are treated alike). report.xml is ignored. A session for which
tcpflow wrote no file in either direction is skipped: tcpflow 1.6 does not
decode some link encapsulations pcapscope does (PPPoE sessions, for one).

tcpflow runs once per file into its own temp directory and pcapscope once
per selected session into another; nothing is written beside the evidence."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import fail, manifest, parallel_map, private_copy, run, summary_line

MAX_FILES = 250

binary, shared = sys.argv[1], sys.argv[2]
rows = [r for r in manifest(shared)
        if r["linktype"] == "ether" and r["capinfos_status"] == 0 and "http" in os.path.basename(r["file"]).lower()]
rows.sort(key=lambda r: r["file"])
if len(rows) < 50:
    fail(f"only {len(rows)} clean Ethernet HTTP files in the manifest; corpus incomplete?")
rows = rows[:MAX_FILES]
if subprocess.run(["which", "tcpflow"], stdout=subprocess.DEVNULL).returncode != 0:
    fail("tcpflow not installed (make deps installs it)")


def gap_free(s):
    return (s.get("proto") == "tcp" and int(s.get("missed_bytes", 0)) == 0
            and s.get("history", "").startswith("S") and "h" in s.get("history", "")
            and "overlap_differs" not in s.get("flags", [])
            and int(s.get("orig_bytes", 0) or 0) + int(s.get("resp_bytes", 0) or 0) > 0)


def read_or_empty(path):
    if not os.path.exists(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def check_file(args):
    row, tmp = args
    res = {"file": row["file"], "compared": 0, "matched": 0, "skipped": collections.Counter(),
           "mismatches": [], "error": None}
    p = run([binary, "sessions", row["path"], "--format", "json"], timeout=120)
    if p.returncode != 0:
        res["error"] = f"pcapscope sessions exit {p.returncode}: {p.stderr.decode(errors='replace')[:300]}"
        return res
    sessions = [json.loads(l) for l in p.stdout.decode(errors="replace").splitlines() if l.strip()]
    tuples = collections.Counter((s["proto"],) + tuple(sorted([(s["id.orig_h"], s["id.orig_p"]),
                                                               (s["id.resp_h"], s["id.resp_p"])]))
                                 for s in sessions)
    chosen = []
    for i, s in enumerate(sessions):
        if s.get("proto") != "tcp":
            continue
        if not gap_free(s):
            res["skipped"]["not gap-free"] += 1
            continue
        key = ("tcp",) + tuple(sorted([(s["id.orig_h"], s["id.orig_p"]), (s["id.resp_h"], s["id.resp_p"])]))
        if tuples[key] > 1:
            res["skipped"]["tuple reused (several sessions)"] += 1
            continue
        chosen.append(i)
    if not chosen:
        return res

    base = os.path.join(tmp, row["file"].replace("/", "_"))
    tf_dir = base + ".tcpflow"
    os.makedirs(tf_dir)
    t = run(["tcpflow", "-r", row["path"], "-o", tf_dir], timeout=300)
    if t.returncode != 0:
        res["skipped"]["tcpflow cannot read the file"] += len(chosen)
        shutil.rmtree(tf_dir, ignore_errors=True)
        return res
    tf_files = set(os.listdir(tf_dir)) - {"report.xml"}

    for i in chosen:
        out = f"{base}.ps{i}"
        os.makedirs(out)
        f = run([binary, "follow", row["path"], "--index", str(i), "--raw", "-o", out], timeout=120)
        if f.returncode != 0:
            res["mismatches"].append(f"session {i}: pcapscope follow exit {f.returncode}: "
                                     f"{f.stderr.decode(errors='replace')[:300]}")
            res["compared"] += 1
            continue
        names = set(os.listdir(out))
        s = sessions[i]
        # The two direction names, from pcapscope's own files or (for a
        # direction without payload) by symmetry with the other.
        if not names:
            res["mismatches"].append(f"session {i}: pcapscope follow wrote no file")
            res["compared"] += 1
            continue
        one = sorted(names)[0]
        a, b = one.split("-", 1)
        pair = {one, f"{b}-{a}"}
        # tcpflow appends VLAN / connection-count suffixes to reused or tagged
        # tuples; if it wrote any longer name for this tuple, skip it.
        if any(n not in pair and any(n.startswith(p) for p in pair) for n in tf_files):
            res["skipped"]["tcpflow suffixed name (reuse/vlan)"] += 1
            shutil.rmtree(out, ignore_errors=True)
            continue
        if not (pair & tf_files):
            # tcpflow wrote nothing for this tuple at all: it does not decode
            # the link encapsulation (tcpflow 1.6 has no PPPoE, for one).
            res["skipped"]["tcpflow saw no such flow (encapsulation it does not decode, e.g. PPPoE)"] += 1
            shutil.rmtree(out, ignore_errors=True)
            continue
        res["compared"] += 1
        bad = []
        for name in sorted(pair):
            ours, theirs = read_or_empty(os.path.join(out, name)), read_or_empty(os.path.join(tf_dir, name))
            if ours != theirs:
                first = next((k for k in range(min(len(ours), len(theirs))) if ours[k] != theirs[k]),
                             min(len(ours), len(theirs)))
                bad.append(f"{name}: pcapscope {len(ours)} bytes, tcpflow {len(theirs)} bytes, "
                           f"first difference at offset {first}")
        if bad:
            res["mismatches"].append(f"session {i} (uid {s.get('uid')}, history {s.get('history')}): "
                                     + "; ".join(bad))
        else:
            res["matched"] += 1
        shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(tf_dir, ignore_errors=True)
    return res


started = time.monotonic()
with tempfile.TemporaryDirectory() as tmp:
    binary = private_copy(binary, tmp)
    results = parallel_map(check_file, [(r, tmp) for r in rows])

compared = sum(r["compared"] for r in results)
matched = sum(r["matched"] for r in results)
skipped = collections.Counter()
for r in results:
    skipped.update(r["skipped"])
errors = [f"{r['file']}: {r['error']}" for r in results if r["error"]]
print(f"tcpflow follow: {matched}/{compared} gap-free sessions identical in both directions, "
      f"over {len(rows)} files ({sum(1 for r in results if r['compared'])} with gap-free sessions)")
for why, n in skipped.most_common():
    print(f"  {n:6d} sessions skipped: {why}")
for r in results:
    for m in r["mismatches"]:
        print(f"MISMATCH: {r['file']}: {m}")
for e in errors:
    print(f"ERROR: {e}")
print(f"elapsed {time.monotonic() - started:.0f} s")
summary_line(matched, compared - matched, "tcpflow follow: ")
sys.exit(0 if matched == compared and not errors and compared > 0 else 1)
