#!/usr/bin/env python3
"""`pcapscope analyze` end to end on the labelled incident capture that
`make demo` uses: the detectors fire exactly on the planted incidents; every
JSON line follows docs/output.md and records join by uid; --out-dir,
--fail-on-alert, PCAPSCOPE_PCAP, the whitelist, settings from the
environment, and the baseline across runs (learn, 30 days later, more than
90 days later, concurrent runs, a damaged file)."""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

from common import Checks, clean_env, run

binary, shared, make_incidents, docs_dir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
check = Checks()
DAY = 86400


def ps(*args, env=None, timeout=300):
    return run([binary] + list(args), env=env, timeout=timeout)


def jsonl(p):
    return [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]


def alerts_of(lines):
    return [r for r in lines if r.get("record") == "alert"]


def shift_pcap(src, dst, days):
    """Copies a classic pcap with every timestamp moved by DAYS (the baseline judges capture time)."""
    data = bytearray(open(src, "rb").read())
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        sec, _, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        struct.pack_into(endian + "I", data, off, sec + days * DAY)
        off += 16 + incl
    open(dst, "wb").write(bytes(data))


with tempfile.TemporaryDirectory() as tmp:
    cap = os.path.join(tmp, "incidents.pcap")
    labels_path = os.path.join(tmp, "labels.json")
    subprocess.run([make_incidents, cap, "--labels", labels_path], check=True, stdout=subprocess.DEVNULL)
    labels = json.load(open(labels_path))
    base = os.path.join(tmp, "baseline.sqlite")
    env = clean_env(PCAPSCOPE_BASELINE=base)

    # --- The schema: docs/output.md is current, and every line follows it.
    md = ps("fields", "--records", "--format", "markdown").stdout.decode()
    doc = open(os.path.join(docs_dir, "output.md")).read()
    section = re.search(r"<!-- records:begin -->\n(.*?)<!-- records:end -->", doc, re.S)
    check("docs/output.md record tables are current (pcapscope fields --records --format markdown)",
          section and section.group(1).strip() == md.strip())
    schema = {}
    for line in ps("fields", "--records", "--format", "json").stdout.decode().splitlines():
        k = json.loads(line)
        schema.setdefault(k["record"], {})[k["key"]] = k["type"]
    extras = {}
    m = re.search(r"<!-- alert-extras:begin -->\n(.*?)<!-- alert-extras:end -->", doc, re.S)
    for row in re.findall(r"^\| `([a-z_]+)` \| `([a-z_]+)` \| ([a-z ]+?) \|", m.group(1) if m else "", re.M):
        extras.setdefault(row[0], {})[row[1]] = row[2]
    pytypes = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list,
               "array of string": list, "array of integer": list, "array of object": list}

    def conforms(rec):
        kind = rec.get("record")
        if kind not in schema:
            return f"unknown record {kind!r}"
        for key, value in rec.items():
            typ = schema[kind].get(key)
            if typ is None and kind == "alert":
                typ = extras.get(rec.get("detector"), {}).get(key)
            if typ is None:
                return f"{kind}: key {key!r} not in docs/output.md"
            if typ in ("integer",) and isinstance(value, bool) or not isinstance(value, pytypes[typ]):
                return f"{kind}.{key}: {value!r} is not {typ}"
        return None

    p = ps("analyze", cap, "--format", "jsonl", env=env)
    check("analyze --format jsonl exits 0", p.returncode == 0, p.stderr.decode())
    lines = jsonl(p)
    bad = [(r, conforms(r)) for r in lines if conforms(r)]
    check(f"every jsonl line ({len(lines)}) follows docs/output.md", not bad, bad[:3])
    kinds = {r["record"] for r in lines}
    check("jsonl has conn, dns, http, ssl, ssh, alert and evidence records",
          kinds >= {"conn", "dns", "http", "ssl", "ssh", "alert", "evidence"}, kinds)
    conn_uids = {r["uid"] for r in lines if r["record"] == "conn"}
    orphans = [r for r in lines if r["record"] in ("dns", "http", "ssl", "ssh") and r["uid"] not in conn_uids]
    orphans += [u for a in alerts_of(lines) for u in a["uids"] if u not in conn_uids]
    check("dns/http/ssl/ssh records and alert uids join conn records by uid", not orphans, orphans[:3])
    frames_ok = all(a["frames"] == sorted(a["frames"]) and all(f > 0 for f in a["frames"]) for a in alerts_of(lines))
    check("alert frames are ascending frame numbers", frames_ok)

    # --- Exactly the planted incidents.
    alerts = alerts_of(lines)

    def matches(a, lab):
        return a["detector"] == lab["detector"] and all(
            lab[k] is None or a.get(k) == lab[k] for k in ("src", "dst", "dst_port"))

    for lab in labels:
        hits = [a for a in alerts if matches(a, lab)]
        check(f"planted {lab['detector']} ({lab['description']}) fires once", len(hits) == 1,
              [(a["detector"], a.get("src"), a.get("dst"), a.get("dst_port")) for a in alerts])
    extra = [a for a in alerts if not any(matches(a, lab) for lab in labels)]
    check("no alert beyond the planted incidents", not extra,
          [(a["detector"], a.get("src"), a.get("dst"), a.get("dst_port"), a["message"]) for a in extra])
    check("one planted incident per detector", sorted(l["detector"] for l in labels) == sorted(
        ["exfiltration", "dns_tunnel", "syn_flood", "port_scan", "beacon", "ssh_new_network", "cleartext",
         "port_mismatch"]), [l["detector"] for l in labels])

    # --- The text report.
    p = ps("analyze", cap, env=env)
    text = p.stdout.decode()
    check("report has evidence, wire and alert sections",
          all(s in text for s in ("== Evidence ==", "sha256", "== On the wire ==", "top talkers", "== Alerts:")), text[:400])
    sev_order = [m.group(1) for m in re.finditer(r"^\[(CRITICAL|HIGH|MEDIUM|LOW|INFO)\]", text, re.M)]
    rank = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFO": 4}
    check("report lists alerts most severe first", sev_order == sorted(sev_order, key=rank.get) and
          len(sev_order) == len(labels), sev_order)

    # --- Exit codes and inputs.
    p = ps("analyze", cap, "--fail-on-alert", env=env)
    check("--fail-on-alert exits 1 when alerts fired", p.returncode == 1, p.returncode)
    top = min(rank[s] for s in sev_order) if sev_order else 4
    above = {0: None, 1: "critical", 2: "high", 3: "medium", 4: "low"}[top]
    if above:
        p = ps("analyze", cap, f"--fail-on-alert={above}", env=env)
        check(f"--fail-on-alert={above} exits 0 when nothing reached it", p.returncode == 0, p.returncode)
    p = ps("analyze", cap, "--fail-on-alert=severe", env=env)
    check("--fail-on-alert with a bad severity: exit 2, one line", p.returncode == 2 and
          p.stderr.decode().count("\n") == 1 and b"severe" in p.stderr, p.stderr)
    p = ps("analyze", "--format", "jsonl", env=clean_env(PCAPSCOPE_BASELINE=base, PCAPSCOPE_PCAP=cap))
    check("PCAPSCOPE_PCAP names the input when no FILE is given",
          p.returncode == 0 and len(alerts_of(jsonl(p))) == len(alerts), p.stderr)
    p = ps("analyze", env=env)
    check("no input at all: exit 2", p.returncode == 2 and b"PCAPSCOPE_PCAP" in p.stderr, p.stderr)

    # --- Settings from the environment change what fires; bad values stop the run.
    def detectors_with(**vars):
        q = ps("analyze", cap, "--format", "jsonl", "--no-learn", env=clean_env(PCAPSCOPE_BASELINE=base, **vars))
        return sorted(a["detector"] for a in alerts_of(jsonl(q))), q
    planted = sorted(l["detector"] for l in labels)
    for var, value, gone in [("PCAPSCOPE_EXFIL_RATIO", "1000", "exfiltration"),
                             ("PCAPSCOPE_EXFIL_MIN_BYTES", "100M", "exfiltration"),
                             ("PCAPSCOPE_INTERNAL", "192.168.0.0/16", ("exfiltration", "beacon")),
                             ("PCAPSCOPE_DNS_TUNNEL_MIN_SUBDOMAINS", "100000", "dns_tunnel"),
                             ("PCAPSCOPE_SYN_FLOOD_MIN_HALF_OPEN", "100000", "syn_flood"),
                             ("PCAPSCOPE_PORT_SCAN_MIN_PORTS", "5000", "port_scan"),
                             ("PCAPSCOPE_BEACON_MIN_CONNECTIONS", "1000", "beacon"),
                             ("PCAPSCOPE_PORT_MISMATCH_MIN_SESSIONS", "5", "port_mismatch")]:
        got, q = detectors_with(**{var: value})
        gone = gone if isinstance(gone, tuple) else (gone,)
        want = [d for d in planted if d not in gone]
        check(f"{var}={value} silences {' and '.join(gone)} only", got == want, (got, q.stderr.decode()[:200]))
    labels_by = {l["detector"]: l for l in labels}
    ex = labels_by.get("exfiltration", {})
    got, _ = detectors_with(PCAPSCOPE_WHITELIST=f"{ex.get('dst')},192.0.2.0/24")
    check("PCAPSCOPE_WHITELIST suppresses alerts involving its endpoints",
          "exfiltration" not in got and "ssh_new_network" not in got and len(got) == len(planted) - 2, got)
    for var, value, expect in [("PCAPSCOPE_EXFIL_RATIO", "abc", "pcapscope: PCAPSCOPE_EXFIL_RATIO=abc: expected a number greater than 1\n"),
                               ("PCAPSCOPE_WHITELIST", "10.0.0.300", "PCAPSCOPE_WHITELIST=10.0.0.300: expected"),
                               ("PCAPSCOPE_SSH_NEW_NETWORK_DAYS", "-3", "PCAPSCOPE_SSH_NEW_NETWORK_DAYS=-3: expected")]:
        q = ps("analyze", cap, env=clean_env(PCAPSCOPE_BASELINE=base, **{var: value}))
        err = q.stderr.decode()
        check(f"invalid {var}={value}: exit 2 with one line", q.returncode == 2 and expect in err and
              err.count("\n") == 1, (q.returncode, err))

    # --- --out-dir: a case directory, never beside the evidence unless told.
    case = os.path.join(tmp, "case")
    p = ps("analyze", cap, "--out-dir", case, env=env)
    names = sorted(os.listdir(case)) if os.path.isdir(case) else []
    check("--out-dir writes Zeek logs, alerts.jsonl, report.txt", p.returncode == 0 and names == sorted(
        ["conn.log", "dns.log", "http.log", "ssl.log", "ssh.log", "alerts.jsonl", "report.txt"]), (names, p.stderr))
    if names:
        conn = open(os.path.join(case, "conn.log")).read()
        check("conn.log is a Zeek TSV log", conn.startswith("#separator") and "#fields\tts\tuid" in conn)
        written = [json.loads(l) for l in open(os.path.join(case, "alerts.jsonl"))]
        check("alerts.jsonl holds every alert", len(written) == len(alerts) and all(not conforms(a) for a in written))
        check("report.txt is the report", "== Alerts:" in open(os.path.join(case, "report.txt")).read())
    p = ps("analyze", cap, "--out-dir", case, env=env)
    check("--out-dir refuses to overwrite without --force", p.returncode == 2 and b"--force" in p.stderr, p.stderr)
    p = ps("analyze", cap, "--out-dir", case, "--force", env=env)
    check("--out-dir --force overwrites", p.returncode == 0, p.stderr)
    p = ps("analyze", cap, "--out-dir", tmp, env=env)
    check("--out-dir in the evidence's directory is refused", p.returncode == 2 and
          not os.path.exists(os.path.join(tmp, "conn.log")), p.stderr)

    # --- The baseline across runs, judged by capture time.
    ssh = labels_by["ssh_new_network"]
    server = ssh["dst"]
    new_net = ".".join(ssh["src"].split(".")[:3]) + ".0/24"
    known = os.path.join(tmp, "known.pcap")   # logins from the networks seen first
    new = os.path.join(tmp, "new.pcap")       # the login from the new network
    subprocess.run(["tcpdump", "-r", cap, "-w", known, f"host {server} and not net {new_net}"],
                   check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["tcpdump", "-r", cap, "-w", new, f"host {server} and host {ssh['src']}"],
                   check=True, stderr=subprocess.DEVNULL)
    store = os.path.join(tmp, "store", "b.sqlite")
    benv = clean_env(PCAPSCOPE_BASELINE=store)

    def ssh_alerts(*files):
        q = ps("analyze", *files, "--format", "jsonl", env=benv)
        return [a for a in alerts_of(jsonl(q)) if a["detector"] == "ssh_new_network"], q
    got, q = ssh_alerts(known)
    check("baseline: a first capture learns the server's client networks (no alert)", q.returncode == 0 and
          not got and os.path.exists(store), (got, q.stderr))
    k30, n30 = os.path.join(tmp, "known30.pcap"), os.path.join(tmp, "new30.pcap")
    shift_pcap(known, k30, 30)
    shift_pcap(new, n30, 30)
    got, q = ssh_alerts(k30, n30)
    check("baseline: 30 days later the learned network raises nothing, a new one raises one alert",
          len(got) == 1 and got[0]["src"] == ssh["src"], (got, q.stderr))
    k130 = os.path.join(tmp, "known130.pcap")
    shift_pcap(known, k130, 130)
    got, q = ssh_alerts(k130)
    check("baseline: more than 90 days after it was last seen, the first network alerts again",
          len(got) == 1 and got[0]["src"] != ssh["src"], (got, q.stderr))
    procs = [subprocess.Popen([binary, "analyze", cap, "--format", "jsonl"], env=benv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    outs = [pr.communicate(timeout=300) for pr in procs]
    check("baseline: two concurrent analyze runs on one baseline both succeed",
          all(pr.returncode == 0 for pr in procs) and all(b'"record":"evidence"' in o[0] for o in outs),
          [o[1] for o in outs])
    broken = os.path.join(tmp, "broken.sqlite")
    open(broken, "wb").write(b"this is not a database\n" * 100)
    before = open(broken, "rb").read()
    q = ps("analyze", cap, env=clean_env(PCAPSCOPE_BASELINE=broken))
    check("a damaged baseline is reported in one line and left untouched",
          q.returncode == 2 and b"broken.sqlite" in q.stderr and q.stderr.count(b"\n") == 1 and
          open(broken, "rb").read() == before, q.stderr)

check.finish("analyze: ")
