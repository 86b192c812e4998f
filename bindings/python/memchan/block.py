"""Shared memory blocks (docs/core.md): guarded access, a memoryview over the data, typed
values, text, resizing, snapshots."""
import ctypes

from . import _core, _lib
from ._core import check, name_arg, sliced, to_ms

READ, WRITE = 0, 1
CREATE, OPEN, UNPROTECTED, PERSIST, ANY_USER = 1, 2, 4, 8, 16  # mc_shm_options.flags

_TYPES = {"u8": ctypes.c_uint8, "u16": ctypes.c_uint16, "u32": ctypes.c_uint32,
          "u64": ctypes.c_uint64}


class Block(_core.Closing):
    """A handle to a named shared memory block. Block.open creates or opens one; acquire it
    (a context manager) to use its data."""

    def __init__(self, handle):
        self._h = handle
        self._view = None
        self._access = None
        self.owner_died = False  # the last acquire found that a writer had died holding it

    @classmethod
    def open(cls, name=None, size=0, *, max_size=0, create=False, open_only=False,
             unprotected=False, persist=False, any_user=False, flags=0, mode=0, timeout=None,
             path=None):
        """Creates or opens the block `name` (None: a new block with a fresh name, see .name).
        size: data bytes (0 when opening: the block's); max_size: resizable up to it.
        create=True: create only (memchan.Exists); open_only=True: open only
        (memchan.NotFound). timeout: how long to wait for a creator still initialising
        (None: the library's 5 s). path: a file the block lives in (docs/core.md)."""
        flags |= ((CREATE if create else 0) | (OPEN if open_only else 0) |
                  (UNPROTECTED if unprotected else 0) | (PERSIST if persist else 0) |
                  (ANY_USER if any_user else 0))
        ms = 0 if timeout is None else to_ms(timeout)
        if ms == 0 and timeout is not None:
            ms = 1  # 0 would mean the default
        opt = _lib.ShmOptions(size=size, max_size=max_size, flags=flags, mode=mode,
                              timeout_ms=-1 if ms < 0 else ms,
                              path=None if path is None else str(path).encode())
        h = ctypes.c_void_p()
        check(_core.dll().mc_shm_open(name_arg(name), ctypes.byref(opt), ctypes.byref(h)),
              "mc_shm_open", name)
        return cls(h.value)

    @staticmethod
    def unlink(name):
        """POSIX: removes the name now (holders keep what they mapped)."""
        check(_core.dll().mc_shm_unlink(name_arg(name)), "mc_shm_unlink", name)

    def _handle(self, call):
        if self._h is None:
            bs = _core._errors.CLASSES["BadState"]
            raise bs("%s: the block is closed" % call, bs.code, call)
        return self._h

    def _call(self, fname, *args):
        rc = getattr(_core.dll(), fname)(self._handle(fname), *args)
        if rc:
            check(rc, fname, self.name)

    name = property(lambda self: _core.dll().mc_shm_name(self._h).decode())
    created = property(lambda self: bool(_core.dll().mc_shm_created(self._h)))
    size = property(lambda self: _core.dll().mc_shm_size(self._h))
    max_size = property(lambda self: _core.dll().mc_shm_max_size(self._h))
    change_count = property(lambda self: _core.dll().mc_shm_change_count(self._h))
    modified = property(lambda self: bool(_core.dll().mc_shm_modified(self._h)))

    # ---- access ---------------------------------------------------------------------------
    def acquire(self, access=READ, timeout=None):
        """Takes the block for READ (with other readers) or WRITE (alone), waiting up to
        `timeout` seconds (None: for ever). Returns a context manager whose value is the
        data as a memoryview (read-only for READ); release() or the end of the `with`
        takes the view back. owner_died tells whether a writer died holding the block (the
        data may be half-written): acquired all the same."""
        d, p = _core.dll(), ctypes.c_void_p()
        h = self._handle("mc_shm_acquire")
        rc = sliced(lambda ms: d.mc_shm_acquire(h, access, ms, ctypes.byref(p)), to_ms(timeout))
        self.owner_died = rc == _core._errors.CLASSES["OwnerDead"].code
        if rc and not self.owner_died:
            check(rc, "mc_shm_acquire", self.name)
        self._access, self._addr = access, p.value
        self._new_view()
        return _Acquired(self)

    def _new_view(self):
        self._view = _core.View(self._addr, self.size, readonly=self._access == READ)

    @property
    def data(self):
        """The data as a memoryview, while acquired (memchan.BadState otherwise)."""
        if self._view is None:
            bs = _core._errors.CLASSES["BadState"]
            raise bs("the block is not acquired", bs.code, "data")
        return self._view.renew()

    def release(self):
        """Gives the block back (a writer's release bumps the change count). memchan.BadState,
        still acquired, while an object made from the data view is alive."""
        if self._view is not None:
            self._view.end("mc_shm_release")
            self._view = None
        self._call("mc_shm_release")
        self._access = None

    def resize(self, size):
        """Acquired for WRITE, resizable: the data becomes `size` bytes (growth reads as
        zeros); the data view is renewed (the old one must have nothing made from it)."""
        if self._view is not None:
            self._view.end("mc_shm_resize")
            self._view = None
        try:
            self._call("mc_shm_resize", size)
        finally:
            if self._access is not None:
                self._new_view()

    def read(self, offset, length):
        """Up to `length` bytes from `offset` (fewer at the end of the block), as bytes."""
        buf = ctypes.create_string_buffer(length)
        done = ctypes.c_size_t()
        self._call("mc_shm_read", offset, buf, length, ctypes.byref(done))
        return buf.raw[:done.value]

    def write(self, offset, data):
        """Writes data at offset; returns the bytes written (fewer at the end of a block)."""
        data = bytes(data)
        done = ctypes.c_size_t()
        self._call("mc_shm_write", offset, data, len(data), ctypes.byref(done))
        return done.value

    def set_string(self, text):
        """Stores text (str: UTF-8, or bytes) as a u32 length and the bytes; grows a
        resizable block to fit."""
        b = text.encode() if isinstance(text, str) else bytes(text)
        self._call("mc_shm_set_string", b, len(b))
        v = self._view
        if v is not None and len(v.mv) != self.size and v.busy() is None:
            self._new_view()  # grown: the new view covers it (an old one in use stays valid)

    def get_bytes(self):
        """The stored text's bytes."""
        n = ctypes.c_size_t()
        rc = _core.dll().mc_shm_get_string(self._handle("mc_shm_get_string"), None, 0,
                                           ctypes.byref(n))
        if rc != _core._errors.CLASSES["NoSpace"].code:
            check(rc, "mc_shm_get_string", self.name)
        buf = ctypes.create_string_buffer(n.value + 1)
        self._call("mc_shm_get_string", buf, n.value + 1, ctypes.byref(n))
        return buf.raw[:n.value]

    def get_string(self):
        """The stored text as str (UTF-8)."""
        return self.get_bytes().decode()

    def snapshot(self):
        """A private read-only copy (a Block: acquire(READ) never waits, writes fail)."""
        h = ctypes.c_void_p()
        self._call("mc_shm_snapshot", ctypes.byref(h))
        return Block(h.value)

    def flush(self):
        """A file-backed block: its bytes to disk; nothing to do for a memory block."""
        self._call("mc_shm_flush")

    def close(self):
        """Closes the handle (releasing first). Idempotent. An object made from the data view
        that is still alive keeps the mapping until it is gone."""
        h, self._h = self._h, None
        if h is None:
            return
        v, self._view = self._view, None
        _core.close_when_free(_core.dll().mc_shm_close, h, v)

    def __repr__(self):
        if self._h is None:
            return "<memchan.Block closed>"
        return "<memchan.Block %r %d bytes>" % (self.name, self.size)


def _typed(width, idx):
    t = _TYPES[width]
    suffix = width + ("_idx" if idx else "")
    gname, sname = "mc_shm_get_" + suffix, "mc_shm_set_" + suffix
    what = "index (offset = index * width)" if idx else "byte offset"

    def get(self, at):
        v = t()
        self._call(gname, at, ctypes.byref(v))
        return v.value

    def set(self, at, value):
        if not 0 <= value < 1 << (8 * ctypes.sizeof(t)):
            raise ValueError("%r does not fit in %s" % (value, width))
        self._call(sname, at, value)

    get.__name__, set.__name__ = "get_" + suffix, "set_" + suffix
    get.__doc__ = ("The %s at this %s (native byte order; memchan.OutOfRange outside)."
                   % (width, what))
    set.__doc__ = "Stores a %s at this %s (acquired for WRITE)." % (width, what)
    return get, set


for _w in _TYPES:
    for _i in (False, True):
        _g, _s = _typed(_w, _i)
        setattr(Block, _g.__name__, _g)
        setattr(Block, _s.__name__, _s)


class _Acquired:
    """What Block.acquire returns: `with blk.acquire(WRITE) as data:` releases at the end."""
    __slots__ = ("block",)

    def __init__(self, block):
        self.block = block

    def __enter__(self):
        return self.block.data

    def __exit__(self, *exc):
        self.block.release()
