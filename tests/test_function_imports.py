"""An import inside a function says why it is not at the top of its module (issue 16): an optional
dependency, start-up time, or a cycle. Anything else belongs at the top, where a reader and the
import-linter contract see it."""

from __future__ import annotations

import ast
from pathlib import Path

AUDITOR = Path(__file__).resolve().parents[1] / "auditor"


def unexplained_imports(source: str) -> list[int]:
    """Line numbers of imports inside functions with no comment on them, on another import of their block,
    or on the line above the block."""
    lines = source.splitlines()
    found = set()
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            first = node.lineno - 1
            while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                first -= 1
            block = lines[first : node.lineno]
            above = lines[first - 1].strip() if first else ""
            if not any("#" in line for line in block) and not above.startswith("#"):
                found.add(node.lineno)
    return sorted(found)


def test_a_function_level_import_without_a_comment_is_found() -> None:
    source = "def f():\n    import json\n\n    # optional dependency\n    import yaml\n    import toml\n"
    assert unexplained_imports(source) == [2]


def test_every_function_level_import_says_why() -> None:
    offenders = [
        f"{path.relative_to(AUDITOR.parent)}:{line}"
        for path in sorted(AUDITOR.rglob("*.py"))
        for line in unexplained_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
