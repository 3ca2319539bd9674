#!/usr/bin/env bash
# `make demo`: make a small capture with pcapscope's own writer, then run the
# main commands on it. Usage: tools/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
bin=$build/pcapscope
demo_dir=$build/demo
mkdir -p "$demo_dir"
capture=$demo_dir/demo.pcap

run() { printf '\n$ %s\n' "$*"; "$@"; }

# The main job: a capture of labelled incidents (one for each detector) amid
# benign traffic, analysed with a fresh baseline so every run reports the same.
incidents=$demo_dir/incidents.pcap
"$build/pcapscope-make-incidents" "$incidents" --labels "$demo_dir/incidents.json"
rm -f "$demo_dir/baseline.sqlite" "$demo_dir/baseline.sqlite-wal" "$demo_dir/baseline.sqlite-shm"
export PCAPSCOPE_BASELINE=$demo_dir/baseline.sqlite
run "$bin" analyze "$incidents"
rm -rf "$demo_dir/case"
run "$bin" analyze "$incidents" --no-learn --out-dir "$demo_dir/case" --format csv
run ls "$demo_dir/case"

# The other commands on a small capture.
"$build/pcapscope-make-demo" "$capture"
run "$bin" info "$capture"
run "$bin" packets "$capture" --slice 0:12
run "$bin" packets "$capture" --slice 3:4 --show
run "$bin" sessions "$capture"
run "$bin" follow "$capture" --index 1
run "$bin" dns "$capture"
run "$bin" http "$capture" --format zeek
run "$bin" packets "$capture" --format csv --fields frame.number,ip.src,ip.dst,tcp.dstport,udp.dstport,tcp.len --slice -6:
rm -f "$demo_dir/upload.pcapng"
run "$bin" export "$capture" --slice 23: -o "$demo_dir/upload.pcapng"
run "$bin" info --format json "$demo_dir/upload.pcapng"
