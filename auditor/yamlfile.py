"""Every YAML file a user gives the auditor (config, rule packs, metric packs) is read here, with bounds:
a file of at most MAX_BYTES, nested at most MAX_DEPTH deep, and at most MAX_NODES nodes once every alias
is expanded. An alias "bomb" (billion laughs: nine aliases of nine aliases of ...) is a few hundred bytes
that expand to a billion nodes; it is refused after composing, before anything walks it, in well under a
second. Anchors and aliases that stay within the bounds work as YAML says.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import ConfigError

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 200
MAX_NODES = 200_000


class BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a document beyond the bounds (ConfigError, no file named: the caller's
    read_yaml names it)."""

    def compose_document(self) -> Any:
        node = super().compose_document()
        _check_size(node)
        return node


_LIBYAML: Any = getattr(yaml, "CSafeLoader", None)
"""PyYAML's parser in C (libyaml), present when PyYAML was built with it, as its wheels are: it reads the rule
packs, presets and metric pack every run loads in a sixth of the CPU of PyYAML's Python parser."""


@cache
def _on_libyaml(loader: type[BoundedLoader]) -> Any:
    """`loader` (its constructors, resolvers and bounds) on libyaml's parser; None without libyaml."""
    if _LIBYAML is None:
        return None

    class Fast(_LIBYAML):  # type: ignore[misc,valid-type]
        yaml_constructors = loader.yaml_constructors
        yaml_multi_constructors = loader.yaml_multi_constructors
        yaml_implicit_resolvers = loader.yaml_implicit_resolvers
        yaml_path_resolvers = loader.yaml_path_resolvers

        def get_single_node(self) -> Any:
            node = super().get_single_node()
            if node is not None:
                _check_size(node)
            return node

    return Fast


def _read(text: str, loader: type[BoundedLoader], compose: bool = False) -> Any:
    """`text` loaded (or composed) by `loader` on libyaml's parser; by PyYAML's Python parser when that
    fails, so that a file libyaml refuses gets the value or the error (its wording, its line) it always got."""
    read = yaml.compose if compose else yaml.load
    fast = _on_libyaml(loader)
    if fast is not None:
        try:
            return read(text, Loader=fast)
        except (yaml.YAMLError, ConfigError, RecursionError):
            pass  # read again below
    return read(text, Loader=loader)


def _check_size(root: yaml.Node) -> None:
    """Raise when `root`, aliases expanded, holds more than MAX_NODES nodes or nests deeper than
    MAX_DEPTH. Each distinct node is visited once (its expanded size remembered), so a bomb costs
    what its text costs."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > MAX_NODES:
                raise ConfigError(
                    f"the YAML expands to more than {MAX_NODES:,} values (aliases of aliases?); refused" + _where(node)
                )
            if depths[key] > MAX_DEPTH:
                raise ConfigError(f"the YAML nests more than {MAX_DEPTH} levels deep; refused" + _where(node))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ConfigError("an alias refers to the value that holds it (a recursive alias); refused" + _where(node))
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _where(node: yaml.Node) -> str:
    return f" (at line {node.start_mark.line + 1})" if node.start_mark else ""


def read_yaml(path: str | Path, what: str, loader: type[BoundedLoader] = BoundedLoader) -> tuple[Any, str]:
    """The parsed YAML of the file at `path` and its text; a ConfigError naming `what` (config, rule
    pack...), the file and the line for anything that is not readable, bounded YAML."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"a {what} of {size:,} bytes is too large (at most {MAX_BYTES:,})", file=str(path))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", file=str(path)) from None
    except IsADirectoryError:
        raise ConfigError(f"the {what} is a folder; give a YAML file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what}: {exc}", file=str(path)) from None
    return parse_yaml(text, path, loader), text


def parse_yaml(text: str, path: str | Path, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """`text` parsed with the bounds; errors name `path` and the line."""
    try:
        return _read(text, loader)  # a SafeLoader: no Python objects from the file
    except ConfigError as error:
        raise ConfigError(error.message, file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", file=str(path), line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ConfigError(f"the YAML nests more than {MAX_DEPTH} levels deep; refused", file=str(path)) from None


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of `text` (lines of keys), with the same bounds; None when it is not bounded YAML."""
    try:
        return _read(text, BoundedLoader, compose=True)
    except (yaml.YAMLError, ConfigError, RecursionError):
        return None
