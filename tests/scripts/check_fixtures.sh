#!/bin/bash
# Regenerates the dequantization fixtures with the Python reference and requires the
# checked-in files to be byte-identical: they are data, but data with a recipe.
set -euo pipefail
python="$1" src="$2" out="$3"
rm -rf "$out" && mkdir -p "$out"
"$python" "$src/reference/gen_quant_fixtures.py" "$out" >/dev/null
for f in "$src"/fixtures/quant/*.bin "$src"/fixtures/quant/*.f32; do
  cmp "$f" "$out/$(basename "$f")"
done
echo "fixtures reproduced: $(ls "$out" | wc -l) files"
