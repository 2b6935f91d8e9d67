#!/usr/bin/env bash
# The Python binding's tests, as ctest runs them (test bindings_python):
#   run-tests.sh DSINFER_CLI LIBDSINFER_SO CHECKPOINTS_DIR WORK_DIR
# The C++ CLI writes the ids it generates; the tests require the binding to produce the
# same ones. Then the package is installed with pip, offline, and imported from there.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 DSINFER_CLI LIBDSINFER_SO CHECKPOINTS_DIR WORK_DIR" >&2
  exit 2
fi
abs() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }
cli=$(abs "$1") lib=$(abs "$2") ckpt=$(abs "$3")
mkdir -p "$4"
work=$(abs "$4")
here=$(cd "$(dirname "$0")" && pwd)
python=${DSINFER_PYTHON:-/usr/bin/python3}
for f in "$cli" "$lib" "$ckpt/qwen2/model.gguf"; do
  [ -e "$f" ] || { echo "run-tests.sh: $f does not exist" >&2; exit 2; }
done

# What the C++ path generates (stdout is the text, stderr the load banner and speed).
"$cli" run -p "Hello" -n 12 --seed 42 --ids-out "$work/builtin_ids.json" >/dev/null 2>&1
"$cli" run --model "$ckpt/qwen2/model.gguf" -p "Hello" -n 8 --seed 7 --ids-out "$work/qwen2_ids.json" >/dev/null 2>&1

export DSINFER_LIBRARY="$lib" DSINFER_TEST_CHECKPOINTS="$ckpt" DSINFER_TEST_WORK="$work"
export PYTHONDONTWRITEBYTECODE=1  # keep the source tree clean
# The tests need every fixture: a skip here would hide a missing checkpoint or id file.
PYTHONPATH="$here" "$python" -m pytest -q -p no:cacheprovider -rs "$here/tests" | tee "$work/pytest.log"
if grep -q '[0-9] skipped' "$work/pytest.log"; then
  echo "run-tests.sh: tests were skipped" >&2
  exit 1
fi

# Installable offline: Debian's pip with the system setuptools (no build isolation, which
# would fetch setuptools from PyPI). Built from a copy so build/ and *.egg-info stay out of
# the source tree.
rm -rf "$work/src" "$work/site"
mkdir -p "$work/src"
cp -r "$here/dsinfer" "$here/pyproject.toml" "$here/README.md" "$work/src/"
"$python" -m pip install --quiet --no-build-isolation --no-index --no-deps --target "$work/site" "$work/src" 2>&1 \
  | { grep -v "Running pip as the 'root' user" || true; }
(cd "$work" && PYTHONPATH="$work/site" "$python" -c '
import dsinfer, sys
assert dsinfer.__file__.startswith(sys.argv[1]), dsinfer.__file__
with dsinfer.Model.builtin() as m, dsinfer.Session(m) as s:
    assert s.complete("Hello", max_tokens=4, stop_at_eos=False).n_generated == 4
print("installed package OK:", dsinfer.__file__)
' "$work/site")
