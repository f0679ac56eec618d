import os
import stat

import pytest

from auditor.io import atomic_open, write_text


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
