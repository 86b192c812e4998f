#!/usr/bin/python3
"""examples/pipeline with its middle stage in Python: this program creates what the C
supervisor would (docs/tutorial.md), starts the C producers and the C consumer of the
pipeline program given, and transforms every record itself on the way through.
  pipeline_stage.py PIPELINE-PROGRAM [--producers N] [--records M] [--name PREFIX]
Exits 0 when every stage did its part (the consumer checks every record)."""
import argparse
import struct
import sys

import memchan

RECORD = struct.Struct("=IIQQ")  # pl_record: producer, check, seq, value
M64 = (1 << 64) - 1


def transform(value):  # pl_transform
    return (value * 3 + 1) & M64


def check(producer, seq, value):  # pl_check
    x = ((seq * 0x100000001B3) & M64) ^ value ^ (producer << 32)
    return (x ^ (x >> 32)) & 0xFFFFFFFF


def await_senders(ch, n, timeout):
    """Until n senders are attached, looking each time a wait for a message ends."""
    for _ in range(int(timeout / 0.05)):
        if ch.ends().senders >= n:
            return True
        try:
            ch.peek(timeout=0.05)  # nothing can come before go; this only paces the look
        except memchan.Timeout:
            pass
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pipeline")
    ap.add_argument("--producers", type=int, default=3)
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--name", default="pypipeline")
    o = ap.parse_args()
    n = o.name
    # What the C supervisor creates, before any stage starts, held with role NONE.
    progress = memchan.Block.open(n + "-progress", 32, unprotected=True, create=True)
    go = memchan.Event(n + "-go", manual_reset=True)
    a = memchan.Channel.create(n + "-a", memchan.NONE, max_msg=RECORD.size, multi_send=True)
    b = memchan.Channel.create(n + "-b", memchan.NONE, max_msg=RECORD.size)
    rx = memchan.Channel.open(n + "-a", memchan.RECV)
    tx = memchan.Channel.open(n + "-b", memchan.SEND)

    def stage(*args):
        return memchan.Process([o.pipeline, "--stage"] + [str(x) for x in args])

    consumer = stage("consume", n, o.producers, o.records)
    producers = [stage("produce", n, p, o.records) for p in range(o.producers)]
    if not await_senders(rx, o.producers, 10.0):
        print("pipeline_stage: the producers did not attach", file=sys.stderr)
        for p in producers + [consumer]:
            p.kill()
        return 1
    go.set()

    # The stage itself: every record in, transformed, out; the end of the input ends the output.
    done = 0
    try:
        for msg in rx:
            producer, _, seq, value = RECORD.unpack(msg)
            value = transform(value)
            tx.send(RECORD.pack(producer, check(producer, seq, value), seq, value), timeout=10)
            done += 1
        tx.close()
    except memchan.Error as e:  # upstream died or failed: say so downstream, with a reason
        print("pipeline_stage: %s after %d records" % (e, done), file=sys.stderr)
        tx.abort(e.code)

    codes = [p.wait(timeout=30) for p in [consumer] + producers]
    print("consumer exit %d, producers exit %s, %d records transformed" % (
        codes[0], codes[1:], done))
    for obj in (tx, rx, a, b, go, progress):
        obj.close()
    return 0 if codes == [0] * len(codes) else 3


if __name__ == "__main__":
    sys.exit(main())
