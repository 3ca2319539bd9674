#!/usr/bin/env python3
"""Differential test of `pcapscope sessions` against tshark's conversation
tables (`-z conv,tcp -z conv,udp`) over the corpus's Ethernet files.

A conversation is an unordered address:port pair plus the protocol (tcp or
udp), per file. tshark does not time out or split on port reuse the way
pcapscope does, so pcapscope's sessions with the same key are summed (both
directions together), and only the total frame count is compared. tshark's
IP defragmentation stays ON (its default): pcapscope reassembles fragments
too, and a datagram counts once, at its last fragment, on both sides.

Metric: conversations whose frame counts agree / all conversations (union of
both sides' keys) must be at least 99%. A tunnelled frame (VXLAN, Geneve,
Teredo ...) counts in its outer and its inner conversation on both sides:
pcapscope makes every tunnel level a session (the inner one names the outer
in tunnel_parents, as Zeek does).

Speed: tshark spends ~0.6 s of CPU starting up, which over ~1,800 files is
far too slow. Files are therefore concatenated in batches (`mergecap -a`) and
each file gets its own pair of conversation taps restricted to its frames
(`-z conv,tcp,frame.number>=A&&frame.number<=B`): one tshark start per batch,
one conversation table per file. Dissector state can leak across files in a
batch (IP fragments with the same id, TCP stream tracking), so every file that
disagrees in the batched pass is run again on its own with the plain
`-z conv,tcp -z conv,udp`, and that solo result is the one reported."""
import collections
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from common import fail, manifest, parallel_map, private_copy, run, summary_line

THRESHOLD = 0.99
BATCH_FILES = 60         # taps per tshark run (two per file)
BATCH_PACKETS = 12000    # each tap's filter runs on every packet of the batch

binary, shared = sys.argv[1], sys.argv[2]
rows = [r for r in manifest(shared) if r["linktype"] == "ether" and r["capinfos_status"] == 0]
if len(rows) < 1000:
    fail(f"only {len(rows)} clean Ethernet files in the manifest; corpus incomplete?")
for tool in ("tshark", "mergecap"):
    if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
        fail(f"{tool} not installed (make deps installs it)")

CONV_RE = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s")


def norm_ep(host, port):
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return f"{host}|{int(port)}"


def conv_key(proto, a, b):
    return (proto,) + tuple(sorted((a, b)))


def key_str(k):
    proto, a, b = k
    return f"{proto} {a.replace('|', ':')} <-> {b.replace('|', ':')}"


def parse_tshark(text):
    """tshark -z conv output -> {filter text: {key: total frames}}; one table
    per tap, named by its "Filter:" line."""
    tables = {}
    proto, cur = None, None
    for line in text.splitlines():
        if line.endswith(" Conversations"):
            proto = line.split()[0].lower()
        elif line.startswith("Filter:"):
            cur = tables.setdefault(line[len("Filter:"):], {})
        else:
            m = CONV_RE.match(line)
            if m and cur is not None:
                a = norm_ep(*m.group(1).rsplit(":", 1))
                b = norm_ep(*m.group(2).rsplit(":", 1))
                k = conv_key(proto, a, b)
                cur[k] = cur.get(k, 0) + int(m.group(5))
    return tables


def pcapscope_convs(row):
    p = run([binary, "sessions", row["path"], "--format", "json"], timeout=300)
    if p.returncode != 0:
        return None, f"pcapscope exit {p.returncode}: {p.stderr.decode(errors='replace').strip()[:300]}"
    convs = collections.Counter()
    for line in p.stdout.decode(errors="replace").splitlines():
        if not line.strip():
            continue
        s = json.loads(line)
        if s.get("proto") not in ("tcp", "udp"):
            continue
        k = conv_key(s["proto"], norm_ep(s["id.orig_h"], s["id.orig_p"]), norm_ep(s["id.resp_h"], s["id.resp_p"]))
        convs[k] += int(s.get("orig_pkts", 0)) + int(s.get("resp_pkts", 0))
    return dict(convs), None


def tshark_solo(row):
    t = run(["tshark", "-n", "-q", "-r", row["path"], "-z", "conv,tcp", "-z", "conv,udp"], timeout=600)
    if t.returncode != 0:
        return None, f"tshark exit {t.returncode}: {t.stderr.decode(errors='replace').strip()[:300]}"
    merged = {}
    for table in parse_tshark(t.stdout.decode(errors="replace")).values():
        for k, v in table.items():
            merged[k] = merged.get(k, 0) + v
    return merged, None


def make_batches(rs):
    batches, cur, pk = [], [], 0
    for r in sorted(rs, key=lambda r: r["packets"]):
        if cur and (len(cur) >= BATCH_FILES or pk + r["packets"] > BATCH_PACKETS):
            batches.append(cur)
            cur, pk = [], 0
        cur.append(r)
        pk += r["packets"]
    if cur:
        batches.append(cur)
    # Largest first so the pool does not end on one long batch.
    batches.sort(key=lambda b: -sum(r["packets"] for r in b))
    return batches


def tshark_batch(args):
    idx, batch, tmp = args
    if len(batch) == 1:
        got, err = tshark_solo(batch[0])
        return {batch[0]["file"]: (got, err)}
    merged = os.path.join(tmp, f"batch{idx}.pcapng")
    m = run(["mergecap", "-a", "-F", "pcapng", "-w", merged] + [r["path"] for r in batch], timeout=600)
    if m.returncode != 0:
        return {r["file"]: (None, f"mergecap: {m.stderr.decode(errors='replace')[:300]}") for r in batch}
    cmd = ["tshark", "-n", "-q", "-r", merged]
    filters, start = {}, 1
    for r in batch:
        end = start + r["packets"] - 1
        flt = f"frame.number>={start}&&frame.number<={end}"
        filters[flt] = r["file"]
        cmd += ["-z", f"conv,tcp,{flt}", "-z", f"conv,udp,{flt}"]
        start = end + 1
    t = run(cmd, timeout=1200)
    os.unlink(merged)
    if t.returncode != 0:
        err = f"tshark exit {t.returncode}: {t.stderr.decode(errors='replace').strip()[:300]}"
        return {r["file"]: (None, err) for r in batch}
    tables = parse_tshark(t.stdout.decode(errors="replace"))
    out = {}
    for flt, fname in filters.items():
        if flt not in tables:
            out[fname] = (None, "tshark printed no table for this file's frames")
        else:
            out[fname] = (tables[flt], None)
    return out


def compare(ours, theirs):
    diffs = []
    for k in set(ours) | set(theirs):
        a, b = ours.get(k), theirs.get(k)
        if a == b:
            continue
        if a is None:
            diffs.append(("missing in pcapscope", k, a, b))
        elif b is None:
            diffs.append(("missing in tshark", k, a, b))
        else:
            diffs.append(("count differs", k, a, b))
    return len(set(ours) | set(theirs)), diffs


started = time.monotonic()
with tempfile.TemporaryDirectory() as tmp:
    binary = private_copy(binary, tmp)
    batches = make_batches(rows)
    # One pool: tshark batches (slow) and pcapscope files (fast) interleaved.
    jobs = [("t", (i, b, tmp)) for i, b in enumerate(batches)] + [("p", r) for r in rows]

    def work(job):
        kind, arg = job
        return kind, (tshark_batch(arg) if kind == "t" else (arg["file"], pcapscope_convs(arg)))

    theirs_by_file, ours_by_file = {}, {}
    for kind, res in parallel_map(work, jobs):
        if kind == "t":
            theirs_by_file.update(res)
        else:
            ours_by_file[res[0]] = res[1]

    # Files that disagree (or failed) in the batched pass: run tshark on each alone.
    def needs_solo(r):
        (o, oe), (t, te) = ours_by_file[r["file"]], theirs_by_file.get(r["file"], (None, "no result"))
        return oe is None and (te is not None or compare(o, t)[1])

    redo = [r for r in rows if needs_solo(r)]
    for r, res in zip(redo, parallel_map(tshark_solo, redo)):
        theirs_by_file[r["file"]] = res

errors = []
total = agree = 0
classes = collections.Counter()
class_files = collections.defaultdict(collections.Counter)
per_file = collections.Counter()
examples = collections.defaultdict(list)
files_ok = 0
for r in rows:
    (o, oe), (t, te) = ours_by_file[r["file"]], theirs_by_file[r["file"]]
    if oe or te:
        errors.append(f"{r['file']}: {oe or te}")
        continue
    n, diffs = compare(o, t)
    total += n
    agree += n - len(diffs)
    if not diffs:
        files_ok += 1
    for cls, k, a, b in diffs:
        classes[cls] += 1
        class_files[cls][r["file"]] += 1
        per_file[r["file"]] += 1
        if len(examples[cls]) < 5:
            examples[cls].append(f"{r['file']}: {key_str(k)}: pcapscope {a}, tshark {b}")

pct = agree / total if total else 0.0
print(f"conversation agreement: {agree}/{total} conversations = {pct * 100:.3f}% "
      f"(threshold {THRESHOLD * 100:.1f}%) over {len(rows) - len(errors)} files "
      f"({files_ok} files agree entirely, {len(redo)} re-run alone)")
for cls, count in classes.most_common():
    print(f"  {count:6d} {cls} ({len(class_files[cls])} files)")
    for e in examples[cls]:
        print(f"         e.g. {e}")
print("  differing conversations by file (top 20):")
for fname, count in per_file.most_common(20):
    detail = ", ".join(f"{cls} {class_files[cls][fname]}" for cls in classes if class_files[cls][fname])
    print(f"  {count:6d}  {fname}  ({detail})")
if os.environ.get("CONV_DIFF_DUMP"):
    # Debugging aid: every file's disagreements as JSON lines.
    with open(os.environ["CONV_DIFF_DUMP"], "w") as f:
        for r in rows:
            (o, oe), (t, te) = ours_by_file[r["file"]], theirs_by_file[r["file"]]
            if not (oe or te):
                for cls, k, a, b in compare(o, t)[1]:
                    f.write(json.dumps({"file": r["file"], "class": cls, "key": key_str(k),
                                        "pcapscope": a, "tshark": b}) + "\n")
for e in errors[:50]:
    print(f"ERROR: {e}")
print(f"elapsed {time.monotonic() - started:.0f} s")
summary_line(agree, total - agree, "conversations: ")
ok = pct >= THRESHOLD and not errors
sys.exit(0 if ok else 1)
