"""What every object of the binding shares: the loaded library, turning return codes into
exceptions, timeouts in seconds, waiting in slices, and views over shared memory that can
be taken back."""
import ctypes
import sys
import time
import weakref

from . import _errors, _lib

_dll = None
_load_error = None


def load_library(path=None):
    """Loads libmemchan (from `path`, else $MEMCHAN_LIBRARY, else the system search path)
    and returns the ctypes library. Importing memchan does this once without a path; call it
    with a path when the library is somewhere else."""
    global _dll, _load_error
    dll = _lib.load(path)
    _errors.bind(dll)
    _dll, _load_error = dll, None
    return dll


def dll():
    if _dll is None:
        raise _lib.LibraryNotFound(str(_load_error) if _load_error else
                                   "memchan: libmemchan is not loaded (memchan.load_library)")
    return _dll


def try_load_at_import():
    global _load_error
    try:
        load_library()
    except _lib.LibraryNotFound as e:
        _load_error = e


def check(rc, call, obj=None):
    """rc (an MC_E* value) as an exception, or nothing for MC_OK."""
    if rc != 0:
        raise _errors.make(_dll, rc, call, obj)


def name_arg(name):
    """A name as the C side takes it: str or bytes, or None for a generated one."""
    if name is None:
        return None
    if isinstance(name, str):
        return name.encode()
    if isinstance(name, bytes):
        return name
    raise TypeError("a memchan name is str or bytes, not %s" % type(name).__name__)


# A blocking call waits in slices of this many milliseconds, so that Python runs its signal
# handlers (KeyboardInterrupt) between them: C code waiting in a futex does not return to
# the interpreter on a signal.
SLICE_MS = 50


def to_ms(timeout):
    """Seconds (float, or None = for ever) to the C side's milliseconds (-1 = for ever).
    A positive timeout shorter than a millisecond waits a millisecond, not 0."""
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None (for ever), not %r" % (timeout,))
    ms = int(timeout * 1000)
    if ms == 0 and timeout > 0:
        ms = 1
    if ms > 0x7FFFFFFF:
        ms = -1
    return ms


def sliced(call, timeout_ms, retry=(-6,)):
    """Runs call(ms) until it returns something else than a code in `retry` (MC_ETIMEDOUT),
    each call waiting one slice at most, until timeout_ms (-1: for ever) has passed; returns
    the last code. Between slices the interpreter runs signal handlers: a KeyboardInterrupt
    is raised from here, within a slice, and leaves the object as the last call left it."""
    if 0 <= timeout_ms <= SLICE_MS:
        return call(timeout_ms)
    deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000.0
    while True:
        ms = SLICE_MS
        if deadline is not None:
            left = deadline - time.monotonic()
            ms = max(0, min(SLICE_MS, int(left * 1000 + 0.999)))
        rc = call(ms)
        if rc not in retry or (deadline is not None and time.monotonic() >= deadline):
            return rc


class View:
    """A memoryview over shared memory that can be taken back: after end() every use of it
    raises ValueError, never reads memory that is gone. Slices, casts and numpy arrays made
    from it keep the memory reachable, so end() refuses (memchan.BadState) while any of them
    is alive: it is counted through the reference the view family holds on its base."""
    __slots__ = ("base", "mv", "baseline", "length", "readonly")
    # One array type for every view: the view is a slice of it, so no type is made per
    # length (ctypes keeps every array type it makes). Nothing reads past the slice.
    _whole = ctypes.c_char * (1 << 40)

    def __init__(self, address, length, readonly):
        self.base = View._whole.from_address(address)
        self.baseline = sys.getrefcount(self.base)
        self.length, self.readonly = length, readonly
        self.mv = None
        self.renew()

    def renew(self):
        """The view again, as a new memoryview when the last one was released."""
        if self.mv is None or _released(self.mv):
            whole = memoryview(self.base).cast("B")
            self.mv = whole[:self.length]
            whole.release()
            if self.readonly:
                ro = self.mv.toreadonly()
                self.mv.release()
                self.mv = ro
        return self.mv

    def busy(self):
        """What still uses the memory besides this view, in words; None when nothing does."""
        if self.mv is not None:
            try:
                self.mv.release()
            except BufferError:
                return "an object made from the view holds it (a numpy array, a struct " \
                       "unpacker ...): delete it first"
        if sys.getrefcount(self.base) > self.baseline:
            return "a slice or cast of the view is still alive: delete it (or copy it) first"
        return None

    def end(self, call):
        """Takes the view back; raises BadState when something made from it still reaches
        the memory (the view itself is released all the same: renew() gives a new one)."""
        why = self.busy()
        if why:
            raise _errors.CLASSES["BadState"](
                "%s: the memory is still in use: %s" % (call, why),
                _errors.CLASSES["BadState"].code, call)
        self.mv = None


def _released(mv):
    try:
        mv.nbytes
    except ValueError:
        return True
    return False


def close_when_free(fn, handle, view):
    """Calls fn(handle) now, or, when something made from `view` still reaches the memory,
    once that is gone (the mapping must outlive every view of it)."""
    if view is not None and view.busy():
        weakref.finalize(view.base, fn, handle)
    else:
        fn(handle)


class Closing:
    """Context manager and finaliser for an object with close() and a handle in _h."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None) is not None:
            self.close()
