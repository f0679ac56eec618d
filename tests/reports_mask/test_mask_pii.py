"""PII masking: the maskers themselves, the CI default, and JUnit/terminal reports of the acme
people tables, checked against the actual emails, phones and names in the data."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from auditor.model import Role
from auditor.pipeline import check
from auditor.reports import junit, text
from auditor.reports.mask import mask_email, mask_findings, mask_name, mask_phone, mask_pii, masking_enabled

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
PEOPLE = ("accounts", "contacts", "leads")
PII_COLUMNS = {
    "accounts": ("phone",),
    "contacts": ("first_name", "last_name", "email", "phone", "mobile"),
    "leads": ("first_name", "last_name", "email", "phone"),
}


def test_maskers_keep_a_hint_and_hide_the_rest() -> None:
    assert mask_email("jan.kowalski@example.com") == "j***@e***.com"
    assert mask_email("  Anna@Firma.PL ") == "A***@F***.PL"
    assert mask_email("no-at-sign.pl") == "n***"
    assert mask_phone("+48 601 234 567") == "***67"
    assert mask_phone("n/a") == "***"
    assert mask_name("Jan Maria Kowalski") == "J*** M*** K***"
    assert mask_pii("jan@x.pl", Role.EMAIL) == "j***@x***.pl"
    assert mask_pii("Kraków", Role.CITY) == "Kraków", "only email, phone and person-name roles are masked"
    assert mask_pii(None, "email") is None
    assert pd.isna(mask_pii(float("nan"), "phone"))


@given(st.from_regex(r"[a-z0-9._%+-]{2,20}@[a-z0-9-]{2,20}\.[a-z]{2,6}", fullmatch=True))
def test_a_masked_email_shows_one_letter_of_each_part(email: str) -> None:
    local, _, domain = email.partition("@")
    host, _, tld = domain.rpartition(".")
    assert mask_email(email) == f"{local[0]}***@{host[0]}***.{tld}"


@given(st.text(alphabet="0123456789 +-().", min_size=3, max_size=25))
def test_a_masked_phone_keeps_at_most_its_last_two_digits(phone: str) -> None:
    digits = re.sub(r"\D", "", phone)
    masked = mask_phone(phone)
    assert re.sub(r"\D", "", masked) == (digits[-2:] if len(digits) > 2 else "")


def test_masking_is_on_in_ci_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert masking_enabled(None) is False
    assert masking_enabled(True) is True
    monkeypatch.setenv("CI", "true")
    assert masking_enabled(None) is True
    assert masking_enabled(False) is False
    monkeypatch.setenv("CI", "false")
    assert masking_enabled(None) is False


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("people")
    for name in (*(f"{e}.csv" for e in PEOPLE), "crm-audit.yaml"):
        shutil.copy(ACME / name, folder / name)
    return check(folder)


def personal_values() -> set[str]:
    """Every email, phone and name in the people tables, trimmed (placeholders such as `n/a`
    and one-letter names are not personal and would match ordinary words)."""
    values = set()
    for entity, columns in PII_COLUMNS.items():
        frame = pd.read_csv(ACME / f"{entity}.csv", dtype=str, keep_default_na=False, usecols=list(columns))
        values |= {v.strip() for c in columns for v in frame[c] if len(v.strip()) > 3}
    return values


def shown(report: str, values: set[str]) -> set[str]:
    """The values a report shows, leaving out company names (`Patel Energy Ltd` is not personal
    data, and not masked, even though Patel is also somebody's surname)."""
    people = "\n".join(line for line in report.splitlines() if not re.search(r"accounts\.csv:\d+ \S+ name:", line))
    return {v for v in values if v in people and re.search(rf"(?<!\w){re.escape(v)}(?!\w)", people)}


def test_junit_masks_every_email_phone_and_name_of_the_data(people) -> None:
    values = personal_values()
    plain = junit.render(people)
    masked = junit.render(people, mask=True)
    leaked = shown(plain, values)
    assert len(leaked) >= 30, "the unmasked report shows the data's values (or this test proves nothing)"
    assert {"brak@brak.pl", "przemyslaw_wojciechowski@outlook.com"} <= leaked
    assert shown(masked, values) == set()
    assert "p***@o***.com" in masked
    # same structure: masking changes texts, never which tests fail
    assert [c.get("name") for c in ET.fromstring(plain).iter("testcase")] == [
        c.get("name") for c in ET.fromstring(masked).iter("testcase")
    ]


def test_the_terminal_summary_masks_too(people) -> None:
    values = personal_values()

    def render(mask: bool) -> str:
        console = Console(record=True, width=200)
        text.render(people, console, mask=mask)
        return console.export_text()

    assert shown(render(False), values)
    assert shown(render(True), values) == set()


def test_masking_leaves_other_fields_and_the_input_frame_alone(people) -> None:
    findings = people.findings
    before = findings.copy()
    masked = mask_findings(findings)
    pd.testing.assert_frame_equal(findings, before)
    ids = findings["field"].isin(["account_id", "contact_id", "lead_id"])
    assert masked.loc[ids, "message"].tolist() == findings.loc[ids, "message"].tolist()
    assert (masked["record_id"] == findings["record_id"]).all()


def test_a_worklist_masks_like_findings() -> None:
    worklist = pd.DataFrame(
        {
            "entity": ["contacts", "contacts", "accounts"],
            "field": ["email", "first_name", "name"],
            "current_value": ["Jan.Kowalski@Firma.pl", "  JAN", "  Firma Sp. z o.o."],
            "suggested_value": ["jan.kowalski@firma.pl", "Jan", "Firma Sp. z o.o."],
            "issue": [
                "email is not in lower case: Jan.Kowalski@Firma.pl",
                'first_name has stray whitespace: "  JAN"; first_name is not in title case: JAN',
                'name has stray whitespace: "  Firma Sp. z o.o."',
            ],
        }
    )
    masked = mask_findings(worklist, value_columns=("current_value", "suggested_value"), text_column="issue")
    assert masked["current_value"].tolist() == ["J***@F***.pl", "J***", "  Firma Sp. z o.o."]
    assert masked["suggested_value"].tolist() == ["j***@f***.pl", "J***", "Firma Sp. z o.o."]
    assert masked["issue"].tolist() == [
        "email is not in lower case: J***@F***.pl",
        'first_name has stray whitespace: "J***"; first_name is not in title case: J***',
        'name has stray whitespace: "  Firma Sp. z o.o."',
    ]
