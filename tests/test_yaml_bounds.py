"""Every YAML file a user gives (config, rule pack, metric pack) is read with bounds: an alias bomb, a
recursive alias or nesting beyond reason is one line (exit 2) naming the file, fast and in little memory."""

from __future__ import annotations

import ast
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


_YAML_READERS = {
    "load",
    "safe_load",
    "full_load",
    "unsafe_load",
    "load_all",
    "safe_load_all",
    "full_load_all",
    "unsafe_load_all",
    "compose",
    "compose_all",
    "parse",
    "scan",
}
_YAML_LOADERS = {"Loader", "SafeLoader", "FullLoader", "UnsafeLoader", "BaseLoader", "CLoader", "CSafeLoader"}


def _direct_yaml_reads(source: str) -> list[str]:
    """Each place in `source` that parses YAML without auditor.yamlfile: a yaml reading function called or
    imported, or one of PyYAML's loaders used."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml":
            if node.attr in _YAML_READERS | _YAML_LOADERS:
                found.append(f"line {node.lineno}: yaml.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "yaml":
            found += [f"line {node.lineno}: from yaml import {a.name}" for a in node.names if a.name != "YAMLError"]
    return found


def test_no_module_reads_yaml_but_through_the_bounded_loader() -> None:
    """Shipped presets and packs too: a new `yaml.safe_load` anywhere would be a way around the bounds."""
    root = Path(__file__).resolve().parents[1]
    offenders = {
        str(path.relative_to(root)): hits
        for folder in ("auditor", "benchmarks")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "yamlfile.py" and (hits := _direct_yaml_reads(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_scan_finds_a_direct_read() -> None:
    assert _direct_yaml_reads("import yaml\nx = yaml.safe_load(s)\ny = yaml.dump(x)\n") == ["line 2: yaml.safe_load"]
    assert _direct_yaml_reads("from yaml import CSafeLoader, YAMLError\n") == ["line 1: from yaml import CSafeLoader"]
    assert _direct_yaml_reads("class L(yaml.SafeLoader): pass\n") == ["line 1: yaml.SafeLoader"]


def test_the_shipped_presets_load_through_the_bounded_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor import yamlfile
    from auditor.sources import aliases, values

    read: list[str] = []
    original = yamlfile.read_yaml

    def spy(path: str | Path, what: str, loader: type[yamlfile.BoundedLoader] = yamlfile.BoundedLoader) -> object:
        read.append(Path(path).name)
        return original(path, what, loader)

    monkeypatch.setattr(aliases, "read_yaml", spy)
    caches = (aliases.preset_document, aliases.alias_table, values.preset_values)
    for cached in caches:
        cached.cache_clear()
    try:
        assert aliases.alias_table("hubspot").fields and values.preset_values("hubspot") is not None
    finally:
        for cached in caches:
            cached.cache_clear()
    assert read == ["hubspot.yaml"]  # once for its header spellings and its value maps (0.005 s for generic.yaml)
