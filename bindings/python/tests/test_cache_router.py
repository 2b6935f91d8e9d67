"""The session's cache and MoE router record."""
import json

import numpy as np
import pytest

import dsinfer

from conftest import checkpoint


def test_cache_size_truncate_and_save_load(v2lite, tmp_path):
    tokens = json.loads(checkpoint("v2lite", "tokens.json").read_text())
    with dsinfer.Session(v2lite) as a, dsinfer.Session(v2lite) as b:
        cache = a.cache
        assert cache is a.cache
        assert cache.bytes_per_token == v2lite.info.cache_bytes_per_token > 0
        assert cache.n_tokens == 0
        a.prefill(tokens)
        assert cache.n_tokens == a.n_past == len(tokens)

        path = tmp_path / "a.cache"
        cache.save(path)
        b.cache.load(str(path))
        assert b.cache.n_tokens == len(tokens)
        a.decode(5)
        b.decode(5)
        assert np.array_equal(a.logits(), b.logits())

        cache.truncate(3)
        assert cache.n_tokens == a.n_past == 3
        with pytest.raises(dsinfer.DsinferError):
            cache.truncate(10)  # holds 3

        # Prefix copy: b takes a's first 3 positions, then both see the same next token.
        b.cache.copy_from(a, 3)
        assert b.cache.n_tokens == 3
        a.decode(tokens[3])
        b.decode(tokens[3])
        assert np.array_equal(a.logits(), b.logits())
        with pytest.raises(dsinfer.DsinferError):
            b.cache.copy_from(b.cache, 1)
        with pytest.raises(TypeError):
            b.cache.copy_from(None, 1)


def test_a_cache_file_of_another_model_is_refused(v2lite, qwen2, tmp_path):
    path = tmp_path / "q.cache"
    with dsinfer.Session(qwen2) as q, dsinfer.Session(v2lite) as v:
        q.prefill([0, 41, 70])
        q.cache.save(path)
        with pytest.raises(dsinfer.DsinferError):
            v.cache.load(path)
        with pytest.raises(dsinfer.DsinferError) as e:
            v.cache.load(tmp_path / "missing.cache")
        assert e.value.status == dsinfer.Status.IO
        with pytest.raises(TypeError):
            v.cache.save(None)
        with pytest.raises(dsinfer.DsinferError):
            v.cache.copy_from(q, 1)  # different models


def test_router_matches_the_reference(v2lite):
    ref = json.loads(checkpoint("v2lite", "ref_routing.json").read_text())
    tokens = json.loads(checkpoint("v2lite", "tokens.json").read_text())
    with dsinfer.Session(v2lite) as s:
        router = s.router
        assert router is s.router
        info = router.info
        assert (info.n_layers, info.n_experts, info.top_k, info.last_tokens) == (3, 8, 2, 0)
        s.prefill(tokens)
        assert router.info.last_tokens == len(tokens)
        assert router.last_choice(0, 0) == []  # layer 0 is dense (first_k_dense_replace = 1)
        for layer in ref["layers"]:
            for t, (experts, weights) in enumerate(zip(layer["experts"], layer["weights"])):
                got = router.last_choice(layer["layer"], t)
                assert sorted(e for e, _ in got) == experts
                assert np.allclose([w for _, w in sorted(got)], weights, atol=1e-4)
            counts = router.expert_counts(layer["layer"])
            assert len(counts) == 8 and sum(counts) == 2 * len(tokens)
        assert router.expert_counts(0) == [0] * 8

        router.set_top_k(4)
        s.decode(7)
        assert router.info.top_k == 4 and len(router.last_choice(2, 0)) == 4
        router.set_top_k(0)
        assert router.info.top_k == 2
        with pytest.raises(dsinfer.DsinferError):
            router.set_top_k(100)
        with pytest.raises(dsinfer.DsinferError):
            router.last_choice(99, 0)
        with pytest.raises(dsinfer.DsinferError):
            router.last_choice(1, len(tokens))  # the last call decoded one token


def test_a_dense_model_has_no_experts(qwen2):
    with dsinfer.Session(qwen2) as s:
        s.prefill([0, 41, 70])
        info = s.router.info
        assert info.n_experts == 0 and info.top_k == 0 and info.n_layers == qwen2.info.n_layers
        assert qwen2.info.n_experts == 0
        assert s.router.expert_counts(0) == []
        with pytest.raises(dsinfer.DsinferError) as e:
            s.router.set_top_k(1)
        assert e.value.status == dsinfer.Status.UNSUPPORTED
