#!/usr/bin/env python3
"""Every corpus file through every reading command: no crash, no hang
(10 s per file and command), no sanitizer report; files capinfos reads
cleanly must also exit 0."""
import os
import subprocess
import sys

from common import manifest, parallel_map, run, summary_line

binary, shared = sys.argv[1], sys.argv[2]
rows = manifest(shared)
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
COMMANDS = [["info", "--no-hash"], ["packets", "--show", "--hex"], ["packets", "--format", "json", "--fields",
            "frame.number,ip.src,ipv6.dst,tcp.flags,udp.length,eth.src,vlan.id"]]


def check(row):
    out = []
    for cmd in COMMANDS:
        argv = [binary] + cmd + [row["path"]]
        try:
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=10, env=env)
        except subprocess.TimeoutExpired:
            out.append(f"{row['file']}: {' '.join(cmd)}: hang (over 10 s)")
            continue
        err = p.stderr.decode(errors="replace")
        if p.returncode < 0:
            out.append(f"{row['file']}: {' '.join(cmd)}: killed by signal {-p.returncode}")
        elif "runtime error" in err or "Sanitizer" in err:
            out.append(f"{row['file']}: {' '.join(cmd)}: sanitizer report:\n{err[:2000]}")
        elif p.returncode not in (0, 2):
            out.append(f"{row['file']}: {' '.join(cmd)}: exit {p.returncode}: {err[:300]}")
        elif p.returncode == 2 and row["capinfos_status"] == 0:
            out.append(f"{row['file']}: {' '.join(cmd)}: refused a file capinfos reads: {err.strip()[:300]}")
    return out


results = parallel_map(check, rows)
problems = [x for r in results for x in r]
for p in problems[:50]:
    print(p)
summary_line(len(rows) - sum(1 for r in results if r), sum(1 for r in results if r), "corpus sweep: ")
sys.exit(1 if problems else 0)
