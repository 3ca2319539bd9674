#!/usr/bin/env python3
"""`pcapscope sql` end to end on the labelled incident capture: every table
holds exactly the records `analyze --format jsonl --no-learn` writes, with the
same values; GROUP BY and the SQL functions agree with Python; json and csv
parse; a --db file gives the same answers read-only; the evidence, the
baseline and a case file are never written by a query."""
import csv
import hashlib
import io
import ipaddress
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter

from common import Checks, clean_env, run

binary, shared, make_incidents = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def one_error_line(p):
    lines = p.stderr.decode().strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("pcapscope: ")


with tempfile.TemporaryDirectory() as tmp:
    cap = os.path.join(tmp, "incidents.pcap")
    subprocess.run([make_incidents, cap], check=True, stdout=subprocess.DEVNULL)
    cap_sha = sha256(cap)
    base = os.path.join(tmp, "baseline.sqlite")
    env = clean_env(PCAPSCOPE_BASELINE=base)

    def ps(*args, timeout=300):
        return run([binary] + list(args), env=env, timeout=timeout)

    def sql_rows(*args):
        p = ps("sql", *args, "--format", "json")
        if p.returncode != 0:
            check(f"sql {args[-1][:60]}", False, p.stderr.decode())
            return []
        return [json.loads(line) for line in p.stdout.decode().splitlines()]

    # --- The reference: analyze's records.
    a = ps("analyze", cap, "--format", "jsonl", "--no-learn", "--no-hash")
    check("analyze --format jsonl runs", a.returncode == 0, a.stderr.decode())
    ref = {}
    for line in a.stdout.decode().splitlines():
        r = json.loads(line)
        ref.setdefault(r.pop("record"), []).append(r)
    check("analyze wrote no baseline with --no-learn", not os.path.exists(base))
    types = {}
    for line in ps("fields", "--records", "--format", "json").stdout.decode().splitlines():
        k = json.loads(line)
        types.setdefault(k["record"], {})[k["key"].replace(".", "_")] = k["type"]

    # --- Counts per table.
    tables = {"conn": "conn", "dns": "dns", "http": "http", "ssl": "ssl", "ssh": "ssh", "alerts": "alert"}
    count_sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in tables)
    counts = sql_rows(cap, count_sql)
    want = {t: len(ref.get(kind, [])) for t, kind in tables.items()}
    check("table counts equal analyze's records", counts == [want], f"{counts} != {want}")
    check("the capture has every kind of record", all(want.values()), want)

    # --- Values: every row equals analyze's record (keys with '_', arrays as JSON text, bools 0/1).
    def normalise(kind, row):
        out = {}
        for k, v in row.items():
            if v is None:
                continue
            t = types[kind].get(k, "")
            if t.startswith("array") and isinstance(v, str):
                v = json.loads(v)
            elif t == "boolean":
                v = bool(v)
            elif t == "number":  # REAL columns: 3.0 in SQL, 3 in analyze's JSON
                v = float(v)
            out[k] = v
        return json.dumps(out, sort_keys=True)

    for table, kind in tables.items():
        got = sql_rows(cap, f"SELECT * FROM {table}")
        if kind == "alert":
            for g in got:
                g.update(json.loads(g.pop("extra") or "{}"))
        mine = sorted(normalise(kind, g) for g in got)
        theirs = sorted(normalise(kind, {k.replace(".", "_"): v for k, v in r.items()}) for r in ref.get(kind, []))
        diff = [(m, t) for m, t in zip(mine, theirs) if m != t][:1]
        check(f"{table}: every row equals analyze's {kind} record", mine == theirs, diff or (len(mine), len(theirs)))

    # --- GROUP BY, against Python over analyze's records.
    by_proto = {r["proto"]: r["n"] for r in sql_rows(cap, "SELECT proto, count(*) AS n FROM conn GROUP BY proto")}
    check("GROUP BY proto equals Python's count", by_proto == dict(Counter(r["proto"] for r in ref["conn"])), by_proto)
    top = sql_rows(cap, "SELECT registered_domain(query) AS d, count(*) AS n FROM dns GROUP BY d ORDER BY n DESC LIMIT 1")
    check("GROUP BY registered_domain: the tunnel domain leads with its 400 queries",
          top == [{"d": "tunnel-c2.com", "n": 400}], top)

    # --- The functions in WHERE, against values computed here.
    internal = ipaddress.ip_network("10.0.0.0/8")
    n = sql_rows(cap, "SELECT count(*) AS n FROM conn WHERE in_cidr(id_orig_h, '10.0.0.0/8')")
    py = sum(1 for r in ref["conn"] if ipaddress.ip_address(r["id.orig_h"]) in internal)
    check("in_cidr in WHERE", n == [{"n": py}] and 0 < py < len(ref["conn"]), (n, py))
    n = sql_rows(cap, "SELECT count(*) AS n FROM conn WHERE NOT in_cidr(id_resp_h, '10.0.0.0/8') "
                      "AND NOT in_cidr(id_resp_h, '2001:db8::/32')")
    py = sum(1 for r in ref["conn"] if ipaddress.ip_address(r["id.resp_h"]) not in internal)
    check("in_cidr with an IPv6 network in WHERE", n == [{"n": py}], (n, py))
    n = sql_rows(cap, "SELECT count(*) AS n FROM dns WHERE registered_domain(query) = 'tunnel-c2.com'")
    py = sum(1 for r in ref["dns"] if r.get("query", "").lower().rstrip(".").endswith("tunnel-c2.com"))
    check("registered_domain in WHERE", n == [{"n": py}] and py == 400, (n, py))

    def entropy(s):
        b = s.encode()
        return -sum(c / len(b) * math.log2(c / len(b)) for c in Counter(b).values()) if b else 0.0

    got = {r["query"]: r["e"] for r in sql_rows(cap, "SELECT query, entropy(query) AS e FROM dns WHERE entropy(query) > 4.0")}
    py = {r["query"] for r in ref["dns"] if "query" in r and entropy(r["query"]) > 4.0}
    close = all(abs(e - entropy(q)) < 1e-9 for q, e in got.items())
    check("entropy in WHERE", set(got) == py and len(py) >= 300 and close, (len(got), len(py)))
    p = ps("sql", cap, "SELECT country(id_orig_h) FROM conn")
    check("country() without GeoIP is a clear error",
          p.returncode == 2 and "country(): no GeoIP database configured" in p.stderr.decode(), p.stderr.decode())

    mmdb = os.path.join(tmp, "test.mmdb")
    tools = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools")
    made = subprocess.run(["perl", os.path.join(tools, "make_test_mmdb.pl"), mmdb], capture_output=True)
    check("the test GeoIP database is written", made.returncode == 0, made.stderr.decode())
    got = sql_rows(cap, "--set", f"geoip_db={mmdb}", "SELECT country('198.51.100.200') AS a, country('203.0.113.66') "
                   "AS b, country('192.0.2.200') AS c, country('2001:db8:1::1') AS d, country(NULL) AS e")
    check("country() with --set geoip_db (a --set before the query does not swallow it)",
          got == [{"a": "DE", "b": "US", "c": None, "d": "FR", "e": None}], got)

    # --- Formats.
    p = ps("sql", cap, "SELECT uid, ts, service, duration FROM conn ORDER BY ts, uid", "--format", "csv")
    rows = list(csv.reader(io.StringIO(p.stdout.decode())))
    js = sql_rows(cap, "SELECT uid, ts, service, duration FROM conn ORDER BY ts, uid")
    check("csv parses: header and one row per record", rows[0] == ["uid", "ts", "service", "duration"]
          and len(rows) == len(ref["conn"]) + 1, rows[:2])
    check("csv and json agree (NULL empty in csv, null in json)",
          all(r[0] == j["uid"] and float(r[1]) == j["ts"] and r[2] == (j["service"] or "")
              and (r[3] == "") == (j["duration"] is None) for r, j in zip(rows[1:], js)))
    p = ps("sql", cap, "SELECT 'a,\"b\"' AS x, NULL AS y", "--format", "csv")
    check("csv quotes as RFC 4180", p.stdout.decode() == 'x,y\n"a,""b""",\n', p.stdout)
    p = ps("sql", cap, "SELECT uid, service FROM conn WHERE service IS NULL LIMIT 1")
    lines = p.stdout.decode().splitlines()
    check("table: a header, aligned rows, NULL as -", len(lines) == 2 and lines[0].split() == ["uid", "service"]
          and lines[1].split()[1] == "-" and lines[1].index("-", 19) == lines[0].index("service"), lines)

    # --- --db: build, then read-only queries give the same answers.
    case = os.path.join(tmp, "case.sqlite")
    q = "SELECT c.uid, c.ts, d.query, a.detector FROM conn c LEFT JOIN dns d USING (uid) " \
        "LEFT JOIN alerts a ON c.uid IN (SELECT value FROM json_each(a.uids)) ORDER BY c.ts, c.uid, d.query LIMIT 500"
    mem = ps("sql", cap, q, "--format", "json")
    p = ps("sql", "--db", case, cap, q, "--format", "json")
    check("--db build with a query", p.returncode == 0 and p.stdout == mem.stdout, p.stderr.decode())
    check("--db build leaves no partial file", "case.sqlite" in os.listdir(tmp)
          and not any(".partial-" in f for f in os.listdir(tmp)), os.listdir(tmp))
    p = ps("sql", "--db", case, q, "--format", "json")
    check("--db read-only query equals the in-memory run", p.returncode == 0 and p.stdout == mem.stdout,
          p.stderr.decode())
    files = sql_rows("--db", case, "SELECT * FROM files")
    info = json.loads(ps("info", cap, "--format", "json").stdout.decode().splitlines()[0])
    check("files: path, sha256 and packets of the evidence", len(files) == 1 and files[0]["sha256"] == cap_sha
          and files[0]["packets"] == info["packets"] and files[0]["size"] == os.path.getsize(cap), (files, info))
    meta = {r["key"]: r["value"] for r in sql_rows("--db", case, "SELECT * FROM meta")}
    check("meta: version, created_at, schema_version", {"pcapscope_version", "created_at", "schema_version"} <= set(meta)
          and meta["schema_version"] == "1", meta)
    case_sha = sha256(case)
    p = ps("sql", "--db", case, cap)
    check("a second build without --force is refused", p.returncode == 2 and one_error_line(p)
          and "exists" in p.stderr.decode() and sha256(case) == case_sha, p.stderr.decode())
    p = ps("sql", "--db", cap, cap)
    check("--db naming an input is refused", p.returncode == 2 and one_error_line(p), p.stderr.decode())
    p = ps("sql", "--db", cap, cap, "--force")
    check("--db naming an input is refused even with --force", p.returncode == 2 and sha256(cap) == cap_sha)
    for what, query in [("INSERT", "INSERT INTO meta VALUES ('k', 'v')"), ("DELETE", "DELETE FROM conn"),
                        ("ATTACH", f"ATTACH '{os.path.join(tmp, 'x.sqlite')}' AS x"),
                        ("VACUUM INTO", f"VACUUM INTO '{os.path.join(tmp, 'x.sqlite')}'"),
                        ("PRAGMA query_only = 0", "PRAGMA query_only = 0; INSERT INTO meta VALUES ('k', 'v')"),
                        ("CREATE TABLE", "CREATE TABLE t (a)")]:
        p = ps("sql", "--db", case, query)
        check(f"{what} on a case file is refused", p.returncode == 2 and one_error_line(p)
              and p.stderr.decode().startswith("pcapscope: sql: "), p.stderr.decode())
    check("the case file is unchanged and nothing else was written",
          sha256(case) == case_sha and not os.path.exists(os.path.join(tmp, "x.sqlite")))
    p = ps("sql", cap, "INSERT INTO meta VALUES ('k', 'v')")
    check("in-memory tables are read-only to queries too", p.returncode == 2, p.stderr.decode())
    p = ps("sql", "--db", case, cap, "--force")
    check("--force rebuilds", p.returncode == 0 and "conn " in p.stderr.decode(), p.stderr.decode())

    other = os.path.join(tmp, "other.sqlite")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE meta (key, value)")
    con.commit()
    con.close()
    other_sha = sha256(other)
    for name, path in [("an SQLite file of another program", other), ("a capture", cap)]:
        p = ps("sql", "--db", path, "SELECT 1")
        check(f"--db on {name} is refused with one line", p.returncode == 2 and one_error_line(p)
              and "not a pcapscope sql database" in p.stderr.decode(), p.stderr.decode())
    check("... and left unchanged", sha256(other) == other_sha and sha256(cap) == cap_sha)

    # --- packets.
    info_packets = info["packets"]
    pk = sql_rows(cap, "--packets", "SELECT count(*) AS n, count(uid) AS u, max(frame_number) AS m FROM packets")
    check("--packets: one row per frame, as pcapscope info counts", pk and pk[0]["n"] == info_packets
          and pk[0]["m"] == info_packets and 0 < pk[0]["u"] <= info_packets, (pk, info_packets))
    mism = sql_rows(cap, "--packets", "SELECT uid FROM packets JOIN conn USING (uid) GROUP BY uid "
                                      "HAVING count(*) != max(orig_pkts + resp_pkts) LIMIT 3")
    check("packets.uid joins conn: a session's frames are its packets", mism == [], mism)
    p = ps("sql", cap, "SELECT count(*) FROM packets")
    check("packets without --packets: an error that says so", p.returncode == 2 and "--packets" in p.stderr.decode())

    # --- Errors and the baseline.
    p = ps("sql", cap, "SELEC * FROM conn")
    check("a syntax error: pcapscope: sql: ..., exit 2", p.returncode == 2 and one_error_line(p)
          and p.stderr.decode().startswith("pcapscope: sql: ") and "syntax error" in p.stderr.decode(), p.stderr)
    p = ps("sql", cap)
    check("no query: one line, exit 2", p.returncode == 2 and one_error_line(p), p.stderr.decode())
    ps("analyze", cap, "--no-hash")  # learns: the baseline now exists
    base_sha = sha256(base)
    a = ps("analyze", cap, "--format", "jsonl", "--no-learn", "--no-hash")
    want = sum(1 for line in a.stdout.decode().splitlines() if '"record":"alert"' in line)
    p = ps("sql", cap, "SELECT count(*) FROM alerts", "--format", "csv")
    check("sql reads the baseline as analyze --no-learn does, and never writes it", p.returncode == 0
          and sha256(base) == base_sha and p.stdout.decode().splitlines()[1] == str(want), (p.stdout, p.stderr))
    check("the evidence is unchanged", sha256(cap) == cap_sha)

check.finish()
