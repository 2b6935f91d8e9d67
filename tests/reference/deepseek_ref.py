#!/usr/bin/python3
"""Independent numpy reference forward pass for the DeepSeek-V2 / V3 architecture.

Written from the public model definitions (Hugging Face ``modeling_deepseek.py``
of DeepSeek-V2 and DeepSeek-V3): RMSNorm, Multi-head Latent Attention (MLA)
with decoupled RoPE (optionally YaRN-scaled), and the DeepSeek MoE block
(routed + shared experts, greedy / group_limited_greedy / noaux_tc routing).

Computes logits for ALL positions of one token sequence (causal attention,
no KV cache, positions 0..T-1) in float64, plus the router decisions.

Library use:
    import deepseek_ref
    cfg = json.load(open("hf/config.json"))
    W = deepseek_ref.load_safetensors("hf/model.safetensors")
    logits, routing = deepseek_ref.forward(cfg, W, tokens)

CLI:
    deepseek_ref.py HF_DIR TOKENS [--out logits.npy] [--routing routing.json]
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


def linear(x, w):
    """y = x @ W^T with W in PyTorch [out, in] layout."""
    return np.asarray(x, dtype=np.float64) @ np.asarray(w, dtype=np.float64).T


def mlp(x, gate_w, up_w, down_w):
    return linear(silu(linear(x, gate_w)) * linear(x, up_w), down_w)


def yarn_find_correction_dim(num_rotations, dim, base, max_pos):
    return (dim * math.log(max_pos / (num_rotations * 2 * math.pi))) / (2 * math.log(base))


def yarn_find_correction_range(low_rot, high_rot, dim, base, max_pos):
    low = math.floor(yarn_find_correction_dim(low_rot, dim, base, max_pos))
    high = math.ceil(yarn_find_correction_dim(high_rot, dim, base, max_pos))
    return max(low, 0), min(high, dim - 1)


def yarn_get_mscale(scale=1.0, mscale=1.0):
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def yarn_linear_ramp_mask(lo, hi, dim):
    if lo == hi:
        hi += 0.001
    lin = (np.arange(dim, dtype=np.float64) - lo) / (hi - lo)
    return np.clip(lin, 0.0, 1.0)


def rope_inv_freq_and_mscale(cfg):
    """inv_freq [rope_dim/2] and cos/sin multiplier, as the HF rotary classes."""
    dim = cfg["qk_rope_head_dim"]
    base = float(cfg.get("rope_theta", 10000.0))
    rs = cfg.get("rope_scaling")
    idx = np.arange(0, dim, 2, dtype=np.float64) / dim
    freq_extra = 1.0 / (base ** idx)
    if rs is None:
        return freq_extra, 1.0
    rtype = rs.get("type", rs.get("rope_type"))
    factor = float(rs["factor"])
    if rtype == "linear":
        return freq_extra / factor, 1.0
    if rtype != "yarn":
        raise NotImplementedError(f"rope_scaling type {rtype!r} not supported by the reference")
    orig = rs.get("original_max_position_embeddings", 4096)
    beta_fast = rs.get("beta_fast", 32)
    beta_slow = rs.get("beta_slow", 1)
    mscale = rs.get("mscale", 1)
    mscale_all_dim = rs.get("mscale_all_dim", 0)
    freq_inter = 1.0 / (factor * base ** idx)
    lo, hi = yarn_find_correction_range(beta_fast, beta_slow, dim, base, orig)
    inv_freq_mask = 1.0 - yarn_linear_ramp_mask(lo, hi, dim // 2)
    inv_freq = freq_inter * (1.0 - inv_freq_mask) + freq_extra * inv_freq_mask
    m = yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, mscale_all_dim)
    return inv_freq, float(m)


def softmax_scale(cfg):
    q_head_dim = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    s = q_head_dim ** -0.5
    rs = cfg.get("rope_scaling")
    if rs is not None:
        mscale_all_dim = rs.get("mscale_all_dim", 0)
        factor = rs["factor"]
        if mscale_all_dim:
            m = yarn_get_mscale(factor, mscale_all_dim)
            s = s * m * m
    return s


def apply_rope_hf(x, cos, sin):
    """HF DeepSeek apply_rotary_pos_emb for one tensor.

    x: [..., T, d]; cos/sin: [T, d] built as cat(freqs, freqs) * mscale.
    HF first de-interleaves (x0,x2,..,x1,x3,..) and then applies rotate_half;
    this is the same rotation as rotating adjacent pairs (x[2i], x[2i+1]) by
    angle pos*inv_freq[i], with the result stored in de-interleaved order.
    Because q_pe and k_pe are permuted identically, q.k is unchanged.
    """
    d = x.shape[-1]
    x = np.concatenate([x[..., 0::2], x[..., 1::2]], axis=-1)
    rot = np.concatenate([-x[..., d // 2:], x[..., : d // 2]], axis=-1)
    return x * cos + rot * sin


# ----------------------------------------------------------------------------
# attention (MLA)
# ----------------------------------------------------------------------------


def as_cached(x):
    """x rounded to float16 and back: what a value is after a trip through the cache."""
    return x.astype(np.float16).astype(x.dtype)


def mla_attention(cfg, W, p, x, positions):
    T = x.shape[0]
    H = cfg["num_attention_heads"]
    dn = cfg["qk_nope_head_dim"]
    dr = cfg["qk_rope_head_dim"]
    dv = cfg["v_head_dim"]
    r_kv = cfg["kv_lora_rank"]
    eps = cfg["rms_norm_eps"]
    dq = dn + dr

    if cfg.get("q_lora_rank") is None:
        q = linear(x, W[p + "self_attn.q_proj.weight"])
    else:
        qa = linear(x, W[p + "self_attn.q_a_proj.weight"])
        qa = rms_norm(qa, W[p + "self_attn.q_a_layernorm.weight"], eps)
        q = linear(qa, W[p + "self_attn.q_b_proj.weight"])
    q = q.reshape(T, H, dq).transpose(1, 0, 2)  # [H, T, dq]
    q_nope, q_pe = q[..., :dn], q[..., dn:]

    ckv = linear(x, W[p + "self_attn.kv_a_proj_with_mqa.weight"])  # [T, r_kv + dr]
    c, k_pe = ckv[:, :r_kv], ckv[:, r_kv:]
    c = rms_norm(c, W[p + "self_attn.kv_a_layernorm.weight"], eps)
    # The engine caches c and the roped k_pe as IEEE halves (llama.cpp's default cache type
    # too); attention sees the rounded values, so the reference rounds the same two tensors.
    c = as_cached(c)
    kv = linear(c, W[p + "self_attn.kv_b_proj.weight"])  # [T, H*(dn+dv)]
    kv = kv.reshape(T, H, dn + dv).transpose(1, 0, 2)  # [H, T, dn+dv]
    k_nope, v = kv[..., :dn], kv[..., dn:]

    inv_freq, msc = rope_inv_freq_and_mscale(cfg)
    freqs = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)  # [T, dr/2]
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos = np.cos(emb) * msc
    sin = np.sin(emb) * msc
    q_pe = apply_rope_hf(q_pe, cos, sin)              # [H, T, dr]
    k_pe = as_cached(apply_rope_hf(k_pe[None, :, :], cos, sin))  # [1, T, dr] shared by all heads

    qs = np.concatenate([q_nope, q_pe], axis=-1)                              # [H, T, dq]
    ks = np.concatenate([k_nope, np.broadcast_to(k_pe, (H, T, dr))], axis=-1)  # [H, T, dq]
    scores = np.einsum("htd,hsd->hts", qs, ks) * softmax_scale(cfg)
    pos = np.asarray(positions)
    mask = pos[None, :] > pos[:, None]  # key after query -> masked
    scores = np.where(mask[None], -np.inf, scores)
    scores = scores - scores.max(axis=-1, keepdims=True)
    pr = np.exp(scores)
    pr = pr / pr.sum(axis=-1, keepdims=True)
    out = np.einsum("hts,hsd->htd", pr, v)  # [H, T, dv]
    out = out.transpose(1, 0, 2).reshape(T, H * dv)
    return linear(out, W[p + "self_attn.o_proj.weight"])


# ----------------------------------------------------------------------------
# MoE
# ----------------------------------------------------------------------------


def _topk_desc(v, k):
    """Indices of the k largest entries (stable on ties: lower index first)."""
    order = np.argsort(-v, kind="stable")
    return order[:k], order


def route_one(cfg, logits_row, bias=None):
    """Router for a single token. Returns dict with ids, weights and margins."""
    E = cfg["n_routed_experts"]
    k = cfg["num_experts_per_tok"]
    method = cfg.get("topk_method", "greedy")
    func = cfg.get("scoring_func", "softmax")
    n_group = cfg.get("n_group") or 1
    topk_group = cfg.get("topk_group") or 1
    lg = np.asarray(logits_row, dtype=np.float64)
    if func == "softmax":
        e = np.exp(lg - lg.max())
        scores = e / e.sum()
    elif func == "sigmoid":
        scores = 1.0 / (1.0 + np.exp(-lg))
    else:
        raise NotImplementedError(f"scoring_func {func!r}")

    group_margin = None
    kept_groups = None
    if method == "greedy":
        choice = scores
        allowed = np.ones(E, dtype=bool)
    elif method in ("group_limited_greedy", "noaux_tc"):
        if method == "noaux_tc":
            if bias is None:
                raise ValueError("noaux_tc needs e_score_correction_bias")
            choice = scores + np.asarray(bias, dtype=np.float64)
            grp = np.sort(choice.reshape(n_group, E // n_group), axis=-1)[:, ::-1]
            group_scores = grp[:, :2].sum(axis=-1)
        else:
            choice = scores
            group_scores = choice.reshape(n_group, E // n_group).max(axis=-1)
        gsel, gorder = _topk_desc(group_scores, topk_group)
        if topk_group < n_group:
            group_margin = float(group_scores[gorder[topk_group - 1]] - group_scores[gorder[topk_group]])
        kept_groups = sorted(int(g) for g in gsel)
        gmask = np.zeros(n_group, dtype=bool)
        gmask[gsel] = True
        allowed = np.repeat(gmask, E // n_group)
    else:
        raise NotImplementedError(f"topk_method {method!r}")

    masked = np.where(allowed, choice, -np.inf)
    sel, order = _topk_desc(masked, k)
    topk_margin = None
    if k < int(allowed.sum()):
        topk_margin = float(masked[order[k - 1]] - masked[order[k]])
    w = scores[sel]
    if k > 1 and cfg.get("norm_topk_prob", False):
        w = w / (w.sum() + 1e-20)
    w = w * float(cfg.get("routed_scaling_factor", 1.0))
    srt = np.argsort(sel)
    return {
        "ids": [int(i) for i in sel[srt]],
        "weights": [float(x) for x in w[srt]],
        "topk_margin": topk_margin,
        "group_margin": group_margin,
        "kept_groups": kept_groups,
        "scores": scores,
        "choice": choice,
    }


def is_moe_layer(cfg, il):
    if cfg.get("n_routed_experts") is None:
        return False
    freq = cfg.get("moe_layer_freq", 1) or 1
    return il >= cfg.get("first_k_dense_replace", 0) and il % freq == 0


def moe_block(cfg, W, p, x):
    E = cfg["n_routed_experts"]
    gate_w = W[p + "mlp.gate.weight"]
    bias = W.get(p + "mlp.gate.e_score_correction_bias")
    logits = linear(x, gate_w)  # [T, E]
    T = x.shape[0]
    y = np.zeros_like(x, dtype=np.float64)
    decisions = []
    for t in range(T):
        r = route_one(cfg, logits[t], bias)
        decisions.append(r)
        for eid, wt in zip(r["ids"], r["weights"]):
            q = f"{p}mlp.experts.{eid}."
            y[t] += wt * mlp(x[t:t + 1], W[q + "gate_proj.weight"], W[q + "up_proj.weight"],
                             W[q + "down_proj.weight"])[0]
    assert len(decisions) == T and E > 0
    if cfg.get("n_shared_experts"):
        q = p + "mlp.shared_experts."
        y = y + mlp(x, W[q + "gate_proj.weight"], W[q + "up_proj.weight"], W[q + "down_proj.weight"])
    return y, decisions


# ----------------------------------------------------------------------------
# full model
# ----------------------------------------------------------------------------


def forward(cfg, W, tokens, return_hidden=False):
    """Logits [T, vocab] (float64) for all positions + routing per MoE layer.

    routing: list of {"layer": il, "tokens": [route_one(...) dicts]}.
    """
    tokens = [int(t) for t in tokens]
    eps = cfg["rms_norm_eps"]
    positions = np.arange(len(tokens))
    h = np.asarray(W["model.embed_tokens.weight"], dtype=np.float64)[tokens]
    routing = []
    for il in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{il}."
        a = rms_norm(h, W[p + "input_layernorm.weight"], eps)
        h = h + mla_attention(cfg, W, p, a, positions)
        m = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        if is_moe_layer(cfg, il):
            y, dec = moe_block(cfg, W, p, m)
            routing.append({"layer": il, "tokens": dec})
        else:
            y = mlp(m, W[p + "mlp.gate_proj.weight"], W[p + "mlp.up_proj.weight"],
                    W[p + "mlp.down_proj.weight"])
        h = h + y
    hn = rms_norm(h, W["model.norm.weight"], eps)
    logits = linear(hn, W["lm_head.weight"])
    if return_hidden:
        return logits, routing, h
    return logits, routing


def routing_to_json(routing, n_tokens):
    return {
        "n_tokens": n_tokens,
        "note": "per MoE layer, per token: chosen expert ids (ascending) and their final "
                "weights (after norm_topk_prob renormalisation and routed_scaling_factor)",
        "layers": [
            {
                "layer": r["layer"],
                "experts": [d["ids"] for d in r["tokens"]],
                "weights": [d["weights"] for d in r["tokens"]],
            }
            for r in routing
        ],
    }


def main(argv):
    import argparse
    import os

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hf_dir")
    ap.add_argument("tokens", help="comma separated ids, or a JSON file holding a list")
    ap.add_argument("--out", default=None, help="write float32 logits .npy here")
    ap.add_argument("--routing", default=None, help="write routing JSON here")
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
    logits, routing = forward(cfg, W, toks)
    if args.out:
        np.save(args.out, logits.astype(np.float32))
    if args.routing:
        with open(args.routing, "w") as f:
            json.dump(routing_to_json(routing, len(toks)), f, indent=1)
    np.set_printoptions(precision=5, suppress=True, linewidth=120)
    print("logits shape", logits.shape, "argmax per position", logits.argmax(-1).tolist())
    for r in routing:
        print("layer", r["layer"], [d["ids"] for d in r["tokens"]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
