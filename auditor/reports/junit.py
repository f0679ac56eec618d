"""JUnit XML: one test case per rule (failed when it has findings at or above the gate's
severity) and one per gate check, so CI systems show failures natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from auditor.gate import SEVERITY_RANK
from auditor.reports.markup import xml_safe
from auditor.reports.mask import mask_findings
from auditor.result import AuditResult

EXAMPLES_PER_RULE = 5


def render(result: AuditResult, *, mask: bool = False) -> str:
    """`mask`: emails, phones and person names in the example findings masked (auditor.reports.mask)."""
    threshold = SEVERITY_RANK.get(result.gate.fail_on, 99)
    suites = ET.Element("testsuites", name="crm-audit", time=f"{result.duration_seconds:.3f}")

    gate = ET.SubElement(suites, "testsuite", name="gate")
    for check in result.gate.checks:
        case = ET.SubElement(gate, "testcase", classname="gate", name=check.name)
        if not check.passed:
            ET.SubElement(case, "failure", message=check.detail, type="gate").text = check.detail
    _count(gate)

    examples = result.findings.groupby("rule_id", sort=False).head(EXAMPLES_PER_RULE)
    if mask:
        examples = mask_findings(examples)
    lines_by_rule = _example_lines(examples)
    for entity in sorted({o.entity for o in result.outcomes}):
        suite = ET.SubElement(suites, "testsuite", name=f"rules.{entity}")
        for outcome in (o for o in result.outcomes if o.entity == entity):
            case = ET.SubElement(suite, "testcase", classname=f"rules.{entity}", name=outcome.rule_id)
            if outcome.status == "not_evaluated":
                ET.SubElement(case, "skipped", message=outcome.reason or "not evaluated")
            elif outcome.status == "error":
                ET.SubElement(case, "error", message=outcome.reason or "check failed to run")
            elif outcome.status == "failed":
                summary = (
                    f"{outcome.failed} of {outcome.evaluated} records fail "
                    f"({outcome.findings} findings, severity {outcome.severity.value})"
                )
                lines = [summary, *lines_by_rule.get(outcome.rule_id, [])]
                blocking = SEVERITY_RANK[outcome.severity.value] >= threshold
                tag = "failure" if blocking else "system-out"
                node = (
                    ET.SubElement(case, tag, message=summary, type=outcome.severity.value)
                    if blocking
                    else ET.SubElement(case, tag)
                )
                node.text = "\n".join(lines)
        _count(suite)
    _xml_safe(suites)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _example_lines(examples: pd.DataFrame) -> dict[str, list[str]]:
    """rule id -> its example findings as lines ("file:row record field: message"), in their order. Read from
    the columns' lists in one pass: `itertuples` of each rule's group made a namedtuple class per rule (a
    third of acme's junit.xml)."""
    columns = ("rule_id", "file", "row", "record_id", "field", "message")
    lines: dict[str, list[str]] = {}
    for rule_id, file, row, record_id, field, message in zip(*(examples[c].tolist() for c in columns), strict=True):
        lines.setdefault(rule_id, []).append(f"{file}:{row} {record_id} {field}: {message}")
    return lines


def _xml_safe(root: ET.Element) -> None:
    """Every text and attribute XML 1.0 can hold: a control character in a value would make the file
    one that CI parsers reject whole."""
    for node in root.iter():
        node.text = xml_safe(node.text) if node.text else node.text
        for key, value in node.attrib.items():
            node.set(key, xml_safe(value))


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
