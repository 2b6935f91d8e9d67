"""Generation: parameters, per-token events, results, and the streaming iterator.

A streaming generation runs the C call on a worker thread. The worker pauses inside the
token callback after each token until the consumer asks for the next piece, so nothing is
computed ahead of the reader, and cancelling is the callback answering 0 at its next token."""
import atexit
import codecs
import ctypes
import dataclasses
import enum
import operator
import queue
import threading
import weakref

from . import _lib, _util
from .errors import DsinferError, Status


class StopReason(enum.IntEnum):
    EOS = 0
    STRING = 1
    MAX_TOKENS = 2
    CONTEXT_FULL = 3
    CANCELLED = 4


@dataclasses.dataclass(frozen=True)
class TokenEvent:
    id: int          # -1 for text flushed without a token of its own (e.g. held back for a stop string)
    text: str        # text that became final with this token; may be empty
    logprob: float
    top: tuple       # ((id, logprob), ...) best first, when top_logprobs > 0


@dataclasses.dataclass(frozen=True)
class GenerateResult:
    text: str
    ids: list        # generated token ids; with CANCELLED the last one was sampled but not fed back
    stop: StopReason
    n_prompt_tokens: int
    n_generated: int
    prefill_seconds: float
    decode_seconds: float


def _seed(v):
    try:
        v = operator.index(v)
    except TypeError:
        raise TypeError("seed must be an int, not %s" % type(v).__name__) from None
    if not 0 <= v < 2**64:
        raise DsinferError(Status.INVALID_ARGUMENT, "seed must be in [0, 2**64)")
    return v


_OPTIONS = {
    # name: conversion; None leaves the library's default (dsi_generate_default_params)
    "max_tokens": lambda v: _util.int32(v, "max_tokens"),
    "temperature": float,
    "top_k": lambda v: _util.int32(v, "top_k"),
    "top_p": float,
    "min_p": float,
    "repetition_penalty": float,
    "frequency_penalty": float,
    "presence_penalty": float,
    "penalty_last_n": lambda v: _util.int32(v, "penalty_last_n"),
    "seed": _seed,
    "stop_at_eos": lambda v: int(bool(v)),
    "top_logprobs": lambda v: _util.int32(v, "top_logprobs"),
    "add_special": lambda v: int(bool(v)),
}


def make_params(options):
    """A dsi_generate_params from keyword options. Returns (params, keep): keep holds the
    stop strings' memory and must outlive the C call."""
    params = _lib.lib().dsi_generate_default_params()
    keep = None
    for name, value in options.items():
        if name == "stop":
            if value is None:
                continue
            if isinstance(value, (str, bytes)):
                value = [value]
            encoded = [_util.utf8(s, "a stop string") for s in value]
            keep = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
            params.stop = ctypes.cast(keep, ctypes.POINTER(ctypes.c_char_p))
            params.n_stop = len(encoded)
        elif name in _OPTIONS:
            if value is not None:
                setattr(params, name, _OPTIONS[name](value))
        else:
            raise TypeError("unknown generation option %r" % name)
    return params, keep


class _Run:
    """One dsi_session_generate call: turns C events into TokenEvents for `sink`, records
    ids and text, and keeps an exception raised while handling an event (it must not unwind
    through C) to raise once the call has returned."""

    def __init__(self, sink):
        self.sink = sink  # event -> False to cancel
        self.ids = []
        self.pieces = []
        self.error = None
        self.cancelled = False
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")

    def _on_token(self, event_p, _user):
        if self.error is not None:
            return 0
        try:
            ev = event_p.contents
            raw = ctypes.string_at(ev.text, ev.text_len) if ev.text_len else b""
            top = tuple((ev.top_ids[i], ev.top_logprobs[i]) for i in range(ev.n_top))
            event = TokenEvent(ev.id, self._utf8.decode(raw), ev.logprob, top)
            if event.id >= 0:
                self.ids.append(event.id)
            self.pieces.append(event.text)
            # The library still flushes held-back text after a cancel; the sink has said
            # it wants nothing more, so that text only goes into the result.
            if not self.cancelled and self.sink(event) is False:
                self.cancelled = True
            return 0 if self.cancelled else 1
        except BaseException as e:  # noqa: B902 - anything, KeyboardInterrupt too
            self.error = e
            return 0

    def run(self, call):
        """call(token_fn, result_pointer) -> status, made on this thread."""
        fn = _lib.TOKEN_FN(self._on_token)
        raw = _lib.GenerateResult()
        raw.struct_size = ctypes.sizeof(raw)
        status = call(fn, ctypes.byref(raw))
        failure = _lib.error(status) if status else None  # the message is per thread: read it now
        tail = self._utf8.decode(b"", final=True)
        if tail:
            self.pieces.append(tail)
        if tail and not self.cancelled and self.error is None and failure is None:
            try:
                self.sink(TokenEvent(-1, tail, 0.0, ()))
            except BaseException as e:  # noqa: B902
                self.error = e
        if self.error is not None:
            raise self.error
        if failure is not None:
            raise failure
        return GenerateResult(
            text="".join(self.pieces), ids=list(self.ids), stop=StopReason(raw.stop),
            n_prompt_tokens=raw.n_prompt_tokens, n_generated=raw.n_generated,
            prefill_seconds=raw.prefill_seconds, decode_seconds=raw.decode_seconds)


_END = object()
_live = weakref.WeakSet()  # streams whose worker has started


@atexit.register
def _cancel_live_streams():
    # A worker still paused at exit would be stopped by the interpreter with pthread_exit,
    # unwinding through the library's C++ frames, whose catch-all then aborts the process.
    # Finishing them while the interpreter is still whole avoids that.
    for stream in list(_live):
        stream.cancel()


class _Stream:
    """The worker side of a streaming generation. Holds no reference to the Generation the
    caller iterates, so dropping that object can cancel this one."""

    def __init__(self, call):
        self._call = call
        self._queue = queue.SimpleQueue()
        self._resume = threading.Semaphore(0)
        self._cancel = False
        self._thread = None
        self._lock = threading.Lock()
        self.result = None
        self.error = None
        self.finished = False  # the consumer has seen the end

    def _sink(self, event):
        if self._cancel:
            return False
        self._queue.put(event)
        self._resume.acquire()  # paused until the consumer wants more, or cancels
        return not self._cancel

    def _work(self):
        try:
            self.result = _Run(self._sink).run(self._call)
        except BaseException as e:  # noqa: B902 - handed to the consumer
            self.error = e
        finally:
            self._queue.put(_END)

    def next_event(self, before_start):
        """The next event, or None at the end. before_start runs once, before the worker."""
        if self.finished:
            return None
        with self._lock:
            if self._thread is None:
                if self._cancel:
                    self.finished = True
                    return None
                before_start(self)
                self._thread = threading.Thread(target=self._work, name="dsinfer-generate", daemon=True)
                self._thread.start()
                _live.add(self)
            else:
                self._resume.release()
        item = self._queue.get()
        if item is _END:
            self._thread.join()
            self.finished = True
            if self.error is not None:
                error, self.error = self.error, None
                raise error
            return None
        return item

    def cancel(self):
        """Stops the generation at its next token and waits for the C call to return."""
        with self._lock:
            self._cancel = True
            thread = self._thread
        if thread is not None:
            self._resume.release()
            thread.join()

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()


class Generation:
    """Iterator over the text pieces of a generation, produced as they are read.

    Breaking out of the loop and dropping the iterator, calling close(), or starting another
    operation on the session cancels the generation (stop reason CANCELLED); the session
    stays usable. After the end, `result` is a GenerateResult (ids, stop reason, timings)."""

    def __init__(self, session, call):
        self._session = session
        self._stream = _Stream(call)

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            event = self._next_event()
            if event is None:
                raise StopIteration
            if event.text:
                return event.text

    def events(self):
        """Iterates TokenEvents (ids, logprobs, text, empty text included) instead of pieces."""
        while True:
            event = self._next_event()
            if event is None:
                return
            yield event

    def _next_event(self):
        return self._stream.next_event(self._session._begin_stream)

    def close(self):
        """Cancels the generation if it is still running; safe to call again."""
        self._stream.cancel()
        self._stream.finished = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def result(self):
        """The GenerateResult, reading the rest of the generation first if needed. None when
        the generation was closed before it started."""
        while self._next_event() is not None:
            pass
        return self._stream.result
