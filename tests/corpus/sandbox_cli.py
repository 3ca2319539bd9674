#!/usr/bin/env python3
"""The no-network guarantee, command by command (docs/security.md):

- from inside the process: a probe preloaded into pcapscope tries socket()
  after main() returns; with the seccomp filter in force it fails with EPERM
  and /proc/self/status says Seccomp: 2 (filter). With PCAPSCOPE_SANDBOX=off
  the same probe gets a socket, so the check can fail.
- from outside: `strace -f` over every command (every thread) on real
  captures shows no network system call attempted at all, and every open of
  an input is read-only.

usage: sandbox_cli.py PCAPSCOPE SHARED SOCKET_PROBE_SO
"""
import os
import re
import shutil
import sys
import tempfile

from common import Checks, clean_env, manifest, private_copy, run

binary, shared, probe = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()

rows = [r for r in manifest(shared) if r["packets"] and r["capinfos_status"] == 0]
by_size = sorted(rows, key=lambda r: -r["packets"])
pcap = next(r["path"] for r in by_size if r["format"] == "pcap" and not r["file"].endswith(".gz")
            and r["linktype"] == "ether" and r["packets"] < 20000)
pcapng = next(r["path"] for r in by_size if r["format"] == "pcapng" and r["packets"] < 20000)
gz = next(r["path"] for r in by_size if r["file"].endswith(".gz") and r["linktype"] == "ether")

NETWORK = "%network,io_uring_setup,io_uring_enter,io_uring_register"
OPENS = "open,openat,openat2,creat,truncate"

with tempfile.TemporaryDirectory() as tmp:
    exe = private_copy(binary, tmp)
    # The inputs as files of our own, so their opens can be picked out of the trace.
    inputs = []
    for src in (pcap, pcapng, gz):
        dst = os.path.join(tmp, "in-" + os.path.basename(src))
        shutil.copyfile(src, dst)
        inputs.append(dst)
    a, b, c = inputs
    out = lambda name: os.path.join(tmp, "out", name)
    os.makedirs(os.path.join(tmp, "out"))
    uid = run([exe, "sessions", "--format", "csv", a], env=clean_env()).stdout.decode().splitlines()[1].split(",")
    commands = {
        "info": ["info", a, b, c],
        "packets": ["packets", "--show", "--hex", a],
        "packets --filter": ["packets", "-j", "2", "--filter", "tcp.len > 0 || dns", a, b],
        "packets --bpf": ["packets", "--bpf", "tcp or udp", c],
        "export": ["export", "--filter", "ip", a, "-o", out("carved.pcapng")],
        "fields": ["fields"],
        "sessions": ["sessions", "-j", "3", a, b, c],
        "follow": ["follow", "--index", "0", a],
        "dns": ["dns", a, b],
        "http": ["http", a],
        "tls": ["tls", b],
        "ssh": ["ssh", c],
        "analyze": ["analyze", "--no-learn", "--format", "jsonl", a, b, c],
        "analyze -j 2 --out-dir": ["analyze", "-j", "2", "--out-dir", out("case"), a],
        "config": ["config"],
        "sql": ["sql", a, "SELECT count(*) FROM conn"],
        "sql --db": ["sql", "--db", out("case.sqlite"), a, "SELECT count(*) FROM dns"],
    }
    # In the sanitizer build (ignored by the other): LeakSanitizer stops the
    # world with ptrace, which strace already holds, and the probe is preloaded
    # ahead of the ASan runtime GCC links dynamically.
    env = clean_env(PCAPSCOPE_BASELINE=os.path.join(tmp, "baseline.sqlite"),
                    ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0")
    for name, args in commands.items():
        trace = os.path.join(tmp, "trace")
        p = run(["strace", "-f", "-qq", "-e", f"trace={NETWORK},{OPENS}", "-o", trace, exe] + args,
                timeout=300, env=env)
        check(f"{name}: runs under strace", p.returncode in (0, 1), p.stderr.decode(errors="replace"))
        lines = open(trace).read().splitlines() if os.path.exists(trace) else []
        check(f"{name}: strace saw the command run", any("open" in l for l in lines), f"{len(lines)} lines")
        net = [l for l in lines if re.search(r"\b(socket|socketpair|connect|bind|listen|accept4?|send(to|msg|mmsg)?|"
                                             r"recv(from|msg|mmsg)?|[gs]etsockopt|shutdown|getpeername|getsockname|"
                                             r"io_uring_\w+)\(", l)]
        check(f"{name}: no network system call", not net, "\n".join(net[:5]))
        used = [i for i in inputs if i in args]
        check(f"{name}: strace shows its inputs opened", all(any(i in l for l in lines) for i in used), used)
        bad = [l for l in lines if any(i in l for i in inputs) and re.search(r"O_(WRONLY|RDWR|CREAT|TRUNC)|creat\(|truncate\(", l)]
        check(f"{name}: inputs opened read-only", not bad, "\n".join(bad[:5]))

    # From inside: socket() after main() returns.
    probe_out = os.path.join(tmp, "probe")
    for name in ("info", "analyze", "sessions"):
        if os.path.exists(probe_out):
            os.remove(probe_out)
        p = run([exe] + commands[name], timeout=300, env=dict(env, LD_PRELOAD=probe, SOCKET_PROBE_OUT=probe_out))
        got = open(probe_out).read().strip() if os.path.exists(probe_out) else "no probe output"
        check(f"{name}: socket() inside the process fails with EPERM under the filter",
              p.returncode == 0 and got == "socket=-1 errno=1 seccomp=2", got)
    os.remove(probe_out)
    p = run([exe, "info", a], timeout=60, env=dict(env, LD_PRELOAD=probe, SOCKET_PROBE_OUT=probe_out,
                                                    PCAPSCOPE_SANDBOX="off"))
    got = open(probe_out).read().strip() if os.path.exists(probe_out) else "no probe output"
    check("PCAPSCOPE_SANDBOX=off: the same probe gets a socket (the check above can fail)",
          p.returncode == 0 and got.startswith("socket=") and not got.startswith("socket=-1") and "seccomp=0" in got, got)
    p = run([exe, "info", a], timeout=60, env=dict(env, PCAPSCOPE_SANDBOX="maybe"))
    err = p.stderr.decode(errors="replace")
    check("PCAPSCOPE_SANDBOX=maybe is refused with one line",
          p.returncode == 2 and err.count("\n") == 1 and "PCAPSCOPE_SANDBOX" in err and not p.stdout, err)

check.finish("no network: ")
