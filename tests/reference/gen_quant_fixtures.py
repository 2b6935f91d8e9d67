#!/usr/bin/python3
"""Reference dequantizers for ggml / GGUF tensor types and a fixture generator.

This is an independent, deliberately plain re-implementation of the ggml block
formats (written from the block layouts in ggml-common.h and the semantics of
the dequantize_row_* routines in ggml-quants.c), plus the OCP FP8 E4M3 ("e4m3fn")
format used by DeepSeek-V3's safetensors with 128x128 block scales.

Usage:
    /usr/bin/python3 tests/reference/gen_quant_fixtures.py [OUTDIR]

OUTDIR defaults to <repo>/tests/fixtures/quant.  Output is deterministic.

For every ggml type NAME the script writes
    NAME.bin  raw bytes of 8 consecutive blocks (as stored in GGUF tensor data)
    NAME.f32  little-endian float32 values obtained by decoding NAME.bin
The expected values are always produced by decoding the bytes with the
reference decoders below; the random numbers used to build the blocks are
never used directly as expectations.

Arithmetic is done in float32 in the same order as ggml's scalar code.  For all
types here every intermediate product is exact in float32, so each output value
is the exact result rounded once; a correct float32 implementation (with or
without FMA) should therefore match bit for bit.
"""

import os
import struct
import sys

import numpy as np

N_BLOCKS = 8
SEED = 1234
QK_K = 256  # super-block size of the k-quants

F32 = np.float32


# ---------------------------------------------------------------------------
# scalar formats
# ---------------------------------------------------------------------------

def f16_bits_to_f32(bits):
    """IEEE 754 binary16 -> float32, decoded from the bit fields by hand."""
    bits = int(bits) & 0xFFFF
    sign = -1.0 if bits & 0x8000 else 1.0
    exp = (bits >> 10) & 0x1F
    mant = bits & 0x3FF
    if exp == 0x1F:
        val = float("inf") if mant == 0 else float("nan")
    elif exp == 0:
        val = mant * 2.0 ** -24          # subnormal (or zero)
    else:
        val = (1024 + mant) * 2.0 ** (exp - 25)
    return F32(sign * val)               # exact: every f16 is an f32


def bf16_bits_to_f32(bits):
    """bfloat16 is the top half of a float32."""
    word = (int(bits) & 0xFFFF) << 16
    return np.frombuffer(struct.pack("<I", word), dtype="<f4")[0]


def fp8_e4m3fn_to_f32(byte):
    """OCP FP8 E4M3 (fn): 1 sign, 4 exponent bits (bias 7), 3 mantissa bits.
    No infinities; S.1111.111 is NaN; exponent 0 is subnormal."""
    byte = int(byte) & 0xFF
    sign = -1.0 if byte & 0x80 else 1.0
    exp = (byte >> 3) & 0xF
    mant = byte & 0x7
    if exp == 0xF and mant == 0x7:
        return F32("nan")
    if exp == 0:
        val = mant * 2.0 ** -9            # (mant/8) * 2^(1-7)
    else:
        val = (8 + mant) * 2.0 ** (exp - 10)   # (1 + mant/8) * 2^(exp-7)
    return F32(sign * val)


def f32_to_f16_bits(x):
    return int(np.array([x], dtype="<f2").view("<u2")[0])


def half_at(block, off):
    """Read a little-endian f16 field at byte offset `off` of `block`."""
    return f16_bits_to_f32(block[off] | (block[off + 1] << 8))


# ---------------------------------------------------------------------------
# block layouts: name -> (values per block, bytes per block, f16 fields)
# f16 fields are (name, byte offset) pairs; everything else is raw bytes.
# ---------------------------------------------------------------------------
#   q4_0 : d(f16) qs[16]                                   = 18
#   q4_1 : d(f16) m(f16) qs[16]                            = 20
#   q5_0 : d(f16) qh[4] qs[16]                             = 22
#   q5_1 : d(f16) m(f16) qh[4] qs[16]                      = 24
#   q8_0 : d(f16) qs[32] (int8)                            = 34
#   q2_K : scales[16] qs[64] d(f16) dmin(f16)              = 84
#   q3_K : hmask[32] qs[64] scales[12] d(f16)              = 110
#   q4_K : d(f16) dmin(f16) scales[12] qs[128]             = 144
#   q5_K : d(f16) dmin(f16) scales[12] qh[32] qs[128]      = 176
#   q6_K : ql[128] qh[64] scales[16] (int8) d(f16)         = 210
#   iq4_nl: d(f16) qs[16]                                  = 18
#   iq4_xs: d(f16) scales_h(u16) scales_l[4] qs[128]       = 136
LAYOUTS = {
    "q4_0": (32, 18, [("d", 0)]),
    "q4_1": (32, 20, [("d", 0), ("m", 2)]),
    "q5_0": (32, 22, [("d", 0)]),
    "q5_1": (32, 24, [("d", 0), ("m", 2)]),
    "q8_0": (32, 34, [("d", 0)]),
    "q2_k": (QK_K, 84, [("d", 80), ("dmin", 82)]),
    "q3_k": (QK_K, 110, [("d", 108)]),
    "q4_k": (QK_K, 144, [("d", 0), ("dmin", 2)]),
    "q5_k": (QK_K, 176, [("d", 0), ("dmin", 2)]),
    "q6_k": (QK_K, 210, [("d", 208)]),
    "iq4_nl": (32, 18, [("d", 0)]),
    "iq4_xs": (QK_K, 136, [("d", 0)]),
}


def s8(b):
    """Reinterpret an unsigned byte as int8."""
    return b - 256 if b >= 128 else b


# ---------------------------------------------------------------------------
# block decoders: bytes of ONE block -> float32 array
# ---------------------------------------------------------------------------

def dequant_q4_0(b):
    d = half_at(b, 0)
    qs = b[2:18]
    out = np.zeros(32, dtype=F32)
    for j in range(16):
        out[j] = F32((qs[j] & 0xF) - 8) * d        # low nibbles -> first half
        out[j + 16] = F32((qs[j] >> 4) - 8) * d    # high nibbles -> second half
    return out


def dequant_q4_1(b):
    d, m = half_at(b, 0), half_at(b, 2)
    qs = b[4:20]
    out = np.zeros(32, dtype=F32)
    for j in range(16):
        out[j] = F32(qs[j] & 0xF) * d + m
        out[j + 16] = F32(qs[j] >> 4) * d + m
    return out


def _fifth_bits(qh_bytes):
    # qh is a little-endian uint32; bit i is the 5th bit of element i
    return int.from_bytes(bytes(qh_bytes), "little")


def dequant_q5_0(b):
    d = half_at(b, 0)
    qh = _fifth_bits(b[2:6])
    qs = b[6:22]
    out = np.zeros(32, dtype=F32)
    for j in range(16):
        lo = (qs[j] & 0xF) | (((qh >> j) & 1) << 4)
        hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)
        out[j] = F32(lo - 16) * d
        out[j + 16] = F32(hi - 16) * d
    return out


def dequant_q5_1(b):
    d, m = half_at(b, 0), half_at(b, 2)
    qh = _fifth_bits(b[4:8])
    qs = b[8:24]
    out = np.zeros(32, dtype=F32)
    for j in range(16):
        lo = (qs[j] & 0xF) | (((qh >> j) & 1) << 4)
        hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)
        out[j] = F32(lo) * d + m
        out[j + 16] = F32(hi) * d + m
    return out


def dequant_q8_0(b):
    d = half_at(b, 0)
    return np.array([F32(s8(q)) * d for q in b[2:34]], dtype=F32)


def dequant_q2_k(b):
    scales = b[0:16]       # per 16-value group: low nibble scale, high nibble min
    qs = b[16:80]
    d, dmin = half_at(b, 80), half_at(b, 82)
    out = np.zeros(QK_K, dtype=F32)
    for idx in range(QK_K):
        half, rem = divmod(idx, 128)      # two halves of 128 values
        shift_group, l = divmod(rem, 32)  # 4 bit-pairs within each byte, 32 bytes
        q = (qs[32 * half + l] >> (2 * shift_group)) & 3
        sc = scales[idx // 16]
        dl = d * F32(sc & 0xF)
        ml = dmin * F32(sc >> 4)
        out[idx] = dl * F32(q) - ml
    return out


def q3_k_scales(sb):
    """Unpack the 12-byte scales field of q3_K into 16 signed 6-bit scales.
    Scale j: low 4 bits from byte j (j<8, low nibble) or byte j-8 (high nibble);
    high 2 bits from byte 8 + j%4 at bit position 2*(j//4); value minus 32."""
    out = []
    for j in range(16):
        low = (sb[j] & 0xF) if j < 8 else (sb[j - 8] >> 4)
        high = (sb[8 + j % 4] >> (2 * (j // 4))) & 3
        out.append((low | (high << 4)) - 32)
    return out


def dequant_q3_k(b):
    hmask = b[0:32]
    qs = b[32:96]
    scales = q3_k_scales(b[96:108])
    d = half_at(b, 108)
    out = np.zeros(QK_K, dtype=F32)
    for idx in range(QK_K):
        half, rem = divmod(idx, 128)
        shift_group, l = divmod(rem, 32)
        low2 = (qs[32 * half + l] >> (2 * shift_group)) & 3
        # hmask: byte idx%32, bit idx//32; a CLEAR bit means subtract 4
        hbit = (hmask[idx % 32] >> (idx // 32)) & 1
        q = low2 - (0 if hbit else 4)
        dl = d * F32(scales[idx // 16])
        out[idx] = dl * F32(q)
    return out


def k4_scale_min(j, sb):
    """6-bit (scale, min) pair j (0..7) from the 12-byte scales field of
    q4_K / q5_K.  Pairs 0-3: low 6 bits of bytes j and j+4.  Pairs 4-7: low
    4 bits from byte j+4 (scale: low nibble, min: high nibble), top 2 bits
    from bits 6-7 of byte j-4 (scale) and byte j (min)."""
    if j < 4:
        return sb[j] & 63, sb[j + 4] & 63
    sc = (sb[j + 4] & 0xF) | ((sb[j - 4] >> 6) << 4)
    mn = (sb[j + 4] >> 4) | ((sb[j] >> 6) << 4)
    return sc, mn


def dequant_q4_k(b):
    d, dmin = half_at(b, 0), half_at(b, 2)
    sb = b[4:16]
    qs = b[16:144]
    out = np.zeros(QK_K, dtype=F32)
    for idx in range(QK_K):
        sub = idx // 32                 # 8 sub-blocks of 32 values
        chunk, nib = divmod(sub, 2)     # each 32-byte chunk holds 2 sub-blocks
        l = idx % 32
        q = (qs[32 * chunk + l] >> (4 * nib)) & 0xF
        sc, mn = k4_scale_min(sub, sb)
        out[idx] = (d * F32(sc)) * F32(q) - dmin * F32(mn)
    return out


def dequant_q5_k(b):
    d, dmin = half_at(b, 0), half_at(b, 2)
    sb = b[4:16]
    qh = b[16:48]
    qs = b[48:176]
    out = np.zeros(QK_K, dtype=F32)
    for idx in range(QK_K):
        sub = idx // 32
        chunk, nib = divmod(sub, 2)
        l = idx % 32
        q = ((qs[32 * chunk + l] >> (4 * nib)) & 0xF) | (((qh[l] >> sub) & 1) << 4)
        sc, mn = k4_scale_min(sub, sb)
        out[idx] = (d * F32(sc)) * F32(q) - dmin * F32(mn)
    return out


def dequant_q6_k(b):
    ql = b[0:128]
    qh = b[128:192]
    scales = [s8(x) for x in b[192:208]]
    d = half_at(b, 208)
    out = np.zeros(QK_K, dtype=F32)
    for idx in range(QK_K):
        half, rem = divmod(idx, 128)
        group, l = divmod(rem, 32)       # 4 groups of 32 within each half
        lo_byte = ql[64 * half + 32 * (group % 2) + l]
        lo = (lo_byte >> (4 * (group // 2))) & 0xF
        hi = (qh[32 * half + l] >> (2 * group)) & 3
        q = (lo | (hi << 4)) - 32
        out[idx] = (d * F32(scales[idx // 16])) * F32(q)
    return out


# The 16 non-uniformly spaced levels both IQ4 types index with their 4-bit codes.
KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]


def dequant_iq4_nl(b):
    d = half_at(b, 0)
    qs = b[2:18]
    out = np.zeros(32, dtype=F32)
    for j in range(16):
        out[j] = d * F32(KVALUES_IQ4NL[qs[j] & 0xF])        # low nibbles -> first half
        out[j + 16] = d * F32(KVALUES_IQ4NL[qs[j] >> 4])    # high nibbles -> second half
    return out


def dequant_iq4_xs(b):
    """Eight 32-value sub-blocks, each an iq4_nl block whose scale is d times a 6-bit
    signed (biased by 32) integer: low 4 bits in scales_l (sub-block 2k: low nibble of
    byte k, 2k+1: high nibble), top 2 bits at bit 2*ib of the little-endian scales_h."""
    d = half_at(b, 0)
    scales_h = b[2] | (b[3] << 8)
    scales_l = b[4:8]
    qs = b[8:136]
    out = np.zeros(QK_K, dtype=F32)
    for ib in range(8):
        ls = ((scales_l[ib // 2] >> (4 * (ib % 2))) & 0xF) | (((scales_h >> (2 * ib)) & 3) << 4)
        dl = d * F32(ls - 32)
        q = qs[16 * ib:16 * ib + 16]
        for j in range(16):
            out[32 * ib + j] = dl * F32(KVALUES_IQ4NL[q[j] & 0xF])
            out[32 * ib + j + 16] = dl * F32(KVALUES_IQ4NL[q[j] >> 4])
    return out


DECODERS = {
    "q4_0": dequant_q4_0, "q4_1": dequant_q4_1,
    "q5_0": dequant_q5_0, "q5_1": dequant_q5_1, "q8_0": dequant_q8_0,
    "q2_k": dequant_q2_k, "q3_k": dequant_q3_k, "q4_k": dequant_q4_k,
    "q5_k": dequant_q5_k, "q6_k": dequant_q6_k,
    "iq4_nl": dequant_iq4_nl, "iq4_xs": dequant_iq4_xs,
}


def dequantize(name, data):
    """Decode a whole byte string of consecutive blocks of type `name`."""
    if name == "f16":
        words = np.frombuffer(data, dtype="<u2")
        return np.array([f16_bits_to_f32(w) for w in words], dtype=F32)
    if name == "bf16":
        words = np.frombuffer(data, dtype="<u2")
        return np.array([bf16_bits_to_f32(w) for w in words], dtype=F32)
    n_vals, n_bytes, _ = LAYOUTS[name]
    assert len(data) % n_bytes == 0
    parts = []
    for off in range(0, len(data), n_bytes):
        parts.append(DECODERS[name](list(data[off:off + n_bytes])))
    return np.concatenate(parts).astype(F32)


# ---------------------------------------------------------------------------
# fixture construction
# ---------------------------------------------------------------------------

# types whose d is conventionally signed (symmetric quantizers); the others
# (with a min/dmin term) get a positive d and a random-signed / positive min.
SIGNED_D = {"q4_0", "q5_0", "q8_0", "q3_k", "q6_k", "iq4_nl", "iq4_xs"}

F16_SUBNORMAL_D = 0x0123   # an arbitrary f16 subnormal (~1.7e-5)


def random_half(rng, signed, lo=1e-3, hi=0.1):
    mag = rng.uniform(lo, hi)
    if signed and rng.random() < 0.5:
        mag = -mag
    return f32_to_f16_bits(mag)


def make_blocks(name, rng):
    n_vals, n_bytes, halves = LAYOUTS[name]
    raw = bytearray()
    for blk in range(N_BLOCKS):
        block = bytearray(rng.integers(0, 256, size=n_bytes, dtype=np.uint8).tobytes())
        for field, off in halves:
            if field == "d":
                if blk == 5:
                    bits = 0x0000                          # d = 0
                elif blk == 6:
                    bits = f32_to_f16_bits(-rng.uniform(1e-3, 0.1))  # negative d
                elif blk == 7:
                    bits = F16_SUBNORMAL_D                 # subnormal d
                else:
                    bits = random_half(rng, name in SIGNED_D)
            elif field == "m":                             # q4_1 / q5_1 min
                bits = random_half(rng, True, 1e-2, 1.0)
                if blk == 5:
                    bits = 0x8000                          # m = -0
            else:                                          # dmin of k-quants
                bits = random_half(rng, False)
                if blk == 4:
                    bits = 0x0000                          # dmin = 0
                elif blk == 7:
                    bits = 0x8001                          # negative subnormal dmin
            block[off:off + 2] = struct.pack("<H", bits)
        raw += block
    assert len(raw) == N_BLOCKS * n_bytes
    return bytes(raw)


def make_f16(rng):
    specials = [0x0000, 0x8000,            # +0, -0
                0x0001, 0x8001, 0x03FF, 0x83FF, 0x0200,   # subnormals
                0x0400, 0x8400,            # smallest normals
                0x7C00, 0xFC00,            # +inf, -inf
                0x7BFF, 0xFBFF,            # largest finite
                0x3C00, 0xBC00, 0x3555]    # 1, -1, ~1/3
    words = list(specials)
    while len(words) < 256:
        w = int(rng.integers(0, 0x10000))
        if (w >> 10) & 0x1F == 0x1F:       # skip inf/NaN in the random part
            continue
        words.append(w)
    return np.array(words, dtype="<u2").tobytes()


def make_bf16(rng):
    specials = [0x0000, 0x8000,            # +0, -0
                0x0001, 0x8001, 0x007F, 0x807F, 0x0040,   # subnormals
                0x0080, 0x8080,            # smallest normals
                0x7F80, 0xFF80,            # +inf, -inf
                0x7F7F, 0xFF7F,            # largest finite
                0x3F80, 0xBF80, 0x3EAB]    # 1, -1, ~1/3
    words = list(specials)
    while len(words) < 256:
        w = int(rng.integers(0, 0x10000))
        if (w >> 7) & 0xFF == 0xFF:
            continue
        words.append(w)
    return np.array(words, dtype="<u2").tobytes()


def write(outdir, fname, data):
    with open(os.path.join(outdir, fname), "wb") as f:
        f.write(data)


def f32_bytes(arr):
    return np.asarray(arr, dtype="<f4").tobytes()


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    outdir = argv[1] if len(argv) > 1 else os.path.join(repo, "tests", "fixtures", "quant")
    os.makedirs(outdir, exist_ok=True)

    order = ["f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0",
             "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs"]
    for i, name in enumerate(order):
        rng = np.random.default_rng(SEED + i)   # independent stream per type
        if name == "f16":
            data = make_f16(rng)
        elif name == "bf16":
            data = make_bf16(rng)
        else:
            data = make_blocks(name, rng)
        values = dequantize(name, data)
        assert not np.isnan(values).any(), name
        write(outdir, name + ".bin", data)
        write(outdir, name + ".f32", f32_bytes(values))

    # ---- FP8 E4M3: full code table --------------------------------------
    codes = bytes(range(256))
    table = np.array([fp8_e4m3fn_to_f32(c) for c in codes], dtype=F32)
    write(outdir, "fp8_e4m3_all.bin", codes)
    write(outdir, "fp8_e4m3_all.f32", f32_bytes(table))

    # ---- FP8 E4M3 with DeepSeek-V3 style 128x128 block scales -----------
    rng = np.random.default_rng(SEED + 100)
    rows, cols, blk = 200, 300, 128
    mat = rng.integers(0, 256, size=(rows, cols), dtype=np.uint8)
    nan_codes = (mat & 0x7F) == 0x7F
    mat[nan_codes] ^= 0x01                     # 0x7F -> 0x7E, 0xFF -> 0xFE
    srows, scols = -(-rows // blk), -(-cols // blk)
    scale = rng.uniform(1e-4, 1e-2, size=(srows, scols)).astype(F32)
    expected = np.zeros((rows, cols), dtype=F32)
    for r in range(rows):
        for c in range(cols):
            expected[r, c] = table[mat[r, c]] * scale[r // blk, c // blk]
    assert not np.isnan(expected).any()
    write(outdir, "fp8_e4m3_block.bin", mat.tobytes())
    write(outdir, "fp8_e4m3_block_scale.f32", f32_bytes(scale))
    write(outdir, "fp8_e4m3_block.f32", f32_bytes(expected))

    print("wrote fixtures to", outdir)


if __name__ == "__main__":
    main(sys.argv)
