"""`crm-audit audit` runs its stages with what start-up made frozen out of the collector's full passes
(`auditor.commands.app.start_up_frozen`), and hands it back when they end."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import auditor.pipeline
from auditor.cli import main


def test_the_stages_run_with_start_up_frozen_and_it_is_handed_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
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
    assert len(frozen_during) == 1 and frozen_during[0] > before
    assert gc.get_freeze_count() == before
