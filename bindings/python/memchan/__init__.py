"""memchan for Python: channels, blocks and named sync objects over libmemchan (ctypes).

    import memchan
    rx = memchan.Channel.create("name", memchan.RECV)
    tx = memchan.Channel.open("name", memchan.SEND, timeout=5.0)
    tx.send(b"bytes"); data = rx.recv(timeout=1.0)
    for msg in rx: ...          # ends at the end of the stream

Timeouts are seconds (float; None = for ever). Errors are memchan.Error and its subclasses,
one per MC_E* code (.code). The library is found through $MEMCHAN_LIBRARY or the system's
library path; memchan.load_library(path) loads it from elsewhere. docs/python.md has more.
"""
from . import _core, _errors
from ._core import load_library
from ._errors import Error
from ._lib import ENV_VAR, LibraryNotFound
from .block import ANY_USER, PERSIST, READ, UNPROTECTED, WRITE, Block
from .channel import (BROADCAST, DROP_OLDEST, MULTI_RECV, MULTI_SEND, NONE, RECV, RING, SEND,
                      SLOT, Channel, Ends, Stats)
from .process import Process, self_path
from .sync import SWMR, Event, Mutex, Semaphore

__version__ = "0.1.0"

_core.try_load_at_import()
globals().update(_errors.CLASSES)  # Timeout, Closed, PeerDead, Aborted, Corrupt, ...


def library_version():
    """The loaded libmemchan's version ("MAJOR.MINOR.PATCH")."""
    return _core.dll().mc_version().decode()


def strerror(code):
    """The library's text for an MC_E* code."""
    return _core.dll().mc_strerror(code).decode()


__all__ = ["Channel", "Block", "Event", "Mutex", "Semaphore", "SWMR", "Process", "self_path",
           "Error", "LibraryNotFound", "load_library", "library_version", "strerror", "Stats",
           "Ends", "NONE", "SEND", "RECV", "RING", "SLOT", "MULTI_SEND", "MULTI_RECV",
           "BROADCAST", "DROP_OLDEST", "READ", "WRITE", "UNPROTECTED", "PERSIST", "ANY_USER",
           "ENV_VAR"] + sorted(_errors.CLASSES)
