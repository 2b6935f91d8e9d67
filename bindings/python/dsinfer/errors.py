"""Status codes and the one exception type the binding raises for library failures."""
import enum


class Status(enum.IntEnum):
    """dsi_status codes; a code this binding does not know yet becomes UNKNOWN_<n>."""

    OK = 0
    INVALID_ARGUMENT = 1
    IO = 2
    INVALID_FORMAT = 3
    UNSUPPORTED = 4
    TOO_LARGE = 5
    BUFFER_TOO_SMALL = 6
    OUT_OF_MEMORY = 7
    INTERNAL = 8

    @classmethod
    def _missing_(cls, value):
        # The ABI only ever adds codes, so a newer library may return one we lack a name for;
        # keep the number rather than failing while reporting a failure.
        if not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = "UNKNOWN_%d" % value
        member._value_ = value
        return member


class DsinferError(Exception):
    """A failed dsinfer call: `status` (a Status, so both `.name` and the int code) and the
    library's message for it."""

    def __init__(self, status, message):
        self.status = Status(int(status))
        self.message = message
        super().__init__("%s: %s" % (self.status.name, message))

    @property
    def code(self):
        return int(self.status)


def closed_error(what):
    return DsinferError(Status.INVALID_ARGUMENT, "%s is closed" % what)
