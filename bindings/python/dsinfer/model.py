"""Model: weights loaded once and shared, read-only, by any number of sessions and threads."""
import ctypes
import dataclasses
import threading

from . import _lib, _util
from ._handle import new_handle
from .tokenizer import Tokenizer


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    architecture: str          # e.g. "deepseek2", "qwen2", "llama"
    n_vocab: int
    n_layers: int
    n_heads: int
    n_ctx_train: int           # 0 when the file does not say
    n_experts: int             # routed experts; 0 for a dense model
    n_experts_per_token: int
    cache_bytes_per_token: int


class Model:
    """Load with Model.load(path) or Model.builtin(); use as a context manager or call
    close(). Sessions made from a model keep working after it is closed (the library keeps
    the weights alive for them); the model's own tokenizer is closed with it."""

    def __init__(self, handle):
        self._h = handle
        self._tokenizer = None
        self._tok_lock = threading.Lock()

    @classmethod
    def load(cls, path, threads=0, progress=None):
        """A GGUF file or a Hugging Face directory. threads: compute threads (0 = physical
        cores). progress: called with a fraction 0..1 while loading, on this thread."""
        return cls._create("dsi_model_load", [_util.path_bytes(path)], threads, progress)

    @classmethod
    def builtin(cls, threads=0, progress=None):
        """The built-in tiny random-weight DeepSeek-V2-architecture model (smoke tests)."""
        return cls._create("dsi_model_load_builtin", [], threads, progress)

    @classmethod
    def _create(cls, fn, args, threads, progress):
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable")
        lib = _lib.lib()
        params = lib.dsi_model_default_params()
        params.n_threads = _util.int32(threads, "threads")
        failure = []

        def on_progress(fraction, _user):
            # The C callback cannot report failure and returns nothing, so an exception is
            # kept, later calls are skipped, and it is raised once loading returns.
            if failure:
                return
            try:
                progress(fraction)
            except BaseException as e:  # noqa: B902 - must not unwind into C
                failure.append(e)

        if progress is not None:
            params.progress = _lib.PROGRESS_FN(on_progress)  # params keeps it alive for the call
        model = cls(new_handle(getattr(lib, fn), "dsi_model_free", "model", *args, ctypes.byref(params)))
        if failure:
            model.close()
            raise failure[0]
        return model

    def close(self):
        with self._tok_lock:
            tok, self._tokenizer = self._tokenizer, None
        if tok is not None:
            tok.close()
        self._h.close()

    @property
    def closed(self):
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def info(self):
        raw = _lib.ModelInfo()
        raw.struct_size = ctypes.sizeof(raw)
        with self._h as ptr:
            _lib.check(_lib.lib().dsi_model_get_info(ptr, ctypes.byref(raw)))
        return ModelInfo(
            architecture=raw.architecture.decode("utf-8", "replace"), n_vocab=raw.n_vocab, n_layers=raw.n_layers,
            n_heads=raw.n_heads, n_ctx_train=raw.n_ctx_train, n_experts=raw.n_experts,
            n_experts_per_token=raw.n_experts_per_token, cache_bytes_per_token=raw.cache_bytes_per_token)

    @property
    def tokenizer(self):
        """The tokenizer the model's files carry (DsinferError UNSUPPORTED when none)."""
        with self._tok_lock:
            if self._tokenizer is None:
                with self._h as ptr:
                    handle = new_handle(_lib.lib().dsi_model_get_tokenizer, "dsi_tokenizer_free", "tokenizer", ptr)
                self._tokenizer = Tokenizer(handle)
            return self._tokenizer

    def chat_template(self, messages, add_generation_prompt=True):
        """The model's chat template rendered for a list of {"role", "content"} dicts."""
        return self.tokenizer.chat_template(messages, add_generation_prompt)
