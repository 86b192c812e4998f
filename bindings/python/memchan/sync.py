"""Named synchronisation objects (docs/core.md): events, robust mutexes, semaphores and
single-writer/multi-reader guards. Each waits in slices (KeyboardInterrupt gets through) and
raises memchan.Timeout when its timeout (seconds; None = for ever) runs out."""
import ctypes

from . import _core
from ._core import check, name_arg, sliced, to_ms


class _Named(_core.Closing):
    _close = None  # the C close function's name

    def __init__(self, name, opener, *args):
        h = ctypes.c_void_p()
        check(getattr(_core.dll(), opener)(name_arg(name), *args, ctypes.byref(h)), opener, name)
        self._h, self.name = h.value, name

    def _handle(self, call):
        if self._h is None:
            bs = _core._errors.CLASSES["BadState"]
            raise bs("%s: %s is closed" % (call, type(self).__name__), bs.code, call)
        return self._h

    def _do(self, fname, *args):
        rc = getattr(_core.dll(), fname)(self._handle(fname), *args)
        check(rc, fname, self.name)

    def _wait(self, fname, timeout):
        """The wait's code: MC_OK or MC_EOWNERDEAD (others raise)."""
        fn, h = getattr(_core.dll(), fname), self._handle(fname)
        rc = sliced(lambda ms: fn(h, ms), to_ms(timeout))
        if rc and rc != _core._errors.CLASSES["OwnerDead"].code:
            check(rc, fname, self.name)
        return rc

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            getattr(_core.dll(), self._close)(h)

    def __repr__(self):
        return "<memchan.%s %r%s>" % (type(self).__name__, self.name,
                                      "" if self._h else " closed")


class Event(_Named):
    """A named event: auto-reset (set wakes one waiter) or manual-reset (stays set)."""
    _close = "mc_event_close"

    def __init__(self, name, manual_reset=False, initially_set=False):
        super().__init__(name, "mc_event_open", int(manual_reset), int(initially_set))

    def set(self):
        self._do("mc_event_set")

    def reset(self):
        self._do("mc_event_reset")

    def wait(self, timeout=None):
        """Waits until set (memchan.Timeout when not within timeout)."""
        self._wait("mc_event_wait", timeout)


class _Lock(_Named):
    """Shared by Mutex and SWMR: a lock held through `with`."""
    owner_died = False  # the last lock found that a holder had died holding it

    def _lock(self, fname, timeout):
        self.owner_died = self._wait(fname, timeout) != 0
        return self.owner_died

    def unlock(self):
        self._do(self._unlock)

    def __exit__(self, *exc):
        self.unlock()


class Mutex(_Lock):
    """A robust named mutex: a holder's death never blocks the others for ever.
    `with mutex:` locks for ever and unlocks at the end."""
    _close, _unlock = "mc_mutex_close", "mc_mutex_unlock"

    def __init__(self, name):
        super().__init__(name, "mc_mutex_open")

    def lock(self, timeout=None):
        """Locks; returns True when the last holder died holding it (the data it guards may
        be half-written), False otherwise; memchan.Timeout when not within timeout."""
        return self._lock("mc_mutex_lock", timeout)

    def __enter__(self):
        self.lock()
        return self


class Semaphore(_Named):
    """A named counting semaphore (1 <= max <= 2**31 - 1)."""
    _close = "mc_sem_close"

    def __init__(self, name, initial=0, max=0x7FFFFFFF):
        super().__init__(name, "mc_sem_open", initial, max)

    def post(self, count=1):
        """Adds count (memchan.OutOfRange past max)."""
        self._do("mc_sem_post", count)

    def wait(self, timeout=None):
        """Takes one (memchan.Timeout when not within timeout)."""
        self._wait("mc_sem_wait", timeout)

    def __enter__(self):
        self.wait()
        return self

    def __exit__(self, *exc):
        self.post()


class SWMR(_Lock):
    """A named single-writer / multi-reader guard, robust like Mutex. `with g.read():` and
    `with g.write():` hold it for the block."""
    _close, _unlock = "mc_swmr_close", "mc_swmr_unlock"

    def __init__(self, name):
        super().__init__(name, "mc_swmr_open")

    def lock_read(self, timeout=None):
        """Takes it with other readers; True when a writer had died holding it."""
        return self._lock("mc_swmr_lock_read", timeout)

    def lock_write(self, timeout=None):
        """Takes it alone; True when a writer had died holding it (repair the data)."""
        return self._lock("mc_swmr_lock_write", timeout)

    def read(self, timeout=None):
        self.lock_read(timeout)
        return self

    def write(self, timeout=None):
        self.lock_write(timeout)
        return self

    def __enter__(self):
        return self
