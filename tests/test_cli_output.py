"""The command line for people and CI (issue 15, item 5): help with real metavars and defaults,
`--version`, commands in order of use, one-line option errors, the total time of `audit`, no
truncation when standard output is not a terminal, and GitHub Actions annotations."""

from __future__ import annotations

import importlib.metadata
import json
import re
import time
from pathlib import Path

import pytest
import typer

import auditor
from auditor.cli import COMMAND_ORDER, app, main
from auditor.reports import github

CONTACTS = """contact_id,first_name,last_name,email,phone,country,account_id,created_at,updated_at
C1,Jan,Kowalski,jan.kowalski@firma.pl,+48 601 234 567,PL,A1,2025-01-02,2026-09-01
C2,Anna,Nowak,anna.nowak@@firma.pl,601234567,PL,A1,2025-02-03,2026-09-02
C3,Piotr,  Wiśniewski,piotr@firma.pl,,PL,A9,2025-03-04,2026-09-03
C4,Ewa,Zielińska,ewa@@firma.pl,601234568,PL,A1,2025-03-05,2026-09-04
"""
ACCOUNTS = """account_id,name,country,created_at,updated_at
A1,Firma Sp. z o.o.,PL,2024-01-01,2026-09-01
"""
LIBRARY_WORDING = ("Input should be", "Value error", "Invalid value for", "Traceback", "Usage:", "╭")
TYPER_PLACEHOLDERS = re.compile(r"<bool>|<list\[|\{path\}|<(str|int|float|path|Path)>|\{[a-z_]+\}")


def make_export(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (folder / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (folder / "crm-audit.yaml").write_text("as_of: 2026-10-31\ndefault_region: PL\n", encoding="utf-8")
    return folder


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return make_export(tmp_path / "export")


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def command_names() -> list[str]:
    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


# -- version and command order ---------------------------------------------------------------


def test_version_is_the_package_version(capsys) -> None:
    code, out, err = run(capsys, "--version")
    assert code == 0 and not err
    assert out == f"crm-audit {auditor.__version__}\n"
    assert auditor.__version__ == importlib.metadata.version("crm-auditor")


def test_commands_are_listed_in_order_of_use(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--version" in out
    listed = [m.group(1) for m in re.finditer(r"^│ ([a-z][a-z-]+) ", out, flags=re.MULTILINE)]
    known = [name for name in COMMAND_ORDER if name in command_names()]
    assert listed[: len(known)] == known
    assert listed[0] == "audit"
    assert sorted(listed) == sorted(command_names())


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", ["80", "250"])
def test_no_help_shows_typer_type_placeholders(capsys, monkeypatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    for command in [[], *([name] for name in command_names())]:
        code, out, _ = run(capsys, *command, "--help")
        assert code == 0 and "Usage" in out, command
        found = TYPER_PLACEHOLDERS.search(out)
        assert found is None, f"crm-audit {' '.join(command)} --help shows {found.group(0)!r}"


def test_help_has_real_metavars_and_shown_defaults(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _, out, _ = run(capsys, "audit", "--help")
    assert re.search(r"Usage: crm-audit audit \[OPTIONS\] PATH\s*$", out, flags=re.MULTILINE)
    for option, metavar in [
        ("--out", "DIR"),
        ("--config", "FILE"),
        ("--rules", "FILE"),
        ("--period", "PERIOD"),
        ("--fail-under", "SCORE"),
        ("--history", "LOCATION"),
        ("--format", "text|json|junit|github"),
        ("--max-annotations", "N"),
    ]:
        assert re.search(rf"{re.escape(option)}\s.*{re.escape(metavar)}", out), (option, metavar)
    assert "[default: text]" in out and "[default: 10]" in out
    _, out, _ = run(capsys, "synth", "--help")
    assert "[default: 2000]" in out and "YYYY-MM-DD" in out
    _, out, _ = run(capsys, "diff", "--help")
    assert "[RUN_A] [RUN_B]" in out


# -- option errors: one human line on standard error, exit 2 ----------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "{export}", "--fail-under", "abc"], "--fail-under: 'abc' is not a number"),
        (["history", "--limit", "x"], "--limit: 'x' is not a whole number"),
        (["check", "{export}", "--fail-under", "200"], "--fail-under: 200 is out of range: it must be at most 100"),
        (["check", "{export}", "--format", "xml"], "--format: 'xml' is not one of text, json, junit, github"),
        (["check", "{export}", "--fail-on", "sometimes"], "--fail-on: 'sometimes' is not one of error, warning"),
        (["metrics", "{export}", "--period", "2026-Q9"], "--period '2026-Q9' is not a period"),
        (["audit", "{export}", "--out", "{out}", "--period", "someday"], "--period 'someday' is not a period"),
        (["check"], "PATH is missing: export directory, file, or SQLAlchemy URL"),
        (["check", "{missing}"], "no such file or directory"),
        (["dedupe", "{export}", "--out", "{out}"], "--entity is missing"),
        (["check", "{export}", "--fial-on", "error"], "no option --fial-on; did you mean --fail-on"),
        (["synth", "--out", "{out}", "--as-of", "tomorrow"], "--as-of: 'tomorrow' is not a date"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_option_errors_are_one_human_line(capsys, export: Path, tmp_path: Path, args: list, expected: str) -> None:
    values = {"export": export, "out": tmp_path / "out", "missing": tmp_path / "no" / "such"}
    code, out, err = run(capsys, *[a.format(**values) for a in args])
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("crm-audit: error: ") and expected in err, err
    assert not any(words in err for words in LIBRARY_WORDING), err


# -- the total time of `audit` ----------------------------------------------------------------


def test_audit_time_covers_metrics_and_writing(capsys, export: Path, tmp_path: Path, monkeypatch) -> None:
    import auditor.pipeline
    import auditor.reports.outputs

    finish, write = auditor.pipeline.compute_metrics, auditor.reports.outputs.write_audit_outputs

    def slow_metrics(*args, **kwargs):
        time.sleep(0.6)
        return finish(*args, **kwargs)

    def slow_writing(*args, **kwargs):
        time.sleep(0.6)
        return write(*args, **kwargs)

    monkeypatch.setattr(auditor.pipeline, "compute_metrics", slow_metrics)
    monkeypatch.setattr(auditor.reports.outputs, "write_audit_outputs", slow_writing)
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "audit", str(export), "--out", str(out_dir), "--no-history")
    assert code == 1
    verdict = float(re.search(r"as of 2026-10-31, ([\d.]+)s\)", out).group(1))
    total = float(re.search(r"\(([\d.]+)s in all\)", out).group(1))
    assert verdict >= 1.2 and total >= 1.2, out
    written = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))["duration_seconds"]
    assert written >= 0.6, "result.json's time includes the metrics"


# -- output when standard output is not a terminal ---------------------------------------------


def test_no_truncation_when_not_a_terminal(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    export = make_export(tmp_path / ("a-rather-long-folder-name-for-crm-exports-of-" * 3) / "export")
    code, out, _ = run(capsys, "audit", str(export), "--out", str(tmp_path / "out"), "--no-history")
    assert code == 1
    assert str(export) in out, "the input path is printed whole, on one line"
    assert "…" not in out, "no reason or task is cut with an ellipsis"
    assert max(len(line) for line in out.splitlines()) > 80


# -- GitHub Actions annotations ------------------------------------------------------------------


def test_check_format_github_annotates_findings(capsys, export: Path) -> None:
    code, out, _ = run(capsys, "check", str(export), "--format", "github", "--no-mask-pii")
    assert code == 1
    lines = out.splitlines()
    email = [line for line in lines if "title=contacts.email.format::" in line]
    assert email and email[0].startswith("::error file=")
    assert re.match(r"::error file=[^,]*contacts\.csv,line=3,title=contacts\.email\.format::contacts C2: ", email[0])
    assert any(line.startswith("::warning ") for line in lines)
    assert any(line.startswith("::error title=crm-audit gate::FAIL") for line in lines)
    assert "FAIL" in out and "hygiene score" in out, "the text summary follows the annotations"


def test_annotations_are_capped_and_say_how_many_more(capsys, export: Path) -> None:
    _, out, _ = run(capsys, "check", str(export), "--format", "github", "--max-annotations", "1")
    lines = out.splitlines()
    assert sum(line.startswith("::error file=") for line in lines) == 1
    assert sum(line.startswith("::warning ") for line in lines) <= 1
    more = [line for line in lines if line.startswith("::notice title=crm-audit::")]
    assert len(more) == 1 and re.search(r"\d+ more errors?", more[0]) and "not annotated" in more[0]


def test_annotations_mask_personal_data_when_asked(capsys, export: Path) -> None:
    _, out, _ = run(capsys, "check", str(export), "--format", "github", "--mask-pii")
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations and not any("anna.nowak" in line for line in annotations)


def test_audit_format_github_annotates_and_writes_the_reports(capsys, export: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "audit", str(export), "--out", str(out_dir), "--format", "github", "--no-history")
    assert code == 1
    assert re.search(r"^::error file=.*title=contacts\.email\.format::", out, flags=re.MULTILINE)
    assert (out_dir / "result.json").exists() and (out_dir / "report.html").exists()


def test_annotation_escapes_what_the_runner_would_misread() -> None:
    line = github.annotation("error", "50% done\nnext", file="a,b:c.csv", line=7, title="x.y:z")
    assert line == "::error file=a%2Cb%3Ac.csv,line=7,title=x.y%3Az::50%25 done%0Anext"
    assert github.annotation("notice", "plain") == "::notice::plain"
