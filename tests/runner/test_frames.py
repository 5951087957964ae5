"""The runner's framing (pyexec_runner.frames) on the host's python3: the
frames of the reply and of the meta pipe, and the reader that takes them
from an untrusted stream in arbitrary pieces."""
import random

import pytest

from pyexec_runner import frames

CAPS = {frames.IMAGE: 8, frames.FILE: 64, frames.META: 32}


def frame(kind, payload):
    return frames.header(kind, len(payload)) + payload


def test_header_is_a_type_byte_and_a_big_endian_length():
    assert frames.header(b"o", 0x0102) == b"o\x00\x00\x01\x02"
    assert frames.HEADER.size == 5


def test_file_payload_round_trip():
    payload = frames.file_payload("résumé.txt", b"\x00data")
    assert payload[:2] == len("résumé.txt".encode()).to_bytes(2, "big")
    assert frames.split_file_payload(payload) == ("résumé.txt", b"\x00data")
    assert frames.split_file_payload(frames.file_payload("e", b"")) == \
        ("e", b"")


@pytest.mark.parametrize("payload", [
    b"",                        # no name length
    b"\x00",                    # half a name length
    b"\x00\x05abc",             # the name runs past the end
    b"\x00\x02\xff\xfe",        # the name is not UTF-8
])
def test_malformed_file_payload_is_none(payload):
    assert frames.split_file_payload(payload) is None


def test_reader_takes_frames_in_any_pieces():
    stream = (frame(frames.IMAGE, b"png") + frame(frames.META, b"{}")
              + frame(frames.FILE, b"\x00\x01ab") + frame(frames.IMAGE, b""))
    want = [(frames.IMAGE, b"png"), (frames.META, b"{}"),
            (frames.FILE, b"\x00\x01ab"), (frames.IMAGE, b"")]
    rnd = random.Random(1)
    for _ in range(200):
        reader = frames.FrameReader(CAPS)
        got, i = [], 0
        while i < len(stream):
            n = rnd.randint(1, 7)
            got += reader.feed(stream[i:i + n])
            i += n
        assert got == want
        assert not reader.broken


def test_a_frame_over_its_cap_is_skipped_not_buffered():
    reader = frames.FrameReader(CAPS)
    big = b"x" * 1000
    out = reader.feed(frames.header(frames.IMAGE, len(big)) + big[:10])
    assert out == [] and len(reader.buf) == 0
    out = reader.feed(big[10:] + frame(frames.IMAGE, b"ok"))
    assert out == [(frames.IMAGE, None), (frames.IMAGE, b"ok")]
    assert len(reader.buf) == 0


def test_an_unknown_type_makes_the_reader_deaf():
    reader = frames.FrameReader(CAPS)
    assert reader.feed(frame(frames.STDOUT, b"not on the meta pipe")) == []
    assert reader.broken
    assert reader.feed(frame(frames.IMAGE, b"later")) == []


def test_a_frame_cut_short_stays_pending():
    reader = frames.FrameReader(CAPS)
    assert reader.feed(frame(frames.META, b"12345")[:-1]) == []
    assert reader.feed(b"5") == [(frames.META, b"12345")]
