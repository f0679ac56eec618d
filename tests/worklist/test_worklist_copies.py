"""One contact entered 300 times is one merge task on 300 records whose text names ten of them: the text is
repeated on every record of the task, and naming them all there grew the outputs with the square of the
copies (a 50,000-copy export took 17 GB)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor import audit

COPIES = 300


def test_copies_are_one_merge_task_whose_text_stays_short(tmp_path: Path) -> None:
    ids = [f"C{k:04d}" for k in range(COPIES)]
    pd.DataFrame(
        {
            "contact_id": ids,
            "first_name": "Anna",
            "last_name": "Kowalska",
            "email": "anna.k@example.com",
            "phone": "+48 601 234 567",
            "country": "PL",
        }
    ).to_csv(tmp_path / "contacts.csv", index=False)
    result = audit(tmp_path)
    merges = result.worklist[result.worklist["action"] == "merge"]
    assert len(merges) == 1
    task = merges.iloc[0]
    assert task["records"] == COPIES and task["record_id"] == "C0000"
    assert task["members"].split(";") == ids[1:]
    assert task["issue"] == (
        f"{COPIES - 1} duplicate contacts of C0000 (auto-merge band): merge "
        + ", ".join(ids[1:11])
        + f" and {COPIES - 11} more into C0000"
    )
    rows = result.worklist_records[result.worklist_records["task_id"] == task["task_id"]]
    assert len(rows) == COPIES
    assert set(rows["issue"]) <= {task["issue"], "merge into C0000: " + task["issue"]}
