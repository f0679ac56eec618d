"""The Jinja environment of the HTML pages (report.html, review.html): autoescaped, every printed value made
XML-safe (auditor.reports.markup), the templates of auditor/reports/templates, each compiled once into the user's
cache (`$XDG_CACHE_HOME/crm-auditor/pages`), not in every audit."""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr

from auditor.io import user_cache
from auditor.reports.markup import finalize

SHAPERS = ("templating.py", "markup.py", "html.py", "review.py")
"""The modules whose code a compiled page holds besides its template's: the environment and its code generator
(here), `finalize` (markup.py) and the pages' filters (html.py, review.py), which Jinja calls on constants while it
compiles."""


def escaped(value: Any) -> str:
    """A printed value as markupsafe's `escape` writes it (the text of the Markup it makes): markup as it is, else
    its str with `&<>'"` escaped, as markupsafe's own replacements do. A plain str, not a Markup made for each
    value only to be joined into the page: Markup's construction, in Python, was half of review.html's rendering
    on a million contacts (460,000 printed values)."""
    if type(value) is not str:
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    return (
        value.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


class _Output(CodeGenerator):
    """A template's printed values escaped by the environment's `escaped` where Jinja writes `escape(...)` (an
    autoescaped page, known when the template is compiled). What a page captures (`{% set %}` blocks, macros)
    Jinja still makes Markup of as a whole."""

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escaped(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Pages(Environment):
    """`x.name` of a dict reads its item first: Jinja tries the attribute first and, for a dict, gets there
    through an AttributeError per lookup (a million of them in review.html on a million contacts: about a third
    of its rendering). The same value whenever the key is not the name of a dict method, which no template
    reads that way (tests/reports/test_templating.py). Its printed values are escaped into text (_Output)."""

    code_generator_class = _Output
    escaped = staticmethod(escaped)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class _CompiledPages(FileSystemBytecodeCache):
    """The pages' compiled code kept between audits: Jinja's parsing and code generation of report.html took 0.05
    CPU s of every audit, review.html's 0.016. Jinja tells a file of an older template by its source's checksum;
    the key adds the Jinja version and the code of SHAPERS. A cache that cannot be read or written is no error: the
    page is compiled as before."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return f"{super().get_cache_key(name, filename)}-{_shapers_digest()}"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def _shapers_digest() -> str:
    digest = hashlib.blake2b(jinja2.__version__.encode(), digest_size=16)
    for name in SHAPERS:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _compiled_pages() -> _CompiledPages | None:
    directory = user_cache("pages")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledPages(str(directory))


def page_environment() -> Environment:
    """A new environment of the pages' templates (each page adds its filters)."""
    return _Pages(
        loader=PackageLoader("auditor.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_compiled_pages(),
    )
