#!/usr/bin/python3
"""Independent numpy reference forward pass for the dense DeepSeek-R1 distills.

DeepSeek-R1-Distill-Qwen-*  = Qwen2 architecture  (Qwen2ForCausalLM, model_type "qwen2")
DeepSeek-R1-Distill-Llama-* = Llama 3 architecture (LlamaForCausalLM, model_type "llama")

Written from the public model definitions (Hugging Face ``modeling_qwen2.py`` /
``modeling_llama.py`` and ``modeling_rope_utils.py``):

  * token embeddings
  * RMSNorm, eps = config.rms_norm_eps:  x / sqrt(mean(x^2) + eps) * w
  * grouped-query attention: num_key_value_heads <= num_attention_heads, query
    head h uses key/value head h // (num_attention_heads / num_key_value_heads)
    (HF repeat_kv); scale head_dim ** -0.5; causal mask
  * q/k/v biases when the checkpoint has them (Qwen2: q, k, v bias, no o bias;
    Llama: no biases unless attention_bias is true)
  * RoPE in HF's rotate_half layout: within each head, dim j (j < d/2) is paired
    with dim j + d/2 and rotated by pos * inv_freq[j]  (NOT adjacent pairs)
  * inv_freq[j] = rope_theta ** (-2j / d), optionally rescaled by
    rope_scaling (rope_type "llama3": _compute_llama3_parameters; "linear")
  * SwiGLU MLP: down(silu(gate(x)) * up(x))
  * final norm, lm_head (or embed_tokens when tie_word_embeddings is true)

Computes logits for ALL positions of one token sequence (causal attention, no
KV cache, positions 0..T-1) in float64.

Library use:
    import dense_ref
    cfg = json.load(open("hf/config.json"))
    W = dense_ref.load_safetensors("hf/model.safetensors")
    logits = dense_ref.forward(cfg, W, tokens)          # [T, vocab] float64

CLI:
    dense_ref.py HF_DIR TOKENS [--out logits.npy]
      TOKENS is a comma separated list of ids or a path to a JSON list.

Only numpy is required.
"""

import json
import math
import struct
import sys

import numpy as np

# ----------------------------------------------------------------------------
# safetensors reading (only what this project writes: F32 / F16 / BF16)
# ----------------------------------------------------------------------------


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        buf = raw[base + b: base + e]
        dt = info["dtype"]
        shape = tuple(info["shape"])
        if dt == "F32":
            a = np.frombuffer(buf, dtype="<f4").copy()
        elif dt == "F16":
            a = np.frombuffer(buf, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            u = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            a = u.view(np.float32)
        else:
            raise ValueError(f"unsupported safetensors dtype {dt} for {name}")
        out[name] = a.reshape(shape)
    return out


# ----------------------------------------------------------------------------
# building blocks
# ----------------------------------------------------------------------------


def rms_norm(x, w, eps):
    x = np.asarray(x, dtype=np.float64)
    var = np.mean(x * x, axis=-1, keepdims=True)
    return x / np.sqrt(var + eps) * np.asarray(w, dtype=np.float64)


def silu(x):
    return x / (1.0 + np.exp(-x))


def linear(x, w, b=None):
    """y = x @ W^T (+ b) with W in PyTorch [out, in] layout."""
    y = np.asarray(x, dtype=np.float64) @ np.asarray(w, dtype=np.float64).T
    if b is not None:
        y = y + np.asarray(b, dtype=np.float64)
    return y


def mlp(x, gate_w, up_w, down_w):
    return linear(silu(linear(x, gate_w)) * linear(x, up_w), down_w)


def head_dim(cfg):
    hd = cfg.get("head_dim")
    return int(hd) if hd is not None else cfg["hidden_size"] // cfg["num_attention_heads"]


def _rope_type(rs):
    if rs is None:
        return "default"
    return rs.get("rope_type", rs.get("type", "default"))


def llama3_inv_freq(inv_freq, factor, low_freq_factor, high_freq_factor, old_context_len):
    """HF modeling_rope_utils._compute_llama3_parameters (float64 here).

    wavelen < old/high_freq_factor           : kept
    wavelen > old/low_freq_factor            : divided by factor
    otherwise (medium band, both ends incl.) : (1 - s) * f / factor + s * f,
                                               s = (old / wavelen - low) / (high - low)
    """
    inv_freq = np.asarray(inv_freq, dtype=np.float64)
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return np.where(is_medium, smoothed, inv_freq_llama)


def rope_inv_freq(cfg):
    """inv_freq [head_dim/2] (float64) and the cos/sin attention_scaling factor."""
    dim = head_dim(cfg)
    base = float(cfg.get("rope_theta", 10000.0))
    inv_freq = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    rs = cfg.get("rope_scaling")
    rtype = _rope_type(rs)
    if rtype == "default":
        return inv_freq, 1.0
    if rtype == "linear":
        return inv_freq / float(rs["factor"]), 1.0
    if rtype == "llama3":
        return llama3_inv_freq(inv_freq, float(rs["factor"]), float(rs["low_freq_factor"]),
                               float(rs["high_freq_factor"]),
                               float(rs["original_max_position_embeddings"])), 1.0
    raise NotImplementedError(f"rope_scaling type {rtype!r} not supported by the reference")


def rotate_half(x):
    d = x.shape[-1]
    return np.concatenate([-x[..., d // 2:], x[..., : d // 2]], axis=-1)


def apply_rope_hf(x, cos, sin):
    """HF apply_rotary_pos_emb for one tensor: x [..., T, d], cos/sin [T, d]
    built as cat(freqs, freqs) -> dim j and dim j + d/2 form one rotated pair."""
    return x * cos + rotate_half(x) * sin


# ----------------------------------------------------------------------------
# attention (GQA)
# ----------------------------------------------------------------------------


def attention(cfg, W, p, x, positions):
    T = x.shape[0]
    H = cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads") or H
    d = head_dim(cfg)
    assert H % Hkv == 0
    n_rep = H // Hkv

    def proj(name):
        return linear(x, W[p + f"self_attn.{name}.weight"], W.get(p + f"self_attn.{name}.bias"))

    q = proj("q_proj").reshape(T, H, d).transpose(1, 0, 2)    # [H, T, d]
    k = proj("k_proj").reshape(T, Hkv, d).transpose(1, 0, 2)  # [Hkv, T, d]
    v = proj("v_proj").reshape(T, Hkv, d).transpose(1, 0, 2)  # [Hkv, T, d]

    inv_freq, att_scaling = rope_inv_freq(cfg)
    freqs = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)  # [T, d/2]
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos = np.cos(emb) * att_scaling
    sin = np.sin(emb) * att_scaling
    q = apply_rope_hf(q, cos, sin)
    # The engine caches K (roped) and V as IEEE halves, llama.cpp's default cache type too;
    # attention sees the rounded values, so the reference rounds the same two tensors.
    k = apply_rope_hf(k, cos, sin).astype(np.float16).astype(k.dtype)
    v = v.astype(np.float16).astype(v.dtype)

    # repeat_kv: query head h reads kv head h // n_rep
    k = np.repeat(k, n_rep, axis=0)
    v = np.repeat(v, n_rep, axis=0)

    scores = np.einsum("htd,hsd->hts", q, k) * (d ** -0.5)
    pos = np.asarray(positions)
    mask = pos[None, :] > pos[:, None]  # key after query -> masked
    scores = np.where(mask[None], -np.inf, scores)
    scores = scores - scores.max(axis=-1, keepdims=True)
    pr = np.exp(scores)
    pr = pr / pr.sum(axis=-1, keepdims=True)
    out = np.einsum("hts,hsd->htd", pr, v)  # [H, T, d]
    out = out.transpose(1, 0, 2).reshape(T, H * d)
    return linear(out, W[p + "self_attn.o_proj.weight"], W.get(p + "self_attn.o_proj.bias"))


# ----------------------------------------------------------------------------
# full model
# ----------------------------------------------------------------------------


def lm_head_weight(cfg, W):
    if cfg.get("tie_word_embeddings", False):
        return W["model.embed_tokens.weight"]
    return W["lm_head.weight"]


def forward(cfg, W, tokens, return_hidden=False):
    """Logits [T, vocab] (float64) for all positions."""
    tokens = [int(t) for t in tokens]
    eps = cfg["rms_norm_eps"]
    positions = np.arange(len(tokens))
    h = np.asarray(W["model.embed_tokens.weight"], dtype=np.float64)[tokens]
    for il in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{il}."
        a = rms_norm(h, W[p + "input_layernorm.weight"], eps)
        h = h + attention(cfg, W, p, a, positions)
        m = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        h = h + mlp(m, W[p + "mlp.gate_proj.weight"], W[p + "mlp.up_proj.weight"],
                    W[p + "mlp.down_proj.weight"])
    hn = rms_norm(h, W["model.norm.weight"], eps)
    logits = linear(hn, lm_head_weight(cfg, W))
    if return_hidden:
        return logits, h
    return logits


def main(argv):
    import argparse
    import os

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hf_dir")
    ap.add_argument("tokens", help="comma separated ids, or a JSON file holding a list")
    ap.add_argument("--out", default=None, help="write float32 logits .npy here")
    args = ap.parse_args(argv)
    with open(os.path.join(args.hf_dir, "config.json")) as f:
        cfg = json.load(f)
    W = load_safetensors(os.path.join(args.hf_dir, "model.safetensors"))
    if os.path.exists(args.tokens):
        with open(args.tokens) as f:
            toks = json.load(f)
        if isinstance(toks, dict):
            toks = toks["tokens"]
    else:
        toks = [int(s) for s in args.tokens.split(",") if s.strip()]
    logits = forward(cfg, W, toks)
    if args.out:
        np.save(args.out, logits.astype(np.float32))
    np.set_printoptions(precision=5, suppress=True, linewidth=120)
    print("logits shape", logits.shape, "argmax per position", logits.argmax(-1).tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
