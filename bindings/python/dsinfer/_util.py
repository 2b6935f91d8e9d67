"""Conversions at the boundary: Python text and sequences to what C takes, and the
buffer-too-small retry every sizing call of the C ABI shares."""
import ctypes
import operator
import os

from . import _lib
from .errors import DsinferError, Status

BUFFER_TOO_SMALL = int(Status.BUFFER_TOO_SMALL)


def utf8(value, what):
    """str (or bytes) to bytes; None is a TypeError. NUL is refused where C reads up to it,
    since the text would be cut there without a word."""
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if b"\0" in data:
        raise ValueError("%s contains a NUL character" % what)
    return data


def path_bytes(path, what="path"):
    if path is None:
        raise TypeError("%s must be str or os.PathLike, not None" % what)
    return utf8(os.fsdecode(os.fspath(path)), what)


def id_array(ids, what="ids"):
    """A ctypes int32 array of token ids (any iterable of ints, e.g. a list or NumPy array)."""
    if ids is None:
        raise TypeError("%s must be a sequence of ints, not None" % what)
    if isinstance(ids, (str, bytes)):
        raise TypeError("%s must be a sequence of ints, not %s" % (what, type(ids).__name__))
    values = [int32(i, what) for i in ids]
    return (ctypes.c_int32 * len(values))(*values)


def int32(value, what):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__)) from None
    if not -2**31 <= value < 2**31:
        raise DsinferError(Status.INVALID_ARGUMENT, "%s = %d does not fit in 32 bits" % (what, value))
    return value


def sized(call, make_buffer, first_cap):
    """Runs call(buf, cap, byref(n)) and, when the library answers BUFFER_TOO_SMALL with the
    size it needs in n, once more with a buffer of that size. Returns (buf, n)."""
    cap = max(int(first_cap), 1)
    for _ in range(3):  # the needed size cannot keep growing for the same input
        buf = make_buffer(cap)
        n = ctypes.c_size_t(0)
        status = call(buf, cap, ctypes.byref(n))
        if status != BUFFER_TOO_SMALL:
            _lib.check(status)
            return buf, n.value
        cap = max(n.value + 1, cap + 1)
    raise DsinferError(Status.INTERNAL, "the library kept asking for a larger buffer")
