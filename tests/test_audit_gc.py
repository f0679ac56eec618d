"""The garbage collector around start-up: `crm-audit` pauses it until its command starts
(`auditor.commands.app.pause_collector`, `resume_collector`), then freezes what start-up made out of its passes.
A caller of `main()` keeps its collector as it was, nothing frozen."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import auditor.pipeline
from auditor.cli import main
from auditor.commands import app

CHECKOUT = Path(__file__).resolve().parents[1]

PROBE = """
import atexit, gc, json, sys
import auditor.commands.app as app
from auditor.cli import run

seen = []
real = app.resume_collector

def resume():
    seen.append(["before", gc.isenabled()])
    real()
    seen.append(["after", gc.isenabled(), gc.get_freeze_count()])

app.resume_collector = resume
atexit.register(lambda: sys.stderr.write(json.dumps({"seen": seen, "enabled_at_end": gc.isenabled()}) + "\\n"))
sys.argv = ["crm-audit", "rules"]
run()
"""


def test_the_program_pauses_the_collector_until_its_command_starts_then_freezes_start_up(tmp_path: Path) -> None:
    paths = [str(CHECKOUT), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stderr.strip().splitlines()[-1])
    (before, after) = report["seen"]
    assert before == ["before", False] and after[:2] == ["after", True], report
    assert after[2] > 10_000, report  # the modules, classes and rules of start-up: tens of thousands of objects
    assert report["enabled_at_end"], report


def test_main_leaves_the_callers_collector_as_it_was(tmp_path: Path) -> None:
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    assert main(["rules"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        app.pause_collector()
        app.resume_collector()
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_main_freezes_nothing_of_its_callers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "contacts.csv").write_text(
        "contact_id,email,created_at\nC1,a@b.pl,2024-01-02\nC2,b@c.pl,2024-02-03\n", encoding="utf-8"
    )
    frozen_during: list[int] = []
    real = auditor.pipeline.audit

    def audit(*args: object, **kwargs: object) -> object:
        frozen_during.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(auditor.pipeline, "audit", audit)
    before = gc.get_freeze_count()
    assert main(["audit", str(export), "--out", str(tmp_path / "out"), "--no-history"]) == 0
    assert frozen_during == [before] and gc.get_freeze_count() == before
