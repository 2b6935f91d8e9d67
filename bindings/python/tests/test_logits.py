"""Logits through the binding against an independent NumPy reference of each checkpoint."""
import json

import numpy as np
import pytest

import dsinfer

from conftest import checkpoint


@pytest.mark.parametrize("name", ["qwen2", "v2lite", "llama", "v2", "v3"])
def test_logits_match_the_reference(name):
    tokens = json.loads(checkpoint(name, "tokens.json").read_text())
    ref = np.load(checkpoint(name, "ref_logits.npy"))
    with dsinfer.Model.load(checkpoint(name)) as m, dsinfer.Session(m) as s:
        s.prefill(tokens)
        got = s.logits()
        assert got.dtype == np.float32 and got.shape == (m.info.n_vocab,) == ref[-1].shape
        assert np.abs(got - ref[-1]).max() <= 1e-3
        # Token by token reaches the same place.
        with dsinfer.Session(m) as t:
            for tok in tokens:
                t.decode(tok)
            assert np.abs(t.logits() - got).max() <= 1e-4


def test_view_and_copy(builtin):
    with dsinfer.Session(builtin) as s:
        with pytest.raises(dsinfer.DsinferError):
            s.logits()  # nothing fed yet
        s.prefill(builtin.tokenizer.encode("Hello"))
        copy = s.logits()
        view = s.logits(copy=False)
        assert np.array_equal(copy, view)
        assert not view.flags.writeable and copy.flags.writeable
        copy[0] = 123.0
        assert s.logits()[0] != 123.0  # a copy is the caller's own


def test_logits_without_numpy(builtin, monkeypatch):
    from dsinfer import session as session_module
    monkeypatch.setattr(session_module, "_np", None)
    with dsinfer.Session(builtin) as s:
        s.prefill([65, 66])
        got = s.logits()
    assert isinstance(got, list) and len(got) == builtin.info.n_vocab and isinstance(got[0], float)
