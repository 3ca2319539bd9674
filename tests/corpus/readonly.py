#!/usr/bin/env python3
"""Chain of custody: `pcapscope info` reports the same SHA-256 as sha256sum,
and no command changes its inputs' bytes or timestamps (mtime, atime, ctime)."""
import hashlib
import json
import os
import shutil
import sys
import tempfile

from common import manifest, run, summary_line

binary, shared = sys.argv[1], sys.argv[2]
rows = [r for r in manifest(shared) if r["capinfos_status"] == 0]
picked = [r for r in rows if r["format"] == "pcap" and not r["file"].endswith(".gz")][:3] + \
         [r for r in rows if r["format"] == "pcapng" and not r["file"].endswith(".gz")][:2] + \
         [r for r in rows if r["file"].endswith(".gz")][:2]
results = []

with tempfile.TemporaryDirectory() as tmp:
    for row in picked:
        # Work on a copy we own with an old atime, so an atime update would show.
        src = os.path.join(tmp, os.path.basename(row["file"]))
        shutil.copyfile(row["path"], src)
        digest = hashlib.sha256(open(src, "rb").read()).hexdigest()
        sums = run(["sha256sum", src]).stdout.decode().split()[0]
        # An atime older than mtime is what relatime updates on the next read,
        # so any read that does not avoid atime shows up below.
        os.utime(src, ns=(1_000_000_000_000_000_000, 1_100_000_000_000_000_000))
        before = os.stat(src)
        j = json.loads(run([binary, "info", "--format", "json", src]).stdout.decode().splitlines()[0])
        out = os.path.join(tmp, "carved.pcapng")
        cmds = [[binary, "info", src], [binary, "packets", src, "--show", "--hex"],
                [binary, "packets", src, "--format", "csv", "--slice", "-3:"],
                [binary, "export", src, "--slice", "0:5", "-o", out],
                [binary, "export", src, "-o", src, "--force"]]  # must refuse
        codes = [run(c).returncode for c in cmds]
        after = os.stat(src)
        same = open(src, "rb").read() == open(row["path"], "rb").read()
        ok = (j["sha256"] == sums == digest and same and codes[:4] == [0, 0, 0, 0] and codes[4] == 2
              and (before.st_mtime_ns, before.st_atime_ns, before.st_ctime_ns) ==
              (after.st_mtime_ns, after.st_atime_ns, after.st_ctime_ns))
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {row['file']}: sha256 {j['sha256'][:16]}.. vs sha256sum {sums[:16]}.., "
              f"exit codes {codes}, bytes unchanged {same}, times unchanged "
              f"{(before.st_mtime_ns, before.st_atime_ns) == (after.st_mtime_ns, after.st_atime_ns)}")
        if os.path.exists(out):
            os.remove(out)

summary_line(sum(results), len(results) - sum(results), "read-only: ")
sys.exit(0 if all(results) else 1)
