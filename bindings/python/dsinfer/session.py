"""Session: a model plus state of its own (cache, router record, last logits). One thread
at a time per session; many sessions on one model run in parallel."""
import ctypes
import threading

from . import _lib, _util
from ._handle import new_handle
from .cache import Cache, Router
from .errors import closed_error
from .generation import Generation, _Run, make_params
from .model import Model

try:
    import numpy as _np
except ImportError:  # logits() then returns a list
    _np = None


class Session:
    def __init__(self, model, n_ctx=4096, prefill_chunk=None):
        """n_ctx: tokens the context holds. prefill_chunk: prompt tokens per forward call
        (None: the library's default)."""
        if not isinstance(model, Model):
            raise TypeError("model must be a dsinfer.Model, not %s" % type(model).__name__)
        lib = _lib.lib()
        params = lib.dsi_session_default_params()
        params.n_ctx = _util.int32(n_ctx, "n_ctx")
        if prefill_chunk is not None:
            params.prefill_chunk = _util.int32(prefill_chunk, "prefill_chunk")
        with model._h as mptr:
            self._h = new_handle(lib.dsi_session_create, "dsi_session_free", "session", mptr, ctypes.byref(params))
        self.model = model
        self.n_ctx = params.n_ctx
        self._stream = None  # the streaming generation that last ran on this session
        self._parts_lock = threading.Lock()
        self._cache = None
        self._router = None

    # ---- lifetime ----
    def close(self):
        """Cancels a running generation and frees the session, its cache and router handles."""
        self._settle()
        with self._parts_lock:
            parts, self._cache, self._router = (self._cache, self._router), None, None
        for part in parts:
            if part is not None:
                part._h.close()
        self._h.close()

    @property
    def closed(self):
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _settle(self):
        """Cancels a streaming generation still running, so the caller has the session alone."""
        stream = self._stream
        if stream is not None and stream.running:
            stream.cancel()

    def _begin_stream(self, stream):
        if self._h.closed:
            raise closed_error("session")
        if stream is not self._stream:
            self._settle()
            self._stream = stream

    def _use(self):
        """The session handle, pinned (use in `with`), once no generation is running."""
        self._settle()
        return self._h

    # ---- feeding tokens ----
    def prefill(self, ids):
        """Appends tokens to the context (a prompt that does not fit is a DsinferError)."""
        arr = _util.id_array(ids)
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_session_prefill(ptr, arr, len(arr)))

    def decode(self, token):
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_session_decode(ptr, _util.int32(token, "token")))

    def logits(self, copy=True):
        """Logits after the last token fed, float32 [n_vocab] (a list without NumPy).

        copy=False returns a read-only NumPy view of the library's buffer instead of a copy;
        it is valid only until the next call that feeds the session tokens (prefill,
        decode, generate, cache changes) or closes it, after which it reads freed memory.
        That is why a copy is the default."""
        ptr_out, n = ctypes.POINTER(ctypes.c_float)(), ctypes.c_size_t()
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_session_logits(ptr, ctypes.byref(ptr_out), ctypes.byref(n)))
            if _np is None:
                return ptr_out[:n.value]
            view = _np.ctypeslib.as_array(ptr_out, shape=(n.value,))
            if copy:
                return view.copy()
            view.flags.writeable = False
            return view

    @property
    def n_past(self):
        """Tokens in the context."""
        out = ctypes.c_int32()
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_session_n_past(ptr, ctypes.byref(out)))
        return out.value

    # ---- generation ----
    def _generate_call(self, prompt, options):
        params, keep = make_params(options)
        lib = _lib.lib()
        if isinstance(prompt, (str, bytes, bytearray)):
            data = prompt.encode("utf-8") if isinstance(prompt, str) else bytes(prompt)

            def call(fn, result):
                with self._h as ptr:
                    return lib.dsi_session_generate(ptr, data, len(data), ctypes.byref(params), fn, None, result)
        elif prompt is None:
            raise TypeError("prompt must be str or a sequence of token ids, not None")
        else:
            arr = _util.id_array(prompt, "prompt")

            def call(fn, result):
                with self._h as ptr:
                    return lib.dsi_session_generate_tokens(ptr, arr, len(arr), ctypes.byref(params), fn, None, result)
        call.keep = keep  # the stop strings must live as long as the call
        return call

    def generate(self, prompt, **options):
        """Streams a generation: returns a Generation, an iterator of text pieces that runs
        the model as it is read; its `.result` has the ids and stop reason afterwards.

        prompt: text (BOS added into an empty session when the tokenizer says so) or a
        sequence of token ids; "" or [] continues from the context. Options (None or absent:
        the library's default): max_tokens (256), temperature (0.8; 0 = greedy), top_k (40),
        top_p (0.95), min_p (0.05), repetition_penalty (1), frequency_penalty (0),
        presence_penalty (0), penalty_last_n (64), seed (0), stop (a string or a list of
        them), stop_at_eos (True), top_logprobs (0), add_special (True)."""
        return Generation(self, self._generate_call(prompt, options))

    def complete(self, prompt, on_token=None, **options):
        """Runs a generation to its end on this thread and returns its GenerateResult.
        on_token(TokenEvent) may return False to cancel; an exception it raises cancels the
        generation and is re-raised here. Options as for generate()."""
        if on_token is not None and not callable(on_token):
            raise TypeError("on_token must be callable")
        call = self._generate_call(prompt, options)
        self._settle()
        return _Run(on_token or (lambda event: True)).run(call)

    # ---- state ----
    @property
    def cache(self):
        """The session's cache (token count, truncate, copy, save/load)."""
        with self._parts_lock:
            if self._cache is None:
                self._cache = Cache(self, self._part("dsi_session_get_cache", "dsi_cache_free", "cache"))
            return self._cache

    @property
    def router(self):
        """The MoE router's record of the last forward call and expert counts."""
        with self._parts_lock:
            if self._router is None:
                self._router = Router(self, self._part("dsi_session_get_router", "dsi_router_free", "router"))
            return self._router

    def _part(self, getter, free, what):
        with self._use() as ptr:
            return new_handle(getattr(_lib.lib(), getter), free, what, ptr)
