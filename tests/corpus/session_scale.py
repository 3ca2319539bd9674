#!/usr/bin/env python3
"""A SYN flood must not take the session stage down.

Writes a capture of 2,000,000 distinct SYN-only flows with the project's own
writer (pcapscope-make-synflood), then checks that `pcapscope sessions`
reports every one of them as S0 with peak RSS under 1 GiB at the default
live-session cap, and under the documented per-session cost when a lower cap
(PCAPSCOPE_MAX_SESSIONS) is set. Sessions past the cap end early, flagged
"evicted", and are still reported: nothing is lost.

usage: session_scale.py PCAPSCOPE SHARED_DIR MAKE_SYNFLOOD
"""
import json
import os
import subprocess
import sys
import tempfile

FLOWS = 2_000_000
GIB_KB = 1024 * 1024
# Documented in `pcapscope sessions --help` (--max-sessions) and README: a
# live session costs about 600 bytes; the rest of the process stays under 64 MiB.
PER_SESSION_BYTES = 600
BASE_KB = 64 * 1024


def run_sessions(pcapscope, capture, env_extra):
    env = dict(os.environ, **env_extra)
    # One table (-j 1): the cost per live session is that table's. With N
    # workers each holds 1/N of the cap, and records evicted by one wait in
    # the start-order buffer for older sessions another still holds.
    proc = subprocess.Popen(["/usr/bin/time", "-f", "maxrss_kb=%M", pcapscope, "sessions", "-j", "1", capture,
                             "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    count = s0 = evicted = 0
    uid_hashes = set()
    for line in proc.stdout:
        rec = json.loads(line)
        count += 1
        if rec["conn_state"] == "S0" and rec["orig_pkts"] == 1 and rec["resp_pkts"] == 0:
            s0 += 1
        if "evicted" in rec.get("flags", []):
            evicted += 1
        uid_hashes.add(hash(rec["uid"]))
    err = proc.stderr.read()
    proc.wait()
    if proc.returncode != 0:
        sys.exit(f"FAIL: pcapscope sessions exited {proc.returncode}: {err.strip()}")
    rss = [int(l.split("=")[1]) for l in err.splitlines() if l.startswith("maxrss_kb=")]
    return count, s0, evicted, len(uid_hashes), rss[0] if rss else None, err


def main():
    pcapscope, _shared, make_synflood = sys.argv[1:4]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pcapscope-scale-") as tmp:
        capture = os.path.join(tmp, "synflood.pcap")
        subprocess.run([make_synflood, capture, str(FLOWS)], check=True)
        for label, env, limit_kb in [
            ("default cap", {}, GIB_KB),
            ("PCAPSCOPE_MAX_SESSIONS=100000", {"PCAPSCOPE_MAX_SESSIONS": "100000"},
             BASE_KB + 100_000 * PER_SESSION_BYTES // 1024),
        ]:
            count, s0, evicted, uids, rss, err = run_sessions(pcapscope, capture, env)
            ok = count == FLOWS and s0 == FLOWS and uids == FLOWS and rss is not None and rss < limit_kb
            print(f"{label}: {count} sessions, {s0} S0, {evicted} evicted, {uids} distinct uids, "
                  f"peak RSS {rss} KiB (limit {limit_kb} KiB): {'ok' if ok else 'FAIL'}")
            if not ok:
                failures += 1
                print(err)
    print(f"{2 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
