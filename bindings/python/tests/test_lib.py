"""The binding against the header: every ctypes prototype as include/memchan.h declares the
function, the error classes as the library's table has them, loading and its errors."""
import ctypes
import os
import re
import subprocess
import sys

import pytest

import memchan
from memchan import _core, _errors, _lib
from conftest import TOP

HEADER = open(os.path.join(TOP, "include", "memchan.h")).read()

# C parameter / result types -> the ctypes type the prototype must use.
SCALARS = {"int": ctypes.c_int, "unsigned": ctypes.c_uint, "uint8_t": ctypes.c_uint8,
           "uint16_t": ctypes.c_uint16, "uint32_t": ctypes.c_uint32,
           "uint64_t": ctypes.c_uint64, "size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64}
STRUCTS = {"mc_shm_options": _lib.ShmOptions, "mc_chan_options": _lib.ChanOptions,
           "mc_chan_stats": _lib.ChanStats, "mc_chan_ends": _lib.ChanEnds}


def expected(ctype):
    t = re.sub(r"\bconst\b", "", ctype).strip()
    stars = t.count("*")
    base = t.replace("*", "").split()
    base = base[0] if base else ""
    if t == "void":
        return None
    if stars == 0:
        return SCALARS[base]
    if base == "char" and stars == 1:
        return (ctypes.c_char_p, ctypes.c_void_p)  # text in, or a buffer filled
    if base == "char" and stars == 2:
        return ctypes.POINTER(ctypes.c_char_p)
    if base == "void" and stars == 1:
        return ctypes.c_void_p
    if base in STRUCTS and stars == 1:
        return ctypes.POINTER(STRUCTS[base])
    if base == "mc_os_handle" and stars == 1:
        return ctypes.POINTER(ctypes.c_ssize_t)
    if base in SCALARS and stars == 1:
        return ctypes.POINTER(SCALARS[base])
    if stars == 1:  # an opaque handle
        return ctypes.c_void_p
    return ctypes.POINTER(ctypes.c_void_p)  # a handle or data pointer coming back


def declared(name):
    m = re.search(r"MC_EXTERN\s+([\w\s\*]+?)\s*\b%s\s*\(([^)]*)\)" % name, HEADER)
    assert m, "%s is not declared in include/memchan.h" % name
    ret = m.group(1).strip()
    params = [p.strip() for p in m.group(2).split(",") if p.strip() not in ("", "void")]
    # Drop each parameter's name: the last word (after any '*').
    types = [re.sub(r"[\w]+$", "", p).strip() for p in params]
    types = [t.replace("[]", "*") for t in types]
    return ret, types, params


@pytest.mark.parametrize("name", sorted(_lib.PROTOTYPES))
def test_prototype_matches_header(name):
    ret, types, params = declared(name)
    restype, argtypes = _lib.PROTOTYPES[name]
    want = expected(ret)
    assert restype is want or restype in (want if isinstance(want, tuple) else ()), ret
    assert len(argtypes) == len(types), (name, params)
    for have, ctype, p in zip(argtypes, types, params):
        if "argv[]" in p:  # const char *const argv[]
            assert have is ctypes.POINTER(ctypes.c_char_p)
            continue
        want = expected(ctype)
        ok = have is want or (isinstance(want, tuple) and have in want)
        assert ok, "%s: parameter %r is %r, not %r" % (name, p, have, want)


def test_fast_calls_get_the_declared_types(name, monkeypatch):
    """The per-message calls pass ctypes objects of the prototype's types (_lib.FAST)."""
    monkeypatch.setattr(memchan.channel, "_fast", None)  # the ctypes path
    captured = []
    rx = memchan.Channel.create(name, memchan.RECV)
    tx = memchan.Channel.open(name, memchan.SEND)
    for ch, attr in ((rx, "_trecv"), (rx, "_frecv"), (tx, "_tsend"), (tx, "_fsend")):
        real = getattr(ch, attr)
        setattr(ch, attr, lambda *a, real=real: captured.append((real.prototype, a)) or real(*a))
    with pytest.raises(memchan.Timeout):
        rx.recv_into(bytearray(8), timeout=0.01)  # a try, then a wait
    tx.send(b"x", timeout=0.01)
    for proto, args in captured:
        assert len(proto) == len(args)
        for t, a in zip(proto, args):
            if t is ctypes.POINTER(ctypes.c_size_t):
                assert type(a).__name__ == "CArgObject" and isinstance(a._obj, ctypes.c_size_t)
            elif t is ctypes.c_void_p:
                assert isinstance(a, (ctypes.c_void_p, ctypes.c_char_p))
            else:
                assert isinstance(a, t), (t, a)
    assert len(captured) == 3  # the recv's try and its wait, the send's try
    rx.close()
    tx.close()


def test_errors_come_from_the_library_table():
    table = re.findall(r"X\((\w+), (-?\d+), \"", HEADER)
    for cname, value in table[1:]:  # OK is no error
        cls = _errors.BY_CODE[int(value)]
        assert cls.name == "MC_" + cname and cls.code == int(value)
        assert issubclass(cls, memchan.Error)
        assert memchan.strerror(int(value)) and getattr(memchan, cls.__name__) is cls
    assert len(_errors.BY_CODE) == len(table) - 1
    for n in ("Timeout", "Closed", "PeerDead", "Aborted", "Corrupt", "Busy", "NotFound"):
        assert issubclass(getattr(memchan, n), memchan.Error)


def test_version_is_the_headers():
    v = [re.search(r"#define MC_VERSION_%s (\d+)" % k, HEADER).group(1)
         for k in ("MAJOR", "MINOR", "PATCH")]
    assert memchan.library_version() == ".".join(v)


def test_timeouts_in_seconds():
    assert _core.to_ms(None) == -1 and _core.to_ms(0) == 0 and _core.to_ms(1.5) == 1500
    assert _core.to_ms(0.0001) == 1  # a positive wait never becomes "do not wait"
    with pytest.raises(ValueError):
        _core.to_ms(-0.5)


def test_missing_library_is_a_clear_error(tmp_path):
    with pytest.raises(memchan.LibraryNotFound) as e:
        _lib.load(str(tmp_path / "libnothing.so"))
    assert "libnothing.so" in str(e.value)
    code = ("import memchan\n"
            "try:\n    memchan.Channel.create('x', memchan.RECV)\n"
            "except memchan.LibraryNotFound as e:\n    print(e)\n")
    env = dict(os.environ, MEMCHAN_LIBRARY=str(tmp_path / "missing.so"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)), timeout=30)
    assert "MEMCHAN_LIBRARY=" in out.stdout and "missing.so" in out.stdout, out


def test_explicit_path_loads(tmp_path):
    dll = memchan.load_library(os.environ["MEMCHAN_LIBRARY"])
    assert dll.mc_version().decode() == memchan.library_version()
