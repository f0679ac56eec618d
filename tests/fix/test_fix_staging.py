"""`fix --out` is all or nothing, as an audit's --out: a run that fails midway leaves the previous fixed
copy as it was, and an --out holding files a fix did not write is refused before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import fix
from auditor.cli import main
from auditor.errors import InputError
from auditor.pipeline import fix_export

ROWS = "contact_id,first_name,last_name,email\nc1, Anna ,Nowak,anna@corp.io\nc2,Jan,Kowalski , jan@corp.io\n"


def _export(folder: Path, rows: str = ROWS) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "contacts.csv").write_text(rows, encoding="utf-8")
    (folder / "accounts.csv").write_text("account_id,name\na1, Acme \n", encoding="utf-8")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_fix_that_fails_midway_leaves_the_previous_fixed_copy_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, out = _export(tmp_path / "export"), tmp_path / "fixed"
    fix_export(export, out=out, apply=True)
    before = _files(out)
    assert {"contacts.csv", "accounts.csv", "changes.csv"} <= set(before)

    # the next run fixes other values, and dies after writing its first file
    _export(export, ROWS.replace("Nowak", " Nowak"))
    written: list[Path] = []
    real_open = fix.atomic_open

    def dies_on_the_second(path: Path, *args: object, **kwargs: object) -> object:
        if written:
            raise RuntimeError("killed midway")
        written.append(Path(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(fix, "atomic_open", dies_on_the_second)
    with pytest.raises(RuntimeError, match="killed midway"):
        fix_export(export, out=out, apply=True)
    assert written and written[0].parent != out  # it was writing beside --out, not into it
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fixed.")] == []  # no staging left

    monkeypatch.undo()
    report = fix_export(export, out=out, apply=True)
    assert " Nowak" not in (out / "contacts.csv").read_text(encoding="utf-8")
    assert report.out == out and all(p.parent == out for p in report.written)


def test_a_full_disk_while_fixing_is_one_line_and_the_folder_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    export, out = _export(tmp_path / "export"), tmp_path / "fixed"
    assert main(["fix", str(export), "--out", str(out), "--apply", "safe"]) == 0
    before = _files(out)

    def full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fix, "write_csv", full)
    capsys.readouterr()
    assert main(["fix", str(export), "--out", str(out), "--apply", "safe"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--out is unchanged" in err and len(err.strip().splitlines()) == 1
    assert _files(out) == before


def test_an_out_holding_other_files_is_refused_before_the_export_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, out = _export(tmp_path / "export"), tmp_path / "fixed"
    out.mkdir()
    (out / "my-notes.txt").write_text("keep me", encoding="utf-8")
    monkeypatch.setattr("auditor.pipeline.check", lambda *a, **k: pytest.fail("audited before refusing"))
    with pytest.raises(InputError, match=r"my-notes\.txt"):
        fix_export(export, out=out, apply=True)
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "keep me"


def test_a_dry_run_replaces_an_earlier_fixed_copy_whole(tmp_path: Path) -> None:
    export, out = _export(tmp_path / "export"), tmp_path / "fixed"
    fix_export(export, out=out, apply=True)
    fix_export(export, out=out, apply=False)
    assert sorted(p.name for p in out.iterdir()) == [".crm-audit-run.json", "changes.csv"]
