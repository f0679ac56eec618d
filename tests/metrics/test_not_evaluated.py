"""A metric the export cannot feed (no such table or column) is NOT_EVALUATED, its own state, in every
output: never UNRELIABLE, which says the data is bad."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import main

CONTACTS = "contact_id,first_name,last_name,email,created_at\nC1,Jan,Kowalski,jan@x.pl,2025-01-01\n"
SURVEYS = "survey_id,contact_id,nps_score,responded_at\n" + "".join(
    f"S{i},C1,{score},2026-10-{i + 1:02d}\n" for i, score in enumerate([10, 9, 9, 3, 7, 10, 8, 2, 10, 9])
)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (folder / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    (folder / "crm-audit.yaml").write_text("as_of: 2026-10-31\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out") / "run"
    code = main(["audit", str(folder), "--out", str(out), "--no-history"])
    assert code in (0, 1)
    return out


def test_json_says_not_evaluated_and_what_is_missing(audited) -> None:
    out = audited
    metrics = {m["id"]: m for m in json.loads((out / "result.json").read_text())["metrics"]}
    assert metrics["nps"]["confidence"] != "NOT_EVALUATED" and metrics["nps"]["value"] == pytest.approx(
        40.0
    )  # 6 promoters, 2 detractors of 10
    assert metrics["win_rate"]["confidence"] == "NOT_EVALUATED" and metrics["win_rate"]["value"] is None
    assert metrics["win_rate"]["reasons"] == ["not evaluated: the export has no opportunities"]
    assert metrics["cac"]["reasons"][0].startswith("not evaluated: the export has no costs, opportunities")
    assert not [
        m for m in metrics.values() if m["confidence"] == "UNRELIABLE" and m["value"] is None and m["n"] is None
    ]


def test_html_and_xlsx_show_the_state(audited) -> None:
    out = audited
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'badge flag-NOT_EVALUATED">NOT_EVALUATED' in html
    book = openpyxl.load_workbook(out / "worklist.xlsx", read_only=True)
    rows = list(book["Metrics"].values)
    flags = {r[0]: r[rows[0].index("confidence")] for r in rows[1:]}
    assert flags["win_rate"] == "NOT_EVALUATED"


def test_the_terminal_lists_what_the_export_lacks_once(tmp_path: Path, capsys) -> None:
    export = tmp_path / "export"  # --out beside the export: inside it is refused
    export.mkdir()
    (export / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    main(["audit", str(export), "--out", str(tmp_path / "run"), "--no-history"])
    out = capsys.readouterr().out
    assert out.count("Not evaluated (40): the export has no") == 1
    said = " ".join(out.split("Not evaluated (40)")[1].split("Worklist")[0].split())
    assert "opportunities" in said and "surveys" in said
    assert "win_rate" not in said, "a metric the export cannot feed is not listed as doubtful"
