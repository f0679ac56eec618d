"""The pages' templates are compiled once into the user's cache and read back by later audits (issue 17: Jinja's
parse and code generation of report.html were 0.05 CPU s of every audit), and the code read back is what compiling
gives (oracle)."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
from jinja2 import Environment

from auditor.reports import html, templating

TEMPLATES = Path(templating.__file__).parent / "templates"
PAGES = ["report.css", *sorted(path.name for path in TEMPLATES.glob("*.j2"))]
"""The templates Jinja compiles (report.html renders its stylesheet as a template too)."""


def page_environment() -> Environment:
    """A new environment of the pages with report.html's filters (review.html needs none of its own)."""
    return html._environment.__wrapped__()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "crm-auditor" / "pages"


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a page was compiled again")

    monkeypatch.setattr(Environment, "compile", refuse)


def _cached_code(env: Environment, name: str) -> bytes:
    """The marshalled code of `name` in the environment's cache, as Jinja would read it."""
    source, filename, _ = env.loader.get_source(env, name)
    bucket = env.bytecode_cache.get_bucket(env, name, filename, source)
    assert bucket.code is not None, name
    return marshal.dumps(bucket.code)


def test_oracle_a_page_is_compiled_once_and_its_code_read_back(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = page_environment()
    compiled = {name: first.get_template(name) for name in PAGES}
    assert len(list(cache_home.iterdir())) == len(PAGES)
    for name in PAGES:
        source, filename, _ = first.loader.get_source(first, name)
        assert _cached_code(page_environment(), name) == marshal.dumps(first.compile(source, name, filename))
    _no_compiling(monkeypatch)
    later = page_environment()
    for name in PAGES:
        assert later.get_template(name).blocks.keys() == compiled[name].blocks.keys()
    assert later.get_template("report.css").render() == compiled["report.css"].render()


def test_a_page_is_compiled_again_when_its_shapers_change(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page_environment().get_template("review.html.j2")
    monkeypatch.setattr(templating, "_shapers_digest", lambda: "another-generator")
    page_environment().get_template("review.html.j2")
    assert len(list(cache_home.iterdir())) == 2


def test_a_damaged_or_unwritable_cache_is_no_error(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page_environment().get_template("review.html.j2")
    (kept,) = cache_home.iterdir()
    kept.write_bytes(kept.read_bytes()[:40])
    assert page_environment().get_template("review.html.j2").render is not None
    monkeypatch.setenv("XDG_CACHE_HOME", str(kept))  # a file: no folder can be made under it
    assert page_environment().bytecode_cache is None
    assert page_environment().get_template("report.css").render()
