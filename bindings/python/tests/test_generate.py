"""Generation: the same ids as the C++ CLI, streaming, cancelling, stop strings, limits."""
import dataclasses

import pytest

import dsinfer
from dsinfer import StopReason

from conftest import cli_ids


def test_builtin_matches_the_cli(builtin):
    # dsinfer run -p Hello -n 12 --seed 42 (library defaults otherwise, n_ctx 4096)
    with dsinfer.Session(builtin, n_ctx=4096) as s:
        g = s.generate("Hello", max_tokens=12, seed=42)
        text = "".join(g)
        assert g.result.ids == cli_ids("builtin_ids.json")
        assert text == g.result.text


def test_qwen2_matches_the_cli(qwen2):
    # dsinfer run --model qwen2/model.gguf -p Hello -n 8 --seed 7
    with dsinfer.Session(qwen2) as s:
        assert s.complete("Hello", max_tokens=8, seed=7).ids == cli_ids("qwen2_ids.json")


def test_streamed_pieces_make_the_whole_text(builtin):
    with dsinfer.Session(builtin) as s:
        g = s.generate("Once upon a time", max_tokens=40, seed=3, stop_at_eos=False)
        pieces = list(g)
        r = g.result
    assert len(pieces) > 1 and all(pieces)
    assert "".join(pieces) == r.text
    assert r.text == builtin.tokenizer.decode(r.ids, skip_special=True)
    assert r.stop == StopReason.MAX_TOKENS and r.n_generated == len(r.ids) == 40
    assert r.n_prompt_tokens == len(builtin.tokenizer.encode("Once upon a time"))
    with dsinfer.Session(builtin) as s:  # the synchronous path agrees
        sync = s.complete("Once upon a time", max_tokens=40, seed=3, stop_at_eos=False)
    assert without_timings(sync) == without_timings(r)


def without_timings(result):
    return dataclasses.replace(result, prefill_seconds=0.0, decode_seconds=0.0)


def test_generation_is_lazy(builtin):
    with dsinfer.Session(builtin) as s:
        g = s.generate("Hello", max_tokens=5, seed=1)
        assert s.n_past == 0  # nothing has run yet
        next(g)
        g.close()
        assert s.n_past > 0


def test_cancel_by_closing(builtin):
    with dsinfer.Session(builtin) as s:
        g = s.generate("Hello", max_tokens=50, seed=5, stop_at_eos=False)
        got = [next(g), next(g)]
        g.close()
        g.close()  # twice is fine
        assert list(g) == []
        r = g.result
        assert r.stop == StopReason.CANCELLED
        assert "".join(got) == r.text[:len("".join(got))]
        assert r.n_generated == len(r.ids) < 50
        # The cancelled token was sampled but not fed back.
        assert s.n_past == r.n_prompt_tokens + r.n_generated - 1
        # Still usable, and continues from where it stopped.
        more = s.complete("", max_tokens=3, seed=5, stop_at_eos=False)
        assert more.n_generated == 3 and s.n_past == r.n_prompt_tokens + r.n_generated - 1 + 3


def test_cancel_by_breaking_out_of_the_loop(builtin):
    with dsinfer.Session(builtin) as s:
        for i, _ in enumerate(s.generate("Hello", max_tokens=50, seed=5, stop_at_eos=False)):
            if i == 1:
                break
        n = s.n_past
        assert 0 < n < 30
        assert s.complete("x", max_tokens=2, seed=1, stop_at_eos=False).n_generated == 2


def test_another_call_on_the_session_cancels_a_running_generation(builtin):
    with dsinfer.Session(builtin) as s:
        g = s.generate("Hello", max_tokens=50, seed=5, stop_at_eos=False)
        next(g)
        s.logits()
        assert g.result.stop == StopReason.CANCELLED
        g2 = s.generate("", max_tokens=4, seed=9, stop_at_eos=False)
        next(g2)
        g3 = s.generate("", max_tokens=4, seed=9, stop_at_eos=False)
        assert len(g3.result.ids) == 4
        assert g2.result.stop == StopReason.CANCELLED


def test_cancel_from_a_callback(builtin):
    seen = []

    def three(event):
        seen.append(event)
        return len(seen) < 3

    with dsinfer.Session(builtin) as s:
        r = s.complete("x", on_token=three, max_tokens=10, seed=99, stop_at_eos=False)
    assert r.stop == StopReason.CANCELLED and r.n_generated == 3
    assert len(seen) == 3  # no call after the one that cancelled


def test_an_exception_in_the_callback_cancels_and_is_raised(builtin):
    class Boom(Exception):
        pass

    def boom(event):
        raise Boom()

    with dsinfer.Session(builtin) as s:
        with pytest.raises(Boom):
            s.complete("x", on_token=boom, max_tokens=10, seed=99, stop_at_eos=False)
        assert s.n_past == len(builtin.tokenizer.encode("x"))  # cancelled at the first token: only the prompt was fed
        assert s.complete("", max_tokens=2, stop_at_eos=False).n_generated == 2


def test_stop_strings(builtin):
    opts = dict(max_tokens=12, seed=42, stop_at_eos=False)
    with dsinfer.Session(builtin) as s:
        full = s.complete("Hello", **opts).text
    k = next(i for i, c in enumerate(full) if i > 0 and c.isascii() and c.isprintable())
    stop = full[k]
    with dsinfer.Session(builtin) as s:
        g = s.generate("Hello", stop=[stop, "never there"], **opts)
        text = "".join(g)
    assert g.result.stop == StopReason.STRING
    assert text == g.result.text == full[:full.index(stop)]
    with dsinfer.Session(builtin) as s:
        assert s.complete("Hello", stop=stop, **opts).text == text  # a single string works too


def test_token_events_and_logprobs(builtin):
    with dsinfer.Session(builtin) as s:
        g = s.generate("Hello", max_tokens=6, seed=2, stop_at_eos=False, top_logprobs=3)
        events = list(g.events())
    toks = [e for e in events if e.id >= 0]
    assert len(toks) == 6 == len(g.result.ids)
    for e in toks:
        assert len(e.top) == 3 and e.logprob <= 0
        assert e.top[0][1] >= e.top[1][1] >= e.top[2][1]


def test_token_prompt_equals_text_prompt(builtin):
    ids = builtin.tokenizer.encode("Hello")
    with dsinfer.Session(builtin) as a, dsinfer.Session(builtin) as b:
        assert a.complete(ids, max_tokens=8, seed=4).ids == b.complete("Hello", max_tokens=8, seed=4).ids


def test_greedy_is_the_argmax(qwen2):
    with dsinfer.Session(qwen2) as s:
        r = s.complete("Hello", max_tokens=1, temperature=0)
        s2 = dsinfer.Session(qwen2)
        s2.prefill(qwen2.tokenizer.encode("Hello"))
        assert r.ids == [int(s2.logits().argmax())]
        s2.close()


def test_a_prompt_longer_than_the_context_is_an_error(builtin):
    with dsinfer.Session(builtin, n_ctx=8) as s:
        with pytest.raises(dsinfer.DsinferError) as e:
            list(s.generate("this prompt is much longer than eight tokens"))
        assert e.value.status == dsinfer.Status.INVALID_ARGUMENT
        with pytest.raises(dsinfer.DsinferError):
            s.complete("this prompt is much longer than eight tokens")
        with pytest.raises(dsinfer.DsinferError):
            s.prefill(list(range(20)))
        assert s.complete("hi", max_tokens=2).n_prompt_tokens == 3  # still usable


def test_a_full_context_stops_generation(builtin):
    with dsinfer.Session(builtin, n_ctx=16) as s:
        r = s.complete("Hello", max_tokens=100, stop_at_eos=False)
    assert r.stop == StopReason.CONTEXT_FULL


def test_bad_options(builtin):
    with dsinfer.Session(builtin) as s:
        with pytest.raises(TypeError):
            s.generate("x", temprature=0.5)
        with pytest.raises(TypeError):
            s.generate(None)
        with pytest.raises(TypeError):
            s.complete("x", seed="7")
        with pytest.raises(dsinfer.DsinferError):
            s.complete("x", seed=-1)
        for bad in (dict(top_p=0), dict(max_tokens=-1), dict(top_logprobs=-2), dict(stop=[""])):
            with pytest.raises(dsinfer.DsinferError) as e:
                s.complete("x", **bad)
            assert e.value.status == dsinfer.Status.INVALID_ARGUMENT, bad
        with pytest.raises(ValueError):
            s.complete("x", stop=["a\0b"])
    with dsinfer.Session(builtin) as s:
        with pytest.raises(dsinfer.DsinferError):
            s.complete([])  # nothing to continue from ("" would be BOS alone)
