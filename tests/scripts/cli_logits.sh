#!/bin/bash
# `dsinfer logits` end to end on the reference checkpoints: the .npy it writes must load in
# NumPy and match the reference logits, for GGUF files and HF directories alike.
set -euo pipefail
cli="$1" python="$2" ckpt="$3" out="$4"
rm -rf "$out" && mkdir -p "$out"
for c in v2lite v3 v2; do
  tokens=$("$python" -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1])))))" "$ckpt/$c/tokens.json")
  for src in model.gguf hf; do
    "$cli" logits --model "$ckpt/$c/$src" --tokens "$tokens" --out "$out/$c-$src.npy"
    "$cli" logits --model "$ckpt/$c/$src" --tokens "$tokens" --out "$out/$c-$src-last.npy" --last
    "$python" - "$ckpt/$c/ref_logits.npy" "$out/$c-$src.npy" "$out/$c-$src-last.npy" <<'PY'
import sys, numpy as np
ref, full, last = (np.load(p) for p in sys.argv[1:4])
assert full.dtype == np.float32 and full.shape == ref.shape, (full.dtype, full.shape, ref.shape)
assert last.shape == (ref.shape[1],), last.shape
d = float(np.abs(full - ref).max())
assert d <= 1e-4, f"max |diff| {d}"
assert float(np.abs(last - ref[-1]).max()) <= 1e-4
print(f"{sys.argv[2]}: max |diff| vs reference {d:.2e}")
PY
  done
done
set +e
"$cli" logits --model "$ckpt/v3/model.gguf" --tokens 1,2,999 --out "$out/bad.npy" 2>"$out/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "outside the vocabulary" "$out/err" || { echo "FAIL: out-of-vocabulary token: exit $rc"; cat "$out/err"; exit 1; }
set +e
"$cli" logits --model "$ckpt/v3/model.gguf" --tokens 1,x --out "$out/bad.npy" 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "FAIL: malformed --tokens: exit $rc, expected 2"; exit 1; }
echo "cli logits checks passed"
"$cli" info "$ckpt/v3/model.gguf" | grep -q "MLA cache: 240 bytes per token" || { echo "FAIL: info does not report the MLA cache"; exit 1; }
"$cli" info "$ckpt/v3/hf" | grep -q "MLA cache: 240 bytes per token" || { echo "FAIL: info on HF does not report the MLA cache"; exit 1; }
echo "cli info reports the MLA cache"
