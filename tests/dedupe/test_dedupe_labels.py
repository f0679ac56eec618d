"""The labels file (auditor.dedupe.labels): its parser with one-line errors naming file, row and column,
junk never raising anything but an InputError, and each band's precision with a Wilson interval checked
against hand-computed values."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.dedupe.labels import band_precision, check_ids, positions, read_labels_file, wilson
from auditor.errors import InputError


def _file(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_review_pages_file_is_read_with_its_extra_columns(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "entity,id_a,id_b,label,match_probability,band\r\n"
        "contacts,C1,C2,match,0.93,review\r\n"
        "\r\n"
        "contacts,C3,C4, Non_Match ,0.6,review\r\n"
        "contacts,'=C5,C6,non-match,0.7,review\r\n",
    )
    frame = read_labels_file(path, entities=["contacts"]).frame
    assert frame.to_dict("records") == [
        {"entity": "contacts", "id_a": "C1", "id_b": "C2", "label": "match", "row": 2},
        {"entity": "contacts", "id_a": "C3", "id_b": "C4", "label": "non_match", "row": 4},
        # the page quotes a cell a spreadsheet would run as a formula; the id is read back without it
        {"entity": "contacts", "id_a": "=C5", "id_b": "C6", "label": "non_match", "row": 5},
    ]


def test_the_older_is_match_column_is_read_as_label(tmp_path: Path) -> None:
    path = _file(tmp_path, "id_a,id_b,is_match\nA,B,yes\nC,D,0\n")
    frame = read_labels_file(path).frame
    assert frame["label"].tolist() == ["match", "non_match"]
    assert frame["entity"].isna().all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entity,id_a,id_b\ncontacts,A,B\n", "labels.csv, row 1, column 'label': missing column"),
        ("entity,id_a,lbl\ncontacts,A,match\n", "row 1, column 'id_b': missing column"),
        ("entity,id_a,id_b,label\ncontacts,A,B,mach\n", "row 2, column 'label': unknown label 'mach'"),
        ("entity,id_a,id_b,label\ncontacts,A,B,match\ncontacts,,B,match\n", "row 3, column 'id_a': empty record id"),
        ("entity,id_a,id_b,label\ncontcts,A,B,match\n", "row 2, column 'entity': unknown entity 'contcts'"),
        ("id_a,id_b,is_match\nA,B,maybe\n", "row 2, column 'is_match': unknown value 'maybe'"),
        ("", "the labels file is empty"),
    ],
)
def test_a_bad_file_is_one_error_naming_file_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        read_labels_file(_file(tmp_path, text), entities=["contacts", "accounts"])
    line = str(error.value)
    assert "\n" not in line
    assert line.startswith(str(tmp_path / "labels.csv"))
    assert message in line


def test_a_typo_in_a_label_gets_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"did you mean 'non_match'\?"):
        read_labels_file(_file(tmp_path, "id_a,id_b,label\nA,B,non_mach\n"))


def test_unknown_record_ids_name_their_row_and_column(tmp_path: Path) -> None:
    labels = read_labels_file(_file(tmp_path, "entity,id_a,id_b,label\ncontacts,A,B,match\ncontacts,B,Z,non_match\n"))
    with pytest.raises(InputError, match=r"row 3, column 'id_b': unknown record id 'Z': no contacts record has it"):
        check_ids(labels, "contacts", ["A", "B", "C"])
    # rows of another entity are that entity's business
    assert len(check_ids(labels, "accounts", ["X"])) == 0


def test_positions_order_each_pair_and_the_last_label_wins(tmp_path: Path) -> None:
    labels = read_labels_file(
        _file(tmp_path, "id_a,id_b,label\nC,A,match\nA,B,non_match\nA,C,non_match\nB,B,match\n"),
    )
    i, j, y = positions(check_ids(labels, "contacts", ["A", "B", "C"]), pd.Series(["A", "B", "C"]))
    # (A, B) non-match; (A, C) labelled twice, the last (non-match) wins; (B, B) is no pair
    assert sorted(zip(i.tolist(), j.tolist(), y.tolist(), strict=True)) == [(0, 1, 0.0), (0, 2, 0.0)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.lists(st.sampled_from(["entity", "id_a", "id_b", "label", "is_match", "x", ""]), max_size=6),
    body=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
)
def test_junk_is_read_or_refused_with_an_input_error(tmp_path: Path, header: list[str], body: str) -> None:
    path = tmp_path / "junk.csv"
    path.write_text(",".join(header) + "\n" + body, encoding="utf-8")
    try:
        labels = read_labels_file(path, entities=["contacts"])
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith(str(path))
        return
    frame = labels.frame
    assert set(frame["label"]) <= {"match", "non_match"}
    assert (frame["id_a"].str.len() > 0).all() and (frame["id_b"].str.len() > 0).all()
    assert (frame["entity"].isna() | (frame["entity"] == "contacts")).all()


def test_undecodable_bytes_are_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(b"id_a,id_b,label\n\xff\xfe,B,match\n")
    with pytest.raises(InputError, match="cannot read the labels"):
        read_labels_file(path)


def test_wilson_interval_by_hand() -> None:
    # 2 of 4: p = .5, z = 1.96: centre (.5 + z²/8) / (1 + z²/4), half-width z·sqrt(.25/4 + z²/64) / (1 + z²/4)
    low, high = wilson(2, 4)
    assert low == pytest.approx(0.1500, abs=1e-4) and high == pytest.approx(0.8500, abs=1e-4)
    # 0 of 5: the lower bound is 0, the upper z²/5 / (1 + z²/5)
    low, high = wilson(0, 5)
    assert low == 0.0 and high == pytest.approx(0.4345, abs=1e-4)
    # 9 of 10
    low, high = wilson(9, 10)
    assert low == pytest.approx(0.5958, abs=1e-4) and high == pytest.approx(0.9821, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_band_precision_counts_the_labelled_pairs_of_each_band() -> None:
    bands = ["review", "review", "review", "review", "auto_merge", "distinct"]
    labels = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    got = band_precision(bands, labels, ["auto_merge", "review", "distinct"])
    assert got["review"] == {"labelled": 4, "matches": 2, "precision": 0.5, "interval": [0.15, 0.85]}
    assert got["auto_merge"] == {"labelled": 1, "matches": 1, "precision": 1.0, "interval": [0.2065, 1.0]}
    assert got["distinct"]["precision"] == 0.0 and got["distinct"]["labelled"] == 1
    assert band_precision([], [], ["review"])["review"] == {
        "labelled": 0,
        "matches": 0,
        "precision": None,
        "interval": None,
    }


def test_dedupe_with_a_bad_labels_file_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    from auditor.cli import main

    acme = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
    path = _file(tmp_path, "entity,id_a,id_b,label\ncontacts,C000720,C002049,match\ncontacts,C000720,C9,match\n")
    capsys.readouterr()
    code = main(["dedupe", str(acme), "--entity", "contacts", "--out", str(tmp_path / "out"), "--labels", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"crm-audit: error: {path}, row 3, column 'id_b': unknown record id 'C9': no contacts record has it\n"
    # a file that cannot be read fails before the export is loaded
    assert main(["dedupe", str(acme), "-e", "contacts", "--out", str(tmp_path), "--labels", str(tmp_path / "no")]) == 2
    assert "labels file not found" in capsys.readouterr().err


def test_audit_labels_need_duplicate_detection(tmp_path: Path) -> None:
    from auditor.config import AuditConfig
    from auditor.dedupe.labels import audit_with_labels

    config = AuditConfig()
    path = _file(tmp_path, "entity,id_a,id_b,label\n")
    audit_with_labels(config, path)
    assert config.dedupe.labels == str(path)
    config.dedupe = None
    with pytest.raises(InputError, match=r"--labels needs duplicate detection"):
        audit_with_labels(config, path)


def test_labels_decide_pairs_blocking_never_compared_and_enter_training_once(acme, tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    from auditor.dedupe import DedupeSettings, find_duplicates, scoring

    sessions: list[int] = []
    fit = scoring.fit_model

    def counting(*args, **kwargs):
        sessions.append(int(kwargs["key_counts"].sum()))
        return fit(*args, **kwargs)

    monkeypatch.setattr(scoring, "fit_model", counting)
    table = {"contacts": acme.tables["contacts"]}
    plain = find_duplicates(table, DedupeSettings(), entities=("contacts",))
    review = plain.pairs[plain.pairs["band"] == "review"].head(3)
    rows = [f"contacts,{a},{b},non_match" for a, b in zip(review["id_a"], review["id_b"], strict=True)]
    rows.append("contacts,C000001,C000002,match")  # two different people blocking never paired
    path = _file(tmp_path, "entity,id_a,id_b,label\n" + "\n".join(rows) + "\n")
    got = find_duplicates(table, dataclasses.replace(DedupeSettings(), labels=str(path)), entities=("contacts",))
    # the three labelled candidate pairs left the unlabelled pairs of the sessions; the fourth was not one
    assert sessions[1] == sessions[0] - 3
    stats = got.stats["contacts"]["labels"]
    schema = json.loads((Path(__file__).resolve().parents[2] / "auditor/schemas/result.schema.json").read_text())
    jsonschema.validate(stats, schema["properties"]["duplicates"]["additionalProperties"]["properties"]["labels"])
    assert (stats["pairs"], stats["matches"], stats["non_matches"], stats["not_compared_before"]) == (4, 1, 3, 1)
    assert stats["band_precision"]["review"]["labelled"] == 3 and stats["band_precision"]["review"]["matches"] == 0
    assert stats["band_precision"]["distinct"] == {
        "labelled": 1,
        "matches": 1,
        "precision": 1.0,
        "interval": [0.2065, 1.0],
    }
    pairs = got.pairs.set_index(["id_a", "id_b"])
    assert pairs.loc[("C000001", "C000002"), "band"] == "auto_merge"
    assert pairs.loc[("C000001", "C000002"), "model_probability"] < 0.01
    clusters = got.clusters.set_index("record_id")["cluster_id"]
    assert clusters["C000001"] == clusters["C000002"]
    for a, b in zip(review["id_a"], review["id_b"], strict=True):
        assert (a, b) not in pairs.index
        assert a not in clusters or b not in clusters or clusters[a] != clusters[b]


def test_the_label_lines_of_a_run() -> None:
    from auditor.dedupe.labels import report_lines, summary_lines

    stats = {
        "pairs": 3,
        "matches": 2,
        "non_matches": 1,
        "band_precision": band_precision(["review", "review", "auto_merge"], [1.0, 0.0, 1.0], ["auto_merge", "review"]),
    }
    assert summary_lines("contacts", stats) == [
        "  labels: 3 labelled pairs decided as labelled: 2 match (merged), 1 non_match (never merged)",
        "  auto_merge band precision from labels: 1 of 1 labelled pairs are matches = 100% "
        "(95% Wilson interval 21%-100%)",
        "  review band precision from labels: 1 of 2 labelled pairs are matches = 50% (95% Wilson interval 9%-91%)",
    ]
    assert summary_lines("leads", {"pairs": 0}) == ["  labels: no labelled pair of leads"]
    # the audit prints the entities that have labelled pairs
    run = {"contacts": {"labels": stats}, "leads": {"labels": {"pairs": 0}}, "accounts": {}}
    assert report_lines(run) == ["contacts:", *summary_lines("contacts", stats)]


def test_a_linkage_does_not_take_labels_yet(tmp_path: Path, capsys) -> None:
    from auditor.cli import main

    path = _file(tmp_path, "entity,id_a,id_b,label\n")
    capsys.readouterr()
    code = main(
        ["dedupe", "a.csv", "--against", "b.csv", "-e", "contacts", "--out", str(tmp_path), "--labels", str(path)]
    )
    assert code == 2
    assert "--labels decides pairs within one table" in capsys.readouterr().err
