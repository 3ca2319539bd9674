"""Shared helpers for the corpus and command-line tests (stdlib only)."""
import csv
import os
import shutil
import subprocess
import sys
import time
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


def private_copy(binary, tmp):
    """A copy of BINARY in TMP to run from: the build tree is rebuilt in place
    from time to time, and a long run that straddles a rebuild would fail
    half-way. Retries while the binary is being relinked."""
    copy = os.path.join(tmp, os.path.basename(binary))
    for _ in range(10):
        try:
            shutil.copy2(binary, copy)
            if run([copy, "--help"], timeout=30).returncode == 0:
                return copy
        except OSError:
            pass
        time.sleep(3)
    fail(f"cannot run a copy of {binary}")


class Checks:
    """Named pass/fail checks of a CLI test: check() prints one line each, finish() the summary and exit code."""

    def __init__(self):
        self.results = []

    def __call__(self, name, ok, detail=""):
        self.results.append(bool(ok))
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + str(detail)[:600] if detail and not ok else ''}")

    def finish(self, what=""):
        passed = sum(self.results)
        summary_line(passed, len(self.results) - passed, what)
        sys.exit(0 if passed == len(self.results) else 1)


def clean_env(**extra):
    """The environment without any PCAPSCOPE_ setting of the caller's, plus EXTRA."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCAPSCOPE_")}
    env.update(extra)
    return env
