"""dsinfer: run DeepSeek-family LLMs on CPU, in-process, through libdsinfer's C ABI.

    import dsinfer
    with dsinfer.Model.load("model.gguf") as model, dsinfer.Session(model) as session:
        for piece in session.generate("Hello", max_tokens=32, seed=42):
            print(piece, end="", flush=True)

The binding is pure ctypes: nothing is compiled at install time. It finds libdsinfer.so
through $DSINFER_LIBRARY (a path to the .so), else a copy inside this package directory,
else the system loader; a missing library or one with another C ABI version raises
DsinferError when the library is first needed (or at dsinfer.load_library()).

Threads: ctypes releases the GIL during every foreign call, so several Python threads can
each run their own Session on one shared Model in parallel. A Model and a Tokenizer may be
used from many threads; a Session (and its cache and router) from one thread at a time.

Native memory is freed by close() or the `with` block (and, as a fallback, when the object
is garbage-collected); closing twice is harmless, and using a closed object raises
DsinferError instead of touching freed memory.
"""
from . import _lib
from .cache import Cache, Router, RouterInfo
from .errors import DsinferError, Status
from .generation import GenerateResult, Generation, StopReason, TokenEvent
from .model import Model, ModelInfo
from .session import Session
from .tokenizer import Tokenizer

__version__ = "0.1.0"
ABI_VERSION = _lib.ABI_VERSION

__all__ = [
    "ABI_VERSION", "Cache", "DsinferError", "GenerateResult", "Generation", "Model", "ModelInfo", "Router",
    "RouterInfo", "Session", "Status", "StopReason", "TokenEvent", "Tokenizer", "library_version",
    "load_library",
]


def load_library(path=None):
    """Loads libdsinfer now (from `path`, or the usual places) so a missing or mismatched
    library is reported here rather than at the first model load."""
    _lib.load(path)


def library_version():
    """The loaded library's version string, e.g. "0.1.0"."""
    return _lib.lib().dsi_version_string().decode()
