#!/usr/bin/env python3
"""For every corpus file capinfos reads cleanly (MANIFEST status 0),
`pcapscope info --format json` must report capinfos' packet count."""
import json
import sys

from common import fail, manifest, parallel_map, run, summary_line

binary, shared = sys.argv[1], sys.argv[2]
rows = [r for r in manifest(shared) if r["capinfos_status"] == 0]
if len(rows) < 2000:
    fail(f"only {len(rows)} clean files in the manifest; corpus incomplete?")


def check(row):
    p = run([binary, "info", "--format", "json", "--no-hash", "--no-decode", row["path"]], timeout=30)
    if p.returncode != 0:
        return f"{row['file']}: exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}"
    got = json.loads(p.stdout.decode().splitlines()[0])["packets"]
    if got != row["packets"]:
        return f"{row['file']}: pcapscope {got} packets, capinfos {row['packets']}"
    return None


problems = [x for x in parallel_map(check, rows) if x]
for p in problems[:50]:
    print(p)
summary_line(len(rows) - len(problems), len(problems), "capinfos counts: ")
sys.exit(1 if problems else 0)
