#!/bin/bash
# The main job: build dsinfer and run it. Until text generation lands this writes a small
# synthetic GGUF file with the library's own writer and describes it with `dsinfer info`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target dsinfer_cli
build/bin/dsinfer sample-gguf build/sample.gguf
build/bin/dsinfer info build/sample.gguf
