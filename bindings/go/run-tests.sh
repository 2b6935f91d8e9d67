#!/usr/bin/env bash
# The Go binding's tests, as ctest runs them (test bindings_go):
#   run-tests.sh DSINFER_CLI LIBDSINFER_SO CHECKPOINTS_DIR WORK_DIR
# The C++ CLI writes the token ids the binding must reproduce; then go vet and go test run
# offline (no module downloads) with every Go cache under WORK_DIR.
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 DSINFER_CLI LIBDSINFER_SO CHECKPOINTS_DIR WORK_DIR" >&2
  exit 2
fi
cli=$(realpath "$1")
lib=$(realpath "$2")
ckpt=$(realpath "$3")
mkdir -p "$4"
work=$(realpath "$4")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

go=${GO:-$(command -v go || true)}
[ -n "$go" ] || go=/usr/bin/go
if [ ! -x "$go" ]; then
  echo "run-tests.sh: no Go toolchain (set GO=/path/to/go)" >&2
  exit 1
fi

# Expected ids from the C++ path: the built-in model and the dense qwen2 checkpoint.
expected() {
  if ! "$cli" run "$@" >"$work/cli.log" 2>&1; then
    echo "run-tests.sh: $cli run $* failed:" >&2
    cat "$work/cli.log" >&2
    exit 1
  fi
}
expected -p "Hello" -n 12 --seed 42 --ids-out "$work/builtin_ids.json"
expected --model "$ckpt/qwen2/model.gguf" -p "Hello" -n 8 --seed 7 --ids-out "$work/qwen2_ids.json"

# The library under test, by the binding's lookup rule: DSINFER_LIBRARY names it, the link
# and the rpath take its directory, and the package checks the loader really picked it.
libdir=$(dirname "$lib")
export DSINFER_LIBRARY="$lib"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CGO_ENABLED=1
export CGO_CFLAGS="-g -O2 -I$repo/capi"
export CGO_LDFLAGS="-L$libdir -Wl,-rpath,$libdir"
export GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off GO111MODULE=on
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOTMPDIR="$work/tmp" HOME="${HOME:-$work}"
mkdir -p "$GOTMPDIR"

# The test inputs.
export DSINFER_TEST_CHECKPOINTS="$ckpt"
export DSINFER_TEST_BUILTIN_IDS="$work/builtin_ids.json"
export DSINFER_TEST_QWEN2_IDS="$work/qwen2_ids.json"
# cgocheck=2 also checks every pointer store, catching a Go pointer left in C memory.
export GODEBUG=cgocheck=2

cd "$here"
echo "== gofmt + go vet (binding)"
unformatted=$("$("$go" env GOROOT)/bin/gofmt" -l . "$repo/examples/go")
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
"$go" vet ./...
echo "== go test (binding)"
"$go" test -count=1 ./...
if [ "${DSINFER_GO_RACE:-1}" = 1 ]; then
  echo "== go test -race (binding)"
  "$go" test -count=1 -race ./...
fi

cd "$repo/examples/go"
echo "== go vet + build + run (example)"
"$go" vet ./...
"$go" build -o "$work/example" .
"$work/example" >"$work/example.out"
echo "example output: $(head -c 200 "$work/example.out" | tr -c '[:print:]\n' '?')"
echo "== bindings_go: all passed"
