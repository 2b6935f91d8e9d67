#!/usr/bin/python3
"""Write a tiny random dense (Qwen2 / Llama 3) checkpoint in two formats + reference logits.

These are the architectures of DeepSeek-R1-Distill-Qwen-* (Qwen2) and
DeepSeek-R1-Distill-Llama-* (Llama 3 with llama3 RoPE scaling).

Usage:
    make_dense_checkpoint.py OUTDIR CONFIG_NAME      (CONFIG_NAME: qwen2 | llama)

From ONE set of random float32 weights it writes into OUTDIR:
    hf/config.json         Qwen2ForCausalLM / LlamaForCausalLM style HF config
    hf/model.safetensors   float32, HF tensor names (no lm_head.weight when tied)
    model.gguf             GGUF v3, float32, laid out as llama.cpp's convert_hf_to_gguf.py
                           writes it:
                             qwen2 -> arch "qwen2": q/k/v weights unchanged (llama.cpp
                                      uses NEOX rope for qwen2), blk.N.attn_{q,k,v}.bias,
                                      no output.weight (tied embeddings)
                             llama -> arch "llama": attn_q / attn_k rows permuted per head
                                      for llama.cpp's NORM (adjacent pair) rope, global
                                      rope_freqs.weight [head_dim/2] from the llama3
                                      rope_scaling, output.weight
    tokens.json            JSON list of 7 token ids
    ref_logits.npy         float32 [7, vocab] from dense_ref.py (HF weights)

Configs (both: vocab 128, hidden 64, 2 layers, 8 heads, head_dim 8, intermediate 96):
    qwen2: 2 kv heads, rope_theta 1e6, rms eps 1e-6, tied embeddings, q/k/v biases
    llama: 4 kv heads, rope_theta 5e5, rms eps 1e-5, untied, rope_scaling llama3
           (factor 8, low_freq_factor 1, high_freq_factor 4,
            original_max_position_embeddings 256 -- chosen so that with head_dim 8 the
            four frequencies fall in all three llama3 bands: one kept, one smoothly
            interpolated, two divided by the factor)

After writing, the files are re-read and checked: safetensors round trip; GGUF
tensors bit-equal to what was written; un-permuting attn_q / attn_k gives back
HF's q_proj / k_proj exactly; GGUF -> HF mapping reproduces the reference logits
exactly; an independent forward pass with llama.cpp's semantics directly on the
GGUF tensors (NORM or NEOX rope, rope_freqs as per-frequency divisors) matches the
reference; logits are finite and varied; and the data can tell apart common
mistakes (ignored rope scaling, wrong rope pairing, dropped biases, wrong GQA
head mapping) by far more than a float32 tolerance.
"""

import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dense_ref as ref  # noqa: E402

N_TOKENS = 7
MIN_MISTAKE_DIFF = 1e-2  # a mistake must move some logit by at least this much

# ----------------------------------------------------------------------------
# configurations
# ----------------------------------------------------------------------------


def make_config(name):
    if name == "qwen2":
        # field set of DeepSeek-R1-Distill-Qwen-*'s config.json
        c = dict(
            architectures=["Qwen2ForCausalLM"],
            attention_dropout=0.0,
            bos_token_id=0,
            eos_token_id=1,
            hidden_act="silu",
            hidden_size=64,
            initializer_range=0.02,
            intermediate_size=96,
            max_position_embeddings=4096,
            max_window_layers=2,
            model_type="qwen2",
            num_attention_heads=8,
            num_hidden_layers=2,
            num_key_value_heads=2,
            rms_norm_eps=1e-6,
            rope_scaling=None,
            rope_theta=1000000.0,
            sliding_window=4096,
            tie_word_embeddings=True,
            torch_dtype="float32",
            transformers_version="4.44.0",
            use_cache=True,
            use_mrope=False,
            use_sliding_window=False,
            vocab_size=128,
        )
    elif name == "llama":
        # field set of DeepSeek-R1-Distill-Llama-*'s config.json
        c = dict(
            architectures=["LlamaForCausalLM"],
            attention_bias=False,
            attention_dropout=0.0,
            bos_token_id=0,
            eos_token_id=1,
            hidden_act="silu",
            hidden_size=64,
            initializer_range=0.02,
            intermediate_size=96,
            max_position_embeddings=2048,
            mlp_bias=False,
            model_type="llama",
            num_attention_heads=8,
            num_hidden_layers=2,
            num_key_value_heads=4,
            pretraining_tp=1,
            rms_norm_eps=1e-5,
            rope_scaling={
                "factor": 8.0,
                "high_freq_factor": 4.0,
                "low_freq_factor": 1.0,
                "original_max_position_embeddings": 256,
                "rope_type": "llama3",
            },
            rope_theta=500000.0,
            tie_word_embeddings=False,
            torch_dtype="float32",
            transformers_version="4.43.0.dev0",
            use_cache=True,
            vocab_size=128,
        )
    else:
        raise SystemExit(f"unknown CONFIG_NAME {name!r} (expected qwen2 or llama)")
    return c


GGUF_ARCH = {"qwen2": "qwen2", "llama": "llama"}
TOKENIZER_PRE = {"qwen2": "deepseek-r1-qwen", "llama": "llama-bpe"}
SEED = {"qwen2": 2025_0101, "llama": 2025_0102}

# llama.cpp llama_model_rope_type(): LLM_ARCH_LLAMA -> LLAMA_ROPE_TYPE_NORM (pairs of
# consecutive head values), LLM_ARCH_QWEN2 -> LLAMA_ROPE_TYPE_NEOX (pairs offset by n_rot/2)
LLAMACPP_ROPE_TYPE = {"llama": "norm", "qwen2": "neox"}

# ----------------------------------------------------------------------------
# random weights (HF names, float32)
# ----------------------------------------------------------------------------


def make_weights(cfg, seed):
    rng = np.random.default_rng(seed)
    W = {}
    D = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    Hkv = cfg["num_key_value_heads"]
    d = ref.head_dim(cfg)
    F = cfg["intermediate_size"]
    V = cfg["vocab_size"]
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)

    def mat(name, shape, std):
        W[name] = (rng.standard_normal(shape) * std).astype(np.float32)

    def norm(name, n):
        W[name] = (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    # scales chosen so attention is far from uniform (q.k/sqrt(d) ~ O(1..5)) and every
    # sub-block visibly moves the residual stream
    mat("model.embed_tokens.weight", (V, D), 0.5)
    for il in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{il}."
        norm(p + "input_layernorm.weight", D)
        mat(p + "self_attn.q_proj.weight", (H * d, D), 0.25)
        mat(p + "self_attn.k_proj.weight", (Hkv * d, D), 0.25)
        mat(p + "self_attn.v_proj.weight", (Hkv * d, D), 0.15)
        if qkv_bias:
            mat(p + "self_attn.q_proj.bias", (H * d,), 0.3)
            mat(p + "self_attn.k_proj.bias", (Hkv * d,), 0.3)
            mat(p + "self_attn.v_proj.bias", (Hkv * d,), 0.3)
        mat(p + "self_attn.o_proj.weight", (D, H * d), 0.1)
        norm(p + "post_attention_layernorm.weight", D)
        mat(p + "mlp.gate_proj.weight", (F, D), 0.15)
        mat(p + "mlp.up_proj.weight", (F, D), 0.15)
        mat(p + "mlp.down_proj.weight", (D, F), 0.1)
    norm("model.norm.weight", D)
    if not cfg["tie_word_embeddings"]:
        mat("lm_head.weight", (V, D), 0.15)
    return W


# ----------------------------------------------------------------------------
# safetensors writer
# ----------------------------------------------------------------------------


def write_safetensors(path, tensors, metadata=None):
    names = sorted(tensors)
    header = {}
    off = 0
    blobs = []
    for n in names:
        a = np.ascontiguousarray(tensors[n], dtype="<f4")
        b = a.tobytes()
        header[n] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata or {"format": "pt"}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------
# GGUF writer / reader
# ----------------------------------------------------------------------------

GGUF_ALIGN = 32
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
GGML_F32 = 0

_SCALAR_FMT = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i",
               T_F32: "<f", T_BOOL: "<B", T_U64: "<Q", T_I64: "<q", T_F64: "<d"}


def _gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _gval(vtype, val):
    if vtype == T_STR:
        return _gstr(val)
    if vtype == T_BOOL:
        return struct.pack("<B", 1 if val else 0)
    return struct.pack(_SCALAR_FMT[vtype], val)


def write_gguf(path, kvs, tensors):
    """kvs: list of (key, vtype, value) or (key, T_ARR, (elem_type, list)).
    tensors: list of (name, float32 ndarray) in numpy (row-major) shape;
    GGUF ne[] is written innermost-first, i.e. reversed numpy shape."""
    out = bytearray()
    out += b"GGUF"
    out += struct.pack("<I", 3)
    out += struct.pack("<Q", len(tensors))
    out += struct.pack("<Q", len(kvs))
    for key, vtype, val in kvs:
        out += _gstr(key)
        out += struct.pack("<I", vtype)
        if vtype == T_ARR:
            et, items = val
            out += struct.pack("<I", et)
            out += struct.pack("<Q", len(items))
            for it in items:
                out += _gval(et, it)
        else:
            out += _gval(vtype, val)
    offset = 0
    datas = []
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        out += _gstr(name)
        out += struct.pack("<I", a.ndim)
        for dim in reversed(a.shape):
            out += struct.pack("<Q", dim)
        out += struct.pack("<I", GGML_F32)
        out += struct.pack("<Q", offset)
        b = a.tobytes()
        pad = (-len(b)) % GGUF_ALIGN
        datas.append(b + b"\0" * pad)
        offset += len(b) + pad
    out += b"\0" * ((-len(out)) % GGUF_ALIGN)
    with open(path, "wb") as f:
        f.write(out)
        for dd in datas:
            f.write(dd)


def read_gguf(path):
    with open(path, "rb") as f:
        raw = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, raw, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def rstr():
        nonlocal pos
        n = take("<Q")
        s = raw[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def rval(t):
        if t == T_STR:
            return rstr()
        if t == T_ARR:
            et = take("<I")
            n = take("<Q")
            return [rval(et) for _ in range(n)]
        if t == T_BOOL:
            return bool(take("<B"))
        return take(_SCALAR_FMT[t])

    assert raw[:4] == b"GGUF", "bad magic"
    pos = 4
    version = take("<I")
    n_t = take("<Q")
    n_kv = take("<Q")
    kv = {}
    kv_types = {}
    for _ in range(n_kv):
        k = rstr()
        t = take("<I")
        kv[k] = rval(t)
        kv_types[k] = t
    infos = []
    for _ in range(n_t):
        name = rstr()
        nd = take("<I")
        ne = [take("<Q") for _ in range(nd)]
        gt = take("<I")
        off = take("<Q")
        infos.append((name, ne, gt, off))
    align = kv.get("general.alignment", GGUF_ALIGN)
    data_start = pos + ((-pos) % align)
    tensors = {}
    order = []
    for name, ne, gt, off in infos:
        assert gt == GGML_F32, (name, gt)
        assert off % align == 0, (name, off)
        n = int(np.prod(ne))
        a = np.frombuffer(raw, dtype="<f4", count=n, offset=data_start + off)
        tensors[name] = (a.reshape(tuple(reversed(ne))), ne)
        order.append(name)
    return version, kv, kv_types, tensors, order


# ----------------------------------------------------------------------------
# HF -> GGUF, as convert_hf_to_gguf.py (LlamaModel / Qwen2Model) does
# ----------------------------------------------------------------------------

_LAYER_MAP = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_GLOBAL_MAP = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}


def permute(w, n_head, n_head_kv):
    """convert_hf_to_gguf.py LlamaModel.permute: HF rotate_half row order -> the
    interleaved order llama.cpp's NORM rope expects.  Per head (head_dim d):
    GGUF row 2j = HF row j, GGUF row 2j+1 = HF row j + d/2  (j < d/2)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2)
            .reshape(w.shape))


def unpermute(w, n_head, n_head_kv):
    """Inverse of permute()."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:])
            .swapaxes(1, 2)
            .reshape(w.shape))


def llama3_rope_freqs(cfg):
    """LlamaModel.generate_extra_tensors: rope_freqs.weight, float32 [head_dim/2].

    Element j is the DIVISOR llama.cpp applies to frequency j (ggml_rope_ext's
    freq_factors: theta_j = pos * base^(-2j/n_rot) / ff[j]):
        wavelen < old/high_freq_factor -> 1
        wavelen > old/low_freq_factor  -> factor
        otherwise                      -> 1 / ((1 - s) / factor + s),
                                          s = (old / wavelen - low) / (high - low)
    i.e. base_inv_freq / rope_freqs == HF's llama3 inv_freq.  Computed in float32 as
    the converter does with torch.  (The converter reads old_context_len from the
    top-level hparams 'original_max_position_embeddings', default 8192; HF and this
    generator use rope_scaling['original_max_position_embeddings'].)"""
    rs = cfg["rope_scaling"]
    base = float(cfg["rope_theta"])
    dim = ref.head_dim(cfg)
    f32 = np.float32
    freqs = (f32(1.0) / (f32(base) ** (np.arange(0, dim, 2, dtype=f32) / f32(dim)))).astype(f32)
    factor = float(rs.get("factor", 8.0))
    low = float(rs.get("low_freq_factor", 1.0))
    high = float(rs.get("high_freq_factor", 4.0))
    old = float(rs.get("original_max_position_embeddings", 8192))
    low_wl = old / low
    high_wl = old / high
    out = []
    bands = []
    for fr in freqs:
        wavelen = f32(2 * math.pi) / fr
        if wavelen < high_wl:
            out.append(f32(1.0))
            bands.append("kept")
        elif wavelen > low_wl:
            out.append(f32(factor))
            bands.append("divided")
        else:
            smooth = (f32(old) / wavelen - f32(low)) / f32(high - low)
            out.append(f32(1) / ((f32(1) - smooth) / f32(factor) + smooth))
            bands.append("smoothed")
    return np.array(out, dtype=f32), bands


def hf_to_gguf_tensors(cfg, W):
    """Returns list of (gguf_name, ndarray) in the converter's order: extra tensors
    (rope_freqs) first, then the checkpoint tensors in safetensors key order."""
    H = cfg["num_attention_heads"]
    Hkv = cfg["num_key_value_heads"]
    is_llama = cfg["model_type"] == "llama"
    out = []
    rs = cfg.get("rope_scaling")
    if is_llama and rs is not None and rs.get("rope_type", "").lower() == "llama3":
        out.append(("rope_freqs.weight", llama3_rope_freqs(cfg)[0]))
    for name in sorted(W):
        a = W[name]
        if name in _GLOBAL_MAP:
            out.append((_GLOBAL_MAP[name], a))
            continue
        assert name.startswith("model.layers."), name
        il, rest = name[len("model.layers."):].split(".", 1)
        base, suffix = rest.rsplit(".", 1)  # suffix: weight | bias
        if is_llama:  # LlamaModel.undo_permute
            if base == "self_attn.q_proj":
                a = permute(a, H, H)
            elif base == "self_attn.k_proj":
                a = permute(a, H, Hkv)
        out.append((f"blk.{il}.{_LAYER_MAP[base]}.{suffix}", a))
    return out


def gguf_to_hf_tensors(cfg, T):
    """Inverse mapping of hf_to_gguf_tensors (used to verify the GGUF)."""
    inv_l = {v: k for k, v in _LAYER_MAP.items()}
    inv_g = {v: k for k, v in _GLOBAL_MAP.items()}
    H = cfg["num_attention_heads"]
    Hkv = cfg["num_key_value_heads"]
    is_llama = cfg["model_type"] == "llama"
    W = {}
    for name, (a, _ne) in T.items():
        if name == "rope_freqs.weight":
            continue
        if name in inv_g:
            W[inv_g[name]] = a
            continue
        _, il, rest = name.split(".", 2)
        base, suffix = rest.rsplit(".", 1)
        if is_llama and base == "attn_q":
            a = unpermute(a, H, H)
        elif is_llama and base == "attn_k":
            a = unpermute(a, H, Hkv)
        W[f"model.layers.{il}.{inv_l[base]}.{suffix}"] = a
    return W


def _bytes_to_unicode_chars():
    """GPT-2 byte-level alphabet, in byte order of the printable ranges first."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) \
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    return [chr(b) for b in bs]


def _tokenizer_kvs(cfg, pre):
    V = cfg["vocab_size"]
    merges_src = [("t", "h"), ("e", "r"), ("i", "n"), ("o", "n")]
    singles = _bytes_to_unicode_chars()
    n_single = V - 2 - len(merges_src)
    toks = ["<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"]
    toks += singles[:n_single]
    toks += [a + b for a, b in merges_src]
    assert len(toks) == V and len(set(toks)) == V
    for a, b in merges_src:
        assert a in toks and b in toks
    types = [3, 3] + [1] * (V - 2)
    return [
        ("tokenizer.ggml.model", T_STR, "gpt2"),
        ("tokenizer.ggml.pre", T_STR, pre),
        ("tokenizer.ggml.tokens", T_ARR, (T_STR, toks)),
        ("tokenizer.ggml.token_type", T_ARR, (T_I32, types)),
        ("tokenizer.ggml.merges", T_ARR, (T_STR, [f"{a} {b}" for a, b in merges_src])),
        ("tokenizer.ggml.bos_token_id", T_U32, cfg["bos_token_id"]),
        ("tokenizer.ggml.eos_token_id", T_U32, cfg["eos_token_id"]),
        ("tokenizer.ggml.add_bos_token", T_BOOL, True),
        ("tokenizer.ggml.add_eos_token", T_BOOL, False),
    ]


def gguf_kvs(cfg, name):
    """Metadata in the order/values convert_hf_to_gguf.py writes.

    TextModel.set_gguf_parameters: block_count, context_length, embedding_length,
    feed_forward_length, head_count, head_count_kv, (no rope.scaling.* for llama3 --
    it is carried by rope_freqs.weight), rope.freq_base, layer_norm_rms_epsilon,
    key_length / value_length (only when hparams has head_dim: transformers >= 4.45
    puts head_dim into LlamaConfig.to_dict(), so current llama conversions carry
    them; Qwen2 conversions do not), general.file_type.
    LlamaModel then adds vocab_size and rope.dimension_count; Qwen2Model adds nothing.
    """
    A = GGUF_ARCH[name]
    c = cfg
    kv = [
        ("general.architecture", T_STR, A),
        ("general.type", T_STR, "model"),
        ("general.name", T_STR, f"DeepSeek-R1-Distill tiny random {name}"),
        (f"{A}.block_count", T_U32, c["num_hidden_layers"]),
        (f"{A}.context_length", T_U32, c["max_position_embeddings"]),
        (f"{A}.embedding_length", T_U32, c["hidden_size"]),
        (f"{A}.feed_forward_length", T_U32, c["intermediate_size"]),
        (f"{A}.attention.head_count", T_U32, c["num_attention_heads"]),
        (f"{A}.attention.head_count_kv", T_U32, c["num_key_value_heads"]),
        (f"{A}.rope.freq_base", T_F32, float(c["rope_theta"])),
        (f"{A}.attention.layer_norm_rms_epsilon", T_F32, float(c["rms_norm_eps"])),
    ]
    if A == "llama":
        kv += [
            (f"{A}.attention.key_length", T_U32, ref.head_dim(c)),
            (f"{A}.attention.value_length", T_U32, ref.head_dim(c)),
        ]
    kv += [("general.file_type", T_U32, 0)]  # LlamaFileType.ALL_F32
    if A == "llama":
        kv += [
            (f"{A}.vocab_size", T_U32, c["vocab_size"]),
            (f"{A}.rope.dimension_count", T_U32, ref.head_dim(c)),
        ]
    kv += [("general.quantization_version", T_U32, 2)]
    kv += _tokenizer_kvs(c, TOKENIZER_PRE[name])
    return kv


# ----------------------------------------------------------------------------
# independent forward pass with llama.cpp semantics, directly on GGUF tensors
# ----------------------------------------------------------------------------


def _rope_llamacpp(x, positions, base, n_rot, ff, mode):
    """x [T, n_head, d].  mode 'norm': pairs (2j, 2j+1); 'neox': pairs (j, j + n_rot/2).
    theta_j = pos * base^(-2j/n_rot) / ff[j]."""
    x = np.array(x, dtype=np.float64)
    half = n_rot // 2
    j = np.arange(half, dtype=np.float64)
    inv = base ** (-2.0 * j / n_rot)
    if ff is not None:
        inv = inv / np.asarray(ff, dtype=np.float64)
    th = np.asarray(positions, dtype=np.float64)[:, None] * inv[None, :]  # [T, half]
    c = np.cos(th)[:, None, :]
    s = np.sin(th)[:, None, :]
    if mode == "norm":
        i0, i1 = np.arange(0, n_rot, 2), np.arange(1, n_rot, 2)
    else:
        i0, i1 = np.arange(half), np.arange(half, n_rot)
    x0 = x[..., i0].copy()
    x1 = x[..., i1].copy()
    x[..., i0] = x0 * c - x1 * s
    x[..., i1] = x0 * s + x1 * c
    return x


def forward_gguf(kv, T, tokens, rope_mode=None, use_rope_freqs=True, use_bias=True,
                 gqa="div"):
    """Logits [T, vocab] from the GGUF tensors the way llama.cpp's graph computes them.
    The keyword arguments exist to emulate mistakes in the sensitivity checks."""
    A = kv["general.architecture"]
    P = A + "."
    L = kv[P + "block_count"]
    H = kv[P + "attention.head_count"]
    Hkv = kv[P + "attention.head_count_kv"]
    D = kv[P + "embedding_length"]
    d = kv.get(P + "attention.key_length", D // H)
    n_rot = kv.get(P + "rope.dimension_count", d)
    eps = kv[P + "attention.layer_norm_rms_epsilon"]
    base = kv[P + "rope.freq_base"]
    mode = rope_mode or LLAMACPP_ROPE_TYPE[A]
    ff = T["rope_freqs.weight"][0] if (use_rope_freqs and "rope_freqs.weight" in T) else None
    g = {k: v[0] for k, v in T.items()}
    tokens = [int(t) for t in tokens]
    pos = np.arange(len(tokens))
    n = len(tokens)
    h = g["token_embd.weight"].astype(np.float64)[tokens]
    for il in range(L):
        p = f"blk.{il}."

        def lin(x, nm):
            b = g.get(p + nm + ".bias") if use_bias else None
            return ref.linear(x, g[p + nm + ".weight"], b)

        a = ref.rms_norm(h, g[p + "attn_norm.weight"], eps)
        q = _rope_llamacpp(lin(a, "attn_q").reshape(n, H, d), pos, base, n_rot, ff, mode)
        # K and V pass through llama.cpp's default f16 cache.
        k = _rope_llamacpp(lin(a, "attn_k").reshape(n, Hkv, d), pos, base, n_rot, ff, mode)
        k = k.astype(np.float16).astype(k.dtype)
        v = lin(a, "attn_v").reshape(n, Hkv, d)
        v = v.astype(np.float16).astype(v.dtype)
        kvh = np.arange(H) // (H // Hkv) if gqa == "div" else np.arange(H) % Hkv
        sc = np.einsum("thd,shd->hts", q, k[:, kvh]) / math.sqrt(d)
        sc = np.where((pos[None, :] > pos[:, None])[None], -np.inf, sc)
        sc = np.exp(sc - sc.max(-1, keepdims=True))
        sc = sc / sc.sum(-1, keepdims=True)
        o = np.einsum("hts,shd->thd", sc, v[:, kvh]).reshape(n, H * d)
        h = h + lin(o, "attn_output")
        m = ref.rms_norm(h, g[p + "ffn_norm.weight"], eps)
        h = h + ref.linear(ref.silu(ref.linear(m, g[p + "ffn_gate.weight"])) * ref.linear(m, g[p + "ffn_up.weight"]),
                           g[p + "ffn_down.weight"])
    hn = ref.rms_norm(h, g["output_norm.weight"], eps)
    out_w = g.get("output.weight", g["token_embd.weight"])  # tied: no output tensor
    return ref.linear(hn, out_w)


# ----------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    outdir, name = argv
    cfg = make_config(name)
    seed = SEED[name]
    W = make_weights(cfg, seed)
    trng = np.random.default_rng(seed + 1)
    toks = [cfg["bos_token_id"]] + [int(t) for t in trng.integers(2, cfg["vocab_size"], N_TOKENS - 1)]
    logits = ref.forward(cfg, W, toks)

    os.makedirs(os.path.join(outdir, "hf"), exist_ok=True)
    with open(os.path.join(outdir, "hf", "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(outdir, "hf", "model.safetensors"), W)
    gg_tensors = hf_to_gguf_tensors(cfg, W)
    write_gguf(os.path.join(outdir, "model.gguf"), gguf_kvs(cfg, name), gg_tensors)
    with open(os.path.join(outdir, "tokens.json"), "w") as f:
        json.dump(toks, f)
        f.write("\n")
    np.save(os.path.join(outdir, "ref_logits.npy"), logits.astype(np.float32))

    # ---------------- self checks ----------------
    A = GGUF_ARCH[name]
    H, Hkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], ref.head_dim(cfg)
    W2 = ref.load_safetensors(os.path.join(outdir, "hf", "model.safetensors"))
    assert set(W2) == set(W) and all(np.array_equal(W2[k], W[k]) for k in W)
    assert ("lm_head.weight" in W2) == (not cfg["tie_word_embeddings"])
    ver, kv, kv_types, T, order = read_gguf(os.path.join(outdir, "model.gguf"))
    assert ver == 3 and kv["general.architecture"] == A
    assert order == [n for n, _ in gg_tensors]
    for gname, a in gg_tensors:
        b, ne = T[gname]
        assert list(ne) == list(reversed(a.shape)), (gname, ne, a.shape)
        assert np.array_equal(b, a), gname
    assert ("output.weight" in T) == (not cfg["tie_word_embeddings"])
    assert kv[f"{A}.attention.head_count_kv"] == Hkv < kv[f"{A}.attention.head_count"] == H
    # q / k layout against the HF originals
    for il in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{il}.self_attn."
        gq, ne_q = T[f"blk.{il}.attn_q.weight"]
        gk, ne_k = T[f"blk.{il}.attn_k.weight"]
        assert ne_q == [cfg["hidden_size"], H * d] and ne_k == [cfg["hidden_size"], Hkv * d]
        if A == "llama":
            assert np.array_equal(unpermute(gq, H, H), W[p + "q_proj.weight"])
            assert np.array_equal(unpermute(gk, H, Hkv), W[p + "k_proj.weight"])
            assert not np.array_equal(gq, W[p + "q_proj.weight"])
            # explicit row formula: head h, GGUF row h*d + 2j + s = HF row h*d + s*d/2 + j
            for hh, jj, ss in ((0, 0, 1), (H - 1, d // 2 - 1, 1), (3, 1, 0)):
                assert np.array_equal(gq[hh * d + 2 * jj + ss], W[p + "q_proj.weight"][hh * d + ss * d // 2 + jj])
            for hh, jj, ss in ((Hkv - 1, 1, 1),):
                assert np.array_equal(gk[hh * d + 2 * jj + ss], W[p + "k_proj.weight"][hh * d + ss * d // 2 + jj])
            assert f"blk.{il}.attn_q.bias" not in T
        else:
            assert np.array_equal(gq, W[p + "q_proj.weight"])
            assert np.array_equal(gk, W[p + "k_proj.weight"])
            for bn in ("q", "k", "v"):
                gb, ne_b = T[f"blk.{il}.attn_{bn}.bias"]
                assert np.array_equal(gb, W[p + f"{bn}_proj.bias"]) and len(ne_b) == 1
            assert f"blk.{il}.attn_output.bias" not in T
    # rope_freqs
    band_info = ""
    if A == "llama":
        ff, ne = T["rope_freqs.weight"]
        assert ne == [d // 2]
        rf, bands = llama3_rope_freqs(cfg)
        assert np.array_equal(ff, rf)
        base_inv = float(cfg["rope_theta"]) ** (-np.arange(0, d, 2) / d)
        hf_inv, _ = ref.rope_inv_freq(cfg)
        assert np.allclose(base_inv / ff.astype(np.float64), hf_inv, rtol=1e-6, atol=0), (base_inv / ff, hf_inv)
        assert set(bands) == {"kept", "smoothed", "divided"}, bands
        assert not np.allclose(hf_inv, base_inv)
        band_info = f" rope_freqs={ff.tolist()} bands={bands}"
        assert f"{A}.rope.scaling.type" not in kv
    else:
        assert "rope_freqs.weight" not in T
    # full round trip: GGUF -> HF layout -> reference logits must be identical
    Wg = gguf_to_hf_tensors(cfg, T)
    assert set(Wg) == set(W), sorted(set(Wg) ^ set(W))
    for k in W:
        assert np.array_equal(Wg[k], W[k]), k
    assert np.array_equal(ref.forward(cfg, Wg, toks), logits)
    # independent llama.cpp-semantics forward on the GGUF tensors
    # (llama: rope_freqs are float32-rounded divisors, so ~1e-8 differences are expected)
    lg = forward_gguf(kv, T, toks)
    err = np.abs(lg - logits).max()
    assert err < 1e-6, err
    # sanity of logits
    assert np.all(np.isfinite(logits))
    std = logits.std(axis=-1)
    assert np.all(std > 1e-2), std
    assert np.abs(np.diff(logits, axis=0)).max() > 1e-2  # positions differ
    # the data must distinguish common mistakes
    other = "neox" if LLAMACPP_ROPE_TYPE[A] == "norm" else "norm"
    mistakes = {
        f"rope_{other}": forward_gguf(kv, T, toks, rope_mode=other),
        "gqa_modulo": forward_gguf(kv, T, toks, gqa="mod"),
    }
    if A == "llama":
        mistakes["no_rope_freqs"] = forward_gguf(kv, T, toks, use_rope_freqs=False)
        cfg_nos = dict(cfg, rope_scaling=None)
        mistakes["hf_no_rope_scaling"] = ref.forward(cfg_nos, W, toks)
        rs_top = dict(cfg["rope_scaling"], original_max_position_embeddings=8192)
        mistakes["orig_ctx_8192"] = ref.forward(dict(cfg, rope_scaling=rs_top), W, toks)
    else:
        mistakes["no_bias"] = forward_gguf(kv, T, toks, use_bias=False)
        Wk = dict(W)
        for il in range(cfg["num_hidden_layers"]):
            Wk.pop(f"model.layers.{il}.self_attn.k_proj.bias")
        mistakes["no_k_bias"] = ref.forward(cfg, Wk, toks)
    diffs = {k: float(np.abs(v - logits).max()) for k, v in mistakes.items()}
    for k, v in diffs.items():
        assert v > MIN_MISTAKE_DIFF, (k, v)

    print(f"[{name}] wrote {outdir}: seed={seed} tokens={toks} gguf_arch={A} "
          f"llama.cpp rope={LLAMACPP_ROPE_TYPE[A]}{band_info}")
    print(f"  logits: shape={logits.shape} std/pos={np.round(std, 3).tolist()} "
          f"argmax={logits.argmax(-1).tolist()} gguf-semantics max err={err:.2e}")
    print("  max |logit change| caused by mistakes: "
          + " ".join(f"{k}={v:.3g}" for k, v in diffs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
