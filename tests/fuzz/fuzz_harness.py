"""Run one generated input through the readers or a command and hold it to the issue's promises: an exit
code of 0, 1 or 2 (never 3, an internal error), no traceback, every output parseable, the input unchanged."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from fuzz_strategies import Sample
from hypothesis import HealthCheck, settings

from auditor.errors import AuditorError


def campaign(examples: int) -> settings:
    """Hypothesis settings of a run of `examples` inputs: seeded (the same inputs every run), no example
    database, no health check (generating a workbook is slow by design)."""
    return settings(max_examples=examples, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


SMOKE = campaign(8)
"""The slice of each campaign that runs in the default test run."""


@contextlib.contextmanager
def saved(sample: Sample) -> Iterator[Path]:
    """The sample written as a one-file export folder; on leaving, its bytes must be those written."""
    with tempfile.TemporaryDirectory(prefix="crm-fuzz-") as folder:
        export = Path(folder) / "export"
        export.mkdir()
        path = export / sample.name
        path.write_bytes(sample.data)
        digest = hashlib.sha256(sample.data).hexdigest()
        yield path
        assert sorted(p.name for p in export.iterdir()) == [sample.name], "the run wrote into the export"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, "the run changed its input"


def load(sample: Sample) -> None:
    """The readers, mapping and typing: a table per entity, or an AuditorError (exit 2); nothing else."""
    from auditor.sources import load_export

    with saved(sample) as path:
        try:
            export = load_export(path.parent)
        except AuditorError as error:
            assert str(error).strip() and "\n" not in str(error).strip(), f"not one line: {error!r}"
            return
        for table in export.tables.values():
            assert len(table.raw) == len(table.frame) == len(table.row_numbers)


def run(command: str, sample: Sample, *options: str) -> int:
    """`crm-audit COMMAND EXPORT --out OUT OPTIONS` in this process; its outputs checked when it ran."""
    from auditor.cli import main

    with saved(sample) as path, tempfile.TemporaryDirectory(prefix="crm-fuzz-out-") as out:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main([command, str(path.parent), "--out", out, "--format", "json", *options])
        told = stderr.getvalue()
        assert code in (0, 1, 2), f"exit {code}: {told[-2000:]}"
        assert "Traceback" not in told and "Traceback" not in stdout.getvalue()
        if code == 2:
            assert told.startswith("crm-audit: error: "), told
        else:
            json.loads(stdout.getvalue())
            parseable(Path(out))
        return code


def parseable(out: Path) -> None:
    """Every file a run wrote reads back: JSON loads, XML (junit.xml) is well-formed, CSV rows split,
    workbooks open."""
    for file in sorted(out.rglob("*")):
        if file.suffix == ".json":
            json.loads(file.read_text(encoding="utf-8"))
        elif file.suffix == ".xml":
            ElementTree.parse(file)
        elif file.suffix == ".csv":
            with file.open(encoding="utf-8-sig", newline="") as handle:
                for _ in csv.reader(handle):
                    pass
        elif file.suffix == ".xlsx":
            import openpyxl

            openpyxl.load_workbook(file, read_only=True).close()
        elif file.suffix == ".html":
            assert file.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
