"""Oracle: `is_utf8` (Arrow's validation of the bytes in place) says what Python's strict UTF-8 decoder says, which
`detect_encoding` and `mixed_encoding` asked by decoding the whole file."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.sources.encoding import is_utf8

# the bytes where UTF-8's rules change: ASCII, continuation ranges, the lead bytes of overlong forms, surrogates,
# code points past U+10FFFF, and bytes no UTF-8 holds
EDGES = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED]
EDGES += [0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]


def decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_oracle_every_short_sequence_of_edge_bytes_alone_and_inside_text() -> None:
    for length in (1, 2, 3):
        for sequence in itertools.product(EDGES, repeat=length):
            data = bytes(sequence)
            # inside text too, past the first 16 and 32 bytes that a vectorised validation reads at once
            for framed in (data, b"a" * 21 + data + b"z" * 27, "ł".encode() * 20 + data):
                assert is_utf8(framed) == decodes(framed), framed


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(EDGES), st.integers(0, 255)), max_size=80).map(bytes))
def test_oracle_any_bytes(data: bytes) -> None:
    assert is_utf8(data) == decodes(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.binary(max_size=4))
def test_oracle_text_with_a_stray_byte(text: str, stray: bytes) -> None:
    encoded = text.encode("utf-8", "surrogatepass")
    for data in (encoded, encoded[: len(encoded) // 2] + stray + encoded[len(encoded) // 2 :]):
        assert is_utf8(data) == decodes(data)


def test_empty_is_utf8() -> None:
    assert is_utf8(b"")
