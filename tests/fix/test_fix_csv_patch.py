"""Cell edits in a CSV file: only the edited cells change, whatever the quoting, line endings or encoding."""

from __future__ import annotations

import codecs
import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from auditor.fix.csv_patch import header, patch


def cells(data: bytes, encoding: str = "utf-8", delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))


def test_quoted_and_plain_cells_keep_their_quoting() -> None:
    data = b'id,name,city\r\n"1","  Jan ",Krak\xc3\xb3w\r\n2,Anna,"Gda\xc5\x84sk, PL"\r\n'
    out, done = patch(
        data,
        {(2, 1): ("  Jan ", "Jan"), (3, 2): ("Gdańsk, PL", "Gdańsk")},
        encoding="utf-8",
        delimiter=",",
        source="x.csv",
    )
    assert done == {(2, 1), (3, 2)}
    assert out == b'id,name,city\r\n"1","Jan",Krak\xc3\xb3w\r\n2,Anna,"Gda\xc5\x84sk"\r\n'


def test_a_cell_that_does_not_hold_the_expected_value_is_left_alone() -> None:
    data = b"id,name\n1,Jan\n"
    out, done = patch(
        data, {(2, 1): ("Anna", "ANNA"), (9, 1): ("x", "y")}, encoding="utf-8", delimiter=",", source="x.csv"
    )
    assert (out, done) == (data, set())


def test_multi_line_values_bom_semicolons_and_cp1250() -> None:
    data = codecs.BOM_UTF8 + b'id;note;name\n1;"two\nlines";ala\n2;x;"o""k"\n'
    out, _ = patch(
        data, {(2, 2): ("ala", "Ala"), (4, 2): ('o"k', "ok;ok")}, encoding="utf-8", delimiter=";", source="x.csv"
    )
    assert out.startswith(codecs.BOM_UTF8)
    assert cells(out[3:], delimiter=";") == [["id", "note", "name"], ["1", "two\nlines", "Ala"], ["2", "x", "ok;ok"]]
    latin = "id,name\n1,żółw \n".encode("cp1250")
    out, _ = patch(latin, {(2, 1): ("żółw ", "Żółw")}, encoding="cp1250", delimiter=",", source="x.csv")
    assert out == "id,name\n1,Żółw\n".encode("cp1250")
    assert header(latin, "cp1250", ",", "x.csv") == ["id", "name"]


text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@given(rows=st.lists(st.lists(text, min_size=3, max_size=3), min_size=1, max_size=6), new=text, data=st.data())
def test_patched_file_reads_back_with_only_the_edit(rows: list[list[str]], new: str, data: st.DataObject) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(
        buffer, lineterminator="\r\n", quoting=data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    ).writerows([["a", "b", "c"], *rows])
    original = buffer.getvalue().encode()
    r = data.draw(st.integers(0, len(rows) - 1))
    c = data.draw(st.integers(0, 2))
    # the file line where record r starts: the header and earlier records may span several lines
    line = 2 + sum(1 + "".join(row).count("\n") for row in rows[:r])
    edited, done = patch(original, {(line, c): (rows[r][c], new)}, encoding="utf-8", delimiter=",", source="x.csv")
    expected = [row[:] for row in rows]
    expected[r][c] = new
    assert done == {(line, c)}
    assert cells(edited)[1:] == expected
