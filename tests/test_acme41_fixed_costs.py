"""A small audit's fixed costs on the main line (issue 17): the collector's young passes."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_exit import _python


def _fresh(code: str, tmp_path: Path) -> dict:
    """What `code`, run by a fresh interpreter on this checkout, prints as JSON on its last line."""
    done = _python("-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


COLLECTOR = """
import atexit, gc, json, os, sys
import auditor.commands.app as app
from auditor.cli import run

seen = {"default": gc.get_threshold()}
real = app.resume_collector

def resume():
    real()
    seen["command"] = gc.get_threshold()

app.resume_collector = resume
atexit.register(lambda: sys.stdout.write(json.dumps(seen) + "\\n"))
sys.argv = ["crm-audit", "rules"]
run()
"""


def test_the_program_collects_its_young_generation_less_often_once_its_command_starts(tmp_path: Path) -> None:
    seen = _fresh(COLLECTOR, tmp_path)
    default, command = seen["default"], seen["command"]
    assert default[0] == 700, seen  # Python's own, until the command starts
    assert command == [10_000, *default[1:]], seen  # the older generations keep theirs


def test_main_leaves_the_callers_thresholds_as_they_were() -> None:
    import gc

    from auditor.cli import main

    before = gc.get_threshold()
    assert main(["rules"]) == 0
    assert gc.get_threshold() == before
