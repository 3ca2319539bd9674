#!/usr/bin/env python3
"""Settings as a user meets them: `pcapscope config` shows each value's source
(default, file, environment, flag) and precedence; every setting's
environment variable changes what config reports, and an invalid value stops
the run with "pcapscope: PCAPSCOPE_X=...: expected ..." and exit 2. The list
of settings is read from `pcapscope config --format json`, so detectors'
settings added later are covered without editing this file. The session
settings are shown to change behaviour on the demo capture."""
import json
import os
import subprocess
import sys
import tempfile

from common import run, summary_line

binary, shared, make_demo = sys.argv[1], sys.argv[2], sys.argv[3]
results = []

# A clean environment: no PCAPSCOPE_* from whoever runs the tests.
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PCAPSCOPE_")}


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")


def ps(*args, env=None):
    e = dict(BASE_ENV)
    e.update(env or {})
    return run([binary] + list(args), env=e)


def settings(*args, env=None):
    p = ps("config", "--format", "json", *args, env=env)
    if p.returncode != 0:
        return None, p
    return {s["name"]: s for s in map(json.loads, p.stdout.decode().splitlines())}, p


def err_line(p):
    lines = p.stderr.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else ""


SUFFIX = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
TIME = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def scaled(text, table):
    t = text.strip().lower()
    mult = 1
    if t and t[-1] in table and t[-1].isalpha():
        mult, t = table[t[-1]], t[:-1]
    return float(t) * mult


def in_bounds(s, x):
    lo, hi = s["min"], s["max"]
    if lo is not None and (x <= lo if s["min_exclusive"] else x < lo):
        return False
    if hi is not None and x > hi:
        return False
    return True


def valid_other(s):
    """A valid value for setting S that differs from its default, as text."""
    kind, d = s["kind"], s["default"]
    if kind in ("number", "count", "bytes", "seconds"):
        table = SUFFIX if kind == "bytes" else TIME if kind == "seconds" else {"": 1}
        dv = scaled(d, table)
        whole = kind in ("count", "bytes")
        for x in (dv + 1, dv * 2, dv - 1, dv / 2, 1, 2, 3, 0.5, 100):
            if whole and x != int(x):
                continue
            if kind == "seconds" and (x > 9e9 or x <= 0):
                continue
            if x != dv and in_bounds(s, x):
                return str(int(x)) if whole or x == int(x) else repr(x)
        return None
    if kind == "bool":
        return "false" if d.lower() in ("true", "yes", "on", "1") else "true"
    if kind == "text":
        return "config-test-text"
    if kind == "path":
        return "/nonexistent/pcapscope-config-test"
    if kind == "networks":
        return "198.51.100.0/24" if "198.51.100.0/24" not in d else "203.0.113.0/24"
    if kind == "severity":
        return "critical" if d != "critical" else "low"
    return None


INVALID = {"number": "abc", "count": "abc", "bytes": "lots", "seconds": "soon", "bool": "maybe",
           "networks": "not-a-network", "severity": "extreme"}

with tempfile.TemporaryDirectory() as tmp:
    demo = os.path.join(tmp, "demo.pcap")
    subprocess.run([make_demo, demo], check=True, stdout=subprocess.DEVNULL)

    # The table, with everything at its default.
    table, p = settings()
    check("config --format json runs", table is not None, err_line(p))
    table = table or {}
    check("config lists the session settings",
          all(n in table for n in ("tcp_timeout", "udp_timeout", "icmp_timeout", "tcp_close_timeout",
                                   "max_sessions", "reassembly_memory", "fragment_memory", "internal")),
          str(sorted(table)))
    check("all at default", all(s["source"] == "default" and s["value"] == s["default"] for s in table.values()))
    check("json has env, help and expected",
          all(s["env"] == "PCAPSCOPE_" + s["name"].upper() and s["help"] and s["expected"] for s in table.values()))

    # Every setting: its variable changes what config reports; an invalid value is rejected exactly.
    for name, s in table.items():
        value = valid_other(s)
        if value is None:
            check(f"{name}: a valid non-default value exists", False, str(s))
            continue
        got, p = settings(env={s["env"]: value})
        ok = got is not None and got[name]["value"] == value and got[name]["source"] == "environment" \
            and got[name]["origin"] == s["env"]
        check(f"{s['env']}={value} shows in config", ok, err_line(p) if got is None else str(got[name]))
        bad = INVALID.get(s["kind"])
        if bad is None:
            continue  # text and paths take any text
        p = ps("config", env={s["env"]: bad})
        want = f"pcapscope: {s['env']}={bad}: expected {s['expected']}"
        line = err_line(p)
        exact = line == want or (s["kind"] == "networks" and line.startswith(want + ": "))
        check(f"{s['env']}={bad} rejected", p.returncode == 2 and exact and not p.stdout,
              f"exit {p.returncode}: {line!r} (want {want!r})")

    # Sources and precedence: flag > environment > file > default, shown by config.
    cfg = os.path.join(tmp, "pcapscope.toml")
    with open(cfg, "w") as f:
        # Flat keys first (after a table header every key belongs to that table), then tables.
        f.write("# test\nmax_sessions = 5000\ninternal = [\"10.0.0.0/8\", \"192.0.2.0/24\"]\n"
                "[udp]\ntimeout = 30\n\n[tcp]\ntimeout = \"2m\"\n")
    got, p = settings("--config", cfg, "--tcp-timeout", "90", env={"PCAPSCOPE_MAX_SESSIONS": "6000"})
    check("config with file, env and flag runs", got is not None, err_line(p))
    if got:
        check("file source and origin", got["udp_timeout"]["source"] == "file"
              and got["udp_timeout"]["origin"] == f"{cfg}:5" and got["udp_timeout"]["value"] == "30",
              str(got["udp_timeout"]))
        check("array of networks from the file", got["internal"]["value"] == "10.0.0.0/8,192.0.2.0/24",
              str(got["internal"]))
        check("environment over file", got["max_sessions"]["source"] == "environment"
              and got["max_sessions"]["value"] == "6000", str(got["max_sessions"]))
        check("flag over file", got["tcp_timeout"]["source"] == "flag" and got["tcp_timeout"]["origin"] == "--tcp-timeout"
              and got["tcp_timeout"]["value"] == "90", str(got["tcp_timeout"]))
        check("untouched stays default", got["icmp_timeout"]["source"] == "default")
    got, p = settings("--tcp-timeout", "91", env={"PCAPSCOPE_TCP_TIMEOUT": "92"})
    check("flag over environment", got is not None and got["tcp_timeout"]["value"] == "91", err_line(p))
    got, p = settings("--set", "udp_timeout=33", env={"PCAPSCOPE_UDP_TIMEOUT": "34"})
    check("--set over environment", got is not None and got["udp_timeout"]["value"] == "33"
          and got["udp_timeout"]["origin"] == "--set udp_timeout", err_line(p) if got is None else str(got["udp_timeout"]))
    got, p = settings(env={"PCAPSCOPE_CONFIG": cfg})
    check("PCAPSCOPE_CONFIG names the file", got is not None and got["udp_timeout"]["source"] == "file", err_line(p))

    # The text table names sources and origins.
    p = ps("config", "--config", cfg, "--max-sessions", "7", env={"PCAPSCOPE_ICMP_TIMEOUT": "9"})
    text = p.stdout.decode()
    rows = {line.split()[0]: line for line in text.splitlines() if line and not line.startswith("config file")}
    check("text: exit 0 and header", p.returncode == 0 and text.startswith(f"config file: {cfg} (from --config)")
          and "SETTING" in rows, text[:300])
    check("text: flag row", "flag --max-sessions" in rows.get("max_sessions", ""), rows.get("max_sessions", ""))
    check("text: file row", f"file {cfg}:5" in rows.get("udp_timeout", ""), rows.get("udp_timeout", ""))
    check("text: environment row", " environment " in rows.get("icmp_timeout", "")
          and "PCAPSCOPE_ICMP_TIMEOUT" in rows.get("icmp_timeout", ""), rows.get("icmp_timeout", ""))
    check("text: default row", " default " in rows.get("fragment_memory", ""), rows.get("fragment_memory", ""))
    header = next((line for line in text.splitlines() if line.startswith("SETTING")), "")
    col = header.find("VALUE")
    check("text: aligned columns", col > 0 and all(line[col - 2:col] == "  " for line in rows.values()), header)

    # Errors: one line, exit 2.
    cases = [
        ("flag value", ["config", "--tcp-timeout", "soon"], {},
         "pcapscope: --tcp-timeout=soon: expected a number of seconds greater than 0 and at most 9e9 "
         "(suffix s, m, h or d allowed)"),
        ("unknown --set", ["config", "--set", "nosuch=1"], {}, "pcapscope: --set nosuch: unknown setting \"nosuch\""),
        ("malformed --set", ["config", "--set", "tcp_timeout"], {}, "pcapscope: --set: "),
        ("missing file", ["config", "--config", os.path.join(tmp, "none.toml")], {},
         f"pcapscope: {os.path.join(tmp, 'none.toml')}: cannot open: "),
        ("sessions with bad env", ["sessions", demo], {"PCAPSCOPE_UDP_TIMEOUT": "x"}, "pcapscope: PCAPSCOPE_UDP_TIMEOUT=x: "),
        ("packets with bad env", ["packets", demo], {"PCAPSCOPE_MAX_SESSIONS": "0"},
         "pcapscope: PCAPSCOPE_MAX_SESSIONS=0: expected a whole number of at least 1"),
        ("dns with bad file", ["dns", demo, "--config", cfg + ".bad"], {}, f"pcapscope: {cfg}.bad:2: "),
        ("follow with bad flag", ["follow", demo, "--index", "0", "--udp-timeout", "0"], {},
         "pcapscope: --udp-timeout=0: expected "),
    ]
    with open(cfg + ".bad", "w") as f:
        f.write("tcp_timeout = 5\nudp_timeot = 4\n")
    for name, args, env, want in cases:
        p = ps(*args, env=env)
        line = err_line(p)
        check(f"error: {name}", p.returncode == 2 and line.startswith(want) and len(p.stderr.splitlines()) == 1
              and not p.stdout, f"exit {p.returncode}: {line!r} (want {want!r})")
    p = ps("config", "--config", cfg + ".bad")
    check("unknown key: line and suggestion", "did you mean udp_timeout?" in err_line(p), err_line(p))
    syntax = os.path.join(tmp, "syntax.toml")
    with open(syntax, "w") as f:
        f.write("udp_timeout = 4\n[tcp\ntimeout = 3\n")
    p = ps("config", "--config", syntax)
    check("TOML syntax error with line", p.returncode == 2 and err_line(p).startswith(f"pcapscope: {syntax}:2: TOML syntax error"),
          err_line(p))

    # Behaviour on a real capture: the session settings change what sessions reports.
    def sessions(env=None, *args):
        p = ps("sessions", "--format", "json", demo, *args, env=env)
        return [json.loads(line) for line in p.stdout.decode().splitlines()], p

    with open(os.path.join(tmp, "udp.toml"), "w") as f:
        f.write("[udp]\ntimeout = 0.001\n")
    base, p = sessions()
    check("sessions on the demo", p.returncode == 0 and len(base) > 0, err_line(p))

    def differs(name, env, args=(), what=None):
        got, q = sessions(env, *args)
        detail = f"{len(base)} -> {len(got)} sessions; {err_line(q)}"
        check(name, q.returncode == 0 and (what(got, q) if what else len(got) != len(base)), detail)

    differs("PCAPSCOPE_UDP_TIMEOUT splits UDP sessions", {"PCAPSCOPE_UDP_TIMEOUT": "0.001"})
    differs("--udp-timeout does the same", None, ("--udp-timeout", "0.001"))
    differs("file udp_timeout does the same", {"PCAPSCOPE_CONFIG": os.path.join(tmp, "udp.toml")})
    differs("PCAPSCOPE_TCP_TIMEOUT splits TCP sessions", {"PCAPSCOPE_TCP_TIMEOUT": "0.001"})
    differs("PCAPSCOPE_ICMP_TIMEOUT ends ICMP sessions", {"PCAPSCOPE_ICMP_TIMEOUT": "0.001"},
            what=lambda got, q: got != base)
    differs("PCAPSCOPE_MAX_SESSIONS=1 evicts", {"PCAPSCOPE_MAX_SESSIONS": "1"},
            what=lambda got, q: b"ended early" in q.stderr)
    # A closed session waits this long for stray packets (the last ACK after the FINs) before it ends.
    differs("PCAPSCOPE_TCP_CLOSE_TIMEOUT decides where the last ACK goes", {"PCAPSCOPE_TCP_CLOSE_TIMEOUT": "0.000001"},
            what=lambda got, q: got != base)

summary_line(sum(results), len(results) - sum(results), "config_cli: ")
sys.exit(0 if all(results) else 1)
