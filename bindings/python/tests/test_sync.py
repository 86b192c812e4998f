"""Events, mutexes, semaphores and SWMR guards from Python; a mutex holder that dies."""
import threading

import pytest

import memchan
from conftest import pypeer


def test_events(name):
    with memchan.Event(name, manual_reset=True) as a, memchan.Event(name, manual_reset=True) as b:
        with pytest.raises(memchan.Timeout):
            b.wait(timeout=0.05)
        a.set()
        b.wait(timeout=0)
        b.wait(timeout=0)  # manual reset: stays set
        a.reset()
        with pytest.raises(memchan.Timeout):
            b.wait(timeout=0)
    with memchan.Event(name + "x", manual_reset=True):
        with pytest.raises(memchan.Mismatch):
            memchan.Event(name + "x")  # it exists as a manual-reset event
    with memchan.Event(name + "auto", initially_set=True) as e:
        e.wait(timeout=0)
        with pytest.raises(memchan.Timeout):
            e.wait(timeout=0)  # auto reset: taken by the first wait


def test_event_wakes_a_waiting_thread(name):
    with memchan.Event(name) as e:
        t = threading.Thread(target=lambda: memchan.Event(name).wait(timeout=10))
        t.start()
        e.set()
        t.join(15)
        assert not t.is_alive()


def test_semaphore(name):
    s = memchan.Semaphore(name, initial=1, max=2)
    s.wait(timeout=0)
    with pytest.raises(memchan.Timeout):
        s.wait(timeout=0.05)
    s.post(2)
    with pytest.raises(memchan.OutOfRange):
        s.post()
    with s:  # takes one, gives it back
        s.wait(timeout=0)
    s.wait(timeout=0)
    s.close()


def test_swmr(name):
    a, b, c = memchan.SWMR(name), memchan.SWMR(name), memchan.SWMR(name)
    with a.read(timeout=1), b.read(timeout=1):
        with pytest.raises(memchan.Timeout):
            c.lock_write(timeout=0.05)
    with c.write(timeout=1):
        with pytest.raises(memchan.Timeout):
            a.lock_read(timeout=0.05)
    with pytest.raises(memchan.BadState):
        a.unlock()
    for g in (a, b, c):
        g.close()


def test_mutex_holder_dies(name, spawn):
    m = memchan.Mutex(name)
    ready = memchan.Event(name + "-ready", manual_reset=True)
    child = spawn(pypeer("lock-die", name, ready.name))
    ready.wait(timeout=10)
    with pytest.raises(memchan.Timeout):
        m.lock(timeout=0.05)
    child.kill()
    assert child.wait(timeout=10) == 137
    child.close()
    assert m.lock(timeout=10) is True  # taken, and told its holder died
    m.unlock()
    assert m.lock(timeout=1) is False
    m.unlock()
    with pytest.raises(memchan.BadState):
        m.unlock()
    ready.close()
    with m:  # `with` holds the lock
        with pytest.raises(memchan.Timeout):
            memchan.Mutex(name).lock(timeout=0.05)  # another handle (this thread may recurse)
    m.close()


def test_process_exit_code():
    import sys
    with memchan.Process([sys.executable, "-c", "import sys; sys.exit(7)"]) as p:
        assert p.wait(timeout=30) == 7
    with pytest.raises(memchan.NotFound):
        memchan.Process(["/nonexistent/program"])
    assert memchan.self_path()
