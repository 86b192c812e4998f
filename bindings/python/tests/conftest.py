"""Fixtures of the binding's tests: the freshly built library (MEMCHAN_LIBRARY), the C peer
(tests/peer.c, compiled here against it), the pipeline example, unique names."""
import itertools
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
# The package under test, not an installed one: this tree's, or the one run-tests.sh built
# (MEMCHAN_PYTHON_PATH: the tree's package with its compiled module).
sys.path.insert(0, os.environ.get("MEMCHAN_PYTHON_PATH") or os.path.dirname(HERE))
sys.path.insert(0, HERE)

import memchan  # noqa: E402
from streamfmt import message, seq_of  # noqa: E402,F401

LIB = os.environ.get("MEMCHAN_LIBRARY")
if not LIB or not os.path.isfile(LIB):
    raise pytest.UsageError("MEMCHAN_LIBRARY must name the libmemchan.so under test "
                            "(scripts/run-tests sets it to the build's)")
BUILD = os.path.dirname(os.path.abspath(LIB))

_names = itertools.count()


@pytest.fixture
def name():
    """A name no other test or run uses."""
    return "pytest-%d-%d" % (os.getpid(), next(_names))


@pytest.fixture(scope="session")
def peer(tmp_path_factory):
    """The C peer's path: tests/peer.c built against the library under test."""
    out = str(tmp_path_factory.mktemp("peer") / "peer")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-I" + os.path.join(TOP, "include"), os.path.join(HERE, "peer.c"),
                    "-L" + BUILD, "-lmemchan", "-Wl,-rpath," + BUILD, "-o", out], check=True)
    return out


# The per-message calls have two paths: the compiled module (memchan/_fast.c), when built,
# and ctypes. The channel tests run on each there is.
PATHS = ["ctypes"] + (["compiled"] if memchan.channel._fast is not None else [])


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    """Each of the binding's paths for its per-message calls, in turn."""
    if request.param == "ctypes":
        monkeypatch.setattr(memchan.channel, "_fast", None)
    return request.param


@pytest.fixture(scope="session")
def pipeline():
    """examples/pipeline's program, from the same build."""
    path = os.environ.get("MEMCHAN_PIPELINE", os.path.join(BUILD, "examples", "pipeline",
                                                           "pipeline"))
    if not os.access(path, os.X_OK):
        raise pytest.UsageError("no pipeline program at %s (build the target `pipeline`, "
                                "or set MEMCHAN_PIPELINE)" % path)
    return path


def pypeer(*args):
    """argv of tests/pypeer.py with these arguments."""
    return [sys.executable, os.path.join(HERE, "pypeer.py")] + [str(a) for a in args]



@pytest.fixture
def spawn():
    """spawn(argv) starts a child as memchan.Process, spawn(argv, popen=True, ...) as
    subprocess.Popen; whatever still runs when the test ends (a failed one) is killed."""
    started = []

    def start(argv, popen=False, **kw):
        p = subprocess.Popen(argv, **kw) if popen else memchan.Process(argv)
        started.append(p)
        return p
    yield start
    for p in started:
        if isinstance(p, subprocess.Popen):
            if p.poll() is None:
                p.kill()
                p.wait()
        elif p._h is not None and p.returncode is None:
            p.kill()
            p.wait(timeout=10)
            p.close()
