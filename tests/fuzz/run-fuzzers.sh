#!/bin/bash
# Runs every libFuzzer harness for SECONDS seconds each (default 60), one after another:
#   tests/fuzz/run-fuzzers.sh [SECONDS] [HARNESS...]
# Builds build-fuzz with clang-14 (-DDSINFER_FUZZ=ON: ASan + UBSan + coverage), writes the
# seed corpora, and fuzzes from the seeds, the regression inputs and the corpus kept from
# earlier runs (build-fuzz/fuzz/corpus). Any input that crashes, leaks, runs out of memory
# or times out is copied into tests/fuzz/regressions/<harness>/, where the normal test
# command replays it from then on. Prints executions and exec/s per harness; exits 1 if a
# fuzzer found something.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
all=(gguf safetensors tokenizer_json tokenize chat_template cache_file capi)
if [ $# -gt 0 ]; then harnesses=("$@"); else harnesses=("${all[@]}"); fi

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSINFER_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"${JOBS:-$(nproc)}" --target dsinfer_make_seeds $(printf 'fuzz_%s ' "${harnesses[@]}")
work=build-fuzz/fuzz
build-fuzz/tests/fuzz/dsinfer_make_seeds "$work/seeds"

found=0
summary=()
for h in "${harnesses[@]}"; do
  mkdir -p "$work/corpus/$h" "$work/artifacts/$h" "tests/fuzz/regressions/$h"
  log="$work/$h.log"
  echo "== fuzz_$h for ${seconds}s (log: $log)"
  # -timeout: an input that takes 10 s is a hang, not a slow input. -rss_limit_mb: a
  # harness that needs 2 GiB is allocating without bound.
  set +e
  build-fuzz/tests/fuzz/fuzz_$h -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$h/" "$work/corpus/$h" "$work/seeds/$h" "tests/fuzz/regressions/$h" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  new=0
  for f in "$work/artifacts/$h"/*; do
    [ -e "$f" ] || continue
    cp "$f" "tests/fuzz/regressions/$h/"
    rm "$f"
    new=$((new + 1))
  done
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    found=1
    echo "   fuzz_$h FOUND SOMETHING (exit $rc, $new new inputs in tests/fuzz/regressions/$h):"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/   /'
  fi
  summary+=("$(printf '%-15s %6ss %12s execs %8s exec/s  cov %6s  rss %5s MB  exit %s' "$h" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${rss:-?}" "$rc")")
done
printf '%s\n' "${summary[@]}"
exit $found
