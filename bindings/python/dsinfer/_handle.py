"""Ownership of one native handle: freed once, never while a call on another thread is
still using it, and refused (not crashed on) after close."""
import ctypes
import threading

from . import _lib
from .errors import DsinferError, Status, closed_error


class Handle:
    def __init__(self, ptr, free_name, what):
        self._ptr = ptr  # int address; None once closed
        self._free_name = free_name
        self._what = what
        self._users = {}  # thread id -> calls in flight on that thread
        self._cond = threading.Condition(threading.Lock())

    @property
    def closed(self):
        return self._ptr is None

    def acquire(self):
        """The raw pointer, pinned until release(); raises DsinferError after close."""
        with self._cond:
            if self._ptr is None:
                raise closed_error(self._what)
            me = threading.get_ident()
            self._users[me] = self._users.get(me, 0) + 1
            return self._ptr

    def release(self):
        with self._cond:
            me = threading.get_ident()
            self._users[me] -= 1
            if not self._users[me]:
                del self._users[me]
                self._cond.notify_all()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def close(self):
        """Frees the handle after in-flight calls finish; a second close does nothing."""
        with self._cond:
            if self._ptr is None:
                return
            if threading.get_ident() in self._users:
                # e.g. close() from a callback of this very handle's call: waiting would deadlock
                raise DsinferError(Status.INVALID_ARGUMENT,
                                   "%s cannot be closed from inside one of its own calls" % self._what)
            ptr, self._ptr = self._ptr, None
            while self._users:
                self._cond.wait()
        getattr(_lib.lib(), self._free_name)(ptr)

    def __del__(self):
        # At interpreter exit module globals may already be gone; leaking then is harmless.
        try:
            self.close()
        except Exception:
            pass


def new_handle(create, free_name, what, *args):
    """Calls a dsi_* creator whose last argument is the out-pointer and wraps the result."""
    out = _lib.handle()
    _lib.check(create(*args, ctypes.byref(out)))
    if not out.value:
        raise DsinferError(Status.INTERNAL, "%s: the library returned OK but no handle" % what)
    return Handle(out.value, free_name, what)
