"""Processes: start another program (mc_proc_spawn), wait for it, kill it."""
import ctypes

from . import _core
from ._core import check, sliced, to_ms


class Process:
    """A started program. Process([path, arg, ...]) starts it; every argument reaches it
    intact (spaces and quotes included)."""

    def __init__(self, argv):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in argv]
        if not args:
            raise ValueError("Process needs at least the program's path")
        arr = (ctypes.c_char_p * (len(args) + 1))(*args, None)
        h = ctypes.c_void_p()
        check(_core.dll().mc_proc_spawn(arr, ctypes.byref(h)), "mc_proc_spawn", args[0].decode())
        self._h = h.value
        self.argv = list(argv)
        self.returncode = None

    def wait(self, timeout=None):
        """Waits for it to end and returns its exit code (128 + signal when a signal ended
        it; 137 after kill). memchan.Timeout when not within timeout."""
        if self.returncode is not None:
            return self.returncode
        d, code = _core.dll(), ctypes.c_int()
        rc = sliced(lambda ms: d.mc_proc_wait(self._h, ms, ctypes.byref(code)), to_ms(timeout))
        check(rc, "mc_proc_wait", str(self.argv[0]))
        self.returncode = code.value
        return self.returncode

    def kill(self):
        """Ends it at once (SIGKILL); nothing happens when it has ended already."""
        check(_core.dll().mc_proc_kill(self._h), "mc_proc_kill", str(self.argv[0]))

    def close(self):
        """Frees the handle (does not wait or kill)."""
        h, self._h = self._h, None
        if h is not None:
            _core.dll().mc_proc_free(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        """Waits for the program to end, as subprocess.Popen's `with` does."""
        try:
            if self._h is not None:
                self.wait()
        finally:
            self.close()

    def __del__(self):
        if getattr(self, "_h", None) is not None:
            self.close()


def self_path():
    """This program's executable (the Python interpreter, here)."""
    buf = ctypes.create_string_buffer(4096)
    check(_core.dll().mc_self_path(buf, len(buf)), "mc_self_path")
    return buf.value.decode()
