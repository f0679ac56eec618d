"""Rows read in another encoding than the rest of their file are findings (`<entity>.encoding.mixed`), in
CSV, JSON and JSON Lines alike: one per cell beyond ASCII, on the record's own line, counted in the scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.engine import run_checks
from auditor.findings import FINDINGS
from auditor.pipeline import check
from auditor.sources import load_export
from auditor.sources.json_spans import array_spans, member_spans, records_of_lines
from auditor.sources.raw import rows_of_lines

RULE = "contacts.encoding.mixed"


def _records(odd: set[int], n: int = 12) -> list[tuple[dict, str]]:
    """Contacts 1..n, those in `odd` with Polish letters written in cp1250, the others in UTF-8."""
    records = []
    for i in range(1, n + 1):
        if i in odd:
            records.append(({"contact_id": f"c{i}", "first_name": "Łucja", "city": "Łódź"}, "cp1250"))
        else:
            records.append(({"contact_id": f"c{i}", "first_name": "Zoë", "city": "Berlin"}, "utf-8"))
    return records


def _csv(path: Path, records: list[tuple[dict, str]]) -> Path:
    lines = [b"contact_id,first_name,city"]
    lines += [",".join(r.values()).encode(encoding) for r, encoding in records]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _encoding_findings(path: Path) -> list[tuple[str, str, str, int]]:
    result = check(path)
    FINDINGS.validate(result.findings)
    mine = result.findings[result.findings["rule_id"] == RULE]
    return list(mine[["record_id", "field", "value", "row"]].itertuples(index=False, name=None))


def test_a_csv_row_in_cp1250_among_utf8_is_a_finding_per_cell_beyond_ascii(tmp_path: Path) -> None:
    path = _csv(tmp_path / "contacts.csv", _records({4, 9}))
    result = check(path)
    mine = result.findings[result.findings["rule_id"] == RULE]
    assert list(mine[["record_id", "field", "value", "row"]].itertuples(index=False, name=None)) == [
        ("c4", "first_name", "Łucja", 5),
        ("c4", "city", "Łódź", 5),
        ("c9", "first_name", "Łucja", 10),
        ("c9", "city", "Łódź", 10),
    ]
    assert set(mine["severity"]) == {"warning"} and set(mine["dimension"]) == {"validity"}
    assert mine["message"].iloc[0] == "first_name: row read as cp1250, unlike most of its file; check its letters"
    (outcome,) = [o for o in result.outcomes if o.rule_id == RULE]
    assert (outcome.status, outcome.failed, outcome.findings, outcome.evaluated) == ("failed", 2, 4, 12)
    assert any("mixed encodings: 2 line(s) (5, 10) are not UTF-8" in n for n in result.notes)
    # counted like any validity finding
    assert result.scores.dimensions["validity"] < 100


def test_a_cp1250_file_with_utf8_rows_reports_the_utf8_rows(tmp_path: Path) -> None:
    records = [(r, "utf-8" if e == "cp1250" else "cp1250") for r, e in _records({3})]
    records = [({**r, "city": "Łódź" if r["contact_id"] != "c3" else "Kraków"}, e) for r, e in records]
    found = _encoding_findings(_csv(tmp_path / "contacts.csv", records))
    assert {(record, row) for record, _, _, row in found} == {("c3", 4)}


def test_a_file_in_one_encoding_has_no_encoding_finding_nor_outcome(tmp_path: Path) -> None:
    path = _csv(tmp_path / "contacts.csv", [(r, "cp1250") for r, _ in _records({2, 5})])
    result = check(path)
    assert RULE not in set(result.findings["rule_id"])
    assert RULE not in {o.rule_id for o in result.outcomes}


def test_a_multi_line_record_is_named_by_its_first_line(tmp_path: Path) -> None:
    data = (
        b"contact_id,first_name,city\n"
        + 'c1,"Anna\nMaria",Zürich\n'.encode()
        + 'c2,"Łucja\nŻaneta",Łódź\n'.encode("cp1250")
        + "c3,Zoë,Köln\n".encode()
    )
    (tmp_path / "contacts.csv").write_bytes(data)
    found = _encoding_findings(tmp_path / "contacts.csv")
    assert {(record, row) for record, _, _, row in found} == {("c2", 4)}


def test_a_row_whose_odd_bytes_are_in_an_ignored_column_is_reported_on_its_first_column(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    _csv(path, _records({6}))
    # the cp1250 letters sit in a column the table keeps under the file's header; make it one no field reads
    table = load_export(path).tables["contacts"]
    table.raw["first_name"] = "Ann"
    table.raw["city"] = "Oslo"
    result = run_checks({"contacts": table}, [], as_of=np.datetime64("2026-01-01"))
    mine = result.findings[result.findings["rule_id"] == RULE]
    assert list(mine[["record_id", "field", "value"]].itertuples(index=False, name=None)) == [
        ("c6", "contact_id", "c6")
    ]


@pytest.mark.parametrize("shape", ["jsonl", "array", "object"])
def test_json_records_in_another_encoding_are_read_right_and_reported(tmp_path: Path, shape: str) -> None:
    records = _records({4, 7})
    lines = [json.dumps(r, ensure_ascii=False).encode(e) for r, e in records]
    if shape == "jsonl":
        path = tmp_path / "contacts.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
    elif shape == "array":
        path = tmp_path / "contacts.json"
        path.write_bytes(b"[\n" + b",\n".join(lines) + b"\n]\n")
    else:
        path = tmp_path / "export.json"
        path.write_bytes(b'{"meta": {"lines": [1, 2]},\n "contacts": [\n' + b",\n".join(lines) + b'\n], "leads": []}\n')
    table = load_export(path).tables["contacts"]
    assert table.raw["first_name"].tolist() == ["Łucja" if i in (4, 7) else "Zoë" for i in range(1, 13)]
    found = _encoding_findings(path)
    assert [(record, field, value) for record, field, value, _ in found] == [
        ("c4", "first_name", "Łucja"),
        ("c4", "city", "Łódź"),
        ("c7", "first_name", "Łucja"),
        ("c7", "city", "Łódź"),
    ]
    assert {row for *_, row in found} == {4, 7}  # the line in JSON Lines, the record's position in a document


def test_a_latin1_json_file_is_still_read_as_one_encoding(tmp_path: Path) -> None:
    path = tmp_path / "contacts.jsonl"
    path.write_bytes(json.dumps({"contact_id": "c1", "city": "Köln"}, ensure_ascii=False).encode("latin-1") + b"\n")
    result = check(path)
    assert result.data["contacts"].raw["city"].tolist() == ["Köln"]
    assert RULE not in set(result.findings["rule_id"])


def test_a_json_spans_records_over_several_lines() -> None:
    text = '[\n  {"a": 1,\n   "b": [1,\n 2]},\n  {"a": 2}, {"a": 3}\n]'
    assert array_spans(text) == [(2, 4), (5, 5), (5, 5)]
    assert records_of_lines([1], array_spans(text)).tolist() == []
    assert records_of_lines([3, 4], array_spans(text)).tolist() == [0]
    assert records_of_lines([5, 6], array_spans(text)).tolist() == [1, 2]
    document = '{"x": {"y": [1]}, "contacts": [{"a": 1},\n{"a": 2}], "contacts": [\n{"a": 3}]}'
    assert member_spans(document) == {"contacts": [(3, 3)]}  # the last of a repeated key, as json.loads


@settings(max_examples=60, deadline=None)
@given(starts=st.lists(st.integers(2, 400), min_size=1, max_size=30, unique=True), line=st.integers(1, 500))
def test_a_line_belongs_to_the_last_record_starting_at_or_before_it(starts: list[int], line: int) -> None:
    starts.sort()
    (at,) = rows_of_lines([line], np.asarray(starts))
    assert at == (max((i for i, s in enumerate(starts) if s <= line), default=-1))


def test_the_spark_engine_says_it_reads_a_mixed_file_in_one_encoding(tmp_path: Path) -> None:
    from auditor.engines.spark.load import _csv_header
    from auditor.sources.table import SourceOptions

    path = _csv(tmp_path / "contacts.csv", _records({4}))
    notes: list[str] = []
    encoding, _, header = _csv_header(path, str(path), SourceOptions(), notes)
    assert header == ["contact_id", "first_name", "city"]
    (note,) = notes
    assert "mixed encodings (1 line(s) (5) are not UTF-8" in note
    assert f"reads every line as {encoding}" in note


def test_the_full_audit_writes_them_to_findings_csv_the_worklist_and_junit(tmp_path: Path) -> None:
    import csv
    import xml.dom.minidom

    from auditor.cli import main

    export = tmp_path / "export"
    export.mkdir()
    _csv(export / "contacts.csv", _records({4, 9}))
    out = tmp_path / "out"
    assert main(["audit", str(export), "--out", str(out), "--no-history", "--no-mask-pii"]) in (0, 1)
    with (out / "findings.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["rule_id"] == RULE]
    assert sorted((r["record_id"], r["field"], r["row"]) for r in rows) == [
        ("c4", "city", "5"),
        ("c4", "first_name", "5"),
        ("c9", "city", "10"),
        ("c9", "first_name", "10"),
    ]
    assert "row read as cp1250" in (out / "worklist.csv").read_text(encoding="utf-8")
    junit = xml.dom.minidom.parse(str(out / "junit.xml"))
    assert RULE in {case.getAttribute("name") for case in junit.getElementsByTagName("testcase")}
