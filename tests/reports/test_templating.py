"""The pages' Jinja environment reads a dict's item before its attribute (auditor/reports/templating.py)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from auditor.reports.templating import page_environment

TEMPLATES = Path(__file__).resolve().parents[2] / "auditor" / "reports" / "templates"


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
