#!/usr/bin/python3
"""The IQ1-IQ3 codebooks and decoding fixtures, read from llama.cpp's own decoder.

The i-quant types (iq2_xxs, iq2_xs, iq2_s, iq3_xxs, iq3_s, iq1_s, iq1_m) store indices
into fixed codebooks ("grids") of 8- or 4-value vectors. The grids are part of the
format, not something a decoder can derive, so dsinfer needs the same numbers. Rather
than retype them, this script asks ggml's dequantize_row_* functions (the
libggml-base.so that node-llama-cpp installs for benchmarks/compare) to decode blocks
built to read each codebook entry out with unit scale and no signs, checks that every
entry uses the type's few levels, and writes them compactly (a few bits per value) as
src/tensor/iq_grids.cpp.

It also writes NAME.bin / NAME.f32 fixtures for those seven types: 8 blocks of random
bytes (block 5 with d = 0, block 6 with a negative d, block 7 with a subnormal d) and
what ggml's decoder makes of them, so the C++ decoders are checked against llama.cpp's
implementation rather than against a second copy of our own reading of the format.

Usage (after `npm i` in benchmarks/compare, see its README):
    /usr/bin/python3 tests/reference/probe_ggml_iquants.py \\
        benchmarks/compare/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so [OUTDIR]
With OUTDIR, everything is written there instead of into the source tree. Output is
deterministic (seed 1234).
"""

import ctypes
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 1234
N_BLOCKS = 8

# name: block bytes
TYPES = {
    "iq2_xxs": 66, "iq2_xs": 74, "iq2_s": 82, "iq3_xxs": 98, "iq3_s": 110, "iq1_s": 50, "iq1_m": 56,
}


class Ggml:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)

    def decode(self, name, raw):
        n = len(raw) // TYPES[name] * 256
        out = np.zeros(n, dtype=np.float32)
        fn = getattr(self.lib, "dequantize_row_" + name)
        fn.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64]
        fn.restype = None
        fn(bytes(raw), out.ctypes.data, n)
        return out


def half(x):
    return struct.pack("<e", x)


# --- codebook probes: blocks whose every lookup is scaled by exactly 1 with no sign flips.

def probe_iq2_xxs(g):
    # db = d * (0.5 + s) * 0.25 with s = 0 and d = 8; qs: 8 bytes per 32 values, four
    # one-byte indices then 28 sign bits (zero) under the 4-bit scale (zero).
    blocks = bytearray()
    for b in range(8):
        blocks += half(8.0)
        for ib in range(8):
            blocks += bytes([(b * 32 + ib * 4 + l) for l in range(4)]) + b"\0\0\0\0"
    return g.decode("iq2_xxs", blocks).reshape(256, 8)


def probe_iq2_xs(g):
    # uint16 per 8 values: a 9-bit index under 7 sign bits; scales nibble 0 -> d * 0.125.
    blocks = bytearray()
    for b in range(16):
        blocks += half(8.0)
        blocks += b"".join(struct.pack("<H", b * 32 + i) for i in range(32))
        blocks += bytes(8)
    return g.decode("iq2_xs", blocks).reshape(512, 8)


def probe_iq2_s(g):
    # qs: 32 index low bytes, then 32 sign bytes; qh: two index bits per 8 values.
    blocks = bytearray()
    for b in range(32):
        idx = [b * 32 + i for i in range(32)]
        qs = bytes(i & 0xFF for i in idx) + bytes(32)
        qh = bytes(sum(((idx[ib * 4 + l] >> 8) & 3) << (2 * l) for l in range(4)) for ib in range(8))
        blocks += half(8.0) + qs + qh + bytes(8)
    return g.decode("iq2_s", blocks).reshape(1024, 8)


def probe_iq3_xxs(g):
    # 64 one-byte indices of 4 values, then per 32 values 28 sign bits under a 4-bit
    # scale: db = d * (0.5 + s) * 0.5 = 1 with d = 4, s = 0.
    blocks = bytearray()
    for b in range(4):
        blocks += half(4.0) + bytes(range(b * 64, b * 64 + 64)) + bytes(32)
    return g.decode("iq3_xxs", blocks).reshape(256, 4)


def probe_iq3_s(g):
    # 64 index low bytes, eight qh bytes (the ninth bit of each), 32 sign bytes, four
    # scale bytes: db = d * (1 + 2 * s) = 1 with d = 1, s = 0.
    blocks = bytearray()
    for b in range(8):
        idx = [b * 64 + i for i in range(64)]
        qs = bytes(i & 0xFF for i in idx)
        qh = bytes(sum(((idx[k * 8 + j] >> 8) & 1) << j for j in range(8)) for k in range(8))
        blocks += half(1.0) + qs + qh + bytes(32) + bytes(4)
    return g.decode("iq3_s", blocks).reshape(512, 4)


def probe_iq1_s(g):
    # 32 index low bytes; per 32 values a uint16: four 3-bit index tops, a 3-bit scale,
    # the delta's sign. dl = d * (2 s + 1) = 1; each value is entry + 1/8.
    blocks = bytearray()
    for b in range(64):
        idx = [b * 32 + i for i in range(32)]
        qs = bytes(i & 0xFF for i in idx)
        qh = b"".join(struct.pack("<H", sum((idx[ib * 4 + l] >> 8) << (3 * l) for l in range(4))) for ib in range(8))
        blocks += half(1.0) + qs + qh
    return g.decode("iq1_s", blocks).reshape(2048, 8) - np.float32(0.125)


def check_levels(name, grid, levels):
    bad = set(np.unique(grid)) - set(levels)
    if bad:
        sys.exit(f"{name}: codebook values {sorted(bad)} outside the expected levels {levels}")


def packed(grid, levels, bits):
    """Each entry as one integer: value j's level index in bits [bits*j, bits*j + bits)."""
    index = {v: i for i, v in enumerate(levels)}
    out = []
    for entry in grid:
        word = 0
        for j, v in enumerate(entry):
            word |= index[float(v)] << (bits * j)
        out.append(word)
    return out


def write_grids(path, grids):
    lines = [
        "// The i-quant codebooks. Generated by tests/reference/probe_ggml_iquants.py, which reads",
        "// them out of llama.cpp's decoder; do not edit. Each entry packs its values' level",
        "// indices, value j in bits [b*j, b*j + b) (see iq_grids.hpp for the levels and b).",
        '#include "tensor/iq_grids.hpp"',
        "",
        "namespace dsinfer::iq {",
        "",
    ]
    for name, (words, ctype) in grids.items():
        lines.append(f"const std::array<{ctype}, {len(words)}> {name} = {{")
        for i in range(0, len(words), 12):
            lines.append("    " + " ".join(f"{w:#06x}," for w in words[i:i + 12]))
        lines.append("};")
        lines.append("")
    lines.append("}  // namespace dsinfer::iq")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# --- fixtures

def random_blocks(name, rng):
    bb = TYPES[name]
    raw = bytearray(rng.integers(0, 256, size=bb * N_BLOCKS, dtype=np.uint8).tobytes())
    for b in range(N_BLOCKS):
        d = float(rng.uniform(0.002, 0.05))
        bits = struct.unpack("<H", half(d))[0]
        if b == 5:
            bits = 0
        elif b == 6:
            bits |= 0x8000
        elif b == 7:
            bits = 0x0123
        at = b * bb
        if name == "iq1_m":
            # d's sixteen bits are the top nibbles of the four uint16 scale words (bytes 48-55).
            for k in range(4):
                w = struct.unpack_from("<H", raw, at + 48 + 2 * k)[0]
                w = (w & 0x0FFF) | (((bits >> (4 * k)) & 0xF) << 12)
                struct.pack_into("<H", raw, at + 48 + 2 * k, w)
        else:
            struct.pack_into("<H", raw, at, bits)
    return bytes(raw)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    outdir = sys.argv[2] if len(sys.argv) == 3 else None
    g = Ggml(sys.argv[1])
    l2 = [8.0, 25.0, 43.0]
    l3xxs = [4.0, 12.0, 20.0, 28.0, 36.0, 44.0, 52.0, 62.0]
    l3s = [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0]
    l1 = [-1.0, 0.0, 1.0]
    probes = {
        "kIq2xxsGrid": (probe_iq2_xxs(g), l2, 2),
        "kIq2xsGrid": (probe_iq2_xs(g), l2, 2),
        "kIq2sGrid": (probe_iq2_s(g), l2, 2),
        "kIq3xxsGrid": (probe_iq3_xxs(g), l3xxs, 3),
        "kIq3sGrid": (probe_iq3_s(g), l3s, 3),
        "kIq1sGrid": (probe_iq1_s(g), l1, 2),
    }
    grids = {}
    for name, (grid, levels, bits) in probes.items():
        check_levels(name, grid, levels)
        grids[name] = (packed(grid, levels, bits), "uint16_t")
    write_grids(os.path.join(outdir or os.path.join(ROOT, "src", "tensor"), "iq_grids.cpp"), grids)

    out = outdir or os.path.join(ROOT, "tests", "fixtures", "quant")
    rng = np.random.default_rng(SEED)
    for name in TYPES:
        raw = random_blocks(name, rng)
        values = g.decode(name, raw)
        if not np.all(np.isfinite(values)):
            sys.exit(f"{name}: a fixture value is not finite")
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(raw)
        values.astype("<f4").tofile(os.path.join(out, name + ".f32"))
    print("wrote iq_grids.cpp and", len(TYPES), "fixtures")


if __name__ == "__main__":
    main()
