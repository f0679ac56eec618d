"""YAML is parsed by libyaml (PyYAML's parser in C), with PyYAML's Python parser as the reference: the same
values, lines and bounds, and for a file libyaml refuses, the value or the error PyYAML has always given."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.packs import CORE_PACK, _LineLoader
from auditor.errors import ConfigError
from auditor.yamlfile import BoundedLoader, _read, parse_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(
    [
        *(ROOT / "auditor" / "sources" / "presets").glob("*.yaml"),
        *(ROOT / "rules").glob("*.yaml"),
        *(ROOT / "metrics").glob("*.yaml"),
        *(ROOT / "fixtures").rglob("*.yaml"),
    ]
)
pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")


def python_parser(text: str, loader: type[BoundedLoader]) -> object:
    return yaml.load(text, Loader=loader)


def test_valid_yaml_is_read_by_libyaml_and_an_error_is_worded_by_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[int] = []
    check_token = yaml.scanner.Scanner.check_token

    def counted(self: yaml.scanner.Scanner, *choices: type) -> bool:
        scanned.append(1)
        return check_token(self, *choices)

    monkeypatch.setattr(yaml.scanner.Scanner, "check_token", counted)
    assert parse_yaml(CORE_PACK.read_text(encoding="utf-8"), CORE_PACK, _LineLoader)["rules"]
    assert not scanned  # libyaml's scanner, not PyYAML's Python one
    with pytest.raises(ConfigError) as error:
        parse_yaml("gate:\n  fail_under: 80: 90\n", "c.yaml")
    # libyaml says "mapping values are not allowed in this context"
    assert (error.value.message, error.value.line) == ("not valid YAML: mapping values are not allowed here", 2)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_reads_the_same_lines_included(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for loader in (BoundedLoader, _LineLoader):  # _LineLoader keeps each mapping's line
        assert _read(text, loader) == python_parser(text, loader)


def node_lines(node: yaml.Node) -> list[tuple[str, int, int]]:
    out = [(node.tag, node.start_mark.line, node.start_mark.column)]
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        for child in node.value:
            for part in child if isinstance(child, tuple) else (child,):
                out += node_lines(part)
    return out


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)


def containers(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


documents = st.recursive(scalars, containers)


@settings(max_examples=60, deadline=None)
@given(documents, st.sampled_from([None, False, True]), st.booleans())
def test_a_dumped_document_reads_the_same(document: object, flow: bool | None, unicode: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=unicode)
    assert _read(text, _LineLoader) == python_parser(text, _LineLoader)
    assert node_lines(_read(text, BoundedLoader, compose=True)) == node_lines(yaml.compose(text, Loader=BoundedLoader))
