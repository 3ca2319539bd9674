#!/usr/bin/env python3
"""Every corpus file through the reading commands: no crash, no hang (10 s a
file and command), no sanitizer report; files capinfos reads cleanly must
also exit 0.

Files go through in batches (one process for many files keeps a sanitizer
build's start-up cost from dominating); a batch that misbehaves is re-run
file by file to name the culprit."""
import os
import subprocess
import tempfile
import sys

from common import manifest, parallel_map, summary_line

binary, shared = sys.argv[1], sys.argv[2]
rows = manifest(shared)
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1",
           # analyze reads a baseline: one that does not exist (--no-learn never creates it), not the user's.
           PCAPSCOPE_BASELINE=os.path.join(tempfile.gettempdir(), f"pcapscope-sweep-{os.getpid()}", "none.sqlite"))
# info reads and decodes every packet of each file separately; packets --show
# --hex reads every field of every layer (several files merge into one
# timeline); the JSON summary exercises summarize() and the JSON printer;
# analyze runs the session stage (fragments, TCP state, stream reassembly),
# the protocol stage's parsers and every detector over every malformed packet
# of the corpus, and writes every record as JSON;
# the application packet fields get a pass of their own. (The dns/http/tls/ssh
# commands run the same stages; their writers' escaping of hostile strings is
# unit-tested under the sanitizers, so a pass each here would only double the
# sanitizer job's time.)
COMMANDS = [["info", "--no-hash"], ["packets", "--show", "--hex"], ["packets", "--format", "json"],
            ["analyze", "--format", "jsonl", "--no-learn", "--no-hash"],
            ["packets", "--format", "json", "--fields",
             "frame.number,dns.id,dns.qry.name,dns.a,dns.aaaa,dns.resp.ttl,http.request.method,http.host,"
             "http.request.uri,http.response.code,tls.handshake.type,tls.handshake.extensions_server_name,"
             "tls.handshake.ja3,ssh.protocol"]]
BATCH = 40
PER_FILE_SECONDS = 10


def attempt(cmd, files):
    """None if fine, else a description."""
    try:
        p = subprocess.run([binary] + cmd + [r["path"] for r in files], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=PER_FILE_SECONDS * len(files), env=env)
    except subprocess.TimeoutExpired:
        return f"hang (over {PER_FILE_SECONDS} s a file)"
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0:
        return f"killed by signal {-p.returncode}"
    if "runtime error" in err or "Sanitizer" in err:
        return f"sanitizer report:\n{err[:3000]}"
    if p.returncode not in (0, 2):
        return f"exit {p.returncode}: {err[:300]}"
    if p.returncode == 2 and all(r["capinfos_status"] == 0 for r in files):
        return f"refused a file capinfos reads: {err.strip()[:300]}"
    return None


def check(batch):
    out = []
    for cmd in COMMANDS:
        if attempt(cmd, batch) is None:
            continue
        for r in batch:
            why = attempt(cmd, [r])
            if why:
                out.append(f"{r['file']}: {' '.join(cmd)}: {why}")
    return out


batches = [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]
problems = [x for b in parallel_map(check, batches) for x in b]
for p in problems[:50]:
    print(p)
bad_files = {p.split(":")[0] for p in problems}
summary_line(len(rows) - len(bad_files), len(bad_files), "corpus sweep: ")
sys.exit(1 if problems else 0)
