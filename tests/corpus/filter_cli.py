#!/usr/bin/env python3
"""--filter and --where end to end on the incident capture: every command
that takes them, positioned errors (exit 2, caret under the culprit),
export --filter against tshark's own carving, export --sessions, and --where
results checked against the JSON Lines records they filter.

usage: filter_cli.py PCAPSCOPE SHARED MAKE_INCIDENTS
"""
import json
import os
import subprocess
import sys
import tempfile

from common import Checks, clean_env, run

binary, shared, make_incidents = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()


def ps(*args, env=None, stdin=None):
    return subprocess.run([binary] + list(args), capture_output=True, env=env or clean_env(), timeout=300, input=stdin)


def jsonl(p):
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


with tempfile.TemporaryDirectory() as tmp:
    cap = os.path.join(tmp, "incidents.pcap")
    subprocess.run([make_incidents, cap], check=True, capture_output=True)
    env = clean_env(PCAPSCOPE_BASELINE=os.path.join(tmp, "baseline.sqlite"))

    # --where keeps exactly the records the same condition keeps in Python.
    conn = jsonl(ps("sessions", cap, "--format", "json"))
    kept = jsonl(ps("sessions", cap, "--format", "json", "--where", "orig_bytes > 10 * resp_bytes && duration > 1"))
    expect = [r for r in conn if "duration" in r and r["orig_bytes"] > 10 * r["resp_bytes"] and r["duration"] > 1]
    check("sessions --where: arithmetic between fields", [r["uid"] for r in kept] == [r["uid"] for r in expect] and kept,
          f"{len(kept)} vs {len(expect)}")
    kept = jsonl(ps("sessions", cap, "--format", "json", "--where", "id.resp_p in {22, 443} && id.orig_h == 10.0.0.0/8",
                    "--sort", "orig_bytes", "--desc", "--limit", "5"))
    expect = sorted([r for r in conn if r["id.resp_p"] in (22, 443) and r["id.orig_h"].startswith("10.")],
                    key=lambda r: -r.get("orig_bytes", 0))[:5]
    check("sessions --where with --sort and --limit", [r["uid"] for r in kept] == [r["uid"] for r in expect],
          [r["uid"] for r in kept])
    dns = jsonl(ps("dns", cap, "--format", "json"))
    kept = jsonl(ps("dns", cap, "--format", "json", "--where", 'qtype_name == "TXT" && rcode_name == "NOERROR"'))
    expect = [r for r in dns if r.get("qtype_name") == "TXT" and r.get("rcode_name") == "NOERROR"]
    check("dns --where", len(kept) == len(expect) == 400, f"{len(kept)} vs {len(expect)}")
    kept = jsonl(ps("http", cap, "--format", "json", "--where", 'method == "GET" && uri contains "admin" && status_code < 300'))
    check("http --where", len(kept) == 1 and kept[0]["uri"] == "/admin/status", kept)
    kept = jsonl(ps("tls", cap, "--format", "json", "--where", 'server_name matches "\\\\.org$"'))
    check("tls --where with a regular expression", kept and all(r["server_name"].endswith(".org") for r in kept), len(kept))
    kept = jsonl(ps("ssh", cap, "--format", "json", "--where", "auth_success && id.orig_h == 192.0.2.0/24"))
    check("ssh --where", [r["id.orig_h"] for r in kept] == ["192.0.2.200"], kept)
    everything = [r for r in jsonl(ps("analyze", cap, "--no-hash", "--no-learn", "--format", "jsonl", env=env))
                  if r["record"] == "alert"]
    p = ps("analyze", cap, "--no-hash", "--no-learn", "--format", "jsonl", "--where", 'severity in {"high", "critical"}',
           env=env)
    alerts = [r for r in jsonl(p) if r["record"] == "alert"]
    expect = [a for a in everything if a["severity"] in ("high", "critical")]
    check("analyze --where narrows the alerts", alerts == expect and 0 < len(alerts) < len(everything),
          [a["detector"] for a in alerts])
    # Arithmetic pairs multiply along a chain (3^12 for an alert with three frames): the
    # bound cuts them, and the run says so on stderr, once, with the count.
    chain = " * ".join(["frames"] * 12)
    p = ps("analyze", cap, "--no-hash", "--no-learn", "--format", "jsonl", "--where", chain + " > 0", env=env)
    err = p.stderr.decode()
    check("arithmetic over many occurrences: bounded, and reported",
          p.returncode == 0 and err.count("\n") == 1 and "evaluations had more than 4096 pairs" in err
          and 0 < len([r for r in jsonl(p) if r["record"] == "alert"]) <= len(everything), err)
    p = ps("analyze", cap, "--no-hash", "--no-learn", "--format", "jsonl", "--where", "frames * frames > 0", env=env)
    check("no report when no operation met the bound", p.returncode == 0 and p.stderr == b"", p.stderr)
    p = ps("analyze", cap, "--no-hash", "--no-learn", "--fail-on-alert", "--where", 'detector == "none"', env=env)
    check("--fail-on-alert counts only the alerts --where keeps", p.returncode == 0, p.returncode)

    # Packet filters against tshark: the same frames, and export carves the same packets.
    expr = "tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.dst == 10.0.0.80"
    ours = ps("packets", cap, "--filter", expr, "--fields", "frame.number").stdout.decode().split()
    theirs = subprocess.run(["tshark", "-n", "-r", cap, "-Y", expr, "-T", "fields", "-e", "frame.number"],
                            capture_output=True).stdout.decode().split()
    check("packets --filter selects tshark -Y's frames", ours == theirs and len(ours) > 1000, f"{len(ours)} vs {len(theirs)}")
    out = os.path.join(tmp, "carved.pcap")
    p = ps("export", cap, "--filter", expr, "-o", out)
    carved = ps("packets", out, "--fields", "frame.time_epoch,frame.len").stdout
    reference = os.path.join(tmp, "tshark.pcap")
    subprocess.run(["tshark", "-n", "-r", cap, "-Y", expr, "-w", reference], check=True, capture_output=True)
    check("export --filter carves tshark -Y -w's packets", p.returncode == 0 and carved ==
          ps("packets", reference, "--fields", "frame.time_epoch,frame.len").stdout and len(carved) > 0)
    p = ps("export", cap, "--filter", 'dns.qry.name contains "rebind"', "-o", os.path.join(tmp, "dns.pcap"))
    # The query and its response both carry the name.
    check("export --filter on an application field", p.returncode == 0 and b"wrote 2 packets" in p.stderr, p.stderr)
    p = ps("export", cap, "--filter", "ip.addr == 203.0.113.66 && tcp.flags.syn == 1", "--sessions",
           "-o", os.path.join(tmp, "upload.pcap"))
    up = jsonl(ps("sessions", os.path.join(tmp, "upload.pcap"), "--format", "json"))
    exfil = [r for r in conn if r["id.resp_h"] == "203.0.113.66"]
    check("export --sessions carves whole sessions", p.returncode == 0 and len(up) == 1 and
          up[0]["orig_pkts"] == exfil[0]["orig_pkts"] and up[0]["resp_pkts"] == exfil[0]["resp_pkts"], up)
    p = ps("export", "-", "--filter", "tcp", "--sessions", "-o", os.path.join(tmp, "x.pcap"), stdin=open(cap, "rb").read())
    check("export --sessions refuses stdin", p.returncode == 2 and b"stdin" in p.stderr, p.stderr)
    p = ps("export", cap, "--sessions", "-o", os.path.join(tmp, "y.pcap"))
    check("export --sessions needs --filter", p.returncode == 2, p.stderr)

    # Positioned errors: exit 2, the message, the expression, a caret under the culprit; nothing on stdout.
    cases = [
        (["packets", cap, "--filter", "ip.sorce == 10.0.0.1"], 'unknown field "ip.sorce" (did you mean ip.src?)', 0, 8),
        (["export", cap, "-o", os.path.join(tmp, "z.pcap"), "--filter", "tcp.port == "], "ends where a value", 12, 1),
        (["sessions", cap, "--where", "orig_bytes > 10 * resp_byte"], "did you mean resp_bytes?", 18, 9),
        (["dns", cap, "--where", "query matches \"(\""], "bad regular expression", 14, 3),
        (["http", cap, "--where", "method = \"GET\""], '"=" is not an operator', 7, 1),
        (["tls", cap, "--where", "server_name == 10"], None, 0, 0),  # a bare word is a string here: valid
        (["ssh", cap, "--where", "id.orig_h == 300.0.0.1"], "is not an IP address", 13, 9),
        (["analyze", cap, "--no-hash", "--where", "severity >>= 1"], "expected a field", 10, 2),
    ]
    for args, message, column, length in cases:
        p = ps(*args, env=env)
        err = p.stderr.decode().splitlines()
        if message is None:
            check(f"{args[0]}: valid filter accepted", p.returncode == 0, p.stderr)
            continue
        expr = args[-1]
        ok = (p.returncode == 2 and len(err) == 3 and err[0].startswith("pcapscope: filter: ") and message in err[0]
              and f"(column {column + 1})" in err[0] and err[1] == "    " + expr
              and err[2] == "    " + " " * column + "^" + "~" * (length - 1) and not p.stdout)
        check(f"{args[0]}: positioned error for {expr!r}", ok, "\n".join(err))
    check.finish("filter_cli: ")
