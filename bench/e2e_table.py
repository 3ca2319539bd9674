#!/usr/bin/env python3
"""Table of bench/e2e.sh's run: packets/s, MB/s, peak RSS and the ratio to
each peer, the issue 7 targets with PASS/MISS, and the constant-memory check.
Prints it and writes it, with the run's facts, as markdown.

Times are hyperfine medians (the machine is shared; the median shrugs off a
run slowed by someone's compile better than the mean). A ratio is per packet:
the peer's time per packet over pcapscope's, so 412x means pcapscope did each
packet 412 times faster; peers on a slice are compared on their own packets.

usage: e2e_table.py E2E_DIR RESULTS.md
"""
import csv
import json
import sys
from pathlib import Path

PEERS = [("sha256sum", "sha256sum"), ("capinfos", "capinfos -c"), ("tcpdump", "tcpdump -nr"),
         ("tshark", "tshark conv"), ("scapy", "Scapy")]


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter="\t"))


def ratio_text(x):
    return f"{x:,.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def load(e2e):
    meta = dict(line.rstrip("\n").rstrip(".").split("=", 1) for line in open(e2e / "meta.txt"))
    inputs = {label: {"path": p, "packets": int(n), "bytes": int(b)} for label, p, n, b in read_tsv(e2e / "inputs.tsv")}
    times = {r["command"]: r for r in json.load(open(e2e / "hyperfine.json"))["results"]}
    rss = {i: int(k) for i, k in read_tsv(e2e / "rss.tsv")}
    rows = []
    for rid, kind, label, input_label, cmd in read_tsv(e2e / "plan.tsv"):
        inp = inputs[input_label]
        t = times[rid]["median"]
        rows.append({"id": rid, "kind": kind, "label": label, "input": input_label, "cmd": cmd,
                     "packets": inp["packets"], "bytes": inp["bytes"], "t": t, "tmin": times[rid]["min"],
                     "tmax": times[rid]["max"], "per_packet": t / inp["packets"], "rss": rss.get(rid)})
    return meta, inputs, {r["id"]: r for r in rows}


def short(cmd, meta):
    # Paths as a reader of the report would type them.
    return (cmd.replace(meta["pcapscope_path"], "pcapscope")
            .replace(meta["work_path"] + "/", "$BUILD/bench-data/")
            .replace(meta["bench_path"] + "/", "bench/"))


def table(rows):
    head = ["command", "input", "packets", "median s", "packets/s", "MB/s", "peak RSS"] + [f"vs {n}" for _, n in PEERS]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["--:"] * (len(head) - 2)) + "|"]
    for r in rows.values():
        cells = [r["label"], r["input"], f"{r['packets']:,}", f"{r['t']:.3f}", f"{r['packets'] / r['t'] / 1e6:.2f} M",
                 f"{r['bytes'] / r['t'] / 1e6:,.0f}", f"{r['rss'] / 1024:.0f} MiB" if r["rss"] else "?"]
        for pid, _ in PEERS:
            peer = rows.get(pid)
            cells.append(ratio_text(peer["per_packet"] / r["per_packet"]) if r["kind"] == "ours" and peer else "")
        out.append("| " + " | ".join(cells) + " |")
    return out


def verdict(ok):
    return "PASS" if ok else "MISS"


def targets(rows, meta):
    c = meta["copies"]
    j1 = " -j 1" if meta["threads"] == "yes" else ""
    a, info, sha, ses = rows["analyze-1-many"], rows["info"], rows["sha256sum"], rows["sessions-1-many"]
    pps, bps = a["packets"] / a["t"], a["bytes"] / a["t"]
    vs = lambda r, pid: rows[pid]["per_packet"] / r["per_packet"]
    lines = [
        f"1. `analyze{j1}` on the {c}× capture: {pps / 1e6:.2f} M packets/s (target ≥ 3 M): {verdict(pps >= 3e6)}; "
        f"{bps / 1e9:.2f} GB/s of capture (target ≥ 1 GB/s): {verdict(bps >= 1e9)}",
        f"2. `analyze{j1}` per packet: {ratio_text(vs(a, 'tshark'))} tshark conv (target ≥ 300×): "
        f"{verdict(vs(a, 'tshark') >= 300)}; {ratio_text(vs(a, 'scapy'))} Scapy rdpcap + sessions() "
        f"(target ≥ 1,000×): {verdict(vs(a, 'scapy') >= 1000)}",
        f"3. `info` with SHA-256 takes {info['t'] / sha['t']:.2f}× the time of sha256sum on the same file "
        f"(target ≤ 1.5×): {verdict(info['t'] <= 1.5 * sha['t'])}; `sessions{j1}` runs {ratio_text(vs(ses, 'capinfos'))} "
        f"as fast as capinfos -c (target ≥ 5×): {verdict(vs(ses, 'capinfos') >= 5)}",
    ]
    if meta["threads"] == "yes":
        n = meta["nproc"]
        one, many = rows["analyze-1-many"], rows["analyze-n-many"]
        sp = one["t"] / many["t"]
        lines.append(f"4. `analyze -j {n}` runs {sp:.2f}× as fast as `analyze -j 1` on the {c}× capture "
                     f"(target ≥ 1.7× for -j 2): {verdict(sp >= 1.7)}")
        one, many = rows["sessions-1-many"], rows["sessions-n-many"]
        lines.append(f"   (`sessions -j {n}`: {one['t'] / many['t']:.2f}× as fast as `sessions -j 1`)")
    else:
        lines.append("4. multi-core: not measured (this binary has no -j)")
    peaks = [(k, rows[f"analyze-1-{k}"]["rss"]) for k in ("one", "many", "seq")]
    if all(r for _, r in peaks):
        worst = max(r for _, r in peaks) / 1024
        lines.append(f"5. peak RSS of `analyze{j1}`: {', '.join(f'{r / 1024:.0f} MiB' for _, r in peaks)} on 1×, "
                     f"{c}× and {c}× seq (target ≤ 300 MB): {verdict(worst * 1.048576 <= 300)}")
    return lines


def memory(rows, meta):
    c = meta["copies"]
    out = ["| command | 1× | " + f"{c}× seq | ratio | {c}× interleaved | ratio |", "|---|--:|--:|--:|--:|--:|"]
    checks = []
    for cmd in ("sessions", "analyze"):
        one, seq, many = (rows[f"{cmd}-1-{k}"] for k in ("one", "seq", "many"))
        if not (one["rss"] and seq["rss"] and many["rss"]):
            continue
        r_seq, r_many = seq["rss"] / one["rss"], many["rss"] / one["rss"]
        out.append(f"| {one['label']} | {one['rss'] / 1024:.0f} MiB | {seq['rss'] / 1024:.0f} MiB | {r_seq:.2f}× | "
                   f"{many['rss'] / 1024:.0f} MiB | {r_many:.2f}× |")
        checks.append(f"- `{one['label']}`: peak RSS on {c}× the file with the same live sessions is {r_seq:.2f}× "
                      f"the 1× one (check ≤ 1.25×): {verdict(r_seq <= 1.25)}")
    return out, checks


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    e2e, results = Path(sys.argv[1]), Path(sys.argv[2])
    meta, inputs, rows = load(e2e)
    c = meta["copies"]
    tab, tgt = table(rows), targets(rows, meta)
    mem, checks = memory(rows, meta)
    print("\n".join(tab + [""] + tgt + [""] + mem + [""] + checks))

    threads_note = ("`-j 1` rows run the session stage (and analyze's detectors) on one thread (analyze hashes the "
                    "input on a second one in every run); `-j N` rows use N threads: the reading thread and N-1 "
                    "workers (one worker takes whole packets; more shard sessions and protocols by flow)."
                    if meta["threads"] == "yes" else
                    "This binary has no `-j` yet (multi-core is in progress): sessions and analyze ran with their "
                    "default options, single-threaded; the targets' `-j 1` rows are those.")
    if meta["source"].startswith("no ../shared"):
        layout = (f"Without make-bench-pcap.py nothing remaps addresses: {c}× and {c}× seq are the same file, "
                  f"{c} copies of 1× one after another in time.")
    else:
        layout = (f"{c}× holds {c} interleaved copies, each on its own addresses ({c} times the file and {c} times "
                  f"the sessions alive at once); {c}× seq holds {c} copies of 1× one after another in time "
                  f"({c} times the file, the live sessions of 1×).")
    md = [
        "# pcapscope end-to-end benchmark (issue 7)",
        "",
        "Written by `make bench` (bench/e2e.sh, bench/e2e_table.py): do not edit the numbers by hand, re-run it.",
        "Reproduce: `make bench` (or `bench/run.sh BUILD`); a quick try: `make bench BENCH_QUICK=1`.",
        "",
        f"- date: {meta['date']}" + (" (BENCH_QUICK run)" if meta["quick"] else ""),
        f"- machine: {meta['nproc']} cores (`nproc`), {meta['cpu']}, Linux {meta['kernel']}",
        f"- load average (1, 5, 15 min) before the timed run: {meta['load_before']}; after: {meta['load_after']}. "
        "The machine is shared: timings are noisy; ratios come from one run, side by side.",
        f"- tools: {meta['v_pcapscope']}; {meta['v_sha256sum']}; {meta['v_capinfos']}; {meta['v_tcpdump']}; "
        f"{meta['v_tshark']}; {meta['v_scapy']}; {meta['v_hyperfine']}",
        "",
        "## Inputs",
        "",
        "| input | file | packets | bytes |",
        "|---|---|--:|--:|",
    ]
    md += [f"| {label} | `{short(i['path'], meta)}` | {i['packets']:,} | {i['bytes']:,} |" for label, i in inputs.items()]
    md += [
        "",
        f"1× is one copy of the source traffic: {meta['source']}. " + layout + " tshark and Scapy are too slow "
        "for the whole file, so they run on its first packets (carved with `pcapscope export --slice`) and every "
        "ratio is per packet.",
        "",
        "## Results",
        "",
        f"One `hyperfine -N --warmup 1 --runs {meta['runs']}` run over every command below (median time); peak RSS "
        "from a separate `/usr/bin/time -f %M` run of each. MB/s is capture file bytes (10^6) per second. "
        "`vs X`: X's time per packet over this command's (above 1: pcapscope is faster). " + threads_note,
        "",
    ] + tab + ["", "## Targets", ""] + tgt + [
        "", "## Constant memory", "",
        "Peak RSS should follow the sessions alive at once, not the file size.", "",
    ] + mem + [""] + checks + [
        "",
        "## Commands",
        "",
        f"analyze runs with its default options (SHA-256 of the input included) plus `--no-learn`, and "
        f"`PCAPSCOPE_BASELINE={short(meta['baseline'], meta)}`, so every run reads the same baseline. Output goes "
        "to /dev/null (hyperfine's default).",
        "",
    ]
    md += [f"- {r['label']} on {r['input']}: `{short(r['cmd'], meta)}`" for r in rows.values()]
    results.write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
