#!/bin/bash
# Regenerates the dequantization fixtures and requires the checked-in files to be
# byte-identical: they are data, but data with a recipe. The i-quant codebook types'
# fixtures and codebooks come from llama.cpp's decoder; they are checked where
# benchmarks/compare has installed it (not in CI, which has no node-llama-cpp).
set -euo pipefail
python="$1" src="$2" out="$3"
probed='^iq[123]_'
rm -rf "$out" && mkdir -p "$out"
"$python" "$src/reference/gen_quant_fixtures.py" "$out" >/dev/null
for f in "$src"/fixtures/quant/*.bin "$src"/fixtures/quant/*.f32; do
  name=$(basename "$f")
  [[ $name =~ $probed ]] || cmp "$f" "$out/$name"
done
echo "fixtures reproduced: $(ls "$out" | wc -l) files"
ggml="$src/../benchmarks/compare/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so"
if [ -f "$ggml" ]; then
  mkdir -p "$out/ggml"
  "$python" "$src/reference/probe_ggml_iquants.py" "$ggml" "$out/ggml" >/dev/null
  cmp "$src/../src/tensor/iq_grids.cpp" "$out/ggml/iq_grids.cpp"
  for f in "$src"/fixtures/quant/iq[123]_*; do
    cmp "$f" "$out/ggml/$(basename "$f")"
  done
  echo "i-quant codebooks and fixtures reproduced from $ggml"
else
  echo "i-quant codebooks and fixtures not re-probed: no llama.cpp decoder at $ggml"
fi
