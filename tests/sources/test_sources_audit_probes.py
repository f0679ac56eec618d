"""Input probes of issue 18 that stopped the whole audit (exit 3) downstream of the readers: dates at and
past the ends of a timestamp in every date column, and header-only tables. Each runs the full `audit` on a
small export and must write every report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.model import ENTITIES, DType

_DATES = ("9999-12-31", "0001-01-01", "2262-04-12", "1677-09-21", "1677-09-22", "2262-04-11", "0000-00-00")
_ROWS = 6


def _export(folder: Path, date_of: Callable[[int, int], str]) -> Path:
    """Every entity's fields in a file of a few rows; each date column's values from `date_of(column, row)`."""
    folder.mkdir()
    for name, entity in ENTITIES.items():
        header = [f.name for f in entity.fields]
        rows = []
        for row in range(_ROWS):
            values = []
            for position, field in enumerate(entity.fields):
                if field.dtype in (DType.DATE, DType.DATETIME):
                    values.append(date_of(position, row))
                elif field.dtype in (DType.NUMBER, DType.INTEGER):
                    values.append(str(row + 1))
                else:
                    values.append(f"{field.name[:3]}{row}")
            rows.append(",".join(values))
        (folder / f"{name}.csv").write_text("\n".join([",".join(header), *rows]) + "\n", encoding="utf-8")
    return folder


def _audit(export: Path, out: Path) -> int:
    code = main(["audit", str(export), "--out", str(out), "--no-history", "--format", "json"])
    assert code in (0, 1)
    json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert (out / "report.html").is_file() and (out / "junit.xml").is_file()
    return code


@pytest.mark.parametrize(
    "date_of",
    [
        pytest.param(lambda column, row: _DATES[(column + row) % len(_DATES)], id="out-of-range-dates"),
        # the typed range's two ends in one record: their difference must fit a timedelta
        pytest.param(lambda column, row: ("1810-01-01", "2099-12-31 23:59:59")[(column + row) % 2], id="range-ends"),
    ],
)
def test_dates_past_a_timestamp_in_every_date_column_do_not_stop_the_audit(
    tmp_path: Path, date_of: Callable[[int, int], str], capsys: pytest.CaptureFixture[str]
) -> None:
    _audit(_export(tmp_path / "export", date_of), tmp_path / "out")
    assert "internal error" not in capsys.readouterr().err


def test_header_only_tables_get_every_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export"
    export.mkdir()
    for name, entity in ENTITIES.items():
        (export / f"{name}.csv").write_text(",".join(f.name for f in entity.fields), encoding="utf-8")
    _audit(export, tmp_path / "out")
    assert "internal error" not in capsys.readouterr().err
