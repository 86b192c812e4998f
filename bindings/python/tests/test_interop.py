"""Python meets C on the same channels, and Python ends that die or are interrupted. Every
wait is bounded (timeouts here, pytest-timeout above them); ends meet on events."""
import os
import signal
import struct
import subprocess
import sys
import threading

import pytest

import memchan
from conftest import message, pypeer, seq_of

N = 3000


def test_python_sender_c_receiver(name, peer, spawn):
    tx = memchan.Channel.create(name, memchan.SEND, max_msg=4096)
    with spawn([peer, "recv", name]) as p, tx:
        for i in range(N):
            tx.send(message(i, 8 + i % 4000), timeout=10)
        tx.close()
        assert p.wait(timeout=30) == 0


def test_c_sender_python_receiver(name, peer, spawn):
    with memchan.Channel.create(name, memchan.RECV, max_msg=4096) as rx:
        p = spawn(popen=True, argv=[peer, "send", name, str(N), "200"])
        got = [seq_of(m) for m in rx]
        assert got == list(range(N))
        assert p.wait(30) == 0


def test_c_sender_python_zero_copy(name, peer, spawn):
    import numpy
    with memchan.Channel.create(name, memchan.RECV, max_msg=1 << 16) as rx:
        p = spawn(popen=True, argv=[peer, "send", name, "200", str(1 << 16)])
        for i, view in enumerate(rx.views(timeout=10)):
            a = numpy.frombuffer(view, dtype=numpy.uint8, offset=8)
            assert struct.unpack_from("=Q", view)[0] == i and (a == (i & 0xFF)).all()
            del a
        assert i == 199 and p.wait(30) == 0


def test_python_stage_in_a_c_pipeline(name, pipeline):
    """examples/pipeline's C producers and C consumer with examples/pipeline_stage.py as the
    supervisor and the transformer in between; the consumer checks every record."""
    script = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples",
                          "pipeline_stage.py")
    env = dict(os.environ, PYTHONPATH=os.environ.get("MEMCHAN_PYTHON_PATH") or
               os.path.dirname(os.path.dirname(__file__)))
    out = subprocess.run([sys.executable, script, pipeline, "--producers", "2", "--records",
                          "2000", "--name", name], env=env, capture_output=True, text=True,
                         timeout=50)
    assert out.returncode == 0, out.stderr
    assert "consumer exit 0, producers exit [0, 0], 4000 records transformed" in out.stdout


def test_broadcast_c_and_python_receivers(name, peer, spawn):
    tx = memchan.Channel.create(name, memchan.SEND, max_msg=256, broadcast=True)
    ready = memchan.Event(name + "-ready", manual_reset=True)
    p = spawn(popen=True, argv=[peer, "recv", name, name + "-ready"], stdout=subprocess.PIPE,
              text=True)
    ready.wait(timeout=10)
    rx = memchan.Channel.open(name, memchan.RECV)
    got = []
    t = threading.Thread(target=lambda: got.extend(seq_of(m) for m in rx))
    t.start()
    for i in range(N):
        tx.send(message(i, 64), timeout=10)
    tx.close()
    t.join(30)
    out, _ = p.communicate(timeout=30)
    assert got == list(range(N))
    assert p.returncode == 0 and out.startswith("peer: %d messages" % N)
    rx.close()
    ready.close()


def test_shared_work_c_receivers(name, peer, spawn):
    tx = memchan.Channel.create(name, memchan.SEND, max_msg=256, multi_recv=True)
    peers = []
    for k in range(2):
        ev = memchan.Event("%s-r%d" % (name, k), manual_reset=True)
        peers.append(spawn(popen=True, argv=[peer, "recv", name, ev.name, "gaps"],
                                      stdout=subprocess.PIPE, text=True))
        ev.wait(timeout=10)
    for i in range(N):
        tx.send(message(i, 32), timeout=10)
    tx.close()
    counts = sums = 0
    for p in peers:
        out, _ = p.communicate(timeout=30)
        assert p.returncode == 0, out
        words = out.split()
        counts += int(words[1])
        sums += int(words[4].rstrip(","))
    assert counts == N and sums == N * (N - 1) // 2  # each message to exactly one of them


def test_python_receiver_killed_mid_stream(name, spawn):
    tx = memchan.Channel.create(name, memchan.SEND, max_msg=256, capacity=4096)
    got = memchan.Event(name + "-got", manual_reset=True)
    child = spawn(pypeer("recv-hold", name, 10, got.name))
    i = 0
    while True:  # until the child has its ten and the ring is full
        try:
            tx.send(message(i, 64), timeout=0.05)
            i += 1
        except memchan.Timeout:
            try:
                got.wait(timeout=0)
                break
            except memchan.Timeout:
                pass
    child.kill()
    assert child.wait(timeout=10) == 137
    with pytest.raises(memchan.PeerDead):  # the full ring's only reader is dead
        for _ in range(1000):
            tx.send(message(i, 64), timeout=10)
    # A new receiver takes the channel over, and what it gets is in order.
    with memchan.Channel.open(name, memchan.RECV, timeout=5) as rx:
        first = seq_of(rx.recv(timeout=5))
        assert 10 <= first < i
        tx.send(message(i, 64), timeout=5)
        tx.close()
        rest = [seq_of(m) for m in rx]
        assert rest == list(range(first + 1, i + 1))
    got.close()


def test_keyboard_interrupt_in_recv_leaves_channel_usable(name, spawn):
    tx = memchan.Channel.create(name, memchan.SEND)
    ready = memchan.Event(name + "-ready", manual_reset=True)
    intr = memchan.Event(name + "-intr", manual_reset=True)
    p = spawn(popen=True, argv=pypeer("sigint", name, ready.name, intr.name))
    ready.wait(timeout=10)
    p.send_signal(signal.SIGINT)
    intr.wait(timeout=10)  # a recv with no timeout was interrupted
    tx.send(b"after", timeout=5)
    assert p.wait(30) == 0  # ... and the same channel then received
    tx.close()
    ready.close()
    intr.close()


def test_tutorial_quotes_the_python_stage_verbatim():
    """docs/tutorial.md's Python blocks are pieces of examples/pipeline_stage.py, as its C
    blocks are of examples/pipeline (tests/pipeline/tutorial.sh)."""
    import re
    from conftest import TOP
    doc = open(os.path.join(TOP, "docs", "tutorial.md")).read()
    src = open(os.path.join(TOP, "bindings", "python", "examples", "pipeline_stage.py")).read()
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) == 4
    for b in blocks:
        assert b in src, "not in pipeline_stage.py:\n" + b
