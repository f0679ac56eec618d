"""Text that XML 1.0 (junit.xml, the SVG charts, the XHTML-parsable reports) cannot hold: control
characters other than tab and line breaks, lone surrogates, U+FFFE and U+FFFF. A value from the data
can hold any of them (a JSON string, a database column); a CI parser rejects the whole file for one.
Each is written as its escape (`\\x01`), so the report stays well-formed and still shows it was there."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by its visible escape."""
    return NOT_XML.sub(_escape, text) if NOT_XML.search(text) else text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def finalize(value: Any) -> Any:
    """Jinja's `finalize`: every value a template prints, made XML-safe (markup stays markup)."""
    if isinstance(value, Markup):
        return Markup(xml_safe(str(value)))
    return xml_safe(value) if isinstance(value, str) else value
