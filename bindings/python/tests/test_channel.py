"""Channels from Python: the API's behaviour, one process (threads where two ends wait)."""
import select
import threading

import numpy
import pytest

import memchan

pytestmark = pytest.mark.usefixtures("path")  # each test on each per-message path (conftest)


def pair(name, **opt):
    rx = memchan.Channel.create(name, memchan.RECV, **opt)
    return rx, memchan.Channel.open(name, memchan.SEND, timeout=1.0)


def test_send_recv_bytes_like(name):
    rx, tx = pair(name, max_msg=256)
    with rx, tx:
        for data in (b"bytes", bytearray(b"bytearray"), memoryview(b"view"),
                     numpy.arange(4, dtype=numpy.uint32), memoryview(b"0123456789")[::2], b""):
            tx.send(data)
            assert rx.recv(timeout=1.0) == bytes(memoryview(data).tobytes())
        assert rx.stats().received == 6 and tx.stats().sent == 6


def test_iteration_ends_at_end_of_stream(name):
    rx, tx = pair(name)
    for i in range(5):
        tx.send(b"m%d" % i)
    tx.close()
    assert list(rx) == [b"m%d" % i for i in range(5)]
    with pytest.raises(memchan.Closed) as e:
        rx.recv(timeout=0)
    assert e.value.code == memchan.Closed.code and isinstance(e.value, memchan.Error)
    rx.close()


def test_timeouts_raise_timeout(name):
    rx, tx = pair(name)
    with rx, tx:
        for t in (0, 0.001, 0.12):
            with pytest.raises(memchan.Timeout) as e:
                rx.recv(timeout=t)
            assert e.value.code == memchan.Timeout.code == -6 and e.value.name == "MC_ETIMEDOUT"
        with pytest.raises(ValueError):
            rx.recv(timeout=-1)


def test_recv_into_too_small_keeps_the_message(name):
    rx, tx = pair(name)
    with rx, tx:
        tx.send(b"x" * 100)
        small, big = bytearray(10), bytearray(200)
        with pytest.raises(memchan.NoSpace) as e:
            rx.recv_into(small, timeout=1.0)
        assert e.value.needed == 100
        assert rx.recv_into(big, timeout=1.0) == 100 and big[:100] == b"x" * 100
        arr = numpy.zeros(8, dtype=numpy.uint64)
        tx.send(numpy.arange(8, dtype=numpy.uint64))
        assert rx.recv_into(arr, timeout=1.0) == 64 and list(arr) == list(range(8))
        with pytest.raises(TypeError):
            rx.recv_into(b"read-only")


def test_message_over_max_msg(name):
    rx, tx = pair(name, max_msg=64)
    with rx, tx:
        with pytest.raises(memchan.NoSpace):
            tx.send(b"y" * 65)


def test_open_errors(name):
    with pytest.raises(memchan.NotFound):
        memchan.Channel.open(name, memchan.RECV, timeout=0.1)
    with pytest.raises(memchan.InvalidArgument):
        memchan.Channel.create("bad/name", memchan.RECV)
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError too
        memchan.Channel.create("", memchan.RECV)
    rx = memchan.Channel.create(name, memchan.RECV)
    with pytest.raises(memchan.Exists):
        memchan.Channel.create(name, memchan.RECV)
    with pytest.raises(memchan.Busy):
        memchan.Channel.open(name, memchan.RECV, timeout=1.0)
    rx.close()
    rx.close()  # idempotent
    with pytest.raises(memchan.BadState):
        rx.recv(timeout=0)


def test_abort_reaches_receiver_after_drain(name):
    rx, tx = pair(name)
    with rx, tx:
        tx.send(b"last")
        tx.abort(42)
        assert rx.recv(timeout=1.0) == b"last"
        with pytest.raises(memchan.Aborted):
            rx.recv(timeout=1.0)
        ends = rx.ends()
        assert ends.aborted == 1 and ends.abort_code == 42


def test_peek_consume_zero_copy(name):
    rx, tx = pair(name)
    with rx, tx:
        tx.send(numpy.arange(16, dtype=numpy.float64))
        view = rx.peek(timeout=1.0)
        assert view.readonly and len(view) == 128
        with pytest.raises(TypeError):
            view[0] = 1
        a = numpy.frombuffer(view, dtype=numpy.float64)
        assert a.sum() == sum(range(16))
        with pytest.raises(memchan.BadState):  # a numpy array still reads the message
            rx.consume()
        del a
        view = rx.peek(timeout=0)  # the refusal took the view: peeking again gives it back
        part = view[8:16]
        with pytest.raises(memchan.BadState):  # so does a slice
            rx.consume()
        assert bytes(part) == numpy.float64(1).tobytes()  # and it is still valid
        del part
        view = rx.peek(timeout=0)
        rx.consume()
        with pytest.raises(ValueError):  # the view is gone with the message
            view[0]
        with pytest.raises(memchan.Timeout):
            rx.peek(timeout=0)


def test_reserve_commit(name):
    rx, tx = pair(name)
    with rx, tx:
        buf = tx.reserve(64, timeout=1.0)
        assert not buf.readonly and len(buf) == 64
        a = numpy.frombuffer(buf, dtype=numpy.uint8)
        a[:5] = [1, 2, 3, 4, 5]
        with pytest.raises(memchan.BadState):
            tx.commit(5)
        del a
        buf = tx.reserved_view()
        assert buf[:5] == bytes([1, 2, 3, 4, 5])
        tx.commit(5)
        with pytest.raises(ValueError):
            buf[0] = 9
        assert rx.recv(timeout=1.0) == bytes([1, 2, 3, 4, 5])


def test_views_iteration(name):
    rx, tx = pair(name)
    for i in range(3):
        tx.send(b"v%d" % i)
    tx.close()
    got = [bytes(v) for v in rx.views(timeout=1.0)]
    assert got == [b"v0", b"v1", b"v2"]
    rx.close()


def test_close_keeps_memory_for_live_views(name):
    rx, tx = pair(name)
    tx.send(b"kept")
    part = rx.peek(timeout=1.0)[0:4]
    rx.close()  # the mapping stays while `part` lives
    assert bytes(part) == b"kept"
    del part
    tx.close()
    again = memchan.Channel.create(name, memchan.RECV)  # the old one is gone: the name is free
    again.close()


def test_fileno_is_readable_when_a_message_waits(name):
    rx, tx = pair(name)
    with rx, tx:
        fd = rx.fileno()
        with pytest.raises(memchan.Timeout):
            rx.recv(timeout=0)  # arms the handle
        assert select.select([fd], [], [], 0)[0] == []
        tx.send(b"ping")
        assert select.select([fd], [], [], 5.0)[0] == [fd]
        assert rx.recv(timeout=0) == b"ping"


def test_blocking_send_waits_for_room(name):
    rx, tx = pair(name, max_msg=1024, capacity=4096)
    with rx, tx:
        n = 0
        while True:
            try:
                tx.send(b"z" * 1000, timeout=0)
                n += 1
            except memchan.Timeout:
                break
        got = []
        t = threading.Thread(target=lambda: got.extend(rx.recv(timeout=5.0) for _ in range(n + 1)))
        t.start()
        tx.send(b"w" * 1000, timeout=5.0)  # waits until the thread makes room
        t.join(10)
        assert len(got) == n + 1 and got[-1] == b"w" * 1000


def test_slot_channel(name):
    rx, tx = pair(name, kind=memchan.SLOT, max_msg=32)
    with rx, tx:
        tx.send(b"one")
        with pytest.raises(memchan.Timeout):
            tx.send(b"two", timeout=0)  # one slot
        assert rx.recv(timeout=1.0) == b"one"
