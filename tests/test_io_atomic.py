import os
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest

from auditor.io import atomic_open, write_csv, write_text


def test_written_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        write_text(tmp_path / "report.txt", "hello")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o644
    assert (tmp_path / "report.txt").read_text() == "hello"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "result.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_every_csv_neutralises_cells_a_spreadsheet_would_run(tmp_path):
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "+48601234567", "Jan", None], "n": [1, 2, 3, 4]})
    write_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert back["name"].tolist() == ['\'=HYPERLINK("http://x")', "'+48601234567", "Jan", ""]
    assert back["n"].tolist() == ["1", "2", "3", "4"]


def test_files_of_a_staged_folder_reach_the_disk_in_one_sync_at_its_end(tmp_path, monkeypatch):
    from auditor import io

    synced: list[object] = []
    monkeypatch.setattr(io.os, "fsync", lambda fd: synced.append(("fsync", fd)))
    monkeypatch.setattr(io, "_syncfs", lambda folder: synced.append(("syncfs", folder)) or True)
    stage, elsewhere = tmp_path / "stage", tmp_path / "elsewhere"
    with io.synced_once(stage):
        write_text(stage / "a.txt", "a")
        write_csv(pd.DataFrame({"x": [1]}), stage / "sub" / "b.csv")
        assert synced == []  # not one fsync per file of the folder
        write_text(elsewhere / "c.txt", "c")
        assert [kind for kind, _ in synced] == ["fsync"]  # a file outside it is synced as ever
    assert synced[1:] == [("syncfs", stage)]
    assert (stage / "a.txt").read_text() == "a" and (stage / "sub" / "b.csv").read_text() == "x\n1\n"


def test_without_syncfs_each_file_then_the_folder_is_synced(tmp_path, monkeypatch):
    from auditor import io

    synced: list[Path] = []
    monkeypatch.setattr(io, "_syncfs", lambda folder: False)
    monkeypatch.setattr(io, "_fsync", synced.append)
    with io.synced_once(tmp_path):
        write_text(tmp_path / "a.txt", "a")
        write_text(tmp_path / "b.txt", "b")
    assert synced == [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path]


def test_a_block_that_raises_syncs_nothing(tmp_path, monkeypatch):
    from auditor import io

    synced: list[Path] = []
    monkeypatch.setattr(io, "_syncfs", lambda folder: synced.append(folder) or True)
    with pytest.raises(RuntimeError), io.synced_once(tmp_path):
        write_text(tmp_path / "a.txt", "a")
        raise RuntimeError("a writer failed")
    assert synced == []


def test_syncfs_is_found_on_linux(tmp_path):
    from auditor import io

    write_text(tmp_path / "a.txt", "a")
    assert io._syncfs(tmp_path) is sys.platform.startswith("linux")
