#!/usr/bin/env python3
"""The command line as a user meets it: exit codes, one-line errors, --help,
slices with Python's semantics, CSV/JSON shapes, stdin, several files as one
timeline, export round trips and refusals."""
import json
import os
import struct
import subprocess
import sys
import tempfile

from common import manifest, run, summary_line

binary, shared, make_demo = sys.argv[1], sys.argv[2], sys.argv[3]
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")


def ps(*args, stdin=None):
    return run([binary] + list(args), stdin=stdin)


with tempfile.TemporaryDirectory() as tmp:
    demo = os.path.join(tmp, "demo.pcap")
    subprocess.run([make_demo, demo], check=True, stdout=subprocess.DEVNULL)
    demo_ng = os.path.join(tmp, "demo.pcapng")
    subprocess.run([make_demo, demo_ng], check=True, stdout=subprocess.DEVNULL)

    # --version, --help on every command.
    p = ps("--version")
    check("--version", p.returncode == 0 and p.stdout.startswith(b"pcapscope "), p.stdout.decode())
    for cmd in ("info", "packets", "export", "sessions", "follow", "dns", "http", "tls", "ssh"):
        p = ps(cmd, "--help")
        check(f"{cmd} --help", p.returncode == 0 and b"Usage" in p.stdout and b"--" in p.stdout, p.stdout.decode()[:200])

    # Errors: one line on stderr, "pcapscope: ...", exit 2.
    missing = os.path.join(tmp, "nope.pcap")
    notcap = os.path.join(tmp, "notes.txt")
    open(notcap, "w").write("this is not a capture file\n")
    empty = os.path.join(tmp, "empty.pcap")
    open(empty, "w").close()
    for name, args in [("missing file", ["info", missing]), ("not a capture", ["info", notcap]),
                       ("empty file", ["packets", empty]), ("bad slice", ["packets", demo, "--slice", "1:x"]),
                       ("zero step", ["packets", demo, "--slice", "::0"]),
                       ("unknown field", ["packets", demo, "--fields", "ip.sorce"]),
                       ("bad format", ["packets", demo, "--format", "xml"]),
                       ("bad record format", ["dns", demo, "--format", "xml"]),
                       ("unknown command", ["frobnicate", demo]), ("no command", [])]:
        p = ps(*args)
        err = p.stderr.decode(errors="replace").strip().splitlines()
        check(f"error: {name}", p.returncode == 2 and err and err[0].startswith("pcapscope: ") and not p.stdout,
              f"exit {p.returncode}, stderr {err}")
    p = ps("info", missing)
    check("error names the file", missing in p.stderr.decode(), p.stderr.decode())
    p = ps("packets", demo, "--fields", "ip.sorce")
    check("unknown field suggests the right one", b"did you mean ip.src?" in p.stderr, p.stderr.decode())

    # Slices: Python semantics over 0-based indices, frame numbers 1-based.
    def frames(*args, path=demo):
        p = ps("packets", path, "--format", "csv", "--fields", "frame.number", *args)
        return [int(x) for x in p.stdout.decode().split()[1:]]
    total = len(frames())
    for s in ["0:5", "5:", "-5:", "::7", "::-1", "-3::-1", "10:2:-2", "7", "-1", "3:-3", "100:"]:
        parts = s.split(":")
        if len(parts) == 1:
            i = int(s)
            want = list(range(total))[slice(i, None if i == -1 else i + 1)]
        else:
            want = list(range(total))[slice(*[int(x) if x else None for x in parts + [""] * (3 - len(parts))])]
        got = frames("--slice", s)
        check(f"slice {s}", got == [i + 1 for i in want], f"got {got}, want {[i + 1 for i in want]}")

    # CSV: header row, absent fields empty; JSON Lines: one object a line, null when absent.
    p = ps("packets", demo, "--format", "csv", "--fields", "frame.number,ip.src,tcp.dstport,udp.dstport", "--slice", "0:3")
    lines = p.stdout.decode().splitlines()
    check("csv header", lines[0] == "frame.number,ip.src,tcp.dstport,udp.dstport", lines[0])
    check("csv arp row leaves IP fields empty", lines[1] == "1,,,", lines[1])
    check("csv dns row", lines[2] == "2,10.0.0.23,,53", lines[2])
    p = ps("packets", demo, "--format", "json", "--fields", "frame.number,ip.src,tcp.dstport", "--slice", "0:2")
    objs = [json.loads(line) for line in p.stdout.decode().splitlines()]
    check("json lines", len(objs) == 2 and objs[0] == {"frame.number": 1, "ip.src": None, "tcp.dstport": None}, str(objs))
    p = ps("packets", demo, "--show", "--slice", "3:4")
    out = p.stdout.decode()
    check("--show lists layers and fields", all(x in out for x in ("Frame 4", "ip.src: 10.0.0.23", "tcp.flags.syn: 1",
                                                                    "tcp.options.mss_val: 1460")), out[:2000])
    p = ps("packets", demo, "--show", "--format", "json", "--slice", "3:4")
    j = json.loads(p.stdout.decode())
    check("--show json has layers", [layer["layer"] for layer in j["layers"]] == ["frame", "eth", "ip", "tcp"], str(j)[:500])

    # stdin, compressed stdin, pcapng; all agree with the file.
    ref = ps("packets", demo, "--format", "csv").stdout
    with open(demo, "rb") as f:
        check("stdin", ps("packets", "-", "--format", "csv", stdin=f).stdout == ref)
    gz = os.path.join(tmp, "demo.pcap.gz")
    subprocess.run(f"gzip -c {demo} > {gz}", shell=True, check=True)
    check("gzip", ps("packets", gz, "--format", "csv").stdout == ref)
    zs = os.path.join(tmp, "demo.pcap.zst")
    subprocess.run(["zstd", "-q", "-o", zs, demo], check=True)
    check("zstd", ps("packets", zs, "--format", "csv").stdout == ref)
    check("pcapng", ps("packets", demo_ng, "--format", "csv").stdout == ref)

    # Several files, one timeline: a capture split in two and read back merged.
    a, b = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcapng")
    ps("export", demo, "--slice", "::2", "-o", a)
    ps("export", demo, "--slice", "1::2", "-o", b)
    merged = ps("packets", b, a, "--format", "csv", "--fields", "frame.time_epoch,ip.src,tcp.seq").stdout
    single = ps("packets", demo, "--format", "csv", "--fields", "frame.time_epoch,ip.src,tcp.seq").stdout
    check("two files merged by time", merged == single)

    # export: round trip byte-exact, refuses inputs and existing files.
    out = os.path.join(tmp, "all.pcap")
    p = ps("export", demo, "-o", out)
    check("export all is byte-identical", p.returncode == 0 and open(out, "rb").read() == open(demo, "rb").read())
    p = ps("export", demo, "-o", out)
    check("export refuses existing output", p.returncode == 2 and b"exists" in p.stderr)
    p = ps("export", demo, "-o", demo, "--force")
    check("export refuses its input", p.returncode == 2 and b"input" in p.stderr)

    # Hostile metadata: an interface name that is not UTF-8, and timestamps at
    # both ends of the representable range (they saturate; differences must not overflow).
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    def option(code, value):
        return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    frame = bytes(60)
    def epb(itf, ticks):
        return block(6, struct.pack("<IIIII", itf, ticks >> 32, ticks & 0xffffffff, len(frame), len(frame)) + frame)
    idb_badname = block(1, struct.pack("<HHI", 1, 0, 0) + option(2, b"\xff\xfeeth0") + option(0, b""))
    idb_early = block(1, struct.pack("<HHI", 1, 0, 0) + option(14, struct.pack("<q", -(2 ** 62))) + option(0, b""))
    idb_seconds = block(1, struct.pack("<HHI", 1, 0, 0) + option(9, b"\x00") + option(0, b""))
    hostile = os.path.join(tmp, "hostile.pcapng")
    open(hostile, "wb").write(shb + idb_badname + idb_early + idb_seconds + epb(0, 1000) + epb(1, 5) + epb(2, 2 ** 63))
    p = ps("info", "--format", "json", hostile)
    check("hostile metadata: info json", p.returncode == 0 and json.loads(p.stdout)["packets"] == 3,
          p.stderr.decode()[:300])
    p = ps("packets", hostile)
    check("hostile metadata: packets", p.returncode == 0 and len(p.stdout.splitlines()) == 3 and not p.stderr,
          p.stderr.decode()[:300])

    # One unreadable input among several: the others are still reported, exit 2.
    p = ps("info", "--format", "json", demo, missing, demo_ng)
    objs = [json.loads(line) for line in p.stdout.decode().splitlines()]
    check("info carries on past an unreadable file",
          p.returncode == 2 and [o.get("packets") for o in objs] == [total, None, total] and "error" in objs[1]
          and missing in p.stderr.decode(), str(objs)[:300])
    p = ps("info", "-", "-", stdin=subprocess.DEVNULL)
    check("info refuses stdin twice", p.returncode == 2 and b"stdin" in p.stderr, p.stderr.decode())


    # Sessions: Zeek conn.log fields, deterministic uids, Zeek TSV, errors.
    def lines(p):
        return [json.loads(l) for l in p.stdout.decode().splitlines()]
    a = lines(ps("sessions", demo, "--format", "json"))
    b = lines(ps("sessions", demo_ng, "--format", "json"))
    zeek_keys = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "conn_state",
                 "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "community_id"]
    check("sessions json: Zeek keys on every record", len(a) == 6 and all(all(k in r for k in zeek_keys) for r in a),
          str(a)[:300])
    check("sessions: same uids for the same packets (pcap and pcapng)", [r["uid"] for r in a] == [r["uid"] for r in b],
          str([r["uid"] for r in a]))
    check("sessions: demo states", [r["conn_state"] for r in a] == ["SF", "SF", "OTH", "REJ", "S0", "SF"],
          str([r["conn_state"] for r in a]))
    z = ps("sessions", demo, "--format", "zeek").stdout.decode().splitlines()
    fields = [l for l in z if l.startswith("#fields")][0].split("\t")[1:]
    data = [l.split("\t") for l in z if not l.startswith("#")]
    check("sessions zeek: #fields, #types and columns agree",
          z[0] == "#separator \\x09" and len(data) == 6 and all(len(d) == len(fields) for d in data)
          and len([l for l in z if l.startswith("#types")][0].split("\t")) == len(fields) + 1, "\n".join(z[:10]))
    srt = lines(ps("sessions", demo, "--format", "json", "--sort", "orig_bytes", "--desc", "--limit", "2"))
    check("sessions --sort --desc --limit", [r.get("orig_bytes") for r in srt] == [56000, 59], str(srt)[:200])
    for name, args, env_extra, needle in [
            ("bad timeout variable", ["sessions", demo], {"PCAPSCOPE_TCP_TIMEOUT": "soon"}, b"PCAPSCOPE_TCP_TIMEOUT=soon"),
            ("zero max sessions", ["sessions", demo], {"PCAPSCOPE_MAX_SESSIONS": "0"}, b"PCAPSCOPE_MAX_SESSIONS=0"),
            ("timeout past int64 ns", ["sessions", demo], {"PCAPSCOPE_UDP_TIMEOUT": "1e12"}, b"at most 9e9"),
            ("timeout flag past int64 ns", ["sessions", demo, "--tcp-timeout", "1e12"], {}, b"--tcp-timeout"),
            ("follow half a tuple", ["follow", demo, "--tuple", "10.0.0.1:80 "], {}, b"ADDRESS:PORT ADDRESS:PORT"),
            ("unknown sort field", ["sessions", demo, "--sort", "orig_byte"], {}, b"did you mean orig_bytes?"),
            ("follow without a session", ["follow", demo], {}, b"exactly one session"),
            ("follow two selectors", ["follow", demo, "--index", "1", "--uid", "Cx"], {}, b"exactly one session"),
            ("follow unknown uid", ["follow", demo, "--uid", "Cnope"], {}, b"no session with uid Cnope"),
            ("follow bad tuple", ["follow", demo, "--tuple", "10.0.0.1:80 host:x"], {}, b"not an IPv4 or IPv6 address")]:
        p = run([binary] + args, env=dict(os.environ, **env_extra))
        err = p.stderr.strip().splitlines()
        check(f"error: {name}", p.returncode == 2 and err and err[0].startswith(b"pcapscope: ")
              and needle in err[0], f"exit {p.returncode}, stderr {err}")

    # packets --fields uid names the session of each packet.
    p = ps("packets", demo, "--fields", "frame.number,uid", "--format", "csv")
    rows = [l.split(",") for l in p.stdout.decode().splitlines()[1:]]
    http_uid = a[1]["uid"]
    check("packets uid field", sum(1 for r in rows if r[1] == http_uid) == a[1]["orig_pkts"] + a[1]["resp_pkts"]
          and rows[0][1] == "", str(rows[:5]))

    # follow: the HTTP exchange, as text and as raw files named as tcpflow names them.
    p = ps("follow", demo, "--uid", http_uid)
    out = p.stdout.decode()
    p = ps("follow", demo, "--index", "3")
    check("follow a session without payload", p.returncode == 0 and b"Node 1: [2001:db8::22]:22" in p.stdout
          and b"carried no payload" in p.stderr, p.stderr.decode())
    p = ps("follow", demo, "--uid", http_uid)
    out = p.stdout.decode()
    check("follow ascii", p.returncode == 0 and "GET / HTTP/1.1" in out and "\tHTTP/1.1 200 OK" in out, out[:300])
    p = ps("follow", demo, "--tuple", "93.184.216.34:80 10.0.0.23:49822", "--raw", "--side", "orig")
    check("follow raw orig side", p.stdout.startswith(b"GET / HTTP/1.1\r\n") and b"200 OK" not in p.stdout,
          p.stdout[:100])
    outdir = os.path.join(tmp, "flows")
    p = ps("follow", demo, "--index", "1", "--raw", "-o", outdir)
    names = sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []
    check("follow raw files", p.returncode == 0 and names == ["010.000.000.023.49822-093.184.216.034.00080",
                                                               "093.184.216.034.00080-010.000.000.023.49822"]
          and open(os.path.join(outdir, names[1]), "rb").read().startswith(b"HTTP/1.1 200 OK"), str(names))

    # Application records (dns, http, tls, ssh): every format, Zeek's #path and #fields.
    conn_id = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
    record_fields = {
        "dns": ("dns", conn_id + ["proto", "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype", "qtype_name",
                                  "rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z", "answers", "TTLs", "rejected"]),
        "http": ("http", conn_id + ["trans_depth", "method", "host", "uri", "referrer", "version", "user_agent",
                                    "request_body_len", "response_body_len", "status_code", "status_msg",
                                    "request_content_type", "response_content_type"]),
        "tls": ("ssl", conn_id + ["version", "cipher", "server_name", "next_protocol", "established", "ja3", "ja3s",
                                  "ja4"]),
        "ssh": ("ssh", conn_id + ["version", "auth_success", "auth_attempts", "direction", "client", "server",
                                  "cipher_alg", "mac_alg", "compression_alg", "kex_alg", "host_key_alg"]),
    }
    for cmd, (path, want) in record_fields.items():
        for fmt in ("text", "json", "jsonl", "csv", "zeek"):
            p = ps(cmd, demo, "--format", fmt)
            out = p.stdout.decode()
            rows = out.splitlines()
            if fmt in ("json", "jsonl"):
                try:
                    shaped = all(set(json.loads(l)) <= set(want) for l in rows)
                except ValueError:
                    shaped = False
            elif fmt == "csv":
                shaped = rows[:1] == [",".join(want)]
            elif fmt == "zeek":
                data = [l.split("\t") for l in rows if not l.startswith("#")]
                shaped = (f"#path\t{path}" in rows and "#fields\t" + "\t".join(want) in rows
                          and all(len(d) == len(want) for d in data) and rows[-1].startswith("#close\t"))
            else:
                shaped = bool(rows) and rows[0].startswith("ts ")
            check(f"{cmd} --format {fmt}", p.returncode == 0 and shaped, f"exit {p.returncode}: {out[:300]}")
    dns = lines(ps("dns", demo, "--format", "json"))
    check("dns: the demo's queries", sorted(r.get("query") for r in dns) == ["example.org", "update.example.net"],
          str(dns)[:300])
    answered = [r for r in dns if r.get("query") == "example.org"]
    check("dns: answer and Zeek names", len(answered) == 1 and answered[0].get("answers") == ["93.184.216.34"]
          and answered[0].get("qtype_name") == "A" and answered[0].get("rcode_name") == "NOERROR"
          and "rtt" in answered[0], str(answered))
    out = ps("dns", demo).stdout.decode()
    check("dns text shows the query names", "example.org" in out and "update.example.net" in out, out)
    web = lines(ps("http", demo, "--format", "json"))
    check("http: the demo's page", len(web) == 1 and web[0].get("method") == "GET" and web[0].get("host") == "example.org"
          and web[0].get("status_code") == 200 and web[0].get("uid") == http_uid, str(web)[:300])

    # info json keys.
    j = json.loads(ps("info", "--format", "json", demo).stdout)
    check("info json keys", all(k in j for k in ("packets", "sha256", "format", "link_types", "first_ts", "last_ts",
                                                 "damaged_regions")) and j["packets"] == total and j["link_types"] == ["ether"],
          str(j))

summary_line(sum(results), len(results) - sum(results), "cli: ")
sys.exit(0 if all(results) else 1)
