"""The compiled per-message calls (memchan/_fast.c): used when built, the same answers as the
ctypes path, and safe against what a caller could hand them."""
import os

import pytest

import memchan
from memchan import channel

# run-tests.sh builds the module and says so: then its absence is a failure, not a fallback.
REQUIRED = os.environ.get("MEMCHAN_REQUIRE_FAST") == "1"


def need_fast():
    if channel._fast is None:
        if REQUIRED:
            pytest.fail("memchan._fast was not built or does not import")
        return False
    return True


def test_the_compiled_module_is_there_when_built():
    if REQUIRED:
        assert channel._fast is not None, "memchan._fast was not built or does not import"
    else:  # a tree without it: the binding still works, through ctypes
        assert channel._fast is None or hasattr(channel._fast, "recv")


def test_a_waiting_message_is_taken_without_ctypes(name):
    if not need_fast():
        return
    rx = memchan.Channel.create(name, memchan.RECV)
    tx = memchan.Channel.open(name, memchan.SEND)

    def no_ctypes(*a):
        raise AssertionError("the ctypes try was used")

    rx._trecv = tx._tsend = no_ctypes
    tx.send(b"hello")
    tx.send(bytearray(b"world!"))
    buf = bytearray(16)
    assert rx.recv_into(buf) == 5 and bytes(buf[:5]) == b"hello"
    assert rx.recv_into(memoryview(buf)[4:]) == 6 and bytes(buf[4:10]) == b"world!"
    rx.close()
    tx.close()


def test_the_slow_cases_fall_back_to_ctypes(name):
    """A non-contiguous buffer, a buffer too small, a read-only one, an empty channel: the
    same answers as without the module."""
    if not need_fast():
        return
    rx = memchan.Channel.create(name, memchan.RECV)
    tx = memchan.Channel.open(name, memchan.SEND)
    tx.send(memoryview(b"abcdefgh")[::2])  # not contiguous: copied, then sent
    small = bytearray(2)
    with pytest.raises(memchan.NoSpace) as e:
        rx.recv_into(small)
    assert e.value.needed == 4  # the message stays queued
    with pytest.raises(TypeError):
        rx.recv_into(b"read-only")
    out = bytearray(8)
    assert rx.recv_into(out) == 4 and bytes(out[:4]) == b"aceg"
    with pytest.raises(memchan.Timeout):
        rx.recv_into(out, timeout=0)
    with pytest.raises(memchan.Timeout):
        rx.recv_into(out, timeout=0.02)  # a try, then a wait through ctypes
    tx.close()
    with pytest.raises(memchan.Closed):
        rx.recv_into(out)
    rx.close()
    with pytest.raises(memchan.BadState):
        rx.recv_into(out)  # closed: never handed to the module


def test_numpy_arrays_the_module_does_not_take(name):
    """A strided or read-only numpy array: the same answers as the ctypes path (a copy sent;
    TypeError for a read-only receive buffer)."""
    import numpy
    rx = memchan.Channel.create(name, memchan.RECV)
    tx = memchan.Channel.open(name, memchan.SEND)
    a = numpy.arange(8, dtype=numpy.uint8)
    tx.send(a[::2])  # not contiguous: copied, then sent
    ro = numpy.zeros(8, dtype=numpy.uint8)
    ro.flags.writeable = False
    with pytest.raises(TypeError):
        rx.recv_into(ro)
    out = numpy.zeros(8, dtype=numpy.uint8)
    assert rx.recv_into(out) == 4 and list(out[:4]) == [0, 2, 4, 6]
    rx.close()
    tx.close()


def test_bad_arguments_are_errors_not_crashes():
    if not need_fast():
        return
    fast = channel._fast
    buf = bytearray(8)
    with pytest.raises(TypeError):
        fast.recv(1, 2)
    with pytest.raises(TypeError):
        fast.send(1, 2, 3, 4)
    with pytest.raises(ValueError):
        fast.recv(0, 1, buf)  # a NULL function
    with pytest.raises(ValueError):
        fast.send(1, 0, b"x")  # a NULL channel
    with pytest.raises(TypeError):
        fast.recv("f", 1, buf)
    # Buffers it does not take are refused before anything is called (None: the binding's
    # ctypes path answers), whoever refuses them (numpy says ValueError, bytes BufferError).
    assert fast.recv(1, 1, b"read-only") is None
    assert fast.send(1, 1, 42) is None  # not bytes-like
    assert fast.send(1, 1, memoryview(b"abcd")[::2]) is None  # not contiguous
