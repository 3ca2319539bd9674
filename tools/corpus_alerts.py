#!/usr/bin/env python3
"""What `pcapscope analyze` says about every capture of ../shared/corpus:
alert counts per detector and severity, and the most severe alerts, for a
human to judge plausibility (issue 5's review). Not a test: thresholds on a
corpus of protocol regression captures have no ground truth.

usage: tools/corpus_alerts.py BUILD/pcapscope ../shared [TOP]"""
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

binary, shared = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 10
corpus = os.path.join(shared, "corpus")
rows = list(csv.DictReader(open(os.path.join(corpus, "MANIFEST.tsv")), delimiter="\t"))
rank = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def analyze(row):
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCAPSCOPE_")}
        env["PCAPSCOPE_BASELINE"] = os.path.join(tmp, "b.sqlite")
        p = subprocess.run([binary, "analyze", os.path.join(corpus, row["file"]), "--format", "jsonl", "--no-hash"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
    out = []
    for line in p.stdout.decode(errors="replace").splitlines():
        r = json.loads(line)
        if r.get("record") == "alert":
            r["file"] = row["file"]
            out.append(r)
    return p.returncode, out


with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    results = list(pool.map(analyze, rows))
alerts = [a for _, al in results for a in al]
codes = collections.Counter(rc for rc, _ in results)
print(f"{len(rows)} files, exit codes {dict(codes)}, {len(alerts)} alerts in "
      f"{sum(1 for _, al in results if al)} files")
by = collections.Counter((a["detector"], a["severity"]) for a in alerts)
for det in sorted({d for d, _ in by}):
    sev = ", ".join(f"{s} {by[(det, s)]}" for s in rank if by[(det, s)])
    print(f"  {det:16} {sum(n for (d, _), n in by.items() if d == det):5}  ({sev})")
print(f"\nthe {top} most severe (then largest value relative to threshold):")
alerts.sort(key=lambda a: (-rank[a["severity"]], -(a["value"] / a["threshold"] if a["threshold"] else 0)))
for a in alerts[:top]:
    print(f"  [{a['severity']}] {a['detector']} {a['file']}: {a['message']}")
