#!/usr/bin/env bash
# End-to-end benchmark of issue 7: pcapscope info, packets, sessions and
# analyze against sha256sum, capinfos -c, tcpdump -nr, tshark -z conv and
# Scapy, all timed in ONE hyperfine run (the machines are shared and noisy:
# ratios taken side by side mean more than lone absolute times), then one
# /usr/bin/time run per command for peak RSS. bench/e2e_table.py turns that
# into the table (stdout) and the markdown report.
#
# usage: bench/e2e.sh BUILD_DIR ONE.pcap MANY.pcap MANY-SEQ.pcap COPIES
#   (the three captures come from bench/e2e_data.sh)
# env:   BENCH_RUNS (3)              timed runs per command, after one warmup
#        BENCH_TSHARK_PACKETS (100000), BENCH_SCAPY_PACKETS (20000)
#                                    slice sizes for the two slow peers
#        BENCH_RESULTS               report path (default: bench/results.md for
#                                    a full 8-copy run, else BUILD/bench-data/results.md)
set -euo pipefail
build=${1:?usage: e2e.sh BUILD_DIR ONE MANY MANY-SEQ COPIES}
# Absolute paths: the report writes them relative to the build directory.
one=$(realpath "$2") many=$(realpath "$3") seq=$(realpath "$4") copies=$5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/bench-data"
work=$(realpath "$build/bench-data")
runs=${BENCH_RUNS:-3}
tshark_n=${BENCH_TSHARK_PACKETS:-100000}
scapy_n=${BENCH_SCAPY_PACKETS:-20000}
if [ -n "${BENCH_RESULTS:-}" ]; then
  results=$BENCH_RESULTS
elif [ "$copies" -eq 8 ] && [ -z "${BENCH_QUICK:-}" ]; then
  results=$here/results.md
else
  results=$work/results.md
fi
ps=$(realpath "$build/pcapscope")
nproc=$(nproc)
# Debian's interpreter: python3-scapy is in its dist-packages, whatever
# python3 comes first in PATH.
scapy_python=/usr/bin/python3
e2e=$work/e2e
mkdir -p "$e2e"

# analyze reads a baseline: one in the work directory, never learned into, so
# every run sees the same one.
export PCAPSCOPE_BASELINE=$e2e/baseline.sqlite

# Multi-core (-j N / PCAPSCOPE_THREADS): time -j 1 and -j nproc when the
# binary has it (an older one: its default).
if "$ps" sessions --help | grep -qE -- '(^|[ ,])-j([ ,]|$)'; then
  j1="-j 1" jn="-j $nproc" threads=yes
else
  j1="" jn="" threads=no
fi

# The slow peers run on the first packets of the large capture (tshark
# ~10-20k packets/s, Scapy ~2k): carved with pcapscope export, compared per packet.
slice() {
  local out
  out=$e2e/$(basename "$many" .pcap)-first$1.pcap
  [ -s "$out" ] || "$ps" export --slice "0:$1" "$many" -o "$out" --force 2>/dev/null
  echo "$out"
}
tslice=$(slice "$tshark_n")
sslice=$(slice "$scapy_n")

# Inputs: label, path, packets, file bytes.
inputs=$e2e/inputs.tsv
: > "$inputs"
add_input() {
  "$ps" info --no-hash --no-decode --format json "$2" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(sys.argv[1], sys.argv[2], d["packets"], d["file_bytes"], sep="\t")' \
      "$1" "$2" >> "$inputs"
}
add_input "1×" "$one"
add_input "${copies}×" "$many"
add_input "${copies}× seq" "$seq"
add_input "${copies}× first $tshark_n" "$tslice"
add_input "${copies}× first $scapy_n" "$sslice"

# The plan: id, ours|peer, label, input label, command. Paths carry no spaces
# (they are ours), so a command is split on blanks, by hyperfine -N and here.
plan=$e2e/plan.tsv
: > "$plan"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(tr -s ' ' <<< "$5")" >> "$plan"; }
jl() { if [ -n "$1" ]; then echo " $1"; fi; }  # label suffix for a -j option
row info ours "info (SHA-256)" "${copies}×" "$ps info $many"
row info-nohash ours "info --no-hash" "${copies}×" "$ps info --no-hash $many"
row packets ours "packets" "${copies}×" "$ps packets $many"
row sessions-1-one ours "sessions$(jl "$j1")" "1×" "$ps sessions $j1 $one"
row sessions-1-many ours "sessions$(jl "$j1")" "${copies}×" "$ps sessions $j1 $many"
row sessions-1-seq ours "sessions$(jl "$j1")" "${copies}× seq" "$ps sessions $j1 $seq"
row sessions-1-tslice ours "sessions$(jl "$j1")" "${copies}× first $tshark_n" "$ps sessions $j1 $tslice"
row analyze-1-one ours "analyze$(jl "$j1")" "1×" "$ps analyze --no-learn $j1 $one"
row analyze-1-many ours "analyze$(jl "$j1")" "${copies}×" "$ps analyze --no-learn $j1 $many"
row analyze-1-seq ours "analyze$(jl "$j1")" "${copies}× seq" "$ps analyze --no-learn $j1 $seq"
row analyze-1-tslice ours "analyze$(jl "$j1")" "${copies}× first $tshark_n" "$ps analyze --no-learn $j1 $tslice"
row analyze-1-sslice ours "analyze$(jl "$j1")" "${copies}× first $scapy_n" "$ps analyze --no-learn $j1 $sslice"
if [ "$threads" = yes ]; then
  row sessions-n-many ours "sessions$(jl "$jn")" "${copies}×" "$ps sessions $jn $many"
  row analyze-n-many ours "analyze$(jl "$jn")" "${copies}×" "$ps analyze --no-learn $jn $many"
fi
row sha256sum peer "sha256sum" "${copies}×" "sha256sum $many"
row capinfos peer "capinfos -c" "${copies}×" "capinfos -c $many"
row tcpdump peer "tcpdump -nr" "${copies}×" "tcpdump -nr $many"
row tshark peer "tshark conv" "${copies}× first $tshark_n" "tshark -n -q -z conv,tcp -z conv,udp -r $tslice"
row scapy peer "Scapy rdpcap+sessions" "${copies}× first $scapy_n" "$scapy_python $here/scapy_sessions.py $sslice"

echo "== End to end (issue 7): $(wc -l < "$plan") commands, one hyperfine run, warmup 1, $runs runs each =="
uptime > "$e2e/load-before.txt"
args=()
while IFS=$'\t' read -r id _ _ _ cmd; do args+=(-n "$id" "$cmd"); done < "$plan"
hyperfine -N --warmup 1 --runs "$runs" --style basic --export-json "$e2e/hyperfine.json" "${args[@]}" > "$e2e/hyperfine.log"
uptime > "$e2e/load-after.txt"

echo "== Peak RSS: one /usr/bin/time run per command =="
: > "$e2e/rss.tsv"
while IFS=$'\t' read -r id _ _ _ cmd; do
  read -ra argv <<< "$cmd"
  /usr/bin/time -f %M -o "$e2e/rss.one" "${argv[@]}" > /dev/null 2>&1
  printf '%s\t%s\n' "$id" "$(tail -1 "$e2e/rss.one")" >> "$e2e/rss.tsv"
done < "$plan"

{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$nproc"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "kernel=$(uname -r)"
  echo "load_before=$(sed 's/.*load average: //' "$e2e/load-before.txt")"
  echo "load_after=$(sed 's/.*load average: //' "$e2e/load-after.txt")"
  echo "threads=$threads"
  echo "source=$(cat "$work/source.txt" 2>/dev/null || echo unknown)"
  echo "copies=$copies"
  echo "runs=$runs"
  echo "quick=${BENCH_QUICK:-}"
  echo "baseline=$PCAPSCOPE_BASELINE"
  echo "pcapscope_path=$ps"
  echo "work_path=$(realpath "$work")"
  echo "bench_path=$here"
  echo "v_pcapscope=$("$ps" --version | head -1)"
  echo "v_sha256sum=$(sha256sum --version | head -1)"
  echo "v_capinfos=$(capinfos --version 2>/dev/null | head -1)"
  echo "v_tcpdump=$(tcpdump --version 2>&1 | head -1)"
  echo "v_tshark=$(tshark --version 2>/dev/null | head -1)"
  echo "v_scapy=Scapy $($scapy_python -c 'import scapy; print(scapy.__version__)') on $($scapy_python --version)"
  echo "v_hyperfine=$(hyperfine --version)"
} > "$e2e/meta.txt"

python3 "$here/e2e_table.py" "$e2e" "$results"
echo "(written to $results)"
