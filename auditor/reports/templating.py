"""The Jinja environment of the HTML pages (report.html, review.html): autoescaped, every printed value made
XML-safe (auditor.reports.markup), the templates of auditor/reports/templates."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr

from auditor.reports.markup import finalize


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


def page_environment() -> Environment:
    """A new environment of the pages' templates (each page adds its filters)."""
    return _Pages(
        loader=PackageLoader("auditor.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
