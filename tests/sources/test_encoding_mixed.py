"""Files that mix encodings: each valid UTF-8 line is read as UTF-8, the others with the best
single-byte guess, and a note names the odd lines; a file in one encoding is never reported."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_utf8_oracle import decodes  # Python's strict decoder, the oracle of what UTF-8 is

from auditor.sources import load_export
from auditor.sources.encoding import detect_encoding, mixed_encoding

HEADER = "contact_id,first_name,last_name,city\n"
UTF8_ROWS = [f"{i},Łukasz,Wójcik,Kraków\n" for i in range(1, 21)]


def contacts(tmp_path: Path, data: bytes) -> tuple[list[str], list[str], str | None]:
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    export = load_export(path)
    table = export.tables["contacts"]
    mixed = [n for n in export.notes if "encoding" in n or "byte-order mark" in n]
    return table.raw["last_name"].tolist(), mixed, table.encoding


def test_a_utf8_file_with_cp1250_rows_reads_each_row_right(tmp_path: Path) -> None:
    rows = UTF8_ROWS[:]
    rows[4] = "5,Zażółć,Gęślą,Łódź\n"  # line 6 of the file
    rows[11] = "12,Łucja,Żółkiewska,Gdańsk\n"  # line 13
    data = HEADER.encode() + b"".join(r.encode("cp1250" if i in (4, 11) else "utf-8") for i, r in enumerate(rows))
    names, notes, encoding = contacts(tmp_path, data)
    assert names == ["Wójcik"] * 4 + ["Gęślą"] + ["Wójcik"] * 6 + ["Żółkiewska"] + ["Wójcik"] * 8
    assert notes == [
        f"{tmp_path / 'contacts.csv'}: mixed encodings: 2 line(s) (6, 13) are not UTF-8, read as cp1250; "
        "the others as UTF-8"
    ]
    assert encoding == "utf-8"


def test_cp1252_bytes_inside_a_utf8_line_keep_the_utf8_text(tmp_path: Path) -> None:
    data = HEADER.encode() + "".join(UTF8_ROWS).encode()
    data = data.replace("3,Łukasz,Wójcik".encode(), "3,Łukasz,Wójcik’s".encode().replace("’".encode(), b"\x92"), 1)
    names, notes, _ = contacts(tmp_path, data)
    assert names == ["Wójcik"] * 2 + ["Wójcik’s"] + ["Wójcik"] * 17
    assert [n.split(": ", 1)[1] for n in notes] == [
        "mixed encodings: 1 line(s) (4) are not UTF-8, read as cp1250; the others as UTF-8"
    ]


def test_a_cp1250_line_that_happens_to_be_valid_utf8_is_still_odd(tmp_path: Path) -> None:
    """cp1250 "GÓŁKOWSKA" is valid UTF-8 ("GӣKOWSKA", a Latin word with a Cyrillic letter): among UTF-8
    lines it is read as cp1250 and named, while a Cyrillic name in UTF-8 stays UTF-8."""
    rows = [r.encode() for r in UTF8_ROWS]
    rows[2] = "3,Jan,GÓŁKOWSKA,Gdynia\n".encode("cp1250")
    assert rows[2].decode("utf-8") == "3,Jan,GӣKOWSKA,Gdynia\n"
    rows[6] = "7,Иван,Петров,Москва\n".encode()
    rows[9] = "10,Zażółć,Gęślą,Łódź\n".encode("cp1250")
    names, notes, encoding = contacts(tmp_path, HEADER.encode() + b"".join(rows))
    assert (names[2], names[6], names[9]) == ("GÓŁKOWSKA", "Петров", "Gęślą")
    assert [n.split(": ", 1)[1] for n in notes] == [
        "mixed encodings: 2 line(s) (4, 11) are not UTF-8, read as cp1250; the others as UTF-8"
    ]
    assert encoding == "utf-8"


def test_a_cp1250_file_with_utf8_rows_names_the_utf8_lines(tmp_path: Path) -> None:
    rows = [f"{i},Zażółć,Gęślą,Łódź\n".encode("cp1250") for i in range(1, 31)]
    rows[9] = "10,Łukasz,Wójcik,Kraków\n".encode()
    names, notes, encoding = contacts(tmp_path, HEADER.encode() + b"".join(rows))
    assert names == ["Gęślą"] * 9 + ["Wójcik"] + ["Gęślą"] * 20
    assert [n.split(": ", 1)[1] for n in notes] == [
        "mixed encodings: 1 line(s) (11) are UTF-8, read as such; the others as cp1250"
    ]
    assert encoding == "cp1250"


def test_many_odd_lines_are_counted_and_the_first_five_listed(tmp_path: Path) -> None:
    rows = [r.encode("cp1250") if i % 3 == 0 else r.encode() for i, r in enumerate(UTF8_ROWS)]
    names, notes, _ = contacts(tmp_path, HEADER.encode() + b"".join(rows))
    assert names == ["Wójcik"] * 20
    assert [n.split(": ", 1)[1] for n in notes] == [
        "mixed encodings: 7 line(s) (2, 5, 8, 11, 14, ...) are not UTF-8, read as cp1250; the others as UTF-8"
    ]


def test_a_byte_order_mark_over_cp1250_text_is_read_as_cp1250(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + (HEADER + "1,Zażółć,Gęślą,Łódź\n2,Jan,Żak,Łódź\n").encode("cp1250")
    names, notes, encoding = contacts(tmp_path, data)
    assert names == ["Gęślą", "Żak"]
    assert [n.split(": ", 1)[1] for n in notes] == [
        "a UTF-8 byte-order mark starts text that is not UTF-8; read as cp1250"
    ]
    assert encoding == "cp1250"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # "ÓŁ" in cp1250 is the bytes D3 A3, valid UTF-8 for Cyrillic "ӣ": a Latin word with a Cyrillic
        # letter is not taken for UTF-8
        (HEADER + "1,Jan,GÓŁKOWSKI,Łódź\n2,Ewa,Nowak,Kraków\n", "cp1250"),
        (HEADER + "1,Søren,Ørsted,København\n2,Zoë,O’Brien,Málaga\n", "cp1252"),
        (HEADER + "1,Søren,Ørsted,Århus\n", "latin-1"),
    ],
)
def test_a_file_in_one_single_byte_encoding_is_not_mixed(tmp_path: Path, text: str, encoding: str) -> None:
    data = text.encode(encoding)
    assert detect_encoding(data, "x.csv") == encoding
    assert mixed_encoding(data) is None
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    table = load_export(path).tables["contacts"]
    assert table.raw["last_name"].tolist() == [line.split(",")[2] for line in text.splitlines()[1:]]
    assert table.encoding == encoding


def test_utf16_and_valid_utf8_are_never_mixed() -> None:
    text = HEADER + "".join(UTF8_ROWS)
    assert mixed_encoding(text.encode()) is None
    assert mixed_encoding(codecs.BOM_UTF8 + text.encode()) is None
    assert mixed_encoding(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) is None
    assert mixed_encoding(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) is None


name = st.text(st.sampled_from("abcdefghijklmnoprstuwyz ĄĆĘŁŃÓŚŹŻąćęłńóśźż"), min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(name, st.booleans()), min_size=1, max_size=12))
def test_every_line_reads_back_in_its_own_encoding(rows: list[tuple[str, bool]]) -> None:
    """Lines written in UTF-8 or cp1250 at random: the odd lines are exactly the lines with non-ASCII
    text in the rarer encoding, every UTF-8 line reads back as written, and so does every cp1250 line when the
    guess is cp1250 (a few letters, such as a lone "ś", read as well in cp1252)."""
    lines = ["id,name", *(f"{i},{text}" for i, (text, _) in enumerate(rows))]
    encoded = [b"id,name", *(line.encode("cp1250" if rows[i][1] else "utf-8") for i, line in enumerate(lines[1:]))]
    # a few cp1250 letter pairs ("ĆĄ") are the bytes of a valid UTF-8 letter ("ƥ"): no reader can tell
    assume(not any(single and not text.isascii() and decodes(encoded[i + 1]) for i, (text, single) in enumerate(rows)))
    mixed = mixed_encoding(b"\n".join(encoded))
    cp1250 = tuple(i + 2 for i, (text, single) in enumerate(rows) if single and not text.isascii())
    utf8 = tuple(i + 2 for i, (text, single) in enumerate(rows) if not single and not text.isascii())
    if not cp1250 or not utf8:
        assert mixed is None
        return
    assert mixed is not None
    mostly_utf8 = len(utf8) >= len(cp1250)
    assert (mixed.encoding, mixed.odd_lines) == (("utf-8", cp1250) if mostly_utf8 else (mixed.fallback, utf8))
    read = mixed.text.split("\n")
    assert [read[n - 1] for n in utf8] == [lines[n - 1] for n in utf8]
    if mixed.fallback == "cp1250":
        assert read == lines
