"""Dates as real exports write them: a per-column `formats:` override, a year alone, and a note when the
day/month order of a column was a guess."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import check, load_config
from auditor.errors import ConfigError
from auditor.sources import convert
from auditor.sources.convert import parse_datetime, parse_with_format

CONTACTS = "contact_id,first_name,last_name,email,created_at,birth_date\n"


def _export(tmp_path: Path, rows: list[str], config: str = "") -> Path:
    (tmp_path / "contacts.csv").write_text(CONTACTS + "\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "crm-audit.yaml").write_text("as_of: 2026-10-31\n" + config, encoding="utf-8")
    return tmp_path


def test_a_format_reads_the_column_its_way_and_a_value_in_another_is_a_type_finding(tmp_path: Path) -> None:
    rows = [
        "C1,Jan,Kowalski,jan@x.pl,03/04/2025 10:00,1980",
        "C2,Ala,Nowak,ala@x.pl,05/06/2025 11:30,1975",
        "C3,Ewa,Lis,ewa@x.pl,2025-06-07,1990",
    ]
    folder = _export(tmp_path, rows, "formats: {contacts: {created_at: '%d/%m/%Y %H:%M'}}\n")
    result = check(folder)
    created = result.data["contacts"].frame["created_at"]
    assert created.tolist()[:2] == [pd.Timestamp("2025-04-03 10:00"), pd.Timestamp("2025-06-05 11:30")]
    assert pd.isna(created.iloc[2])
    found = result.findings[result.findings["field"] == "created_at"]
    assert found[["record_id", "rule_id"]].values.tolist() == [["C3", "contacts.type"]]
    # a year alone is the first of January of it, not a missing birth date
    assert result.data["contacts"].frame["birth_date"].dt.year.tolist() == [1980, 1975, 1990]


def test_a_guessed_day_month_order_is_said_once_with_the_fix(tmp_path: Path) -> None:
    rows = ["C1,Jan,Kowalski,jan@x.pl,03/04/2025,", "C2,Ala,Nowak,ala@x.pl,05/06/2025,"]
    result = check(_export(tmp_path, rows))
    [note] = [n for n in result.notes if "could be day-first or month-first" in n]
    assert note.endswith(
        "created_at: 2 dates such as '03/04/2025' could be day-first or month-first; read month-first."
        " If that is wrong, set sources.dayfirst, or formats: {contacts: {created_at: '%d/%m/%Y'}}"
    )
    decided = check(_export(tmp_path, [*rows, "C3,Ewa,Lis,ewa@x.pl,25/06/2025,"]))
    assert not [n for n in decided.notes if "could be day-first" in n]


def test_the_day_month_shape_is_looked_for_only_outside_the_iso_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A d.m.y or m/d/y date is never an ISO one: the note's search reads only the values the typing did not
    find in ISO form (every value of a million-row date column was searched again), and says the same."""
    searched: list[int] = []
    mask = convert._mask

    def recording(text, pattern: str):  # type: ignore[no-untyped-def]
        if pattern == convert._DMY_PREFIX:
            searched.append(len(text))
        return mask(text, pattern)

    monkeypatch.setattr(convert, "_mask", recording)
    iso = [f"C{k},Jan,Kowalski,jan@x.pl,2025-06-{k:02d},1980-01-{k:02d}" for k in range(10, 20)]
    result = check(_export(tmp_path, [*iso, "C1,Jan,Kowalski,jan@x.pl,03/04/2025,", "C2,Ala,Nowak,ala@x.pl,,"]))
    [note] = [n for n in result.notes if "could be day-first or month-first" in n]
    assert "created_at: 1 dates such as '03/04/2025'" in note
    assert searched and max(searched) == 1  # only ever the one value not in ISO form


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{contacts: {email: '%Y'}}", "formats.contacts.email: not a date field of contacts"),
        ("{contacts: {created_at: 'dd/mm/yyyy'}}", "formats.contacts.created_at: 'dd/mm/yyyy' is not a date format"),
        ("{contact: {created_at: '%Y'}}", "formats.contact: unknown entity (did you mean 'contacts'?)"),
    ],
)
def test_a_bad_format_is_a_config_error(tmp_path: Path, section: str, message: str) -> None:
    (tmp_path / "crm-audit.yaml").write_text(f"formats: {section}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "crm-audit.yaml")
    assert message in str(error.value)


_days = st.dates(min_value=dt.date(1810, 1, 1), max_value=dt.date(2099, 12, 31))


@given(_days, st.sampled_from(["%d/%m/%Y", "%m-%d-%Y", "%Y%m%d", "%d %b %Y", "%d.%m.%y", "%B %d, %Y"]))
def test_any_date_written_in_a_format_reads_back_with_it(day: dt.date, fmt: str) -> None:
    if "%y" in fmt and not 1969 <= day.year <= 2068:
        return  # a two-digit year means 1969-2068 to strptime
    parsed = parse_with_format(pd.Series([day.strftime(fmt), "junk", None]), fmt)
    assert parsed.iloc[0] == pd.Timestamp(day)
    assert parsed.iloc[1:].isna().all()


@given(st.integers(1810, 2099))
def test_a_year_alone_is_its_first_day(year: int) -> None:
    assert parse_datetime(pd.Series([str(year)]), excel_serials=True).iloc[0] == pd.Timestamp(year, 1, 1)


@given(st.integers(1800, 1809))
def test_a_year_alone_before_the_typed_range_is_na_not_a_serial(year: int) -> None:
    assert pd.isna(parse_datetime(pd.Series([str(year)]), excel_serials=True).iloc[0])
