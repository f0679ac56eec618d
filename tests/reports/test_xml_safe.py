"""Values with control characters (a JSON or database source can hold any) never make an ill-formed
junit.xml or a report with characters XML 1.0 cannot hold: each is written as its visible escape."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.cli import main
from auditor.reports.markup import NOT_XML, xml_safe

CONTROL = "".join(chr(c) for c in [*range(1, 9), 11, 12, *range(14, 32), 0xFFFE])


@given(st.text())
def test_any_text_made_safe_parses_as_xml_text_and_attribute(text: str) -> None:
    safe = xml_safe(text)
    assert not NOT_XML.search(safe)
    node = ET.fromstring(f"<a b={quoteattr(safe)}>{escape(safe)}</a>")
    assert node.text in (None, safe.replace("\r", "\n")) or "\r" in safe


def test_escapes_stay_visible() -> None:
    assert xml_safe("Ann\x01\x1b\ufffeLee\tok\n") == "Ann\\x01\\x1b\\ufffeLee\tok\n"


def test_control_characters_in_values_keep_every_output_well_formed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    rows = [
        {
            "contact_id": f"C{i}",
            "first_name": f"Ann{CONTROL}",
            "last_name": f"=1+1{CONTROL}",
            "email": f"x{i}@ex\x01ample.com",
            "phone": f"+48 601 100 1{i:02d}",
        }
        for i in range(30)
    ]
    (export / "contacts.json").write_text(json.dumps(rows), encoding="utf-8")
    out = tmp_path / "out"
    # personal data unmasked (in CI it is masked by default, and the characters with it)
    assert main(["audit", str(export), "--out", str(out), "--no-history", "--no-mask-pii"]) in (0, 1)
    capsys.readouterr()
    assert main(["check", str(export), "--format", "junit", "--no-mask-pii"]) in (0, 1)
    printed = capsys.readouterr().out
    for document in (printed, (out / "junit.xml").read_text(encoding="utf-8")):
        root = ET.fromstring(document.encode("utf-8"))
        assert "\\x01" in ET.tostring(root, encoding="unicode"), "the character is shown, escaped"
    for page in out.glob("*.html"):
        assert not re.search(NOT_XML, page.read_text(encoding="utf-8")), page
    json.loads((out / "result.json").read_text(encoding="utf-8"))
