#!/usr/bin/env python3
"""The hostile-capture suite: captures shaped to crash, hang, blind or
exhaust an analyzer, built from scratch by pcapscope-make-hostile, each read
by the commands it targets. For every case the run must exit cleanly, report
the right anomaly (counted, named), lose none of the good traffic around the
damage, and stay within the time and peak-RSS limits documented in
docs/security.md ("Hostile captures").

Prints one line per run: case, command, seconds, peak RSS, limits, verdict.

usage: hostile.py PCAPSCOPE SHARED_DIR MAKE_HOSTILE [--sanitized]

--sanitized: the binary is built with ASan+UBSan. The same cases and checks
run, with the 10-million-flow case cut to 2 million flows, time limits x6,
and no RSS limit (the sanitizers' shadow memory and quarantine are not the
tool's).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024


class Suite:
    def __init__(self, pcapscope, make_hostile, tmp, sanitized):
        self.pcapscope = pcapscope
        self.make = make_hostile
        self.tmp = tmp
        self.sanitized = sanitized
        self.failures = 0
        self.passed = 0

    def build(self, case, n=None, name=None):
        path = os.path.join(self.tmp, name or case)
        cmd = [self.make, case, path] + ([str(n)] if n is not None else [])
        subprocess.run(cmd, check=True)
        return path

    def run(self, label, args, *, seconds, rss_mib, env=None, stdin_cmd=None):
        """Runs pcapscope ARGS under /usr/bin/time; returns (stdout bytes, stderr text).
        With STDIN_CMD, that generator's output is piped in (nothing on disk)."""
        full_env = dict(os.environ, PCAPSCOPE_SANDBOX="on", **(env or {}))
        time_cmd = ["/usr/bin/time", "-f", "hostile_maxrss_kb=%M", self.pcapscope] + args
        gen = None
        start = time.monotonic()
        if stdin_cmd:
            gen = subprocess.Popen(stdin_cmd, stdout=subprocess.PIPE)
            proc = subprocess.run(time_cmd, stdin=gen.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=full_env, timeout=seconds * 3 + 60)
            gen.stdout.close()
            gen.wait()
        else:
            proc = subprocess.run(time_cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=full_env, timeout=seconds * 3 + 60)
        elapsed = time.monotonic() - start
        err_lines = proc.stderr.decode(errors="replace").splitlines()
        rss_kb = next((int(l.split("=")[1]) for l in err_lines if l.startswith("hostile_maxrss_kb=")), None)
        err = "\n".join(l for l in err_lines if not l.startswith("hostile_maxrss_kb=") and
                        not l.startswith("Command exited with non-zero status"))
        self.last = {"label": label, "seconds": elapsed, "rss_kb": rss_kb, "rc": proc.returncode,
                     "time_limit": seconds, "rss_limit": rss_mib}
        problems = []
        if proc.returncode != 0:
            problems.append(f"exit status {proc.returncode}: {err.strip()[:300]}")
        if elapsed > seconds:
            problems.append(f"took {elapsed:.1f} s, limit {seconds} s")
        if not self.sanitized and (rss_kb is None or rss_kb > rss_mib * 1024):
            problems.append(f"peak RSS {rss_kb} KiB, limit {rss_mib} MiB")
        # One line per error: nothing a hostile file holds may forge more (or crash the line).
        if any("\x00" in l or "AddressSanitizer" in l or "runtime error" in l for l in err_lines):
            problems.append("sanitizer report or raw NUL on stderr")
        self.problems = problems
        return proc.stdout, err

    def check(self, what, ok, detail=""):
        """Records the verdict of the last run plus one expectation about its output."""
        problems = list(self.problems) + ([] if ok else [f"expected {what}" + (f" ({detail})" if detail else "")])
        r = self.last
        rss = f"{r['rss_kb'] / 1024:7.1f} MiB" if r["rss_kb"] is not None else "      ? MiB"
        limits = f"<= {r['time_limit']} s" + ("" if self.sanitized else f", <= {r['rss_limit']} MiB")
        verdict = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print(f"{r['label']:<58} {r['seconds']:7.2f} s {rss}  ({limits})  {what}: {verdict}", flush=True)
        if problems:
            self.failures += 1
        else:
            self.passed += 1


def jsonl(data):
    return [json.loads(l) for l in data.splitlines() if l.strip()]


def anomalies_line(err, command):
    """{name: count} from 'pcapscope: COMMAND: anomalies seen: a 3, b 4' (or 'protocol problems seen')."""
    out = {}
    for line in err.splitlines():
        for marker in (f"pcapscope: {command}: anomalies seen: ", f"pcapscope: {command}: protocol problems seen: "):
            if line.startswith(marker):
                for item in line[len(marker):].split(", "):
                    name, _, n = item.rpartition(" ")
                    out[name] = int(n)
    return out


def half_open(s):
    # 10 M distinct half-open flows through a pipe: every one must come out as
    # a session (S0), at most max_sessions live at once, the rest evicted
    # early and flagged -- reported, never dropped.
    flows = 2_000_000 if s.sanitized else 10_000_000
    gen = [s.make, "half-open", "-", str(flows)]
    for label, env, rss_mib, seconds in [
        ("default max_sessions (1,000,000)", {}, 1024, 120),
        ("PCAPSCOPE_MAX_SESSIONS=100000", {"PCAPSCOPE_MAX_SESSIONS": "100000"}, 160, 120),
    ]:
        out, err = s.run(f"half-open {flows:,} flows, sessions, {label}", ["sessions", "-j", "1", "--format", "csv", "-"],
                         seconds=seconds * (6 if s.sanitized else 1), rss_mib=rss_mib, env=env, stdin_cmd=gen)
        lines = out.split(b"\n")
        header = lines[0].split(b",")
        rows = [l for l in lines[1:] if l]
        state = header.index(b"conn_state") if b"conn_state" in header else None
        flags = header.index(b"flags") if b"flags" in header else None
        s0 = sum(1 for r in rows if state is not None and r.split(b",")[state] == b"S0")
        cap = 1_000_000 if not env else 100_000
        evicted = sum(1 for r in rows if flags is not None and b"evicted" in r.split(b",")[flags])
        s.check("every flow a session, S0, over-cap ones evicted",
                len(rows) == flows and s0 == flows and evicted >= flows - cap,
                f"{len(rows)} sessions, {s0} S0, {evicted} evicted")
    out, err = s.run(f"half-open {flows:,} flows, analyze --format jsonl", ["analyze", "--no-learn", "--no-hash",
                     "--format", "jsonl", "-"], seconds=(6 if s.sanitized else 1) * 120, rss_mib=1024, stdin_cmd=gen)
    floods = [l for l in out.splitlines() if b'"detector":"syn_flood"' in l]
    s.check("a syn_flood alert", len(floods) >= 1 and all(json.loads(f)["dst"] == "192.0.2.80" for f in floods))


def fragments(s):
    path = s.build("fragments", 100_000)
    out, err = s.run("fragments: 100,000 tiny overlapping, sessions", ["sessions", "-j", "1", path],
                     seconds=30, rss_mib=128)
    a = anomalies_line(err, "sessions")
    s.check("fragment_overlap_differs counted", a.get("fragment_overlap_differs", 0) >= 90_000, str(a))
    out, err = s.run("fragments: same, PCAPSCOPE_FRAGMENT_MEMORY=64K", ["sessions", "-j", "1", path],
                     seconds=30, rss_mib=128, env={"PCAPSCOPE_FRAGMENT_MEMORY": "64K"})
    a = anomalies_line(err, "sessions")
    s.check("fragment_evicted counted at the cap", a.get("fragment_evicted", 0) > 0, str(a))
    # 100,000 datagrams of one fragment each, at the highest offset IPv4 allows:
    # at most 8,192 partial datagrams are held; every one is accounted for, as
    # evicted or, at the end of input, incomplete.
    path = s.build("fragments-sparse", 100_000)
    out, err = s.run("fragments-sparse: 100,000 datagrams at offset 65,504", ["sessions", "-j", "1", path],
                     seconds=30, rss_mib=128)
    a = anomalies_line(err, "sessions")
    s.check("each datagram evicted or incomplete",
            a.get("fragment_evicted", 0) + a.get("fragment_incomplete", 0) == 100_000, str(a))


def tcp_overlap(s):
    n = 100_000
    path = s.build("tcp-overlap", n)
    out, err = s.run("tcp-overlap: 100,000 rewriting segments, sessions", ["sessions", "-j", "1", "--format", "jsonl",
                     path], seconds=30, rss_mib=128)
    a = anomalies_line(err, "sessions")
    recs = jsonl(out)
    s.check("tcp_overlap_differs for each rewrite, one session",
            a.get("tcp_overlap_differs", 0) == n - 1 and len(recs) == 1 and recs[0]["orig_pkts"] == n + 4,
            f"{a}, {len(recs)} sessions")
    out, err = s.run("tcp-overlap: follow the stream", ["follow", "--index", "0", "--raw", "--side", "orig", path],
                     seconds=30, rss_mib=128)
    # Segment i holds 16 bytes of letter i from offset 8i: the first copy of
    # overlapping bytes is kept (as Zeek and tcpflow do), so the stream is the
    # first segment whole, then the 8 new bytes of each later one.
    expect = b"A" * 16 + b"".join(bytes([ord("A") + i % 26]) * 8 for i in range(1, n))
    s.check("the first copy of each overlapped byte", out == expect, f"{len(out)} bytes")


def dns_loop(s):
    path = s.build("dns-loop", 1000)
    out, err = s.run("dns-loop: 4,000 looping/chained names, dns", ["dns", "--format", "jsonl", path],
                     seconds=30, rss_mib=128)
    a = anomalies_line(err, "dns")
    s.check("dns_name_loop and dns_bad_pointer counted, every message logged",
            a.get("dns_name_loop", 0) >= 1000 and a.get("dns_bad_pointer", 0) >= 1000 and len(jsonl(out)) == 4000,
            f"{a}, {len(jsonl(out))} records")


def nesting(s):
    path = s.build("nesting", 1000)
    out, err = s.run("nesting: 1,000 deep (VLAN, MPLS, IPv6 ext, IP-in-IP, GRE, VXLAN)",
                     ["packets", "-j", "1", "--format", "jsonl", path], seconds=30, rss_mib=128)
    text = out.decode()
    wanted = ["vlan_depth_exceeded", "mpls_depth_exceeded", "ipv6_ext_depth_exceeded", "tunnel_depth_exceeded"]
    s.check("each depth bound named", len(jsonl(out)) == 6 and all(w in text for w in wanted),
            ", ".join(w for w in wanted if w not in text))
    out, err = s.run("nesting: PCAPSCOPE_MAX_LAYERS=6", ["packets", "-j", "1", "--format", "jsonl", path],
                     seconds=30, rss_mib=128, env={"PCAPSCOPE_MAX_LAYERS": "6"})
    recs = jsonl(out)
    s.check("layer_limit_reached on every frame", len(recs) == 6 and
            all("layer_limit_reached" in json.dumps(r) for r in recs))
    out, err = s.run("nesting: analyze", ["analyze", "--no-learn", "--no-hash", path], seconds=30, rss_mib=128)
    s.check("a report", b"== Evidence ==" in out)


def pcapng_lengths(s):
    rounds = 100
    path = s.build("pcapng-lengths", rounds)
    # The last block runs past the end of the file: a truncated record, as a cut capture's last one is.
    out, err = s.run("pcapng-lengths: blocks of length 0, 4, 2 GiB, 4 GiB ...", ["info", "--format", "json", path],
                     seconds=30, rss_mib=128)
    info = jsonl(out)[0]
    reasons = {}
    for d in info.get("damaged_regions", []):
        reasons[d["reason"]] = reasons.get(d["reason"], 0) + 1
    s.check("every good packet read, every bad block a damaged region",
            info["packets"] == 7 * rounds and reasons.get("pcapng_bad_block_length", 0) == 5 * rounds and
            reasons.get("pcapng_caplen_exceeds_block", 0) == rounds and reasons.get("truncated_record", 0) == 1,
            f"{info['packets']} packets, {reasons}")
    out, err = s.run("pcapng-lengths: packets", ["packets", "-j", "1", "--format", "csv", "--fields",
                     "udp.dstport", path], seconds=30, rss_mib=128)
    ports = out.split(b"\n")[1:]
    s.check("only the good packets (port 7), all of them",
            sum(1 for p in ports if p == b"7") == 7 * rounds and b"9" not in ports)


def bombs(s):
    gz = s.build("gzip-bomb", 1024, "bomb.pcap.gz")
    out, err = s.run("gzip-bomb: 1 MB -> 1 GiB of zeros, info (defaults)", ["info", "--format", "json", "--no-hash", gz],
                     seconds=60, rss_mib=128)
    info = jsonl(out)[0]
    s.check("read to its end in constant memory (gzip cannot pass ~1,032:1)",
            info["data_bytes"] == (1024 << 20) + 24, f"{info['data_bytes']} bytes")
    out, err = s.run("gzip-bomb: PCAPSCOPE_MAX_DECOMPRESSED_SIZE=64M", ["info", "--format", "json", "--no-hash", gz],
                     seconds=30, rss_mib=128, env={"PCAPSCOPE_MAX_DECOMPRESSED_SIZE": "64M"})
    info = jsonl(out)[0]
    s.check("stopped at exactly 64 MiB, damage decompression_limit",
            info["data_bytes"] == 64 << 20 and any(d["reason"] == "decompression_limit" for d in info["damaged_regions"]))
    zs = s.build("zstd-bomb", 65536, "bomb.pcap.zst")
    out, err = s.run("zstd-bomb: 2 MB -> 64 GiB of zeros, info (defaults)", ["info", "--format", "json", "--no-hash", zs],
                     seconds=30, rss_mib=128)
    info = jsonl(out)[0]
    s.check("stopped by the ratio bound soon after 64 MiB, damage decompression_limit",
            info["data_bytes"] < 128 << 20 and any(d["reason"] == "decompression_limit" for d in info["damaged_regions"]),
            f"{info['data_bytes']} bytes")
    out, err = s.run("zstd-bomb: analyze (defaults)", ["analyze", "--no-learn", "--no-hash", "--format", "jsonl", zs],
                     seconds=60, rss_mib=128)
    ev = [r for r in jsonl(out) if r["record"] == "evidence"]
    s.check("the evidence record names decompression_limit",
            len(ev) == 1 and any(d["reason"] == "decompression_limit" for d in ev[0]["damaged"]))


def time_jumps(s):
    n = 100_000
    path = s.build("time-jumps", n)
    out, err = s.run("time-jumps: 100,000 packets, 1971/2023/2099/2105", ["analyze", "--no-learn", "--no-hash", "--format",
                     "jsonl", path], seconds=30, rss_mib=128)
    recs = jsonl(out)
    ev = [r for r in recs if r["record"] == "evidence"]
    conns = [r for r in recs if r["record"] == "conn"]
    # Runs of 50 packets cycle through six epochs, three of the six changes going back.
    runs = (n + 49) // 50
    back = sum(1 for i in range(1, runs) if [1700000000, 40000000, 4070000000, 1700000100, 4290000000, 1000000][i % 6] <
               [1700000000, 40000000, 4070000000, 1700000100, 4290000000, 1000000][(i - 1) % 6])
    pkts = sum(c["orig_pkts"] + c["resp_pkts"] for c in conns)
    s.check("steps_back counted, every packet in a session",
            len(ev) == 1 and ev[0]["steps_back"] == back and ev[0]["largest_step_back"] > 4e9 and pkts == n,
            f"steps_back {ev[0]['steps_back'] if ev else None} (want {back}), {pkts} packets in sessions")


def snaplens(s):
    for case, snap in [("snaplen-0", 0), ("snaplen-max", 0xFFFFFFFF)]:
        path = s.build(case, 1000)
        out, err = s.run(f"{case}: snaplen {snap}, a 300,000-byte record", ["info", "--format", "json", path],
                         seconds=30, rss_mib=128)
        info = jsonl(out)[0]
        s.check("every sane packet read, the huge record one damaged region",
                info["packets"] == 1001 and [d["reason"] for d in info["damaged_regions"]] == ["pcap_caplen_too_large"] and
                info["interfaces"][0]["snaplen"] == snap, f"{info['packets']} packets, {info['damaged_regions']}")


def main():
    pcapscope, _shared, make_hostile = sys.argv[1:4]
    sanitized = "--sanitized" in sys.argv[4:]
    with tempfile.TemporaryDirectory(prefix="pcapscope-hostile-") as tmp:
        s = Suite(pcapscope, make_hostile, tmp, sanitized)
        for case in (half_open, fragments, tcp_overlap, dns_loop, nesting, pcapng_lengths, bombs, time_jumps, snaplens):
            case(s)
    print(f"{s.passed} passed, {s.failures} failed")
    return 1 if s.failures else 0


if __name__ == "__main__":
    sys.exit(main())
