"""Every YAML file a user gives (config, rule pack, metric pack) is read with bounds: an alias bomb, a
recursive alias or nesting beyond reason is one line (exit 2) naming the file, fast and in little memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from auditor.checks.packs import read_pack
from auditor.cli import main
from auditor.config import load_config, load_metric_pack
from auditor.errors import ConfigError
from auditor.yamlfile import MAX_DEPTH, parse_yaml


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "contacts.csv").write_text("contact_id,email\nC1,a@b.pl\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("option", "body"),
    [
        ("--config", "{bomb}"),
        ("--rules", "{bomb}rules: []\n"),
        ("--config", "metrics: {{packs: [pack.yaml]}}\n"),  # the bomb is the metric pack
    ],
)
def test_an_alias_bomb_is_one_line_naming_the_file(
    tmp_path: Path, export: Path, capsys: pytest.CaptureFixture[str], option: str, body: str
) -> None:
    (tmp_path / "pack.yaml").write_text(billion_laughs(), encoding="utf-8")
    given = tmp_path / "given.yaml"
    given.write_text(body.format(bomb=billion_laughs()), encoding="utf-8")
    assert main(["check", str(export), option, str(given)]) == 2
    err = capsys.readouterr().err
    named = tmp_path / "pack.yaml" if "packs" in body else given
    assert err.startswith(f"crm-audit: error: {named}") and "expands to more than" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("reader", [load_config, read_pack, load_metric_pack])
def test_an_alias_bomb_costs_under_a_second_and_little_memory(tmp_path: Path, reader) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ConfigError, match="expands to more than"):
            reader(path)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds < 1.0 and peak < 32 * 2**20, (seconds, peak)


def test_a_recursive_alias_and_deep_nesting_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    for text, message in [
        ("a: &a [1, *a]\n", "recursive alias"),
        ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", "nests more than"),
        ("a: " + "[" * 2000 + "]" * 2000 + "\n", "nests more than"),  # beyond Python's recursion limit
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message) as error:
            load_config(path)
        assert error.value.file == str(path)


def test_anchors_within_the_bounds_work_as_yaml_says(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "gate: &gate {fail_under: 80, fail_on: error}\nmapping:\n  contacts: &cols {Mail: email}\n  leads: *cols\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.gate.fail_under == 80.0
    assert config.mapping["contacts"] == config.mapping["leads"] == {"Mail": "email"}
    assert parse_yaml(billion_laughs(3), path)["a2"][8] == [["lol"] * 9] * 9


def test_a_file_too_large_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.yamlfile

    monkeypatch.setattr(auditor.yamlfile, "MAX_BYTES", 100)
    path = tmp_path / "c.yaml"
    path.write_text("gate: {fail_under: 80}\n" * 10, encoding="utf-8")
    with pytest.raises(ConfigError, match="a config file of 230 bytes is too large"):
        load_config(path)
