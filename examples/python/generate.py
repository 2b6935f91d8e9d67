"""Stream a completion from Python:  python3 generate.py [MODEL_PATH] [PROMPT]
Without MODEL_PATH it runs the built-in tiny random-weight model (its output is noise).
Needs the binding importable (pip install --no-build-isolation bindings/python, or
PYTHONPATH=bindings/python) and libdsinfer.so findable (e.g. DSINFER_LIBRARY=build/capi/libdsinfer.so)."""
import sys

import dsinfer

path = sys.argv[1] if len(sys.argv) > 1 else None
prompt = sys.argv[2] if len(sys.argv) > 2 else "Once upon a time"
with (dsinfer.Model.load(path) if path else dsinfer.Model.builtin()) as model, dsinfer.Session(model) as session:
    generation = session.generate(prompt, max_tokens=64, seed=42)
    for piece in generation:
        print(piece, end="", flush=True)
    r = generation.result
    print("\n[%d prompt tokens, %d generated, stop: %s, %.1f tokens/s]" % (
        r.n_prompt_tokens, r.n_generated, r.stop.name.lower(), r.n_generated / max(r.decode_seconds, 1e-9)))
