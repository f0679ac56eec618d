"""The pages' Jinja environment reads a dict's item before its attribute (auditor/reports/templating.py)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from markupsafe import Markup

from auditor.reports.markup import finalize
from auditor.reports.templating import _Pages, escaped, page_environment

TEMPLATES = Path(__file__).resolve().parents[2] / "auditor" / "reports" / "templates"
_SETTINGS = {"autoescape": True, "finalize": finalize, "trim_blocks": True, "lstrip_blocks": True}


def _names_read() -> set[str]:
    """Every `x.name` the pages' templates read."""
    env = page_environment()
    names: set[str] = set()
    for path in TEMPLATES.glob("*.j2"):
        tree = env.parse(path.read_text(encoding="utf-8"))
        names |= {node.attr for node in tree.find_all(nodes.Getattr)}
    return names


def test_oracle_every_name_the_templates_read_gives_what_jinja_gives() -> None:
    """Oracle: Jinja's own environment. A dict's item and Jinja's attribute-first lookup differ only for a key
    named like a dict method, and no template reads one."""
    names = _names_read()
    assert names and not names & set(dir(dict))
    plain = jinja2.Environment(autoescape=True)
    for name in sorted(names):
        template = "{{ x.NAME }}|{{ x.NAME is defined }}|{{ y.NAME }}".replace("NAME", name)
        values = {"x": {name: f"<{name}>"}, "y": {}}
        assert page_environment().from_string(template).render(values) == plain.from_string(template).render(values)


def test_a_dict_item_is_read_without_the_attribute_lookup_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja's lookup tries the attribute and reaches a dict's item through an AttributeError, a million times in
    review.html on a million contacts: the pages read the item directly."""
    tried: list[str] = []
    lookup = jinja2.Environment.getattr

    def spy(self: jinja2.Environment, obj: object, attribute: str) -> object:
        tried.append(attribute)
        return lookup(self, obj, attribute)

    monkeypatch.setattr(jinja2.Environment, "getattr", spy)
    page = page_environment().from_string("{{ p.id_a }} ~ {{ p.id_b }}{{ p.missing }}")
    assert page.render(p={"id_a": "C1", "id_b": "C2"}) == "C1 ~ C2"
    assert tried == ["missing"]


PRINTED = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["&", "<b>", "'", '"', "a&amp;b", "\x01", "\ud800", "\u00e9\U0001f600", ""]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=6).map(Markup),
)


@given(PRINTED)
def test_oracle_a_printed_value_is_escaped_as_markupsafe_escapes_it(value: object) -> None:
    assert escaped(value) == str(markupsafe.escape(value))
    assert type(escaped(value)) in (str, Markup)


class _JinjaOwn(_Pages):
    """The pages' environment with Jinja's own code generator: each printed value through markupsafe's escape."""

    code_generator_class = CodeGenerator


PAGE = """{% macro cell(v) %}<td title="{{ v }}">{{ v }}</td>{% endmacro %}
{% set caption %}<b>{{ title }}</b>{% endset %}{{ caption }}|{{ caption | e }}|{{ title | e }}|{{ title | safe }}
{% for v in values %}{{ cell(v) }}{{ v ~ "&" }}{{ "%s" | format(v) }}{{ v if v is not none else "" }}
{% endfor %}{{ values | join(", ") }}|{{ missing }}|{{ title | replace("<", "[") }}"""


@settings(max_examples=60, deadline=None)
@given(PRINTED, st.lists(PRINTED, max_size=6))
def test_oracle_a_page_is_what_jinja_own_escaping_makes(title: object, values: list) -> None:
    """Oracle: the same environment compiling with Jinja's CodeGenerator (markupsafe's escape of each value), on
    texts with markup characters, control characters (made XML-safe by finalize), numbers, None and Markup, in
    macros, captured blocks and filters."""
    ours, theirs = _Pages(**_SETTINGS), _JinjaOwn(**_SETTINGS)
    shown = {"title": title, "values": values}
    assert ours.from_string(PAGE).render(shown) == theirs.from_string(PAGE).render(shown)


def test_the_pages_print_without_making_markup_of_each_value(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    new = Markup.__new__

    def spy(cls: type, base: object = "", *args: object) -> Markup:
        made.append(base)
        return new(cls, base, *args)

    monkeypatch.setattr(Markup, "__new__", spy)
    assert page_environment().from_string("{% for v in vs %}{{ v }}{% endfor %}").render(vs=["<a>", 1, None]) == (
        "&lt;a&gt;1None"
    )
    assert made == []
