"""Option values are validated before any work, and options that contradict each other are refused:
each is one line on standard error with exit 2, never an ignored option or a gate nothing can pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("value", ["150", "-5", "nan", "inf", "-inf", "lots"])
@pytest.mark.parametrize("command", ["check", "audit"])
def test_fail_under_is_a_finite_score_from_0_to_100(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, value: str
) -> None:
    extra = ["--out", str(tmp_path / "out"), "--no-history"] if command == "audit" else []
    err = _refused([command, str(export), f"--fail-under={value}", *extra], capsys)
    assert err.startswith("crm-audit: error: --fail-under: ")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["150", "-5", ".nan", ".inf", "true", "[80]"])
def test_the_configs_fail_under_is_a_score_from_0_to_100(
    export: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    (export / "crm-audit.yaml").write_text(f"gate: {{fail_under: {value}}}\n", encoding="utf-8")
    err = _refused(["check", str(export)], capsys)
    assert "crm-audit.yaml:1: gate.fail_under: " in err


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "101"])
def test_fail_on_regression_is_a_finite_number_of_points(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    argv = ["audit", str(export), "--out", str(tmp_path / "out"), f"--fail-on-regression={value}"]
    assert _refused(argv, capsys).startswith("crm-audit: error: --fail-on-regression: ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--no-history", "--fail-on-regression", "1"], "--fail-on-regression: cannot be given with --no-history"),
        (["--no-history", "--history", "h.sqlite"], "--history: cannot be given with --no-history"),
    ],
)
def test_contradictory_options_are_refused(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    err = _refused(["audit", str(export), "--out", str(tmp_path / "out"), *options], capsys)
    assert message in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "h.sqlite").exists()


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("postgresql://ann:s3cr3t-pw@db.example:notaport/crm", "its port is not a number"),
        ("nosuchdb://ann:s3cr3t-pw@db.example/crm", "Can't load plugin"),
        ("mysql+nosuchdriver://ann:s3cr3t-pw@db.example/crm", "not a usable --history database URL"),
    ],
)
def test_an_unusable_history_url_is_refused_before_the_audit_runs(
    export: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    location: str,
    says: str,
) -> None:
    from auditor import pipeline

    def no_audit(*_: object, **__: object) -> None:
        raise AssertionError("the audit ran before the history location was checked")

    monkeypatch.setattr(pipeline, "audit", no_audit)
    out = tmp_path / "out"
    err = _refused(["audit", str(export), "--out", str(out), "--history", location], capsys)
    assert says in err and "s3cr3t-pw" not in err and ":***@db.example" in err
    assert not out.exists()


def test_an_unusable_history_from_the_environment_is_refused_too(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_AUDIT_HISTORY", "postgresql://ann:s3cr3t-pw@db.example:x/crm")
    err = _refused(["audit", str(export), "--out", str(tmp_path / "out")], capsys)
    assert "its port is not a number" in err and "s3cr3t-pw" not in err
    # --no-history reads no history, so its location is not judged
    monkeypatch.setenv("CRM_AUDIT_HISTORY", str(tmp_path))  # a folder: unusable
    assert main(["audit", str(export), "--out", str(tmp_path / "out2"), "--no-history"]) in (0, 1)
