"""Shared helpers for the corpus and command-line tests (stdlib only)."""
import csv
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def corpus_dir(shared):
    d = os.path.join(shared, "corpus")
    if not os.path.isfile(os.path.join(d, "MANIFEST.tsv")):
        # The corpus is part of the test environment (CI has ../shared): its
        # absence is a broken set-up, not a reason to skip.
        fail(f"corpus not found at {d} (expected ../shared/corpus beside the checkout)")
    return d


def manifest(shared):
    d = corpus_dir(shared)
    rows = []
    with open(os.path.join(d, "MANIFEST.tsv"), newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            row["path"] = os.path.join(d, row["file"])
            row["packets"] = int(row["packets"]) if row["packets"] not in ("", None) else None
            row["capinfos_status"] = int(row["capinfos_status"])
            rows.append(row)
    return rows


def run(cmd, timeout=60, env=None, stdin=None):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env, stdin=stdin)


def parallel_map(fn, items, workers=None):
    workers = workers or max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def summary_line(passed, failed, what=""):
    # The closing line CI reads: "N passed, N failed".
    print(f"{what}{passed} passed, {failed} failed")
