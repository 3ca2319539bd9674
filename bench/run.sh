#!/usr/bin/env bash
# End-to-end benchmark: builds a large real-traffic capture from the corpus,
# runs the Google Benchmark read/decode suite, then times pcapscope against
# capinfos, tcpdump and tshark on the same file in the same run (ratios, not
# lone absolute times: the machines are shared and noisy).
#
# usage: bench/run.sh BUILD_DIR [COPIES]
set -euo pipefail
build=${1:-build}
copies=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
shared=${PCAPSCOPE_SHARED:-$here/../../shared}
work=$build/bench-data
mkdir -p "$work"
pcap=$work/bench-$copies.pcap

if [ ! -s "$pcap" ]; then
  awk -F'\t' 'NR>1 && $2=="pcap" && $3=="ether" && $5==0 && $1 !~ /\.gz$/ {print "'"$shared"'/corpus/" $1}' \
    "$shared/corpus/MANIFEST.tsv" > "$work/list.txt"
  python3 "$shared/bench/make-bench-pcap.py" "$pcap" "$copies" --list "$work/list.txt"
fi
ls -l "$pcap"
"$build/pcapscope" info --no-decode "$pcap" | grep -E 'Packets|Captured bytes'

echo
echo "== Peak memory of a full read+decode pass (constant memory: bounded, not file-sized) =="
/usr/bin/time -f "pcapscope info: max RSS %M KiB for a $(stat -c %s "$pcap")-byte file" \
  "$build/pcapscope" info --no-hash "$pcap" > /dev/null

echo
echo "== Google Benchmark (read, read+decode) =="
PCAPSCOPE_BENCH_PCAP=$pcap "$build/bench/pcapscope_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

echo
echo "== End to end, same file, same run (hyperfine) =="
hyperfine --warmup 1 --runs 5 -N \
  -n "pcapscope info --no-hash" "$build/pcapscope info --no-hash $pcap" \
  -n "pcapscope info --no-hash --no-decode" "$build/pcapscope info --no-hash --no-decode $pcap" \
  -n "capinfos -c" "capinfos -c $pcap" \
  -n "tcpdump -r FILE -w /dev/null" "tcpdump -r $pcap -w /dev/null" \
  --export-markdown "$work/hyperfine.md"
echo
echo "== CSV fields, pcapscope vs tshark -T fields (same fields, first 200,000 packets) =="
# tshark dissects every layer of every packet (minutes for the whole file), so
# this comparison runs on a 200k-packet slice carved with pcapscope itself.
small=$work/bench-200k.pcap
[ -s "$small" ] || "$build/pcapscope" export "$pcap" --slice 0:200000 -o "$small"
fields=frame.number,ip.src,ip.dst,tcp.srcport,tcp.dstport,udp.srcport,udp.dstport
targs=$(echo $fields | sed 's/,/ -e /g; s/^/-e /')
hyperfine --warmup 1 --runs 3 \
  -n "pcapscope packets --format csv" "$build/pcapscope packets --format csv --fields $fields $small" \
  -n "tshark -T fields" "tshark -n -r $small -T fields -E occurrence=f $targs" \
  -N --output=pipe --export-markdown "$work/hyperfine-fields.md"

echo
echo "== Sessions: pcapscope sessions vs tshark -z conv,tcp -z conv,udp (same 200k-packet slice, same run) =="
hyperfine --warmup 1 --runs 3 -N --output=pipe \
  -n "pcapscope sessions --format json" "$build/pcapscope sessions --format json $small" \
  -n "tshark -q -z conv,tcp -z conv,udp" "tshark -n -q -r $small -z conv,tcp -z conv,udp" \
  --export-markdown "$work/hyperfine-sessions.md"
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
echo "== analyze next to sessions alone (whole file, same run) =="
# analyze runs sessions + protocols + every detector and writes the report; its
# baseline goes to the work directory and --no-learn keeps runs identical.
export PCAPSCOPE_BASELINE="$work/bench-baseline.sqlite"
hyperfine --warmup 1 --runs 3 -N --output=pipe \
  -n "analyze (report)" "$build/pcapscope analyze --no-learn --no-hash $pcap" \
  -n "analyze --format jsonl" "$build/pcapscope analyze --no-learn --no-hash --format jsonl $pcap" \
  -n "sessions --format json" "$build/pcapscope sessions --format json $pcap" \
  --export-json "$work/hyperfine-analyze.json" --export-markdown "$work/hyperfine-analyze.md"
python3 - "$work/hyperfine-analyze.json" "$npk" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
base = runs[-1]["mean"]
for r in runs:
    print(f"{r['command']}: {n / r['mean'] / 1e6:.2f} M packets/s, {r['mean'] / base:.2f}x the time of sessions")
PY
unset PCAPSCOPE_BASELINE
echo
echo "== Display filters: packets --filter and export --filter next to no filter and tshark -Y (same run) =="
# tshark takes minutes over the whole file, so this section uses its first
# 200,000 packets (carved with pcapscope export). Two filters: one over header
# fields only, one naming an application field (runs sessions + protocols).
slice=$work/bench-200k.pcap
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
echo
echo "== Sessions on the whole file: peak memory =="
/usr/bin/time -f "pcapscope sessions: %e s, max RSS %M KiB for $(stat -c %s "$pcap") bytes" \
  "$build/pcapscope" sessions --format json "$pcap" > /dev/null
