import os
import stat

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
