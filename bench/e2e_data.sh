#!/usr/bin/env bash
# Benchmark captures for bench/run.sh and bench/e2e.sh, cached in
# BUILD/bench-data (each is made only when missing):
#   1x       one copy of the source traffic
#   Nx       N interleaved copies, each on its own addresses: N times the file
#            and N times the sessions alive at once
#   Nx-seq   N copies of 1x one after another in time: N times the file, the
#            same sessions alive at once as 1x (what constant memory is about)
# Source: the Ethernet pcap files of ../shared/corpus/suricata through
# ../shared/bench/make-bench-pcap.py; where ../shared is missing, the
# project's own writer (pcapscope-make-incidents, pcapscope-make-demo) and
# `pcapscope export`.
#
# usage: bench/e2e_data.sh BUILD_DIR COPIES
# Prints three lines, the 1x, Nx and Nx-seq paths; says what it did on stderr.
set -euo pipefail
build=${1:?usage: e2e_data.sh BUILD_DIR COPIES}
copies=${2:?usage: e2e_data.sh BUILD_DIR COPIES}
here=$(cd "$(dirname "$0")" && pwd)
shared=${PCAPSCOPE_SHARED:-$here/../../shared}
work=$build/bench-data
mkdir -p "$work"
say() { echo "e2e_data: $*" >&2; }

# N copies of IN, copy k shifted by k * (IN's duration + 1 h) with editcap and
# merged by `pcapscope export`: the sessions of one copy have ended long
# before the next begins.
repeat_in_time() {
  local in=$1 n=$2 out=$3 span k parts=()
  span=$("$build/pcapscope" info --no-hash --no-decode --format json "$in" |
    python3 -c 'import json,sys; print(int(json.load(sys.stdin)["duration"]) + 3600)')
  for ((k = 0; k < n; k++)); do
    editcap -F pcap -t $((k * span)) "$in" "$out.part$k"
    parts+=("$out.part$k")
  done
  "$build/pcapscope" export "${parts[@]}" -o "$out.tmp" --force 2>/dev/null
  rm -f "${parts[@]}"
  mv "$out.tmp" "$out"
}

if [ -r "$shared/corpus/MANIFEST.tsv" ] && [ -r "$shared/bench/make-bench-pcap.py" ]; then
  name=suricata
  # make-bench-pcap.py reads classic pcap only (no pcapng, no gzip: it skips
  # what it cannot read), so the list holds exactly what it will use: format
  # pcap, link type ether, clean capinfos status, not .gz, readable.
  list=$work/list-suricata.txt
  awk -F'\t' -v root="$shared/corpus/" \
    'NR>1 && $1 ~ /^suricata\// && $2=="pcap" && $3=="ether" && $5==0 && $1 !~ /\.gz$/ {print root $1}' \
    "$shared/corpus/MANIFEST.tsv" | while read -r f; do [ -r "$f" ] && echo "$f"; done > "$list.tmp"
  mv "$list.tmp" "$list"
  echo "the $(wc -l < "$list") Ethernet pcap files of ../shared/corpus/suricata (MANIFEST.tsv: format pcap, link type ether, capinfos status 0, not gzip) through ../shared/bench/make-bench-pcap.py" \
    > "$work/source.txt"
  make_copies() {
    say "building $2 ($1 copies of $(wc -l < "$list") suricata Ethernet pcap files, make-bench-pcap.py)"
    python3 "$shared/bench/make-bench-pcap.py" "$2.tmp" "$1" --list "$list" && mv "$2.tmp" "$2"
  }
else
  name=generated
  echo "no ../shared: pcapscope-make-incidents + pcapscope-make-demo output, repeated in time (editcap -t) and merged by pcapscope export" \
    > "$work/source.txt"
  # No corpus: the 1x capture is 8 copies in time of the incident and demo
  # captures the project writes itself; Nx repeats that in time as well, so
  # here Nx and Nx-seq hold the same traffic (no address remapping).
  make_copies() {
    local base=$work/generated-base.pcap
    if [ ! -s "$base" ]; then
      "$build/pcapscope-make-incidents" "$work/generated-incidents.pcap" > /dev/null
      "$build/pcapscope-make-demo" "$work/generated-demo.pcap" > /dev/null
      "$build/pcapscope" export "$work/generated-incidents.pcap" "$work/generated-demo.pcap" -o "$base" --force 2>/dev/null
    fi
    say "building $2 (no ../shared: $((8 * $1)) time-shifted copies of pcapscope-make-incidents + pcapscope-make-demo output, merged by pcapscope export)"
    repeat_in_time "$base" $((8 * $1)) "$2"
  }
fi

one=$work/bench-$name-1.pcap
many=$work/bench-$name-$copies.pcap
seq=$work/bench-$name-$copies-seq.pcap
[ -s "$one" ] || make_copies 1 "$one"
[ -s "$many" ] || make_copies "$copies" "$many"
if [ ! -s "$seq" ]; then
  if [ "$copies" -eq 1 ] || [ "$name" = generated ]; then
    ln -sf "$(basename "$many")" "$seq"
  else
    say "building $seq ($copies copies of $(basename "$one") one after another in time)"
    repeat_in_time "$one" "$copies" "$seq"
  fi
fi
printf '%s\n' "$one" "$many" "$seq"
