"""Tokenizer: text <-> token ids and the model's chat template."""
import ctypes
from collections.abc import Mapping

from . import _lib, _util
from ._handle import new_handle


class Tokenizer:
    """A model's tokenizer (Model.tokenizer) or one loaded from a GGUF file, a Hugging Face
    directory or a tokenizer.json (Tokenizer.load). Safe to use from many threads."""

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def load(cls, path):
        lib = _lib.lib()
        return cls(new_handle(lib.dsi_tokenizer_load, "dsi_tokenizer_free", "tokenizer", _util.path_bytes(path)))

    def close(self):
        self._h.close()

    @property
    def closed(self):
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def encode(self, text, add_special=True, parse_special=True):
        """Token ids of text. add_special: BOS/EOS as the tokenizer says; parse_special:
        special-token strings in the text become their ids."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("text must be str, not %s" % type(text).__name__)
        data = bytes(data)  # embedded NULs are fine: the length is passed
        lib = _lib.lib()
        with self._h as ptr:
            buf, n = _util.sized(
                lambda buf, cap, n: lib.dsi_tokenize(ptr, data, len(data), int(bool(add_special)),
                                                     int(bool(parse_special)), buf, cap, n),
                lambda cap: (ctypes.c_int32 * cap)(), len(data) + 8)
        return list(buf[:n])

    def decode_bytes(self, ids, skip_special=False):
        """The raw UTF-8 of ids (invalid sequences already replaced by U+FFFD)."""
        arr = _util.id_array(ids)
        lib = _lib.lib()
        with self._h as ptr:
            buf, n = _util.sized(
                lambda buf, cap, n: lib.dsi_detokenize(ptr, arr, len(arr), int(bool(skip_special)), buf, cap, n),
                ctypes.create_string_buffer, 8 * len(arr) + 16)
        return buf.raw[:n]

    def decode(self, ids, skip_special=False):
        return self.decode_bytes(ids, skip_special).decode("utf-8", "replace")

    def _special_ids(self):
        bos, eos = ctypes.c_int32(), ctypes.c_int32()
        with self._h as ptr:
            _lib.check(_lib.lib().dsi_tokenizer_special_ids(ptr, ctypes.byref(bos), ctypes.byref(eos)))
        return bos.value, eos.value

    @property
    def bos(self):
        """BOS id, or None when the tokenizer has none."""
        bos = self._special_ids()[0]
        return None if bos < 0 else bos

    @property
    def eos(self):
        """EOS id, or None when the tokenizer has none."""
        eos = self._special_ids()[1]
        return None if eos < 0 else eos

    @property
    def vocab_size(self):
        out = ctypes.c_int32()
        with self._h as ptr:
            _lib.check(_lib.lib().dsi_tokenizer_vocab_size(ptr, ctypes.byref(out)))
        return out.value

    def chat_template(self, messages, add_generation_prompt=True):
        """Renders the tokenizer's own chat template for a list of {"role", "content"} dicts.
        DsinferError UNSUPPORTED when the tokenizer carries no template."""
        if messages is None or isinstance(messages, (str, bytes, Mapping)):
            raise TypeError("messages must be a list of {'role': ..., 'content': ...} dicts")
        encoded = []
        for i, m in enumerate(messages):
            if not isinstance(m, Mapping):
                raise TypeError("messages[%d] must be a dict with 'role' and 'content'" % i)
            try:
                encoded.append((_util.utf8(m["role"], "messages[%d]['role']" % i),
                                _util.utf8(m["content"], "messages[%d]['content']" % i)))
            except KeyError as e:
                raise TypeError("messages[%d] has no %s" % (i, e)) from None
        arr = (_lib.ChatMessage * max(len(encoded), 1))(*[_lib.ChatMessage(r, c) for r, c in encoded])
        lib = _lib.lib()
        guess = sum(len(r) + len(c) for r, c in encoded) * 2 + 256
        with self._h as ptr:
            buf, n = _util.sized(
                lambda buf, cap, n: lib.dsi_chat_template_apply(ptr, arr, len(encoded), int(bool(add_generation_prompt)),
                                                                buf, cap, n),
                ctypes.create_string_buffer, guess)
        return buf.raw[:n].decode("utf-8", "replace")
