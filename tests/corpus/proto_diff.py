#!/usr/bin/env python3
"""Differential test of pcapscope's application-protocol fields against tshark
(Debian tshark 4.0, default preferences) over every corpus file whose link
type pcapscope decodes.

Categories (each must agree on at least 99% of values):
  dns   dns.qry.name of requests (the DNS message's dns.flags.response == 0)
  http  requests as (http.request.method, http.host, http.request.uri)
  sni   tls.handshake.extensions_server_name
  ja3   tls.handshake.ja3
  ssh   ssh.protocol (both sides' banners)

pcapscope: `pcapscope packets FILE --format json --fields frame.number,...`
(JSON Lines; an absent field may be missing, null or empty; a field with
several occurrences may be a JSON list). tshark: `-T fields -E occurrence=a`
with private separators, so every occurrence in a frame is seen (several DNS
messages in one TCP segment, pipelined HTTP requests, several questions).
Today pcapscope's JSON holds one value per field and frame, the first
occurrence (like tshark's -E occurrence=f), so ALL_OCCURRENCES is False: the
tshark side keeps each frame's first dns.flags.response/dns.qry.name, first
method/host/uri and first SNI/JA3/banner, and counts the further occurrences
apart ("not compared", printed). With ALL_OCCURRENCES = True every
occurrence is compared, aligned as follows: a frame's dns.qry.name values are
split between its DNS messages with dns.count.queries and only those of
messages with dns.flags.response == 0 are kept; method, host and uri are
zipped (when some request of a frame has no Host header the hosts cannot be
assigned to requests; such frames are counted as "unaligned"; rare).

Metric, per file and category: the multiset of values on each side.
matched = values in both (multiset intersection), only_tshark, only_pcapscope;
agreement = matched / (matched + only_tshark + only_pcapscope), summed over all
files. "same frame" counts how many of the matched values sit on the same
frame number on both sides (tshark shows a value reassembled over several TCP
segments on the last one; pcapscope may differ, so frame equality is reported
but not required).

Expected differences. pcapscope identifies protocols by content on any port;
tshark by port (plus a few heuristics). Every unmatched value is classified
by what tshark dissected in that frame (frame.protocols and the ports):
  - "tshark: no <proto> dissector on this port": only in pcapscope, and
    tshark's frame.protocols has no layer of that protocol at all (e.g. HTTP on
    port 8000, TLS on 4433, SSH on 2222);
  - "tshark: inside ICMP error": only in tshark, the value comes from the
    packet quoted in an ICMP/ICMPv6 error (tshark dissects the quote);
  - "tshark: inside QUIC": only in tshark, the TLS ClientHello sits in a QUIC
    Initial, which tshark decrypts (pcapscope does not decrypt QUIC);
  - "tshark: HTTP over UDP (SSDP)": only in tshark, HTTPU on UDP port 1900;
  - "tshark: DNS over HTTP/2 (DoH)": only in tshark, a DNS message carried
    in HTTP/2 DATA frames (pcapscope does not parse HTTP/2);
  - "convention: URI with a space": the same request where the target holds a
    space; tshark cuts the URI there, pcapscope keeps the whole target (Zeek's
    and Suricata's reading; for evidence the whole target matters);
  - everything else is "unexplained".
The explained classes are printed with counts and examples; the pass/fail
threshold applies to the agreement without them ("adjusted"), and the raw
agreement with them is printed beside it. Unexplained differences always
count.

Failure: any category's adjusted agreement below 99%, fewer than MIN_VALUES
tshark values in a category (a broken pcapscope side must not pass
vacuously: with too few values the percentage means nothing), or any file
that either tool fails to read although capinfos reads it.

Files: the manifest's rows whose link type pcapscope decodes (ether, null,
loop, linux-sll, linux-sll2, rawip, rawip4, rawip6, ppp) and that capinfos
reads (status 0, or 1 = readable up to damage). Every other row is skipped
with its reason, and the counts are printed.

Speed: tshark spends ~0.6 s starting up, ~20 minutes of CPU over 2,100 files.
Files with a clean manifest row are therefore concatenated in batches
(`mergecap -a`), one tshark run per batch, and frame numbers are mapped back
to files with the manifest's packet counts. Dissector state can leak across
files in a batch (TCP stream tracking, reassembly), so every file that shows
any difference (or an error) after the batched pass is run through tshark
again on its own, and that solo result is the one reported. Leaks are real:
re-running only the files with unexplained differences left ~50 values in
35 files where the batched tshark did not dissect port 80 as HTTP at all
(a conversation of an earlier file in the batch with the same addresses and
ports), which would have been misclassified as expected differences. Damaged files (status
1) always run alone. pcapscope runs once per file (it starts fast). Nothing
is cached; temporary files go to a temporary directory.

PROTO_DIFF_DUMP=FILE writes every difference as JSON lines, PROTO_DIFF_ONLY=REGEX
limits the run to matching file names (debugging aids)."""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from common import fail, manifest, parallel_map, private_copy, run, summary_line

THRESHOLD = 0.99
# About half of what tshark finds in the corpus today (dns 2666, http 1113,
# sni 117, ja3 142, ssh 43 values).
MIN_VALUES = {"dns": 1300, "http": 550, "sni": 60, "ja3": 70, "ssh": 20}
CATEGORIES = ["dns", "http", "sni", "ja3", "ssh"]
LAYER = {"dns": ("dns", "mdns", "llmnr"), "http": ("http", "ssdp"), "sni": ("tls",), "ja3": ("tls",), "ssh": ("ssh",)}
DECODED_LINKTYPES = {"ether", "null", "loop", "linux-sll", "linux-sll2", "rawip", "rawip4", "rawip6", "ppp"}
BATCH_FILES = 60
BATCH_PACKETS = 12000
SEP, AGG = "\x1f", "\x1e"
# pcapscope's JSON gives one value per field and frame (the first occurrence,
# as tshark's -E occurrence=f); tshark's further occurrences in a frame are
# then counted apart ("not compared") instead of as differences. True once
# pcapscope can list them all.
ALL_OCCURRENCES = False

PCAPSCOPE_FIELDS = ["frame.number", "dns.flags.response", "dns.qry.name", "http.request.method", "http.host",
                    "http.request.uri", "tls.handshake.extensions_server_name", "tls.handshake.ja3",
                    "ssh.protocol"]
TSHARK_FIELDS = ["frame.number", "frame.protocols", "dns.flags.response", "dns.count.queries", "dns.qry.name",
                 "http.request.method", "http.host", "http.request.uri",
                 "tls.handshake.extensions_server_name", "tls.handshake.ja3", "ssh.protocol",
                 "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
TI = {f: i for i, f in enumerate(TSHARK_FIELDS)}


# ---------------------------------------------------------------- tshark side

def tshark_cmd(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
           "-E", f"separator={SEP}", "-E", f"aggregator={AGG}"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    return cmd


def split_occ(s):
    return s.split(AGG) if s else []


def tshark_frame(cols, unaligned):
    """One -T fields line -> (frame info, {category: [values]}, {category: extra occurrences})."""
    cols = cols + [""] * (len(TSHARK_FIELDS) - len(cols))
    g = lambda f: split_occ(cols[TI[f]])
    vals = {c: [] for c in CATEGORIES}
    resp, counts, names = g("dns.flags.response"), g("dns.count.queries"), g("dns.qry.name")
    if names:
        if len(resp) == len(counts) and sum(int(c) for c in counts if c.isdigit()) == len(names):
            i = 0
            for r, c in zip(resp, counts):
                n = int(c)
                if r in ("0", "False"):
                    vals["dns"] += names[i:i + n]
                i += n
        elif resp and all(r in ("0", "False") for r in resp):
            vals["dns"] += names
        elif any(r in ("0", "False") for r in resp):
            unaligned["dns"] += 1
            vals["dns"] += names
    methods, hosts, uris = g("http.request.method"), g("http.host"), g("http.request.uri")
    if methods:
        if len(methods) > 1 and (len(hosts) != len(methods) or len(uris) != len(methods)):
            unaligned["http"] += 1
        hosts += [""] * (len(methods) - len(hosts))
        uris += [""] * (len(methods) - len(uris))
        vals["http"] = [f"{m} {h} {u}" for m, h, u in zip(methods, hosts, uris)]
    vals["sni"] = g("tls.handshake.extensions_server_name")
    vals["ja3"] = g("tls.handshake.ja3")
    vals["ssh"] = g("ssh.protocol")
    extra = collections.Counter()
    if not ALL_OCCURRENCES:
        # What `-E occurrence=f` shows: each field's first occurrence.
        first = {c: [] for c in CATEGORIES}
        if names and resp and resp[0] in ("0", "False"):
            first["dns"] = names[:1]
        if methods:
            first["http"] = [f"{methods[0]} {hosts[0] if hosts else ''} {uris[0] if uris else ''}"]
        for c in ("sni", "ja3", "ssh"):
            first[c] = vals[c][:1]
        for c in CATEGORIES:
            extra[c] = max(0, len(vals[c]) - len(first[c]))
        vals = first
    ports = g("tcp.srcport") + g("tcp.dstport") + g("udp.srcport") + g("udp.dstport")
    info = {"protocols": cols[TI["frame.protocols"]], "ports": ports}
    return info, vals, extra


def parse_tshark(text, offsets):
    """-T fields output of a (possibly merged) file -> {file: (frames, values, unaligned)}.
    offsets: [(first frame, last frame, file)]."""
    out = {f: ({}, {c: [] for c in CATEGORIES}, collections.Counter(), collections.Counter())
           for _, _, f in offsets}
    j = 0
    for line in text.split("\n"):
        if not line:
            continue
        cols = line.split(SEP)
        try:
            n = int(cols[0])
        except ValueError:
            continue
        while j < len(offsets) and n > offsets[j][1]:
            j += 1
        if j == len(offsets):
            break
        start, _, fname = offsets[j]
        frames, values, unaligned, extra = out[fname]
        info, vals, x = tshark_frame(cols, unaligned)
        extra.update(x)
        frame = n - start + 1
        frames[frame] = info
        for c in CATEGORIES:
            values[c] += [(frame, v) for v in vals[c]]
    return out


def tshark_solo(row):
    try:
        t = run(tshark_cmd(row["path"]), timeout=900)
    except subprocess.TimeoutExpired:
        return None, "tshark timed out"
    text = t.stdout.decode("utf-8", errors="replace")
    if t.returncode != 0 and (row["capinfos_status"] == 0 or not text):
        return None, f"tshark exit {t.returncode}: {t.stderr.decode(errors='replace').strip()[:300]}"
    return parse_tshark(text, [(1, 1 << 62, row["file"])])[row["file"]], None


def make_batches(rs):
    batches, cur, pk = [], [], 0
    for r in sorted(rs, key=lambda r: r["packets"]):
        if cur and (len(cur) >= BATCH_FILES or pk + r["packets"] > BATCH_PACKETS):
            batches.append(cur)
            cur, pk = [], 0
        cur.append(r)
        pk += r["packets"]
    if cur:
        batches.append(cur)
    batches.sort(key=lambda b: -sum(r["packets"] for r in b))
    return batches


def tshark_batch(args):
    idx, batch, tmp = args
    if len(batch) == 1:
        return {batch[0]["file"]: tshark_solo(batch[0])}
    merged = os.path.join(tmp, f"batch{idx}.pcapng")
    m = run(["mergecap", "-a", "-F", "pcapng", "-w", merged] + [r["path"] for r in batch], timeout=600)
    if m.returncode != 0:
        return {r["file"]: (None, f"mergecap: {m.stderr.decode(errors='replace')[:300]}") for r in batch}
    try:
        t = run(tshark_cmd(merged), timeout=1200)
    except subprocess.TimeoutExpired:
        return {r["file"]: (None, "tshark timed out (batch)") for r in batch}
    finally:
        os.unlink(merged)
    if t.returncode != 0:
        err = f"tshark exit {t.returncode}: {t.stderr.decode(errors='replace').strip()[:300]}"
        return {r["file"]: (None, err) for r in batch}
    offsets, start = [], 1
    for r in batch:
        offsets.append((start, start + r["packets"] - 1, r["file"]))
        start += r["packets"]
    res = parse_tshark(t.stdout.decode("utf-8", errors="replace"), offsets)
    return {f: (v, None) for f, v in res.items()}


# ------------------------------------------------------------- pcapscope side

def as_list(v):
    if v is None or v == "":
        return []
    if isinstance(v, list):
        return [as_str(x) for x in v if x is not None and x != ""]
    return [as_str(v)]


def as_str(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def pcapscope_file(row):
    try:
        p = run([binary, "packets", row["path"], "--format", "json", "--fields", ",".join(PCAPSCOPE_FIELDS)],
                timeout=600)
    except subprocess.TimeoutExpired:
        return None, "pcapscope timed out"
    text = p.stdout.decode("utf-8", errors="replace")
    if p.returncode != 0 and (row["capinfos_status"] == 0 or not text):
        return None, f"pcapscope exit {p.returncode}: {p.stderr.decode(errors='replace').strip()[:300]}"
    values = {c: [] for c in CATEGORIES}
    unaligned = collections.Counter()
    for line in text.split("\n"):  # not splitlines(): it also splits at \x85, \u2028 ...
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError:
            return None, f"pcapscope printed a line that is not JSON: {line[:200]}"
        frame = int(o.get("frame.number", 0) or 0)
        names = as_list(o.get("dns.qry.name"))
        resp = as_list(o.get("dns.flags.response"))
        if names:
            if len(resp) == len(names):
                values["dns"] += [(frame, n) for n, r in zip(names, resp) if r in ("0", "false", "False")]
            elif resp and all(r in ("0", "false", "False") for r in resp):
                values["dns"] += [(frame, n) for n in names]
            elif any(r in ("0", "false", "False") for r in resp):
                unaligned["dns"] += 1
                values["dns"] += [(frame, n) for n in names]
        methods = as_list(o.get("http.request.method"))
        if methods:
            hosts, uris = as_list(o.get("http.host")), as_list(o.get("http.request.uri"))
            if len(methods) > 1 and (len(hosts) != len(methods) or len(uris) != len(methods)):
                unaligned["http"] += 1
            hosts += [""] * (len(methods) - len(hosts))
            uris += [""] * (len(methods) - len(uris))
            values["http"] += [(frame, f"{m} {h} {u}") for m, h, u in zip(methods, hosts, uris)]
        values["sni"] += [(frame, v) for v in as_list(o.get("tls.handshake.extensions_server_name"))]
        values["ja3"] += [(frame, v) for v in as_list(o.get("tls.handshake.ja3"))]
        values["ssh"] += [(frame, v) for v in as_list(o.get("ssh.protocol"))]
    return (values, unaligned), None


# ------------------------------------------------------------------ compare

def compare(cat, ours, theirs, frames):
    """-> (matched, same_frame, [(side, frame, value, class)])."""
    t_items = collections.Counter(theirs)
    o_items = collections.Counter(ours)
    same = t_items & o_items
    t_rest = t_items - same
    o_rest = o_items - same
    t_vals = collections.Counter()
    o_vals = collections.Counter()
    for (f, v), n in t_rest.items():
        t_vals[v] += n
    for (f, v), n in o_rest.items():
        o_vals[v] += n
    moved = t_vals & o_vals
    matched = sum(same.values()) + sum(moved.values())
    diffs = []
    for side, rest, vals in (("tshark", t_rest, t_vals - moved), ("pcapscope", o_rest, o_vals - moved)):
        left = dict(vals)
        for (f, v), n in sorted(rest.items()):
            k = min(n, left.get(v, 0))
            if k <= 0:
                continue
            left[v] -= k
            for _ in range(k):
                diffs.append((side, f, v, classify(cat, side, f, frames)))
    # A request-target with a space in it (malformed, RFC 9112 §3.2): tshark
    # cuts the URI at the first space, pcapscope keeps it up to the version,
    # as Zeek and Suricata (libhtp) do -- the whole target is the evidence.
    if cat == "http":
        ts_frames = {(f, v) for side, f, v, _ in diffs if side == "tshark"}
        def cut(f, v):
            return any((f, v[:i]) in ts_frames for i in range(len(v)) if v[i] == " " and i > 0)
        spaced = {(f, v) for side, f, v, _ in diffs if side == "pcapscope" and cut(f, v)}
        cut_ts = {(f, v[:i]) for f, v in spaced for i in range(len(v)) if v[i] == " "}
        conv = "convention: URI with a space (tshark cuts at it; pcapscope keeps it, as Zeek does)"
        diffs = [(side, f, v, conv if ((side == "pcapscope" and (f, v) in spaced) or
                                       (side == "tshark" and (f, v) in cut_ts)) else cls)
                 for side, f, v, cls in diffs]
    return matched, sum(same.values()), diffs


def classify(cat, side, frame, frames):
    info = frames.get(frame)
    if info is None:
        return "unexplained (frame not in tshark's output)"
    layers = info["protocols"].split(":")
    ports = "/".join(sorted(set(info["ports"]), key=lambda p: int(p) if p.isdigit() else 0))
    if side == "pcapscope":
        if not any(l in LAYER[cat] for l in layers):
            return f"tshark: no {LAYER[cat][0]} dissector on this port ({ports or 'no tcp/udp'})"
        return "unexplained"
    if "icmp" in layers or "icmpv6" in layers:
        first_icmp = min(layers.index(l) for l in ("icmp", "icmpv6") if l in layers)
        if any(l in LAYER[cat] for l in layers[first_icmp:]):
            return "tshark: inside ICMP error"
    if cat == "dns" and "http2" in layers:
        return "tshark: DNS over HTTP/2 (DoH)"
    if "quic" in layers and cat in ("sni", "ja3"):
        return "tshark: inside QUIC"
    if cat == "http" and "udp" in layers and "1900" in info["ports"]:
        return "tshark: HTTP over UDP (SSDP)"
    return "unexplained"


def explained(cls):
    return cls.startswith("tshark:") or cls.startswith("convention:")


# --------------------------------------------------------------------- main

binary, shared = sys.argv[1], sys.argv[2]
for tool in ("tshark", "mergecap"):
    if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
        fail(f"{tool} not installed (make deps installs it)")
all_rows = manifest(shared)
rows, skipped = [], collections.Counter()
for r in all_rows:
    if r["capinfos_status"] == 2 or not r["linktype"]:
        skipped["capinfos cannot read it (status 2)"] += 1
    elif r["linktype"] not in DECODED_LINKTYPES:
        skipped[f"link type {r['linktype']} not decoded by pcapscope"] += 1
    elif not r["packets"]:
        skipped["no packets"] += 1
    else:
        rows.append(r)
if os.environ.get("PROTO_DIFF_ONLY"):
    # Debugging aid: only the files whose name matches this regular expression
    # (the minimum counts below will then usually fail).
    rows = [r for r in rows if re.search(os.environ["PROTO_DIFF_ONLY"], r["file"])]
elif len(rows) < 1500:
    fail(f"only {len(rows)} files with a decoded link type in the manifest; corpus incomplete?")

started = time.monotonic()
with tempfile.TemporaryDirectory() as tmp:
    binary = private_copy(binary, tmp)
    clean = [r for r in rows if r["capinfos_status"] == 0]
    damaged = [r for r in rows if r["capinfos_status"] != 0]
    batches = make_batches(clean) + [[r] for r in damaged]
    jobs = [("t", (i, b, tmp)) for i, b in enumerate(batches)] + [("p", r) for r in rows]

    def work(job):
        kind, arg = job
        return kind, (tshark_batch(arg) if kind == "t" else (arg["file"], pcapscope_file(arg)))

    theirs_by_file, ours_by_file = {}, {}
    for kind, res in parallel_map(work, jobs):
        if kind == "t":
            theirs_by_file.update(res)
        else:
            ours_by_file[res[0]] = res[1]
    t_batched = time.monotonic() - started

    def differs(r):
        (o, oe), (t, te) = ours_by_file[r["file"]], theirs_by_file.get(r["file"], (None, "no result"))
        if oe:
            return False
        if te:
            return True
        return any(compare(c, o[0][c], t[1][c], t[0])[2] for c in CATEGORIES)

    redo = [r for r in clean if differs(r)]
    for r, res in zip(redo, parallel_map(tshark_solo, redo)):
        theirs_by_file[r["file"]] = res

elapsed = time.monotonic() - started
stats = {c: collections.Counter() for c in CATEGORIES}
classes = {c: collections.Counter() for c in CATEGORIES}
examples = {c: collections.defaultdict(list) for c in CATEGORIES}
class_files = {c: collections.defaultdict(set) for c in CATEGORIES}
files_with = {c: set() for c in CATEGORIES}
unaligned = {"tshark": collections.Counter(), "pcapscope": collections.Counter()}
errors, dump = [], []
not_compared = collections.Counter()
for r in rows:
    (o, oe), (t, te) = ours_by_file[r["file"]], theirs_by_file[r["file"]]
    if oe or te:
        errors.append(f"{r['file']}: {oe or te}")
        continue
    unaligned["tshark"].update(t[2])
    not_compared.update(t[3])
    unaligned["pcapscope"].update(o[1])
    for c in CATEGORIES:
        matched, same, diffs = compare(c, o[0][c], t[1][c], t[0])
        s = stats[c]
        s["tshark"] += len(t[1][c])
        s["pcapscope"] += len(o[0][c])
        s["matched"] += matched
        s["same_frame"] += same
        if t[1][c]:
            files_with[c].add(r["file"])
        for side, frame, value, cls in diffs:
            s["only_" + side] += 1
            s["explained" if explained(cls) else "unexplained"] += 1
            key = (f"only in {side}", cls)
            classes[c][key] += 1
            class_files[c][key].add(r["file"])
            if len(examples[c][key]) < 20:
                shown = repr(value) if len(value) <= 160 else f"{value[:160]!r}... ({len(value)} chars)"
                examples[c][key].append(f"{r['file']} frame {frame}: {shown}")
            dump.append({"category": c, "file": r["file"], "frame": frame, "side": side, "value": value,
                         "class": cls})

if os.environ.get("PROTO_DIFF_DUMP"):
    with open(os.environ["PROTO_DIFF_DUMP"], "w") as f:
        for d in dump:
            f.write(json.dumps(d) + "\n")

print(f"files: {len(all_rows)} in the manifest, {len(rows)} considered, "
      f"{sum(skipped.values())} skipped, {len(errors)} unreadable; "
      f"{len(redo)} re-run through tshark alone")
for why, n in skipped.most_common():
    print(f"  skipped {n:5d}: {why}")
if +not_compared:
    print("  tshark: further occurrences in a frame, not compared (pcapscope shows the first): "
          + ", ".join(f"{c} {n}" for c, n in sorted(not_compared.items()) if n))
for side in ("tshark", "pcapscope"):
    if unaligned[side]:
        print(f"  {side}: frames whose occurrences could not be aligned: "
              + ", ".join(f"{c} {n}" for c, n in sorted(unaligned[side].items())))
print()
hdr = (f"{'category':9s} {'files':>5s} {'tshark':>7s} {'pcapscope':>9s} {'matched':>7s} {'same fr':>7s} "
       f"{'only_ts':>7s} {'only_ps':>7s} {'expl.':>6s} {'raw %':>7s} {'adj. %':>7s}")
print(hdr)
failures = []
passed = 0
for c in CATEGORIES:
    s = stats[c]
    denom = s["matched"] + s["only_tshark"] + s["only_pcapscope"]
    raw = s["matched"] / denom if denom else 0.0
    adj_denom = denom - s["explained"]
    adj = s["matched"] / adj_denom if adj_denom else 0.0
    print(f"{c:9s} {len(files_with[c]):5d} {s['tshark']:7d} {s['pcapscope']:9d} {s['matched']:7d} "
          f"{s['same_frame']:7d} {s['only_tshark']:7d} {s['only_pcapscope']:7d} {s['explained']:6d} "
          f"{raw * 100:7.2f} {adj * 100:7.2f}")
    if s["tshark"] < MIN_VALUES[c]:
        failures.append(f"{c}: only {s['tshark']} tshark values (need {MIN_VALUES[c]})")
    elif adj < THRESHOLD:
        failures.append(f"{c}: adjusted agreement {adj * 100:.2f}% < {THRESHOLD * 100:.0f}%")
    else:
        passed += 1
print()
for c in CATEGORIES:
    if not classes[c]:
        continue
    print(f"== {c}: differences by cause")
    for key, n in classes[c].most_common():
        side, cls = key
        print(f"  {n:6d} {side}: {cls} ({len(class_files[c][key])} files)")
        for e in examples[c][key]:
            print(f"           {e}")
for e in errors[:50]:
    print(f"ERROR: {e}")
for f in failures:
    print(f"FAIL: {f}")
print(f"elapsed {elapsed:.0f} s (batched pass {t_batched:.0f} s)")
summary_line(passed, len(CATEGORIES) - passed, "categories: ")
sys.exit(0 if not failures and not errors else 1)
