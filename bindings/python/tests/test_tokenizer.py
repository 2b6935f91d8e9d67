"""Tokenizer round trips, the buffer-size protocol, special ids and chat templates."""
import pytest

import dsinfer
from dsinfer import _util

from conftest import checkpoint


def test_round_trip(builtin):
    tok = builtin.tokenizer
    ids = tok.encode("héllo")
    assert ids == [tok.bos] + list("héllo".encode())
    assert tok.decode(ids, skip_special=True) == "héllo"
    assert tok.decode(ids).endswith("héllo") and tok.decode(ids) != "héllo"  # BOS is text too
    assert tok.encode("héllo", add_special=False) == list("héllo".encode())
    assert tok.encode("") == [tok.bos]
    assert tok.decode([]) == ""
    text = "a\0b " * 2000  # embedded NULs pass through: the length is given
    assert tok.decode(tok.encode(text, add_special=False)) == text


def test_round_trip_on_a_file_model(qwen2):
    tok = qwen2.tokenizer
    ids = tok.encode("Hello")
    assert ids == [0, 41, 70, 77, 77, 80]
    assert tok.decode(ids, skip_special=True) == "Hello"
    assert dsinfer.Tokenizer.load(checkpoint("qwen2")).encode("Hello") == ids


def test_retries_with_the_size_the_library_reports(builtin, monkeypatch):
    asked = []
    real = _util.sized

    def from_one(call, make_buffer, first_cap):
        asked.append(first_cap)
        return real(call, make_buffer, 1)  # every call now starts short

    monkeypatch.setattr(_util, "sized", from_one)
    tok = builtin.tokenizer
    ids = tok.encode("hello world")
    assert len(ids) == 12
    assert tok.decode(ids, skip_special=True) == "hello world"
    assert builtin.chat_template([{"role": "user", "content": "Hello"}]).endswith("User: Hello\n\nAssistant:")
    assert len(asked) == 3


def test_special_ids_and_vocab(builtin, qwen2):
    tok = builtin.tokenizer
    assert (tok.bos, tok.eos, tok.vocab_size) == (256, 257, 258)
    assert (qwen2.tokenizer.bos, qwen2.tokenizer.eos, qwen2.tokenizer.vocab_size) == (0, 1, 128)


def test_chat_template(builtin):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
    bos = "<｜begin▁of▁sentence｜>"
    assert builtin.chat_template(messages) == bos + "Be brief.\n\nUser: Hello\n\nAssistant:"
    assert not builtin.chat_template(messages, add_generation_prompt=False).endswith("Assistant:")


def test_no_chat_template_is_unsupported(qwen2):
    # None of the test checkpoints carries tokenizer.chat_template.
    with pytest.raises(dsinfer.DsinferError) as e:
        qwen2.chat_template([{"role": "user", "content": "hi"}])
    assert e.value.status == dsinfer.Status.UNSUPPORTED


def test_a_model_without_tokenizer_says_so():
    with dsinfer.Model.load(checkpoint("qwen2", "hf")) as m:  # the HF dir has no tokenizer.json
        with pytest.raises(dsinfer.DsinferError) as e:
            m.tokenizer
        assert e.value.status == dsinfer.Status.UNSUPPORTED


@pytest.mark.parametrize("messages", [None, "hi", {"role": "user"}, [{"role": "user"}], [{"role": None, "content": "x"}],
                                      [("user", "x")], [{"role": "user", "content": "a\0b"}]])
def test_bad_messages(builtin, messages):
    with pytest.raises((TypeError, ValueError)):
        builtin.chat_template(messages)


def test_bad_arguments(builtin):
    tok = builtin.tokenizer
    with pytest.raises(TypeError):
        tok.encode(None)
    with pytest.raises(TypeError):
        tok.decode(None)
    with pytest.raises(TypeError):
        tok.decode("abc")
    with pytest.raises(dsinfer.DsinferError) as e:
        tok.decode([99999])
    assert e.value.status == dsinfer.Status.INVALID_ARGUMENT
    with pytest.raises(dsinfer.DsinferError):
        tok.decode([2**40])
    with pytest.raises(dsinfer.DsinferError) as e:
        dsinfer.Tokenizer.load("/nonexistent/tokenizer.json")
    assert e.value.status == dsinfer.Status.IO
    with pytest.raises(TypeError):
        dsinfer.Tokenizer.load(None)
