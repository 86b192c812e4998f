"""Finding libmemchan and declaring its functions to ctypes.

Every prototype below matches include/memchan.h; a function the binding calls must be listed
here (argtypes and restype both), so that ctypes never guesses an int where the C side takes
a pointer or a 64-bit value.
"""
import ctypes
import ctypes.util
import os

c_int, c_uint, c_u8, c_u16, c_u32, c_u64 = (ctypes.c_int, ctypes.c_uint, ctypes.c_uint8,
                                             ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64)
c_size, c_char_p, c_void_p = ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p
P = ctypes.POINTER


class ShmOptions(ctypes.Structure):  # mc_shm_options
    _fields_ = [("size", c_u64), ("max_size", c_u64), ("flags", c_uint), ("mode", c_uint),
                ("timeout_ms", c_int), ("path", c_char_p)]


class ChanOptions(ctypes.Structure):  # mc_chan_options
    _fields_ = [("kind", c_int), ("max_msg", c_u32), ("capacity", c_u64), ("flags", c_uint),
                ("spin_us", c_int), ("mode", c_uint)]


class ChanStats(ctypes.Structure):  # mc_chan_stats
    _fields_ = [(n, c_u64) for n in ("sent", "received", "bytes_sent", "bytes_received",
                                     "send_waits", "recv_waits", "wakeups", "dropped")]


class ChanEnds(ctypes.Structure):  # mc_chan_ends
    _fields_ = [("senders", c_int), ("receivers", c_int), ("sender_seen", c_int),
                ("receiver_seen", c_int), ("senders_closed", c_u64), ("senders_died", c_u64),
                ("aborted", c_int), ("abort_code", c_int)]


H = c_void_p  # every opaque handle (mc_chan *, mc_shm * ...)
PH = P(c_void_p)

# name: (restype, argtypes), as include/memchan.h declares them.
PROTOTYPES = {
    "mc_strerror": (c_char_p, [c_int]),
    "mc_err_name": (c_char_p, [c_int]),
    "mc_os_error": (c_int, []),
    "mc_version": (c_char_p, []),
    # blocks
    "mc_shm_open": (c_int, [c_char_p, P(ShmOptions), PH]),
    "mc_shm_close": (None, [H]),
    "mc_shm_unlink": (c_int, [c_char_p]),
    "mc_shm_flush": (c_int, [H]),
    "mc_shm_name": (c_char_p, [H]),
    "mc_shm_created": (c_int, [H]),
    "mc_shm_size": (c_u64, [H]),
    "mc_shm_max_size": (c_u64, [H]),
    "mc_shm_acquire": (c_int, [H, c_int, c_int, PH]),
    "mc_shm_release": (c_int, [H]),
    "mc_shm_resize": (c_int, [H, c_u64]),
    "mc_shm_change_count": (c_u64, [H]),
    "mc_shm_modified": (c_int, [H]),
    "mc_shm_read": (c_int, [H, c_u64, c_void_p, c_size, P(c_size)]),
    "mc_shm_write": (c_int, [H, c_u64, c_void_p, c_size, P(c_size)]),
    "mc_shm_set_string": (c_int, [H, c_char_p, c_size]),
    "mc_shm_get_string": (c_int, [H, c_void_p, c_size, P(c_size)]),
    "mc_shm_snapshot": (c_int, [H, PH]),
    # sync objects
    "mc_event_open": (c_int, [c_char_p, c_int, c_int, PH]),
    "mc_event_set": (c_int, [H]),
    "mc_event_reset": (c_int, [H]),
    "mc_event_wait": (c_int, [H, c_int]),
    "mc_event_close": (None, [H]),
    "mc_mutex_open": (c_int, [c_char_p, PH]),
    "mc_mutex_lock": (c_int, [H, c_int]),
    "mc_mutex_unlock": (c_int, [H]),
    "mc_mutex_close": (None, [H]),
    "mc_sem_open": (c_int, [c_char_p, c_u32, c_u32, PH]),
    "mc_sem_post": (c_int, [H, c_u32]),
    "mc_sem_wait": (c_int, [H, c_int]),
    "mc_sem_close": (None, [H]),
    "mc_swmr_open": (c_int, [c_char_p, PH]),
    "mc_swmr_lock_read": (c_int, [H, c_int]),
    "mc_swmr_lock_write": (c_int, [H, c_int]),
    "mc_swmr_unlock": (c_int, [H]),
    "mc_swmr_close": (None, [H]),
    # channels
    "mc_chan_create": (c_int, [c_char_p, P(ChanOptions), c_int, PH]),
    "mc_chan_open": (c_int, [c_char_p, c_int, c_int, PH]),
    "mc_chan_send": (c_int, [H, c_void_p, c_size, c_int]),
    "mc_chan_recv": (c_int, [H, c_void_p, c_size, P(c_size), c_int]),
    "mc_chan_reserve": (c_int, [H, c_size, PH, c_int]),
    "mc_chan_commit": (c_int, [H, c_size]),
    "mc_chan_peek": (c_int, [H, PH, P(c_size), c_int]),
    "mc_chan_consume": (c_int, [H]),
    "mc_chan_close_send": (c_int, [H]),
    "mc_chan_abort": (c_int, [H, c_int]),
    "mc_chan_close": (None, [H]),
    "mc_chan_name": (c_char_p, [H]),
    "mc_chan_get_stats": (c_int, [H, P(ChanStats)]),
    "mc_chan_get_ends": (c_int, [H, P(ChanEnds)]),
    "mc_chan_os_handle": (c_int, [H, P(ctypes.c_ssize_t)]),
    # processes
    "mc_proc_spawn": (c_int, [P(c_char_p), PH]),
    "mc_proc_wait": (c_int, [H, c_int, P(c_int)]),
    "mc_proc_kill": (c_int, [H]),
    "mc_proc_free": (None, [H]),
    "mc_self_path": (c_int, [ctypes.c_char_p, c_size]),
}
for _w, _t in (("u8", c_u8), ("u16", c_u16), ("u32", c_u32), ("u64", c_u64)):
    for _idx in ("", "_idx"):
        PROTOTYPES["mc_shm_get_%s%s" % (_w, _idx)] = (c_int, [H, c_u64, P(_t)])
        PROTOTYPES["mc_shm_set_%s%s" % (_w, _idx)] = (c_int, [H, c_u64, _t])

ENV_VAR = "MEMCHAN_LIBRARY"


class LibraryNotFound(ImportError):
    """libmemchan could not be loaded; the message says where it was looked for."""


def _candidates():
    """Where the library is looked for, in order: $MEMCHAN_LIBRARY (a file), then the system's
    search path (ld.so's: LD_LIBRARY_PATH, the ld.so cache, /usr/lib ...)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return [env], "%s=%s" % (ENV_VAR, env)
    names = ["libmemchan.so.0", "libmemchan.so"]
    found = ctypes.util.find_library("memchan")
    if found and found not in names:
        names.append(found)
    return names, "the system library path (%s); set %s to the file" % (", ".join(names), ENV_VAR)


def _declare(dll):
    for name, (res, args) in PROTOTYPES.items():
        fn = getattr(dll, name)  # AttributeError: a library older than this binding
        fn.restype = res
        fn.argtypes = args
    return dll


def load(path=None):
    """Loads libmemchan from `path`, or from the places _candidates lists. Raises
    LibraryNotFound naming what was tried and why each failed."""
    tried, where = ([path], path) if path else _candidates()
    errors = []
    for name in tried:
        try:
            dll = ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
            continue
        try:
            return _declare(dll)
        except AttributeError as e:
            errors.append("%s: not a matching libmemchan (%s)" % (name, e))
    raise LibraryNotFound("memchan: cannot load libmemchan from %s: %s"
                          % (where, "; ".join(errors)))


# The calls made once per message skip ctypes' argument conversion: with argtypes set, each
# argument goes through its type's from_param (a call into Python's object machinery), which
# more than doubled the cost of a 64-byte receive (0.75 M against 1.25 M calls/s here). Their
# callers pass ctypes objects of exactly the declared types (c_void_p, c_size_t, c_int ...,
# tests/test_lib.py checks them against PROTOTYPES), built once, to a second function object
# with only restype set. The first try of each call (timeout 0: it never waits) also keeps
# the GIL (PyDLL): releasing and taking it again cost another 10-15 % of a 64-byte receive.
FAST = ("mc_chan_recv", "mc_chan_send")


def fast(dll, name, keep_gil=False):
    """name's function as a function object of its own (see FAST); keep_gil: for calls that
    never wait (timeout 0) only - the GIL stays held while it runs."""
    other = (ctypes.PyDLL if keep_gil else ctypes.CDLL)(dll._name, handle=dll._handle)
    fn = getattr(other, name)
    fn.restype = PROTOTYPES[name][0]
    fn.prototype = PROTOTYPES[name][1]
    return fn
