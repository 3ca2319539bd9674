#!/usr/bin/env python3
"""--bpf against tcpdump: the packets pcapscope keeps must be exactly the ones
tcpdump -r FILE -w - EXPR writes, and keep their frame numbers.

How frame numbers are compared exactly: tcpdump prints none, so each file is
first read whole by both tools (tcpdump -w - with nanosecond timestamps;
pcapscope's frame.time_epoch, cap_len and len) and must agree record for
record; a file they read differently (damage pcapscope skips and libpcap
stops at) is left out and counted. tcpdump's filtered output is then located
in its unfiltered output record by record (timestamp, lengths and bytes),
which gives the frame numbers it kept.

Also: pcapng files built with mergecap -a from several link types (tcpdump
cannot read those; the expectation is the union of tcpdump's answers per
part, and a part whose link type libpcap cannot compile the expression for
must be rejected with a warning carrying libpcap's message); export --bpf
against tcpdump -w (count and bytes); and the command-line contract: a bad
expression is one line and exit 2 on every reading command."""
import collections
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from common import fail, manifest, parallel_map, private_copy, run, summary_line

EXPRESSIONS = ["tcp", "udp", "port 53", "tcp[tcpflags] & tcp-syn != 0", "host {host}", "net 10.0.0.0/8",
               "ip6", "vlan", "icmp", "len > 100"]
# Files per link type (MANIFEST names), spread over the sorted list.
QUOTA = {"ether": 28, "linux-sll": 8, "linux-sll2": 2, "null": 6, "rawip": 4, "rawip4": 3, "rawip6": 3,
         "ppp": 2, "chdlc": 2, "ieee-802-11-radiotap": 2}
MAX_SKIPPED_SHARE = 0.25  # files the two tools read differently; more means the comparison says little

binary, shared = sys.argv[1], sys.argv[2]
for tool in ("tcpdump", "mergecap"):
    if shutil.which(tool) is None:
        fail(f"{tool} not installed (make deps installs it)")


def parse_pcap(data):
    """Records of a classic pcap as (ts_ns, caplen, origlen, bytes)."""
    if len(data) < 24:
        return []
    magic = data[:4]
    for endian in ("<", ">"):
        m = struct.unpack(endian + "I", magic)[0]
        if m in (0xA1B2C3D4, 0xA1B23C4D):
            scale = 1000 if m == 0xA1B2C3D4 else 1
            break
    else:
        raise ValueError("not a classic pcap")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        out.append((sec * 1000000000 + frac * scale, caplen, origlen, data[off:off + caplen]))
        off += caplen
    return out


def tcpdump(path, expr=None, out=None):
    """(records, None) or (None, libpcap's message)."""
    cmd = ["tcpdump", "-n", "--time-stamp-precision=nano", "-r", path, "-w", out or "-"]
    if expr is not None:
        cmd.append(expr)
    p = run(cmd, timeout=120)
    if p.returncode != 0:
        lines = [l for l in p.stderr.decode(errors="replace").splitlines() if l.startswith("tcpdump: ")]
        return None, (lines[-1][len("tcpdump: "):] if lines else p.stderr.decode(errors="replace").strip())
    return parse_pcap(open(out, "rb").read() if out else p.stdout), None


def listing(path, expr=None, fields="frame.number"):
    """pcapscope packets rows (lists of CSV cells) and stderr, or None and stderr."""
    cmd = [binary, "packets", path, "--format", "csv", "--fields", fields]
    if expr is not None:
        cmd += ["--bpf", expr]
    p = run(cmd, timeout=120)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        return None, err
    return [line.split(",") for line in p.stdout.decode(errors="replace").splitlines()[1:]], err


def ts_ns(epoch):
    sec, _, frac = epoch.partition(".")
    return int(sec) * 1000000000 + int((frac + "000000000")[:9])


def locate(kept, everything):
    """1-based positions of KEPT (a subsequence of EVERYTHING), or None."""
    frames, i = [], 0
    for rec in kept:
        while i < len(everything) and everything[i] != rec:
            i += 1
        if i == len(everything):
            return None
        frames.append(i + 1)
        i += 1
    return frames


def readable_copy(row, tmp):
    """libpcap reads no compressed files: give it (and us) the plain bytes."""
    path = row["path"]
    if not (path.endswith(".gz") or path.endswith(".zst")):
        return path
    plain = os.path.join(tmp, row["file"].replace("/", "__").rsplit(".", 1)[0])
    if path.endswith(".gz"):
        data = gzip.open(path).read()
    else:
        data = subprocess.run(["zstd", "-dc", path], stdout=subprocess.PIPE, check=True).stdout
    with open(plain, "wb") as f:
        f.write(data)
    return plain


def pick_files(rows):
    picked = []
    by_lt = collections.defaultdict(list)
    for r in rows:
        if r["capinfos_status"] == 0 and r["format"] in ("pcap", "pcapng", "nsecpcap") and (r["packets"] or 0) >= 2:
            by_lt[r["linktype"]].append(r)
    for lt, quota in QUOTA.items():
        cands = sorted(by_lt.get(lt, []), key=lambda r: r["file"])
        # pcapng and nanosecond files first among Ethernet so both readers are covered.
        cands.sort(key=lambda r: r["format"] == "pcap")
        firsts = [r for r in cands if r["format"] != "pcap"][:4]
        rest = [r for r in cands if r not in firsts]
        n = max(0, min(quota - len(firsts), len(rest)))
        step = len(rest) / n if n else 1
        picked += firsts + [rest[int(k * step)] for k in range(n)]
    return picked


def baseline(row, tmp):
    """Reads FILE whole with both tools; returns (plain path, tcpdump records, first address) or a skip reason."""
    path = readable_copy(row, tmp)
    everything, err = tcpdump(path)
    if everything is None:
        return None, f"tcpdump cannot read it: {err}"
    rows, err = listing(path, fields="frame.time_epoch,frame.cap_len,frame.len,ip.src,ipv6.src")
    if rows is None:
        return None, f"pcapscope cannot read it: {err.strip()}"
    ours = [(ts_ns(r[0]), int(r[1]), int(r[2])) for r in rows]
    theirs = [rec[:3] for rec in everything]
    if ours != theirs:
        return None, f"read differently (pcapscope {len(ours)} packets, tcpdump {len(theirs)})"
    host = next((c for r in rows for c in (r[3], r[4]) if c), "10.0.0.1")
    return (path, everything, host), None


def compare(path, everything, host, label, offset_parts=None):
    """One file, every expression: a list of disagreement strings and the count of comparisons."""
    problems, n = [], 0
    for template in EXPRESSIONS:
        expr = template.format(host=host)
        n += 1
        ours, err = listing(path, expr)
        if offset_parts is None:
            kept, why = tcpdump(path, expr)
            expected_error = why
            expected = locate(kept, everything) if kept is not None else None
            if kept is not None and expected is None:
                problems.append(f"{label} [{expr}]: tcpdump kept a packet not in its own unfiltered read")
                continue
        else:
            # A mergecap'd pcapng: the union of tcpdump's answers per part, shifted by the part's offset.
            expected, expected_error, warnings = [], None, []
            for i, (part, part_all, offset) in enumerate(offset_parts):
                kept, why = tcpdump(part, expr)
                if kept is None:
                    if i == 0:
                        expected_error = why
                    else:
                        warnings.append(why)
                    continue
                located = locate(kept, part_all) or []
                expected += [offset + f for f in located]
        if expected_error is not None:
            if ours is not None:
                problems.append(f"{label} [{expr}]: tcpdump refused ({expected_error}), pcapscope kept {len(ours)}")
            elif expected_error not in err or err.count("\n") != 1:
                problems.append(f"{label} [{expr}]: tcpdump: {expected_error!r}; pcapscope: {err.strip()!r}")
            continue
        if ours is None:
            problems.append(f"{label} [{expr}]: pcapscope failed: {err.strip()}")
            continue
        got = [int(r[0]) for r in ours]
        if got != expected:
            extra = sorted(set(got) - set(expected))[:5]
            missing = sorted(set(expected) - set(got))[:5]
            problems.append(f"{label} [{expr}]: pcapscope kept {len(got)}, tcpdump {len(expected)}; "
                            f"only pcapscope {extra}, only tcpdump {missing}")
        if offset_parts is not None:
            for w in warnings:
                if w not in err:
                    problems.append(f"{label} [{expr}]: no warning carrying libpcap's {w!r}: {err.strip()!r}")
    return problems, n


def cli_checks(tmp, sample, socketcan):
    """The command-line contract around --bpf."""
    problems = []
    env = dict(os.environ, XDG_DATA_HOME=tmp, PCAPSCOPE_BASELINE=os.path.join(tmp, "baseline.sqlite"))
    empty = os.path.join(tmp, "empty.pcap")
    open(empty, "wb").close()
    out = os.path.join(tmp, "never-written.pcap")
    commands = [["info"], ["packets"], ["export", "-o", out], ["sessions"], ["follow", "--index", "0"], ["dns"],
                ["http"], ["tls"], ["ssh"], ["analyze", "--no-learn"]]
    for cmd in commands:
        for path in (sample, empty):
            p = run([binary, cmd[0], path] + cmd[1:] + ["--bpf", "tcp and port"], env=env)
            err = p.stderr.decode(errors="replace")
            if p.returncode != 2 or err.count("\n") != 1 or not err.startswith("pcapscope: --bpf: ") or p.stdout:
                problems.append(f"{cmd[0]} {os.path.basename(path)} with a bad expression: exit {p.returncode}, "
                                f"stdout {len(p.stdout)} bytes, stderr {err!r}")
        # Each reading command takes --bpf and reports what it matched.
        p = run([binary, cmd[0], sample] + cmd[1:] + ["--force"] * (cmd[0] == "export") + ["--bpf", "udp"], env=env)
        err = p.stderr.decode(errors="replace")
        if p.returncode != 0:
            problems.append(f"{cmd[0]} --bpf udp: exit {p.returncode}: {err.strip()[:300]}")
        elif cmd[0] != "info" and " packets read matched" not in err:
            problems.append(f"{cmd[0]} --bpf udp: no 'N of M packets read matched' line: {err!r}")
    if os.path.exists(out):
        os.remove(out)
    kept, _ = tcpdump(sample, "udp")
    p = run([binary, "info", sample, "--no-hash", "--format", "json", "--bpf", "udp"])
    info = json.loads(p.stdout) if p.returncode == 0 else {}
    if info.get("bpf", {}).get("matched") != len(kept) or info.get("packets") != len(parse_pcap(
            run(["tcpdump", "-r", sample, "-w", "-"]).stdout)):
        problems.append(f"info --bpf udp: {info.get('bpf')} packets {info.get('packets')}, tcpdump matched {len(kept)}")
    p = run([binary, "sessions", sample, "--format", "json", "--bpf", "udp"])
    protos = {json.loads(l)["proto"] for l in p.stdout.decode().splitlines()}
    if p.returncode != 0 or not protos or protos != {"udp"}:
        problems.append(f"sessions --bpf udp: exit {p.returncode}, protocols {protos}")
    # The link type of the first interface cannot take the expression: one line naming it.
    p = run([binary, "packets", socketcan, "--bpf", "tcp"])
    err = p.stderr.decode(errors="replace")
    if p.returncode != 2 or err.count("\n") != 1 or "link type 227 (SocketCAN): " not in err:
        problems.append(f"packets on SocketCAN with --bpf tcp: exit {p.returncode}, {err!r}")
    return problems


def export_checks(tmp, files):
    """export --bpf carves what tcpdump -w writes: same count, timestamps and bytes."""
    problems, n = [], 0
    for path, _, host in files:
        for template in ("tcp", "udp port 53", "host {host}", "len > 100"):
            expr = template.format(host=host)
            n += 1
            ours_path = os.path.join(tmp, "carve.pcap")
            p = run([binary, "export", path, "--bpf", expr, "-o", ours_path, "--force"])
            theirs, why = tcpdump(path, expr)
            if p.returncode != 0 or theirs is None:
                if not (p.returncode == 2 and theirs is None):
                    problems.append(f"export {path} [{expr}]: pcapscope exit {p.returncode}, tcpdump {why}")
                continue
            ours = parse_pcap(open(ours_path, "rb").read())
            if ours != theirs:
                problems.append(f"export {os.path.basename(path)} [{expr}]: pcapscope carved {len(ours)} packets, "
                                f"tcpdump {len(theirs)}; first difference at "
                                f"{next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))}")
    return problems, n


with tempfile.TemporaryDirectory() as tmp:
    binary = private_copy(binary, tmp)
    rows = manifest(shared)
    picked = pick_files(rows)
    results = parallel_map(lambda r: (r, baseline(r, tmp)), picked)
    usable, skipped = [], []
    for row, (base, why) in results:
        (usable.append((row, base)) if base else skipped.append((row, why)))
    for row, why in skipped:
        print(f"skipped {row['file']}: {why}")
    if len(skipped) > MAX_SKIPPED_SHARE * len(picked):
        fail(f"{len(skipped)} of {len(picked)} files could not be compared")
    lts = collections.Counter(row["linktype"] for row, _ in usable)
    print(f"{len(usable)} files compared: " + ", ".join(f"{lt} {n}" for lt, n in sorted(lts.items())))

    outcome = parallel_map(lambda u: compare(*u[1], u[0]["file"]), usable)
    problems = [p for ps, _ in outcome for p in ps]
    comparisons = sum(n for _, n in outcome)

    # Several link types in one pcapng, one interface each (mergecap -a keeps
    # the parts in order, so a part's frames are its own shifted by what precedes).
    by_lt = collections.defaultdict(list)
    for row, base in usable:
        by_lt[row["linktype"]].append(base)
    mixes = [["ether", "linux-sll", "rawip", "null"], ["linux-sll2", "ether", "rawip6", "rawip4"],
             ["rawip", "ether", "ppp"]]
    for k, mix in enumerate(mixes):
        parts = [by_lt[lt][k % len(by_lt[lt])] for lt in mix if by_lt.get(lt)]
        if len(parts) < 3:
            fail(f"not enough link types for mixed pcapng {mix}: have {sorted(by_lt)}")
        merged = os.path.join(tmp, f"mixed{k}.pcapng")
        p = run(["mergecap", "-a", "-F", "pcapng", "-w", merged] + [b[0] for b in parts])
        if p.returncode != 0:
            fail(f"mergecap: {p.stderr.decode(errors='replace')[:300]}")
        offsets, total = [], 0
        for b in parts:
            offsets.append((b[0], b[1], total))
            total += len(b[1])
        rows_all, err = listing(merged)
        if rows_all is None or len(rows_all) != total:
            fail(f"{merged}: pcapscope reads {len(rows_all or [])} packets of {total}: {err.strip()}")
        ps, n = compare(merged, None, parts[0][2], f"mixed{k} ({'+'.join(mix)})", offsets)
        problems += ps
        comparisons += n
        print(f"mixed{k}: {'+'.join(mix)}, {total} packets")

    ether = [base for row, base in usable if row["linktype"] == "ether"]
    ps, n = export_checks(tmp, ether[:: max(1, len(ether) // 8)][:8])
    problems += ps
    comparisons += n

    # A file with both TCP and UDP, so that "udp" leaves something and drops something.
    sample = next(b[0] for b in ether if len(b[1]) >= 20 and 2 <= len(tcpdump(b[0], "udp")[0] or []) < len(b[1]))
    socketcan = next(r["path"] for r in rows if r["linktype"] == "socketcan")
    cli = cli_checks(tmp, sample, socketcan)
    problems += cli
    comparisons += 1

for p in problems:
    print(f"DISAGREE {p}")
summary_line(comparisons - len(problems), len(problems), "bpf vs tcpdump: ")
if problems:
    fail(f"{len(problems)} disagreements with tcpdump or the --bpf contract")
