"""The numbered stream the peers (peer.c, pypeer.py) and the tests send and check."""
import struct


def message(seq, size):
    """Message seq of the peers' stream: seq as a native u64, then (seq & 0xff) repeated."""
    return struct.pack("=Q", seq) + bytes([seq & 0xFF]) * (size - 8)


def seq_of(msg):
    """The number of a message of that stream, after checking every byte of it."""
    seq = struct.unpack_from("=Q", msg)[0]
    assert bytes(msg[8:]) == bytes([seq & 0xFF]) * (len(msg) - 8), "message %d is damaged" % seq
    return seq
