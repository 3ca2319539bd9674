#!/bin/sh
# Runs the fuzzers (protocol parsers, filter, capture reading, decoding,
# session stage, config) for a bounded time each, seeded from the corpus.
#
#   tests/fuzz/run.sh FUZZ_BUILD SEED_TOOL SECONDS [JOBS [RUNS [TARGETS]]]
#
# FUZZ_BUILD   a PCAPSCOPE_FUZZ=ON build directory (build-fuzz)
# SEED_TOOL    pcapscope-make-seeds (any build); seeds are cut from
#              ../shared/corpus into FUZZ_BUILD/seeds/<target>/ once
# SECONDS      -max_total_time per target
# JOBS         fuzzers run at once (default 2)
# RUNS         -runs per target: stop after this many executions (default:
#              none, SECONDS alone); `make fuzz FUZZ_RUNS=10000000 FUZZ_SECONDS=86400`
# TARGETS      the targets to run, space-separated (default: all nine)
#
# Everything written stays under FUZZ_BUILD: the growing corpus
# (corpus/<target>/, libFuzzer writes new inputs only to its first corpus
# directory), crash/hang artifacts (artifacts/<target>/) and logs
# (logs/<target>.log). tests/fuzz/regressions/<target>/ is read as extra
# seeds, never written. Exit status 1 if any fuzzer found a crash, a hang
# (-timeout), a leak or an invariant violation.
set -u
build=$1
seed_tool=$2
seconds=$3
jobs=${4:-2}
runs=${5:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
corpus_dir="$src/../shared/corpus"

if [ ! -f "$build/seeds/.done" ] || [ ! -d "$build/seeds/sessions" ]; then
  [ -d "$corpus_dir" ] || { echo "fuzz: $corpus_dir is missing (needed for seeds)" >&2; exit 2; }
  rm -rf "$build/seeds"
  "$seed_tool" --max 300 "$build/seeds" "$corpus_dir" || exit 2
  touch "$build/seeds/.done"
fi

max_len() {
  case $1 in
    dns) echo 4096 ;;   # UDP messages, TCP/53 streams of a few messages
    http) echo 16384 ;; # two directions of up to 8 KiB (seed cut)
    tls) echo 16384 ;;  # hellos and certificates of both directions
    ssh) echo 8192 ;;   # banners and KEXINIT of both directions
    filter) echo 512 ;; # one filter expression
    capture) echo 65536 ;;  # a small capture file (seed cut), compressed or not
    decode) echo 4096 ;;    # one frame
    sessions) echo 16384 ;; # a few dozen packets
    config) echo 4096 ;;    # a config file
  esac
}

# libFuzzer's -rss_limit_mb per target. The sessions target starts two
# worker threads per execution, and clang's ASan runtime keeps a little of
# every thread it has seen (a plain create-and-join loop under
# -fsanitize=address grows ~3 KB per pair; the same harness built without
# sanitizers stays at 8 MB over 80,000 executions), so ten million
# executions need more than the default bound; a leak of ours would still
# show as LeakSanitizer's report, not as this growth.
rss_limit() {
  case $1 in
    sessions) echo 6144 ;;
    *) echo 2048 ;;
  esac
}

run_one() {
  t=$1
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/logs"
  t0=$(date +%s)
  extra=
  [ -d "$src/tests/fuzz/regressions/$t" ] && extra="$src/tests/fuzz/regressions/$t"
  # The filter target's seeds are expressions kept in the tree, not cut from captures.
  seeds="$build/seeds/$t"
  [ "$t" = filter ] && seeds="$src/tests/fuzz/filter_seeds"
  [ "$t" = config ] && seeds="$src/tests/fuzz/config_seeds"
  # shellcheck disable=SC2086  # $extra is one path or nothing
  # shellcheck disable=SC2086  # $runs_flag is one flag or nothing
  "$build/tests/fuzz/${t}_fuzzer" -max_total_time="$seconds" $runs_flag -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb="$(rss_limit "$t")" -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
    "$build/corpus/$t" "$seeds" $extra >"$build/logs/$t.log" 2>&1
  echo $? >"$build/logs/$t.rc"
  echo "seconds=$(( $(date +%s) - t0 ))" >"$build/logs/$t.rc.time"
}

targets=${6:-"dns http tls ssh filter capture decode sessions config"}
runs_flag=
[ -n "$runs" ] && runs_flag="-runs=$runs"
start=$(date +%s)
running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

status=0
for t in $targets; do
  rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/logs/$t.log")
  secs=$(sed -n 's/^seconds=//p' "$build/logs/$t.rc.time" 2>/dev/null)
  printf 'fuzz %-8s rc=%s executions=%s execs/s=%s seconds=%s\n' "$t" "$rc" "${execs:-?}" "${rate:-?}" "${secs:-?}"
  if [ "$rc" != 0 ]; then
    status=1
    grep -E 'fuzz invariant failed|ERROR:|SUMMARY:' "$build/logs/$t.log" | head -5
    echo "  log: $build/logs/$t.log; artifacts: $build/artifacts/$t/"
    echo "  keep a minimized input as tests/fuzz/regressions/$t/<name> once the parser is fixed"
  fi
done
echo "fuzz: $(( $(date +%s) - start ))s wall"
exit $status
