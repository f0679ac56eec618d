"""The `crm-audit` program ends at once when its command is done (`auditor.cli.end_process`): the exit code,
standard output and the atexit handlers as before, the interpreter's teardown skipped; a thread still running
or a stream it cannot flush leaves the exit to the interpreter. Each case in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]

PROBE = """
import atexit, sys, threading, time
from auditor.cli import end_process

class TornDown:
    def __del__(self):
        sys.stdout.write("torn down\\n")

KEPT = TornDown()  # a module global: its finalizer runs only when the interpreter tears the module down
atexit.register(lambda: sys.stdout.write("atexit ran\\n"))
sys.stdout.write("written, not flushed\\n")
if "thread" in sys.argv:
    def late() -> None:
        time.sleep(0.3)
        sys.stdout.write("thread joined\\n")
    threading.Thread(target=late).start()
end_process(3)
"""


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    paths = [str(CHECKOUT), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )


def test_the_process_ends_without_the_teardown_its_output_and_atexit_handlers_kept(tmp_path: Path) -> None:
    done = _python("-c", PROBE, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == ["written, not flushed", "atexit ran"], done.stdout


def test_a_thread_still_running_is_joined_by_the_interpreter_as_before(tmp_path: Path) -> None:
    done = _python("-c", PROBE, "thread", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["written, not flushed", "thread joined"], done.stdout
    assert {"atexit ran", "torn down"} <= set(lines), done.stdout


def test_python_m_auditor_and_main_agree_on_the_exit_code_and_the_output(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "contacts.csv").write_text(
        "contact_id,email,created_at\nC1,a@b.pl,2024-01-02\nC2,not-an-email,2024-02-03\n", encoding="utf-8"
    )
    done = _python("-P", "-m", "auditor", "check", str(export), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the invalid e-mail is an error: the gate fails
    assert done.stdout.rstrip().endswith("}")  # the whole JSON document, flushed before the end
    assert '"passed": false' in done.stdout


STAGES_TWICE = """
import sys
from pathlib import Path
import auditor.cli as cli
import auditor.staging as staging

def main(argv=None):
    out = Path(sys.argv[1])
    for number in (1, 2):
        with staging.staged(out) as stage:
            (stage / "run.txt").write_text(str(number), encoding="utf-8")
    sys.stdout.write(f"left {len(staging._LEFT)}\\n")
    return 0

cli.main = main
cli.run()
"""


def test_the_program_leaves_the_run_it_replaced_to_be_removed_after_it_ends(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _python("-c", STAGES_TWICE, str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["left 1"], done.stdout
    deadline = time.monotonic() + 60
    while any(p.name.startswith(".out.") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "run.txt").read_text(encoding="utf-8") == "2"
