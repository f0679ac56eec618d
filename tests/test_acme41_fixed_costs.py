"""A small audit's fixed costs on the main line (issue 17): the writers' modules imported by the lane that writes
their files, not by the main line before the forked lanes begin."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_exit import _python


def _fresh(code: str, tmp_path: Path) -> dict:
    """What `code`, run by a fresh interpreter on this checkout, prints as JSON on its last line."""
    done = _python("-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


WRITERS = """
import json, sys
from pathlib import Path
from types import SimpleNamespace
from auditor.reports import outputs

result = SimpleNamespace(findings_summary=lambda: None, worklist=[], worklist_records=[], duplicates=object())
jobs = outputs._writers(result, Path("out"), False)
names = ["jinja2", *(f"auditor.reports.{m}" for m in (
    "html", "review", "junit", "json_report", "findings_csv", "worklist_csv", "duplicates", "xlsx"))]
print(json.dumps({"jobs": [job.name for job in jobs], "imported": [n for n in names if n in sys.modules]}))
"""


def test_the_writers_are_listed_without_importing_what_they_write_with(tmp_path: Path) -> None:
    # the main line lists them before it forks the lanes beside it; it writes the workbook alone
    seen = _fresh(WRITERS, tmp_path)
    assert "report.html" in seen["jobs"] and "review.json, review.html" in seen["jobs"], seen
    assert seen["imported"] == [], seen
