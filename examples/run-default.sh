#!/bin/bash
# The main job: build dsinfer and generate text with it. Without a model argument this runs
# the built-in default (a small random-weight DeepSeek-V2-architecture model, so the text is
# noise); pass a GGUF file or a Hugging Face directory to run a real model:
#   bash examples/run-default.sh [--model PATH] [-p PROMPT] [-n N] ...
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target dsinfer_cli
build/bin/dsinfer run "$@"
