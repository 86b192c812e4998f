"""Blocks from Python: acquire, the data view, typed values, text, resizing, snapshots."""
import numpy
import pytest

import memchan


def test_acquire_view_and_typed_values(name):
    with memchan.Block.open(name, 64, create=True) as w, memchan.Block.open(name) as r:
        assert w.created and not r.created and r.size == 64 and w.name == name
        with w.acquire(memchan.WRITE, timeout=1.0) as data:
            assert len(data) == 64 and not data.readonly
            data[0:5] = b"hello"
            w.set_u16(6, 0xBEEF)
            w.set_u32_idx(2, 0xDEADBEEF)  # bytes 8..11
            w.set_u64(56, 2**64 - 1)
            with pytest.raises(memchan.OutOfRange):
                w.set_u64(57, 1)  # past the end: all or nothing
            with pytest.raises(ValueError):
                w.set_u8(0, 256)
        assert w.change_count == 1 and r.modified
        with r.acquire(memchan.READ, timeout=1.0) as data:
            assert data.readonly and bytes(data[:5]) == b"hello"
            assert r.get_u16(6) == 0xBEEF and r.get_u32(8) == 0xDEADBEEF
            assert r.get_u64_idx(7) == 2**64 - 1 and r.get_u8(0) == ord("h")
            assert r.read(60, 10) == b"\xff" * 4  # what fits
            with pytest.raises(memchan.BadState):
                r.set_u8(0, 1)  # acquired for read
        with pytest.raises(memchan.BadState):
            r.get_u8(0)  # not acquired
        with pytest.raises(memchan.BadState):
            r.data


def test_writer_excludes_writer(name):
    with memchan.Block.open(name, 16) as a, memchan.Block.open(name) as b:
        with a.acquire(memchan.WRITE):
            with pytest.raises(memchan.Timeout):
                b.acquire(memchan.WRITE, timeout=0.1)
        with b.acquire(memchan.WRITE):
            pass


def test_release_refused_while_numpy_uses_the_data(name):
    with memchan.Block.open(name, 64) as blk:
        blk.acquire(memchan.WRITE)
        arr = numpy.frombuffer(blk.data, dtype=numpy.uint32)
        arr[:] = 7
        with pytest.raises(memchan.BadState):
            blk.release()
        del arr
        blk.release()
        with blk.acquire(memchan.READ) as data:
            assert numpy.frombuffer(data, dtype=numpy.uint32).sum() == 7 * 16


def test_strings_resize_snapshot(name):
    with memchan.Block.open(name, 0, max_size=1 << 20) as blk:
        with blk.acquire(memchan.WRITE):
            blk.set_string("grüße " * 100)  # grows the block to fit
            assert blk.size >= 4 + len("grüße ".encode()) * 100
            assert blk.get_string() == "grüße " * 100
            assert len(blk.data) == blk.size
            blk.resize(8192)
            assert len(blk.data) == 8192 and blk.data[-1] == 0
            blk.data[-1] = 5
            snap = blk.snapshot()
            blk.data[-1] = 6
            with pytest.raises(memchan.NoSpace):
                blk.resize(2 << 20)
        with snap, snap.acquire(memchan.READ) as data:
            assert data[-1] == 5 and snap.get_string().startswith("grüße")
            with pytest.raises(memchan.BadState):
                snap.write(0, b"x")


def test_open_only_and_create_only(name):
    with pytest.raises(memchan.NotFound):
        memchan.Block.open(name, open_only=True)
    with memchan.Block.open(name, 32, create=True):
        with pytest.raises(memchan.Exists):
            memchan.Block.open(name, 32, create=True)
        with pytest.raises(memchan.Mismatch):
            memchan.Block.open(name, 64)
    with pytest.raises(memchan.InvalidArgument):
        memchan.Block.open(name, 0, create=True)  # a fixed block of no size
