#!/bin/bash
# Builds dsinfer and runs every test: once in a Release build, once under AddressSanitizer
# + UndefinedBehaviorSanitizer, and the multi-threaded session tests under ThreadSanitizer.
# ctest prints a summary line for each run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSINFER_SANITIZE=ON
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs")

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSINFER_SANITIZE_THREAD=ON
cmake --build build-tsan -j"$jobs" --target dsinfer_tests dsinfer_model_tests dsinfer_capi_tests dsinfer_hostile_tests
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --output-on-failure -j"$jobs" -R "threads")
# The thread pool's own tests (tag [threads]; ctest names them by title, not tag).
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./tests/dsinfer_tests "[threads]")
