"""Finding libdsinfer.so, checking its ABI, and the ctypes mirror of capi/dsinfer.h.

Every prototype is declared here so a wrong argument type is a ctypes error in Python,
never a bad pointer in C. ctypes.CDLL releases the GIL for the duration of each foreign
call, which is what lets several Python threads run sessions in parallel."""
import ctypes
import ctypes.util
import glob
import os
import threading

from .errors import DsinferError, Status

ABI_VERSION = 1  # DSI_ABI_VERSION of the capi/dsinfer.h this file mirrors

c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_size_p = ctypes.POINTER(ctypes.c_size_t)
handle = ctypes.c_void_p  # every dsi_* handle is opaque


class ModelParams(ctypes.Structure):
    pass


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_float, ctypes.c_void_p)

ModelParams._fields_ = [
    ("struct_size", ctypes.c_size_t),
    ("n_threads", ctypes.c_int32),
    ("progress", PROGRESS_FN),
    ("progress_user", ctypes.c_void_p),
]


class ModelInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("n_vocab", ctypes.c_int32),
        ("n_layers", ctypes.c_int32),
        ("n_heads", ctypes.c_int32),
        ("n_ctx_train", ctypes.c_int32),
        ("n_experts", ctypes.c_int32),
        ("n_experts_per_token", ctypes.c_int32),
        ("cache_bytes_per_token", ctypes.c_int64),
        ("architecture", ctypes.c_char * 32),
    ]


class ChatMessage(ctypes.Structure):
    _fields_ = [("role", ctypes.c_char_p), ("content", ctypes.c_char_p)]


class SessionParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("n_ctx", ctypes.c_int32),
        ("prefill_chunk", ctypes.c_int32),
    ]


class GenerateParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("max_tokens", ctypes.c_int32),
        ("temperature", ctypes.c_float),
        ("top_k", ctypes.c_int32),
        ("top_p", ctypes.c_float),
        ("min_p", ctypes.c_float),
        ("repetition_penalty", ctypes.c_float),
        ("frequency_penalty", ctypes.c_float),
        ("presence_penalty", ctypes.c_float),
        ("penalty_last_n", ctypes.c_int32),
        ("seed", ctypes.c_uint64),
        ("stop", ctypes.POINTER(ctypes.c_char_p)),
        ("n_stop", ctypes.c_size_t),
        ("stop_at_eos", ctypes.c_int),
        ("top_logprobs", ctypes.c_int32),
        ("add_special", ctypes.c_int),
    ]


class TokenEvent(ctypes.Structure):
    # text is a void pointer, not c_char_p: it is not NUL-terminated for our purposes and
    # may hold NUL bytes, so it is read with string_at(text, text_len).
    _fields_ = [
        ("id", ctypes.c_int32),
        ("text", ctypes.c_void_p),
        ("text_len", ctypes.c_size_t),
        ("logprob", ctypes.c_float),
        ("top_ids", c_int32_p),
        ("top_logprobs", ctypes.POINTER(ctypes.c_float)),
        ("n_top", ctypes.c_size_t),
    ]


TOKEN_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(TokenEvent), ctypes.c_void_p)


class GenerateResult(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("n_prompt_tokens", ctypes.c_int32),
        ("n_generated", ctypes.c_int32),
        ("stop", ctypes.c_int),
        ("prefill_seconds", ctypes.c_double),
        ("decode_seconds", ctypes.c_double),
    ]


_S = ctypes.c_int  # dsi_status
_P = ctypes.POINTER
_PROTOTYPES = {
    "dsi_abi_version": (ctypes.c_uint32, []),
    "dsi_version_string": (ctypes.c_char_p, []),
    "dsi_last_error": (ctypes.c_char_p, []),
    "dsi_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "dsi_model_default_params": (ModelParams, []),
    "dsi_model_load": (_S, [ctypes.c_char_p, _P(ModelParams), _P(handle)]),
    "dsi_model_load_builtin": (_S, [_P(ModelParams), _P(handle)]),
    "dsi_model_free": (None, [handle]),
    "dsi_model_get_info": (_S, [handle, _P(ModelInfo)]),
    "dsi_model_get_tokenizer": (_S, [handle, _P(handle)]),
    "dsi_tokenizer_load": (_S, [ctypes.c_char_p, _P(handle)]),
    "dsi_tokenizer_free": (None, [handle]),
    "dsi_tokenize": (_S, [handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, c_int32_p,
                          ctypes.c_size_t, c_size_p]),
    "dsi_detokenize": (_S, [handle, c_int32_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                            c_size_p]),
    "dsi_tokenizer_special_ids": (_S, [handle, c_int32_p, c_int32_p]),
    "dsi_tokenizer_vocab_size": (_S, [handle, c_int32_p]),
    "dsi_chat_template_apply": (_S, [handle, _P(ChatMessage), ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p,
                                     ctypes.c_size_t, c_size_p]),
    "dsi_session_default_params": (SessionParams, []),
    "dsi_session_create": (_S, [handle, _P(SessionParams), _P(handle)]),
    "dsi_session_free": (None, [handle]),
    "dsi_session_prefill": (_S, [handle, c_int32_p, ctypes.c_size_t]),
    "dsi_session_decode": (_S, [handle, ctypes.c_int32]),
    "dsi_session_logits": (_S, [handle, _P(_P(ctypes.c_float)), c_size_p]),
    "dsi_session_n_past": (_S, [handle, c_int32_p]),
    "dsi_generate_default_params": (GenerateParams, []),
    "dsi_session_generate": (_S, [handle, ctypes.c_char_p, ctypes.c_size_t, _P(GenerateParams), TOKEN_FN,
                                  ctypes.c_void_p, _P(GenerateResult)]),
    "dsi_session_generate_tokens": (_S, [handle, c_int32_p, ctypes.c_size_t, _P(GenerateParams), TOKEN_FN,
                                         ctypes.c_void_p, _P(GenerateResult)]),
    "dsi_session_get_cache": (_S, [handle, _P(handle)]),
    "dsi_cache_free": (None, [handle]),
    "dsi_cache_bytes_per_token": (_S, [handle, _P(ctypes.c_int64)]),
    "dsi_cache_n_tokens": (_S, [handle, c_int32_p]),
    "dsi_cache_truncate": (_S, [handle, ctypes.c_int32]),
    "dsi_cache_copy": (_S, [handle, handle, ctypes.c_int32]),
    "dsi_cache_save": (_S, [handle, ctypes.c_char_p]),
    "dsi_cache_load": (_S, [handle, ctypes.c_char_p]),
    "dsi_session_get_router": (_S, [handle, _P(handle)]),
    "dsi_router_free": (None, [handle]),
    "dsi_router_info": (_S, [handle, c_int32_p, c_int32_p, c_int32_p, c_int32_p]),
    "dsi_router_last_choice": (_S, [handle, ctypes.c_int32, ctypes.c_int32, c_int32_p, _P(ctypes.c_float),
                                    ctypes.c_size_t, c_size_p]),
    "dsi_router_expert_counts": (_S, [handle, ctypes.c_int32, _P(ctypes.c_uint64), ctypes.c_size_t, c_size_p]),
    "dsi_router_set_top_k": (_S, [handle, ctypes.c_int32]),
}


def candidates():
    """Where the library is looked for, in order: $DSINFER_LIBRARY (and nothing else when it
    is set, so a wrong path is an error rather than a silent fallback), a copy inside this
    package, then the system loader."""
    env = os.environ.get("DSINFER_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(glob.glob(os.path.join(here, "libdsinfer.so*")), key=len)
    system = ctypes.util.find_library("dsinfer")
    return found + ([system] if system else []) + ["libdsinfer.so.1"]


def open_library(path):
    """Loads one candidate and checks its ABI before declaring any other function, so a
    mismatched library is refused here instead of misbehaving at its first call."""
    if os.sep in path and not os.path.exists(path):
        raise DsinferError(Status.IO, "libdsinfer not found at %s" % path)
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise DsinferError(Status.IO, "cannot load libdsinfer from %s: %s" % (path, e)) from None
    try:
        abi = lib.dsi_abi_version
    except AttributeError:
        raise DsinferError(Status.UNSUPPORTED, "%s is not libdsinfer (no dsi_abi_version)" % path) from None
    abi.restype, abi.argtypes = ctypes.c_uint32, []
    found = abi()
    if found != ABI_VERSION:
        raise DsinferError(Status.UNSUPPORTED, "%s has C ABI version %d; this binding was written for %d"
                           % (path, found, ABI_VERSION))
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise DsinferError(Status.UNSUPPORTED, "%s lacks %s" % (path, name)) from None
        fn.restype, fn.argtypes = restype, argtypes
    # A layout slip in the structs above would corrupt memory silently; the library states
    # its own sizes, so compare before first use.
    for fn, struct in (("dsi_model_default_params", ModelParams), ("dsi_session_default_params", SessionParams),
                       ("dsi_generate_default_params", GenerateParams)):
        size = getattr(lib, fn)().struct_size
        if size != ctypes.sizeof(struct):
            raise DsinferError(Status.UNSUPPORTED, "%s: %s says %d bytes, this binding has %d"
                               % (path, fn, size, ctypes.sizeof(struct)))
    return lib


_lock = threading.Lock()
_lib = None


def lib():
    """The loaded library, loading it on first use."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load_first()
    return _lib


def _load_first():
    errors = []
    for path in candidates():
        try:
            return open_library(path)
        except DsinferError as e:
            if os.environ.get("DSINFER_LIBRARY") or e.status != Status.IO:
                raise  # a library was found but is wrong, or the user named one: say so
            errors.append(e.message)
    raise DsinferError(Status.IO, "libdsinfer not found (set DSINFER_LIBRARY to its path); tried: "
                       + "; ".join(errors))


def load(path=None):
    """Loads the library from `path` (or the usual places) now, so a missing or mismatched
    library fails here; later calls reuse it. Returns the ctypes.CDLL."""
    global _lib
    with _lock:
        if _lib is None:
            _lib = open_library(os.fspath(path)) if path is not None else _load_first()
        elif path is not None and os.path.realpath(_lib._name) != os.path.realpath(os.fspath(path)):
            raise DsinferError(Status.INVALID_ARGUMENT, "libdsinfer is already loaded from %s" % _lib._name)
    return _lib


def error(status):
    """The DsinferError for a status just returned on this thread (dsi_last_error is per
    thread, so this must run on the thread that made the failing call)."""
    message = lib().dsi_last_error()
    return DsinferError(status, message.decode("utf-8", "replace") if message else "")


def check(status):
    if status != 0:
        raise error(status)
