"""A Python end for the multi-process tests, started in its own process.
  pypeer.py recv-hold NAME K GOT    receive K messages of the peers' stream, set event GOT,
                                    then hold the channel without reading (to be killed)
  pypeer.py sigint NAME READY INTR  block in recv; on KeyboardInterrupt set event INTR, then
                                    receive one more message, which must be b"after"
  pypeer.py lock-die MUTEX READY    lock the mutex, set event READY, wait (to be killed)
Exit 0 when its part went as told."""
import os
import sys

# The package under test (conftest.py): MEMCHAN_PYTHON_PATH's, or this tree's.
sys.path.insert(0, os.environ.get("MEMCHAN_PYTHON_PATH") or
                os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memchan  # noqa: E402
from streamfmt import seq_of  # noqa: E402


def main(cmd, *a):
    if cmd == "recv-hold":
        rx = memchan.Channel.open(a[0], memchan.RECV, timeout=10)
        for want in range(int(a[1])):
            assert seq_of(rx.recv(timeout=10)) == want
        memchan.Event(a[2], manual_reset=True).set()
        memchan.Event(a[0] + "-never", manual_reset=True).wait()  # until killed
    elif cmd == "sigint":
        rx = memchan.Channel.open(a[0], memchan.RECV, timeout=10)
        ready = memchan.Event(a[1], manual_reset=True)
        try:
            ready.set()
            rx.recv()  # for ever: only the interrupt ends it
            return 1
        except KeyboardInterrupt:
            memchan.Event(a[2], manual_reset=True).set()
        return 0 if rx.recv(timeout=10) == b"after" else 2
    elif cmd == "lock-die":
        m = memchan.Mutex(a[0])
        m.lock(timeout=10)
        memchan.Event(a[1], manual_reset=True).set()
        memchan.Event(a[0] + "-never", manual_reset=True).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
