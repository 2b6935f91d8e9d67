#!/bin/bash
# The dsinfer CLI end to end: a file it writes, files it must refuse, and exit codes
# (0 ok, 1 bad input, 2 bad usage).
set -uo pipefail
cli="$1" dir="$2"
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }
expect_status() {  # expected-status description command...
  local want="$1" what="$2"; shift 2
  "$@" >"$dir/out" 2>"$dir/err"; local got=$?
  [ "$got" -eq "$want" ] || { cat "$dir/out" "$dir/err"; fail "$what: exit $got, expected $want"; }
}

expect_status 0 "sample-gguf" "$cli" sample-gguf "$dir/sample.gguf"
expect_status 0 "info on the sample" "$cli" info "$dir/sample.gguf" --tensors
grep -q "architecture: dsinfer-sample" "$dir/out" || fail "info does not print the architecture"
grep -q "tensors: 5," "$dir/out" || fail "info does not count the tensors"
grep -q "q8_0 .* 1 tensors" "$dir/out" || fail "info does not total bytes per type"
grep -q "blk.0.ffn_up.weight" "$dir/out" || fail "--tensors does not list tensors"

head -c 100 "$dir/sample.gguf" > "$dir/cut.gguf"
expect_status 1 "info on a truncated file" "$cli" info "$dir/cut.gguf"
grep -q "cut.gguf" "$dir/err" || fail "the error does not name the file"
[ "$(wc -l < "$dir/err")" -eq 1 ] || fail "the error is not one line"
expect_status 1 "info on a missing file" "$cli" info "$dir/absent.gguf"
echo "hello" > "$dir/text.txt"
expect_status 1 "info on a text file" "$cli" info "$dir/text.txt"
expect_status 2 "info without a path" "$cli" info
expect_status 2 "an unknown command" "$cli" frobnicate
expect_status 2 "no command" "$cli"
echo "cli checks passed"
