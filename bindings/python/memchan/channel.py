"""Channels: named producer/consumer queues between processes (docs/channels.md)."""
import collections
import ctypes

from . import _core, _lib
from ._core import check, name_arg, sliced, to_ms

try:  # the per-message tries, compiled (memchan/_fast.c); ctypes when it was not built
    from . import _fast
except ImportError:
    _fast = None

NONE, SEND, RECV = 0, 1, 2  # roles (MC_CHAN_NONE, _SEND, _RECV)
RING, SLOT = 0, 1  # kinds
MULTI_SEND, MULTI_RECV, BROADCAST, DROP_OLDEST = 1, 2, 4, 8  # mc_chan_options.flags

Stats = collections.namedtuple("Stats", [f[0] for f in _lib.ChanStats._fields_])
Ends = collections.namedtuple("Ends", [f[0] for f in _lib.ChanEnds._fields_])

_ETIMEDOUT, _ENOSPC, _ENOENT, _ECLOSED = -6, -9, -3, -14


class Channel(_core.Closing):
    """One end of a channel. Make it with Channel.create or Channel.open; close it (or use it
    as a context manager). One thread at a time per Channel, as for the C handle."""

    def __init__(self, handle, role):
        d = _core.dll()
        self._h = handle
        self.role = role
        self._len = ctypes.c_size_t()
        self._lenp = ctypes.byref(self._len)
        self._ptr = ctypes.c_void_p()
        self._ptrp = ctypes.byref(self._ptr)
        self._fh = ctypes.c_void_p(handle)  # the per-message calls' arguments (_lib.FAST)
        self._zero = ctypes.c_int(0)
        self._fslice = ctypes.c_int(_core.SLICE_MS)
        self._trecv = _lib.fast(d, "mc_chan_recv", keep_gil=True)  # tries (timeout 0)
        self._tsend = _lib.fast(d, "mc_chan_send", keep_gil=True)
        self._frecv = _lib.fast(d, "mc_chan_recv")  # waits, the GIL released
        self._fsend = _lib.fast(d, "mc_chan_send")
        # For _fast: the functions' addresses, in the library ctypes loaded.
        self._crecv = ctypes.cast(self._frecv, ctypes.c_void_p).value
        self._csend = ctypes.cast(self._fsend, ctypes.c_void_p).value
        self._into = None  # (buffer, its ctypes export, address, bytes) of the last recv_into
        self._buf = None  # recv's own buffer, grown to the largest message seen
        self._view = None  # the peeked or reserved message's View
        self._reserved = 0
        self.name = d.mc_chan_name(handle).decode()

    # ---- making one -----------------------------------------------------------------------
    @classmethod
    def create(cls, name=None, role=RECV, *, kind=RING, max_msg=0, capacity=0, flags=0,
               multi_send=False, multi_recv=False, broadcast=False, drop_oldest=False,
               spin_us=0, mode=0):
        """Creates the channel `name` (None: a fresh unique name, see .name) and opens this
        end with `role` (RECV, SEND or NONE). max_msg: largest message (0 = 64 KiB);
        capacity: ring bytes (0 = 1 MiB); the flags as keywords or MULTI_SEND | ... in
        flags. memchan.Exists if a live channel of that name exists."""
        flags |= ((MULTI_SEND if multi_send else 0) | (MULTI_RECV if multi_recv else 0) |
                  (BROADCAST if broadcast else 0) | (DROP_OLDEST if drop_oldest else 0))
        opt = _lib.ChanOptions(kind=kind, max_msg=max_msg, capacity=capacity, flags=flags,
                               spin_us=spin_us, mode=mode)
        h = ctypes.c_void_p()
        check(_core.dll().mc_chan_create(name_arg(name), ctypes.byref(opt), role,
                                         ctypes.byref(h)), "mc_chan_create", name)
        return cls(h.value, role)

    @classmethod
    def open(cls, name, role, timeout=5.0):
        """Opens an end of the existing channel `name`, waiting up to `timeout` seconds
        (None: for ever) for it to exist and be ready: memchan.NotFound when no channel of
        that name existed by then, memchan.Busy when that end is taken."""
        d, h, n = _core.dll(), ctypes.c_void_p(), name_arg(name)
        rc = sliced(lambda ms: d.mc_chan_open(n, role, ms, ctypes.byref(h)), to_ms(timeout),
                    retry=(_ETIMEDOUT, _ENOENT))
        check(rc, "mc_chan_open", name)
        return cls(h.value, role)

    def _fail(self, rc, call):
        if self._h is None:
            raise _core._errors.CLASSES["BadState"]("%s: the channel is closed" % call,
                                                    _core._errors.CLASSES["BadState"].code, call)
        check(rc, call, self.name)

    # ---- sending --------------------------------------------------------------------------
    def send(self, data, timeout=None):
        """Sends one message (bytes or any bytes-like object), waiting up to `timeout`
        seconds for room (None: for ever). memchan.Timeout leaves it unsent."""
        rc = None  # the first try's answer: the compiled module's, or ctypes' below
        if _fast is not None and self._h is not None:
            rc = _fast.send(self._csend, self._h, data)  # None: not taken (copied below)
            if rc == 0:
                return
            if rc is not None and (rc != _ETIMEDOUT or timeout == 0):
                self._fail(rc, "mc_chan_send")
        if type(data) is bytes:
            ref, n = ctypes.c_char_p(data), len(data)
        else:
            keep, n = _address_of(data)
            ref = keep[1] if type(keep) is tuple else ctypes.c_char_p(keep)
        ln = ctypes.c_size_t(n)
        if rc is None:
            rc = self._tsend(self._fh, ref, ln, self._zero)
        if rc == _ETIMEDOUT and timeout != 0:
            rc = self._wait(lambda t: self._fsend(self._fh, ref, ln, t), timeout)
        if rc:
            self._fail(rc, "mc_chan_send")

    def _wait(self, call, timeout):
        """call(ms as a c_int) until it is not MC_ETIMEDOUT or the timeout has passed: one
        slice straight away (the common case: the peer answers within it), then sliced()."""
        total = -1 if timeout is None else to_ms(timeout)
        if total < 0 or total > _core.SLICE_MS:
            rc = call(self._fslice)
            if rc != _ETIMEDOUT:
                return rc
            if total > 0:
                total -= _core.SLICE_MS
        return sliced(lambda t: call(ctypes.c_int(t)), total)

    def reserve(self, size, timeout=None):
        """Zero-copy send: a writable memoryview of `size` bytes inside the channel; fill it
        and commit(). The view is taken back at commit (using it after raises)."""
        d = _core.dll()
        rc = sliced(lambda ms: d.mc_chan_reserve(self._h, size, self._ptrp, ms), to_ms(timeout))
        if rc:
            self._fail(rc, "mc_chan_reserve")
        self._reserved = size
        self._view = _core.View(self._ptr.value, size, readonly=False)
        return self._view.mv

    def commit(self, size=None):
        """Sends size (default: all reserved) bytes of the reserved buffer. memchan.BadState,
        and nothing sent, while an object made from the view (a slice, a numpy array) lives
        (reserved_view() gives the buffer again)."""
        if self._view is not None:
            self._view.end("commit")
            self._view = None
        rc = _core.dll().mc_chan_commit(self._h, self._reserved if size is None else size)
        if rc:
            self._fail(rc, "mc_chan_commit")

    def reserved_view(self):
        """The buffer of the pending reserve again (after a refused commit took the view)."""
        if self._view is None or self._view.readonly:
            bs = _core._errors.CLASSES["BadState"]
            raise bs("nothing is reserved", bs.code, "reserved_view")
        return self._view.renew()

    def close_send(self):
        """End of stream from this sender: receivers get the rest, then the end."""
        rc = _core.dll().mc_chan_close_send(self._h)
        if rc:
            self._fail(rc, "mc_chan_close_send")

    def abort(self, code=0):
        """Ends the stream with a reason: receivers drain, then get memchan.Aborted (and
        ends().abort_code is `code`)."""
        rc = _core.dll().mc_chan_abort(self._h, code)
        if rc:
            self._fail(rc, "mc_chan_abort")

    # ---- receiving ------------------------------------------------------------------------
    def recv_into(self, buffer, timeout=None):
        """Receives one message into `buffer` (a writable bytes-like object: bytearray,
        memoryview, numpy array) and returns its length. memchan.NoSpace (.needed = its
        size) when it does not fit: the message stays queued. A call that had to wait (or
        found the buffer too small) leaves the buffer exported until another is used that
        way or the channel closes - a bytearray cannot be resized meanwhile; a call that
        took a waiting message at once holds it for the call only."""
        rc = None  # the first try's answer: the compiled module's, or ctypes' below
        if _fast is not None and self._h is not None:
            rc = _fast.recv(self._crecv, self._h, buffer)  # None: not taken (_writable says why)
            if rc is not None and rc >= 0:
                return rc
            if rc is not None and rc != _ETIMEDOUT and rc != _ENOSPC:
                self._fail(rc, "mc_chan_recv")
        c = self._into
        if c is None or c[0] is not buffer:
            c = self._into = _writable(buffer)
        if rc is None or rc == _ENOSPC:  # not tried yet, or the message's size is wanted
            rc = self._trecv(self._fh, c[2], c[3], self._lenp, self._zero)
            if rc == 0:
                return self._len.value
        if rc == _ETIMEDOUT and timeout != 0:
            rc = self._wait(lambda t: self._frecv(self._fh, c[2], c[3], self._lenp, t), timeout)
            if rc == 0:
                return self._len.value
        if rc == _ENOSPC:
            e = _core._errors.make(_core.dll(), rc, "mc_chan_recv",
                                   "the message has %d bytes" % self._len.value)
            e.needed = self._len.value
            raise e
        self._fail(rc, "mc_chan_recv")

    def recv(self, timeout=None):
        """Receives one message as bytes, waiting up to `timeout` seconds (None: for ever).
        memchan.Closed at the end of the stream, memchan.Aborted, memchan.PeerDead."""
        b = self._buf
        if b is None:
            b = self._buf = ctypes.create_string_buffer(4096)
        while True:
            try:
                n = self.recv_into(b, timeout)
            except _core._errors.CLASSES["NoSpace"] as e:
                b = self._buf = ctypes.create_string_buffer(e.needed)
                continue
            return ctypes.string_at(ctypes.addressof(b), n)

    def peek(self, timeout=None):
        """Zero-copy receive: the next message as a read-only memoryview into the channel,
        valid until consume() (after which using it raises ValueError). numpy.frombuffer
        works on it; delete what you made from it before consume. Peeking again before
        consume gives the same message (in a new view if a refused consume took the old)."""
        if self._view is not None and self._view.readonly:
            return self._view.renew()
        d = _core.dll()
        rc = sliced(lambda ms: d.mc_chan_peek(self._h, self._ptrp, self._lenp, ms),
                    to_ms(timeout))
        if rc:
            self._fail(rc, "mc_chan_peek")
        self._view = _core.View(self._ptr.value or 0, self._len.value, readonly=True)
        return self._view.mv

    def consume(self):
        """Removes the peeked message. memchan.BadState, and the message stays (peek gives
        it again), while an object made from its view (a slice, a numpy array) is alive."""
        if self._view is not None:
            self._view.end("consume")
            self._view = None
        rc = _core.dll().mc_chan_consume(self._h)
        if rc:
            self._fail(rc, "mc_chan_consume")

    def __iter__(self):
        """Every message as bytes until the end of the stream (memchan.Closed ends the loop;
        Aborted and PeerDead are raised: the stream did not end well)."""
        closed = _core._errors.CLASSES["Closed"]
        while True:
            try:
                msg = self.recv()
            except closed:
                return
            yield msg

    def views(self, timeout=None):
        """Zero-copy iteration: each message as peek() gives it, consumed when the loop asks
        for the next one (or ends). Ends at the end of the stream, as iteration does."""
        closed = _core._errors.CLASSES["Closed"]
        while True:
            try:
                mv = self.peek(timeout)
            except closed:
                return
            try:
                yield mv
            finally:
                del mv
                if self._view is not None:
                    self.consume()

    # ---- looking at it --------------------------------------------------------------------
    def stats(self):
        """This end's counters since it was opened (memchan.Stats)."""
        s = _lib.ChanStats()
        rc = _core.dll().mc_chan_get_stats(self._h, ctypes.byref(s))
        if rc:
            self._fail(rc, "mc_chan_get_stats")
        return Stats(*(getattr(s, f) for f in Stats._fields))

    def ends(self):
        """Who is attached to the channel now (memchan.Ends)."""
        e = _lib.ChanEnds()
        rc = _core.dll().mc_chan_get_ends(self._h, ctypes.byref(e))
        if rc:
            self._fail(rc, "mc_chan_get_ends")
        return Ends(*(getattr(e, f) for f in Ends._fields))

    def fileno(self):
        """The OS handle (a file descriptor) that is readable when this end may proceed, for
        select/poll/selectors (docs/channels.md: call with timeout 0 until Timeout)."""
        fd = ctypes.c_ssize_t()
        rc = _core.dll().mc_chan_os_handle(self._h, ctypes.byref(fd))
        if rc:
            self._fail(rc, "mc_chan_os_handle")
        return fd.value

    # ---- ending ---------------------------------------------------------------------------
    def close(self):
        """Closes this end (a sender's close ends its stream). Idempotent. While an object
        made from a peeked or reserved view is alive, the handle stays open underneath until
        that object is gone, so it never reads unmapped memory."""
        h, self._h = self._h, None
        self._fh = ctypes.c_void_p(None)  # the fast calls now fail (EINVAL: reported closed)
        self._into = self._buf = None
        if h is None:
            return
        v, self._view = self._view, None
        _core.close_when_free(_core.dll().mc_chan_close, h, v)

    def __repr__(self):
        role = {NONE: "NONE", SEND: "SEND", RECV: "RECV"}.get(self.role, self.role)
        return "<memchan.Channel %r %s%s>" % (self.name, role, "" if self._h else " closed")


def _writable(buffer):
    """(buffer, export, address, bytes) for a writable, contiguous buffer."""
    mv = memoryview(buffer)
    if mv.readonly:
        raise TypeError("recv_into needs a writable buffer (bytearray, memoryview, numpy array)")
    n = mv.nbytes
    mv.release()
    if n == 0:
        return (buffer, None, ctypes.c_void_p(None), ctypes.c_size_t(0))
    if not memoryview(buffer).c_contiguous:
        raise ValueError("recv_into needs a contiguous buffer")
    exp = ctypes.c_char.from_buffer(buffer)  # one byte's type: no array type made per size
    return (buffer, exp, ctypes.c_void_p(ctypes.addressof(exp)), ctypes.c_size_t(n))


def _address_of(data):
    """(something ctypes passes as a pointer, length) for any bytes-like object, without a
    copy when it is writable and contiguous."""
    mv = memoryview(data)
    n = mv.nbytes
    if n == 0:
        return (None, ctypes.c_void_p(None)), 0
    if not mv.readonly and mv.c_contiguous:
        exp = ctypes.c_char.from_buffer(mv)  # held by the caller for the call
        return (exp, ctypes.c_void_p(ctypes.addressof(exp))), n
    return mv.tobytes(), n
