#!/usr/bin/env bash
# The benchmarks of `make bench`, in one run (the machines are shared and
# noisy: ratios taken side by side mean more than lone absolute times):
#   1. the captures (bench/e2e_data.sh): 1x, COPIES x and COPIES x one after
#      another, from the Ethernet pcaps of ../shared/corpus/suricata (or, with
#      no ../shared, written by the project's own tools)
#   2. the Google Benchmark micro-benchmarks on the 1x capture
#   3. the end-to-end table of issue 7 (bench/e2e.sh): pcapscope against
#      sha256sum, capinfos, tcpdump, tshark and Scapy -> bench/results.md
#   4. single features next to tshark: CSV fields, the protocol stage's cost,
#      display filters
#
# usage: bench/run.sh BUILD_DIR [COPIES]   (COPIES default 8)
# env:   BENCH_QUICK=1   a fast try: 2 copies, 2 runs, small slices, no part 4,
#                        the report under BUILD_DIR/bench-data
#        BENCH_FILTER    --benchmark_filter for part 2 (default: all)
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
quick=${BENCH_QUICK:-}
if [ -n "$quick" ]; then
  copies=${2:-2}
  export BENCH_RUNS=${BENCH_RUNS:-2} BENCH_TSHARK_PACKETS=${BENCH_TSHARK_PACKETS:-20000}
  export BENCH_SCAPY_PACKETS=${BENCH_SCAPY_PACKETS:-3000}
  gbench_filter=${BENCH_FILTER:-'^BM_Read(Decode)?/'}
else
  copies=${2:-8}
  gbench_filter=${BENCH_FILTER:-.}
fi
work=$build/bench-data
mkdir -p "$work"

mapfile -t captures < <("$here/e2e_data.sh" "$build" "$copies")
one=${captures[0]} pcap=${captures[1]} seq=${captures[2]}
for f in "$one" "$pcap" "$seq"; do
  echo "$f: $("$build/pcapscope" info --no-decode --no-hash --format json "$f" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("{:,} packets, {:,} bytes".format(d["packets"], d["file_bytes"]))')"
done

echo
echo "== Google Benchmark (micro-benchmarks per stage, PCAPSCOPE_BENCH_PCAP = the 1x capture) =="
PCAPSCOPE_BENCH_PCAP=$one "$build/bench/pcapscope_bench" --benchmark_filter="$gbench_filter"

echo
"$here/e2e.sh" "$build" "$one" "$pcap" "$seq" "$copies"

if [ -n "$quick" ]; then
  echo
  echo "(BENCH_QUICK: CSV fields, protocol stage and display filter sections skipped)"
  exit 0
fi
echo
echo "== CSV fields, pcapscope vs tshark -T fields (same fields, first 200,000 packets) =="
# tshark dissects every layer of every packet (minutes for the whole file), so
# this comparison runs on a 200k-packet slice carved with pcapscope itself.
small=$work/$(basename "$pcap" .pcap)-first200k.pcap
[ -s "$small" ] || "$build/pcapscope" export "$pcap" --slice 0:200000 -o "$small"
fields=frame.number,ip.src,ip.dst,tcp.srcport,tcp.dstport,udp.srcport,udp.dstport
targs=$(echo $fields | sed 's/,/ -e /g; s/^/-e /')
hyperfine --warmup 1 --runs 3 \
  -n "pcapscope packets --format csv" "$build/pcapscope packets --format csv --fields $fields $small" \
  -n "tshark -T fields" "tshark -n -r $small -T fields -E occurrence=f $targs" \
  -N --output=pipe --export-markdown "$work/hyperfine-fields.md"

echo
echo "== Protocol stage cost: sessions with and without it (whole file, same run) =="
npk=$(capinfos -M -c -T "$pcap" | awk -F'\t' 'NR==2 {print $2}')
hyperfine --warmup 1 --runs 3 -N --output=pipe \
  -n "sessions (protocol stage on)" "$build/pcapscope sessions --format json $pcap" \
  -n "sessions --no-protocols" "$build/pcapscope sessions --no-protocols --format json $pcap" \
  --export-json "$work/hyperfine-proto.json" --export-markdown "$work/hyperfine-proto.md"
python3 - "$work/hyperfine-proto.json" "$npk" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
for r in runs:
    print(f"{r['command']}: {n / r['mean'] / 1e6:.2f} M packets/s (mean {r['mean']:.2f} s over {n} packets)")
PY
echo
echo "== Display filters: packets --filter and export --filter next to no filter and tshark -Y (same run) =="
# tshark takes minutes over the whole file, so this section uses its first
# 200,000 packets (carved with pcapscope export). Two filters: one over header
# fields only, one naming an application field (runs sessions + protocols).
slice=$small
[ -s "$slice" ] || "$build/pcapscope" export --slice 0:200000 "$pcap" -o "$slice" 2>/dev/null
nsl=$("$build/pcapscope" info --no-decode --no-hash --format json "$slice" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
hdr='tcp.port == 443 && tcp.len > 0 && ip.ttl < 128'
app='dns.qry.name contains "google" || http.request.method == "POST"'
hyperfine --warmup 1 --runs 3 -N --output=pipe \
  -n "packets (no filter)" "$build/pcapscope packets $slice" \
  -n "packets --filter header" "$build/pcapscope packets $slice --filter '$hdr'" \
  -n "tshark -Y header" "tshark -n -r $slice -Y '$hdr'" \
  -n "packets --filter app" "$build/pcapscope packets $slice --filter '$app'" \
  -n "tshark -Y app" "tshark -n -r $slice -Y '$app'" \
  -n "export (no filter)" "$build/pcapscope export $slice -o $work/carved.pcap --force" \
  -n "export --filter header" "$build/pcapscope export $slice -o $work/carved.pcap --force --filter '$hdr'" \
  -n "tshark -Y header -w" "tshark -n -r $slice -Y '$hdr' -w $work/carved-tshark.pcap" \
  --export-json "$work/hyperfine-filter.json" --export-markdown "$work/hyperfine-filter.md"
python3 - "$work/hyperfine-filter.json" "$nsl" <<'PY'
import json, sys
runs = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
for name, t in runs.items():
    print(f"{name}: {n / t / 1e6:.2f} M packets/s")
for ours, theirs in (("packets --filter header", "tshark -Y header"), ("packets --filter app", "tshark -Y app"),
                     ("export --filter header", "tshark -Y header -w")):
    print(f"{ours}: {runs[theirs] / runs[ours]:.1f}x faster than {theirs}")
for ours, base in (("packets --filter header", "packets (no filter)"), ("export --filter header", "export (no filter)")):
    print(f"{ours}: {runs[ours] / runs[base]:.2f}x the time of {base}")
PY
