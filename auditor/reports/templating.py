"""The Jinja environment of the HTML pages (report.html, review.html): autoescaped, every printed value made
XML-safe (auditor.reports.markup), the templates of auditor/reports/templates."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.reports.markup import finalize


class _Pages(Environment):
    """`x.name` of a dict reads its item first: Jinja tries the attribute first and, for a dict, gets there
    through an AttributeError per lookup (a million of them in review.html on a million contacts: about a third
    of its rendering). The same value whenever the key is not the name of a dict method, which no template
    reads that way (tests/reports/test_templating.py)."""

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
