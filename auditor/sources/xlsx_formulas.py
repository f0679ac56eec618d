"""Formula cells of a workbook that hold no saved value, which every reader sees as empty.

A workbook written by a program (openpyxl, a CRM's export job) rather than saved by Excel may keep a
formula without its result; pandas reads the result, so such a cell would be a silent blank. The sheet
XML is searched directly (a regular expression over the bytes, no second parse of the workbook).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)>(?!</)", re.S)


def uncached_formulas(path: Path, sheets: list[str]) -> dict[str, list[str]]:
    """Sheet name -> cells (A1 references) holding a formula with no saved value, for `sheets`.
    A workbook whose parts cannot be found this way gets no answer (it was read; this is a note)."""
    found: dict[str, list[str]] = {}
    try:
        with zipfile.ZipFile(path) as book:
            for name, part in _sheet_parts(book).items():
                if name in sheets:
                    cells = _uncached(book.read(part))
                    if cells:
                        found[name] = cells
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    return found


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") or "" for r in relations}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        if target:
            parts[sheet.get("name") or ""] = (
                target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            )
    return parts


def _uncached(xml: bytes) -> list[str]:
    if not _FORMULA.search(xml):
        return []
    cells = []
    for attributes, body in _CELL.findall(xml):
        if body and _FORMULA.search(body) and not _VALUE.search(body):
            ref = _REF.search(attributes)
            cells.append(ref.group(1).decode() if ref else "?")
    return cells
