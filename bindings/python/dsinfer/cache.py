"""A session's MLA cache and MoE router record. Both act on their session's state, so
they first wait out (cancel) a streaming generation running on it."""
import ctypes
import dataclasses

from . import _lib, _util
from .errors import DsinferError, Status


class _Part:
    def __init__(self, session, handle):
        self._session = session
        self._h = handle

    def _use(self):
        self._session._settle()
        return self._h


class Cache(_Part):
    @property
    def bytes_per_token(self):
        out = ctypes.c_int64()
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_cache_bytes_per_token(ptr, ctypes.byref(out)))
        return out.value

    @property
    def n_tokens(self):
        out = ctypes.c_int32()
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_cache_n_tokens(ptr, ctypes.byref(out)))
        return out.value

    def truncate(self, n):
        """Drops every position >= n; feed a token before reading logits again."""
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_cache_truncate(ptr, _util.int32(n, "n")))

    def copy_from(self, source, n):
        """Replaces this cache with the first n positions of another session's (same model).
        source: a Cache or a Session."""
        from .session import Session
        if isinstance(source, Session):
            source = source.cache
        if not isinstance(source, Cache):
            raise TypeError("source must be a dsinfer Cache or Session, not %s" % type(source).__name__)
        if source is self:
            raise DsinferError(Status.INVALID_ARGUMENT, "a cache cannot copy from itself")
        n = _util.int32(n, "n")
        with source._use() as src, self._use() as dst:
            _lib.check(_lib.lib().dsi_cache_copy(src, dst, n))

    def save(self, path):
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_cache_save(ptr, _util.path_bytes(path)))

    def load(self, path):
        """Replaces the contents with a saved cache; one written for another model is refused."""
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_cache_load(ptr, _util.path_bytes(path)))


@dataclasses.dataclass(frozen=True)
class RouterInfo:
    n_layers: int
    n_experts: int      # routed experts per MoE layer; 0 for a dense model
    top_k: int          # experts per token now
    last_tokens: int    # tokens of the last forward call


class Router(_Part):
    @property
    def info(self):
        vals = [ctypes.c_int32() for _ in range(4)]
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_router_info(ptr, *[ctypes.byref(v) for v in vals]))
        return RouterInfo(*[v.value for v in vals])

    def last_choice(self, layer, token):
        """[(expert, weight), ...] best first for `token` of the last forward call at `layer`;
        [] for a dense layer."""
        layer, token = _util.int32(layer, "layer"), _util.int32(token, "token")
        lib = _lib.lib()
        holder = {}

        def make(cap):
            holder["w"] = (ctypes.c_float * cap)()
            return (ctypes.c_int32 * cap)()

        with self._use() as ptr:
            experts, n = _util.sized(
                lambda buf, cap, n: lib.dsi_router_last_choice(ptr, layer, token, buf, holder["w"], cap, n),
                make, 16)
        return [(experts[i], holder["w"][i]) for i in range(n)]

    def expert_counts(self, layer):
        """Tokens routed to each expert of `layer` since the session began (or top_k changed)."""
        layer = _util.int32(layer, "layer")
        lib = _lib.lib()
        with self._use() as ptr:
            counts, n = _util.sized(
                lambda buf, cap, n: lib.dsi_router_expert_counts(ptr, layer, buf, cap, n),
                lambda cap: (ctypes.c_uint64 * cap)(), 256)
        return list(counts[:n])

    def set_top_k(self, k):
        """Experts per token from now on (0 restores the model's own number)."""
        with self._use() as ptr:
            _lib.check(_lib.lib().dsi_router_set_top_k(ptr, _util.int32(k, "k")))
