"""Bad input and misuse: every case is an exception, never a crash."""
import gc
import os
import subprocess
import sys

import pytest

import dsinfer

from conftest import checkpoint


def status_of(excinfo):
    return excinfo.value.status


def test_missing_file_is_io():
    with pytest.raises(dsinfer.DsinferError) as e:
        dsinfer.Model.load("/nonexistent/model.gguf")
    assert status_of(e) == dsinfer.Status.IO and "/nonexistent/model.gguf" in e.value.message


def test_corrupt_file_is_invalid_format(tmp_path):
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(dsinfer.DsinferError) as e:
        dsinfer.Model.load(garbage)
    assert status_of(e) == dsinfer.Status.INVALID_FORMAT
    # A real file cut short: the header still says GGUF.
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(checkpoint("qwen2").read_bytes()[:2000])
    with pytest.raises(dsinfer.DsinferError) as e:
        dsinfer.Model.load(cut)
    assert status_of(e) == dsinfer.Status.INVALID_FORMAT


def test_none_arguments(builtin):
    with pytest.raises(TypeError):
        dsinfer.Model.load(None)
    with pytest.raises(TypeError):
        dsinfer.Session(None)
    with pytest.raises(TypeError):
        dsinfer.Model.builtin(threads=None)
    with pytest.raises(TypeError):
        dsinfer.Model.builtin(progress="not callable")
    with dsinfer.Session(builtin) as s:
        for call in (lambda: s.prefill(None), lambda: s.decode(None), lambda: s.generate(None),
                     lambda: s.complete(None), lambda: s.cache.save(None), lambda: s.cache.load(None),
                     lambda: s.cache.truncate(None), lambda: s.router.last_choice(None, 0),
                     lambda: s.router.set_top_k(None)):
            with pytest.raises(TypeError):
                call()
    with pytest.raises(dsinfer.DsinferError) as e:
        dsinfer.Model.load("")
    assert status_of(e) == dsinfer.Status.INVALID_ARGUMENT


def test_bad_numbers(builtin):
    with pytest.raises(dsinfer.DsinferError):
        dsinfer.Model.builtin(threads=-1)
    with pytest.raises(dsinfer.DsinferError):
        dsinfer.Session(builtin, n_ctx=0)
    with pytest.raises(dsinfer.DsinferError):
        dsinfer.Session(builtin, n_ctx=2**40)
    with dsinfer.Session(builtin) as s:
        with pytest.raises(dsinfer.DsinferError):
            s.decode(-7)
        with pytest.raises(dsinfer.DsinferError):
            s.prefill([])


def test_use_after_close_and_double_close():
    m = dsinfer.Model.builtin()
    tok = m.tokenizer
    s = dsinfer.Session(m)
    cache, router = s.cache, s.router
    g = s.generate("Hello", max_tokens=3)
    m.close()
    m.close()
    # The session keeps the model alive; the model's own objects are closed with it.
    assert s.complete("Hello", max_tokens=2, stop_at_eos=False).n_generated == 2
    for call in (lambda: m.info, lambda: m.tokenizer, lambda: dsinfer.Session(m), lambda: tok.encode("x"),
                 lambda: m.chat_template([{"role": "user", "content": "x"}])):
        with pytest.raises(dsinfer.DsinferError) as e:
            call()
        assert status_of(e) == dsinfer.Status.INVALID_ARGUMENT and "closed" in e.value.message
    s.close()
    s.close()
    assert s.closed and m.closed and tok.closed
    for call in (lambda: s.prefill([1]), lambda: s.decode(1), lambda: s.logits(), lambda: s.n_past,
                 lambda: list(s.generate("x")), lambda: s.complete("x"), lambda: list(g),
                 lambda: s.cache, lambda: cache.n_tokens, lambda: cache.truncate(0), lambda: router.info,
                 lambda: router.expert_counts(1)):
        with pytest.raises(dsinfer.DsinferError) as e:
            call()
        assert "closed" in e.value.message


def test_closing_a_session_cancels_its_generation(builtin):
    s = dsinfer.Session(builtin)
    g = s.generate("Hello", max_tokens=100, stop_at_eos=False)
    next(g)
    s.close()
    assert g.result.stop == dsinfer.StopReason.CANCELLED
    assert list(g) == []


def test_context_managers(builtin):
    with dsinfer.Model.builtin() as m:
        with dsinfer.Session(m) as s:
            with s.generate("Hello", max_tokens=50, stop_at_eos=False) as g:
                next(g)
            assert g.result.stop == dsinfer.StopReason.CANCELLED
        assert s.closed
    assert m.closed


def test_garbage_collection_frees_without_close(builtin):
    for _ in range(20):
        s = dsinfer.Session(builtin)
        g = s.generate("Hello", max_tokens=50, stop_at_eos=False)
        next(g)
        del s, g  # a paused generation and its session, dropped mid-way
    gc.collect()


def test_progress_and_its_exceptions():
    seen = []
    with dsinfer.Model.load(checkpoint("qwen2"), progress=seen.append) as m:
        assert m.info.architecture == "qwen2"
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)

    class Stop(Exception):
        pass

    def fail(fraction):
        raise Stop(fraction)

    with pytest.raises(Stop):
        dsinfer.Model.load(checkpoint("qwen2"), progress=fail)


def test_closing_from_inside_a_callback_is_refused(builtin):
    s = dsinfer.Session(builtin)
    with pytest.raises(dsinfer.DsinferError):
        s.complete("x", on_token=lambda ev: s.close(), max_tokens=3)
    assert s.complete("", max_tokens=1, stop_at_eos=False).n_generated == 1
    s.close()


def test_exiting_with_a_generation_half_read():
    # The worker is paused inside the library's callback when the interpreter exits.
    code = ("import dsinfer\n"
            "s = dsinfer.Session(dsinfer.Model.builtin())\n"
            "g = s.generate('Hello', max_tokens=100, stop_at_eos=False)\n"
            "print(next(g) is not None)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "True\n"
