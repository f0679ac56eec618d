"""`crm-audit profile`: exact column statistics on a hand-made export, and a suggested pack that loads and
holds on the data it was suggested from."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest

import auditor
from auditor.checks.packs import load_rules
from auditor.cli import main
from auditor.config import load_config
from auditor.profile import ExportProfile, profile_export

ROWS = 60
TIERS = ("gold", "silver", "bronze")
TODAY = dt.date(2026, 10, 31)


def _title(i: int) -> str:
    return "?" if i in (1, 2, 3) else "n/a" if i in (4, 5) else "" if i == 6 else "Manager"


def _rows() -> list[dict[str, str]]:
    return [
        {
            "contact_id": f"C{i:03d}",
            "first_name": "Anna" if i % 2 else "Jan",
            "last_name": f"Name{i}",
            "email": f"user{i}@example.com",
            "country": "PL",
            "title": _title(i),  # 54 Manager, 3 "?", 2 "n/a", 1 empty
            "loyalty_tier": TIERS[i % 3],  # no field: an extra column
            "score": str(10 + i * 0.5),  # 10.0 .. 39.5
            "visits": str(i % 7),  # 0 .. 6
            "newsletter": "yes" if i % 4 else "no",
            "signup": f"2024-01-{i % 28 + 1:02d}",
            "member_no": f"M{1000 + i}",
        }
        for i in range(ROWS)
    ]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only: a test that needs another config writes it elsewhere."""
    folder = tmp_path_factory.mktemp("profile") / "export"
    folder.mkdir()
    rows = _rows()
    with (folder / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / "crm-audit.yaml").write_text("as_of: 2026-10-31\ndefault_region: PL\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def profiled(export: Path) -> ExportProfile:
    return profile_export(export, load_config(export / "crm-audit.yaml"), today=TODAY)


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_column_statistics_are_exact(profiled: ExportProfile) -> None:
    (table,) = profiled.tables
    assert (table.entity, table.rows) == ("contacts", ROWS)
    columns = {c.column: c for c in table.columns}
    assert list(columns) == list(_rows()[0])

    title = columns["title"]
    assert (title.field, title.type, title.empty, title.distinct) == ("title", "text", 1, 3)
    assert title.null_share == pytest.approx(1 / 60)
    assert title.top == (("Manager", 54), ("?", 3), ("n/a", 2))
    sentinel = {f.kind: f for f in title.flagged}["sentinel"]
    assert (sentinel.records, sentinel.values) == (5, (("?", 3), ("n/a", 2)))

    tier = columns["loyalty_tier"]
    assert (tier.how, tier.type, tier.distinct, tier.empty) == ("kept", "text", 3, 0)
    assert tier.top == (("bronze", 20), ("gold", 20), ("silver", 20))  # equal counts: by value

    score = columns["score"]
    assert (score.type, score.distinct, score.minimum, score.maximum) == ("number", 60, 10, 39.5)
    visits = columns["visits"]
    assert (visits.type, visits.distinct, visits.minimum, visits.maximum) == ("integer", 7, 0, 6)
    assert visits.top[:2] == (("0", 9), ("1", 9))
    assert columns["newsletter"].type == "bool"
    assert columns["newsletter"].top == (("yes", 45), ("no", 15))
    signup = columns["signup"]
    assert (signup.type, signup.minimum, signup.maximum, signup.distinct) == ("date", "2024-01-01", "2024-01-28", 28)
    assert columns["email"].field == "email" and columns["email"].distinct == 60
    assert all(not c.flagged for name, c in columns.items() if name != "title")


def test_suggestions_follow_the_data_and_skip_what_the_packs_already_say(profiled: ExportProfile) -> None:
    found = {(s.field, s.kind): s for s in profiled.suggestions}
    assert set(found) == {
        ("country", "required"),
        ("country", "allowed"),
        ("title", "allowed"),
        ("loyalty_tier", "required"),
        ("loyalty_tier", "allowed"),
        ("score", "required"),
        ("score", "range"),
        ("visits", "required"),
        ("visits", "range"),
        ("newsletter", "required"),
        ("signup", "required"),
        ("member_no", "required"),
        ("member_no", "unique"),
    }  # contact_id and email: the core pack has them; names: no list, no uniqueness; title: not always filled
    assert found["title", "allowed"].params == {"values": ["Manager", "?", "n/a"]}
    assert "'?' (sentinel)" in found["title", "allowed"].reason
    assert found["score", "range"].params == {"min": 10, "max": 39.5}
    assert found["visits", "range"].params == {"min": 0, "max": 6, "integer": True}
    assert [s.field for s in profiled.pack_rules] == ["country", "country", "title"]
    assert profiled.extra_fields == {
        "contacts": {
            "loyalty_tier": {"role": "enum", "allowed": ["bronze", "gold", "silver"]},
            "score": {"role": "number"},
            "visits": {"role": "count"},
            "newsletter": {"role": "bool"},
            "signup": {"role": "date"},
            "member_no": {"role": "text"},
        }
    }


def _suggested(result) -> list:
    return [o for o in result.outcomes if o.rule_id.endswith(".suggested") or "extra_fields" in o.origin]


def test_the_written_pack_loads_and_reports_nothing_on_its_own_data(capsys, export: Path, tmp_path: Path) -> None:
    pack = tmp_path / "suggested.yaml"
    code, out, _ = run(capsys, "profile", str(export), "--out", str(pack))
    assert code == 0 and f"wrote {pack}" in out.replace("\n", "")
    text = pack.read_text(encoding="utf-8")
    assert text.startswith("# Suggested by `crm-audit profile` from the data of")
    assert "review each one" in text.splitlines()[3]

    rules = {r.id: r for r in load_rules([pack])}
    assert {i for i in rules if i.endswith(".suggested")} == {
        "contacts.country.required.suggested",
        "contacts.country.allowed.suggested",
        "contacts.title.allowed.suggested",
    }
    config = tmp_path / "crm-audit.yaml"
    config.write_text(f"as_of: 2026-10-31\ndefault_region: PL\nrules: [{pack}]\n", encoding="utf-8")
    result = auditor.check(export, load_config(config))
    outcomes = _suggested(result)
    assert len(outcomes) == 3 and {o.status for o in outcomes} == {"passed"}
    assert not result.findings["rule_id"].str.endswith(".suggested").any()

    # The rules on columns no field maps to: declare the snippet in the config and uncomment them.
    snippet = [line[2:] for line in text.splitlines() if re.match(r"# (extra_fields:|  [^\s-]|    \S)", line)]
    assert snippet[0] == "extra_fields:" and len(snippet) == 8
    (tmp_path / "active.yaml").write_text(re.sub(r"^#   - ", "  - ", text, flags=re.M), encoding="utf-8")
    config.write_text("as_of: 2026-10-31\ndefault_region: PL\nrules: [active.yaml]\n" + "\n".join(snippet) + "\n")
    loaded = load_config(config)
    assert len(load_rules([tmp_path / "active.yaml"], extra_fields=loaded.extra_field_names)) == len(rules) + 9
    result = auditor.check(export, loaded)
    outcomes = _suggested(result)
    assert len(outcomes) == 13 and {o.status for o in outcomes} == {"passed"}, outcomes
    assert {o.evaluated for o in outcomes} == {ROWS}


def test_json_output_has_the_same_content(capsys, export: Path) -> None:
    code, out, _ = run(capsys, "profile", str(export), "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"path", "created", "tables", "suggestions", "extra_fields", "notes"}
    title = next(c for c in document["tables"][0]["columns"] if c["column"] == "title")
    assert title["top"][:2] == [{"value": "Manager", "count": 54}, {"value": "?", "count": 3}]
    assert title["sentinel_candidates"][0]["values"] == [{"value": "?", "count": 3}, {"value": "n/a", "count": 2}]
    assert len(document["suggestions"]) == 13
    assert {s["where"] for s in document["suggestions"]} == {"pack", "commented", "extra_fields"}


def test_text_output_and_one_file_read_as_an_entity(capsys, export: Path, tmp_path: Path) -> None:
    single = tmp_path / "people export.csv"
    single.write_bytes((export / "contacts.csv").read_bytes())
    code, out, _ = run(capsys, "profile", str(single), "--entity", "contacts")
    assert code == 0
    assert "-> contacts (60 rows)" in out and "Suggested rules" in out and "sentinel" in out


def test_bad_input_is_one_line_and_exit_2(capsys, export: Path, tmp_path: Path) -> None:
    existing = tmp_path / "pack.yaml"
    existing.write_text("keep me\n", encoding="utf-8")
    code, _, err = run(capsys, "profile", str(export), "--out", str(existing))
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    code, _, err = run(capsys, "profile", str(tmp_path / "missing"))
    assert code == 2 and "no such file" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "profile", str(export), "--entity", "contacts")
    assert code == 2 and "not a file" in err
