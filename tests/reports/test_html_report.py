"""report.html from one AuditResult: its sections, its safety with names that are HTML, its size."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from auditor.reports import html
from auditor.result import AuditResult

SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@pytest.fixture(scope="module")
def page(audited: AuditResult) -> str:
    return html.render(audited)


def _headings(text: str) -> list[str]:
    return re.findall(r"<h2[^>]*>(.*?)</h2>", text)


def test_sections_in_order_with_contents(page: str, audited: AuditResult) -> None:
    assert _headings(page) == [
        "Contents",
        "Overview",
        "Verdict and overall score",
        "Trend",
        "Scores by dimension",
        "Scores by entity",
        "Scores by field, worst first",
        "Failing rules",
        "Defects by owner and source",
        "Duplicates",
        "Metrics and their confidence",
        "Sales funnel",
        "Cleanup worklist",
    ]
    nav = re.search(r"<nav.*?</nav>", page, re.S).group(0)
    assert len(re.findall(r'<a href="#([a-z]+)">', nav)) == len(_headings(page)) - 1
    for anchor in re.findall(r'<a href="#([a-z]+)">', nav):
        assert f'<section id="{anchor}"' in page
    # below the overview every section folds: open, except the long lists
    for section, state in re.findall(r'<section id="(\w+)"><details( open)?>', page):
        assert (state == "") == (section in {"fields", "rules", "duplicates"}), section
    assert '<span class="badge fail" id="verdict">FAIL</span>' in page
    assert f"{audited.scores.overall:.1f}</span>" in page
    for reason in audited.gate.reasons:
        assert reason in page
    worklist = re.search(r'<section id="worklist">(.*?)</section>', page, re.S).group(1)
    assert f"<p>{len(audited.worklist):,} tasks, most important first" in worklist
    single = audited.worklist[audited.worklist["records"] == 1].iloc[0]
    assert f'<td class="text">{single["record_id"]}</td><td class="text">{single["owner"]}</td>' in worklist
    bulk = audited.worklist.iloc[0]
    assert f'<td>{bulk["records"]}</td><td class="text"></td>' in worklist  # a bulk task: its records, no record id


def test_every_metric_has_a_row_with_its_confidence_badge(page: str, audited: AuditResult) -> None:
    assert page.count('<tr id="metric-') == len(audited.metrics) > 30
    for m in audited.metrics:
        row = re.search(rf'<tr id="metric-{m.id}">(.*?)</tr>', page, re.S)
        assert row, m.id
        assert f'<span class="badge flag-{m.confidence}">{m.confidence}</span>' in row.group(1)
    source = next(m for m in audited.metrics if m.id == "defects_per_source").confidence
    assert f'<h3>By source <span class="badge flag-{source}">{source}</span></h3>' in page
    # acme's one MEDIUM metric is new_customers (147, 2.0% off its truth of 150): its extrapolation, drawn until its
    # spread is known, says 150.7; the page styles every flag all the same
    assert {m.confidence for m in audited.metrics} == {"HIGH", "MEDIUM", "LOW", "UNRELIABLE"}
    for flag in ("HIGH", "MEDIUM", "LOW", "UNRELIABLE"):
        assert f".flag-{flag} {{" in page


def test_scores_worst_first_and_funnel_from_the_metric(page: str, audited: AuditResult) -> None:
    fields = re.search(r'<section id="fields">(.*?)</section>', page, re.S).group(1)
    shown = [float(s) for s in re.findall(r'<td class="num"><span class="\w+">([\d.]+)</span>', fields)]
    assert len(shown) == html.TOP_FIELDS
    assert shown == sorted(shown)
    every = sorted(s for e in audited.scores.entities.values() for s in e.fields.values())
    assert shown[0] == round(every[0], 1)
    assert f"… and {len(every) - html.TOP_FIELDS:,} more fields" in fields

    funnel = next(m for m in audited.metrics if m.id == "funnel")
    section = re.search(r'<section id="funnel">(.*?)</section>', page, re.S).group(1)
    for stage, count in funnel.value.items():
        assert f"<title>{stage}: {count:,}</title>" in section


def test_duplicate_clusters_show_members_and_per_field_evidence(page: str, audited: AuditResult, injected) -> None:
    section = re.search(r'<section id="duplicates">(.*?)</section>', page, re.S).group(1)
    assert section.count('<div class="cluster">') == html.TOP_CLUSTERS
    clusters = audited.duplicates.clusters
    total = clusters.groupby(["entity", "cluster_id"]).ngroups
    assert f"… and {total - html.TOP_CLUSTERS:,} more clusters" in section
    assert "<h3>contacts cluster C000037 " in section
    cluster = section.split("<h3>contacts cluster C000037 ")[1].split('<div class="cluster">')[0]
    assert cluster.count("<li>") == 3
    assert "C000037 <span" in cluster and "(keep)" in cluster
    assert '<th class="num">first_name</th>' in cluster and '<th class="num">birth_date</th>' in cluster
    assert f'{injected.contact} <span class="text">&lt;script&gt;' in cluster


def test_names_typed_into_the_crm_are_text(page: str, injected) -> None:
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # in the owner table
    # ... and in the chart of owners, escaped by ElementTree
    owners = re.search(r'<section id="owners">(.*?)</section>', page, re.S).group(1)
    labels = [
        t.text for svg in SVG.findall(owners) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
    ]
    assert any(label and label.startswith(injected.img[:20]) for label in labels)


def test_styles_allowed_by_hash_and_scripts_forbidden(page: str) -> None:
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert "default-src 'none'" in policy and "script-src" not in policy
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert " style=" not in page  # inline style attributes would be blocked by the policy
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_every_chart_is_well_formed_svg(page: str) -> None:
    charts = SVG.findall(page)
    # dimensions, entities, owners, sources, funnel, trend
    assert len(charts) == 6
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.find("{http://www.w3.org/2000/svg}title").text


def test_worklist_top_rows_and_count(audited: AuditResult, injected) -> None:
    tasks = pd.DataFrame(
        {
            "priority": range(1, 1001),
            "entity": "contacts",
            "record_id": [f"C{i:06d}" for i in range(1000)],
            "issue": ["first_name is blank"] * 49 + [injected.script] + [""] * 950,
            "internal": "not shown",
        }
    )
    page = html.render(dataclasses.replace(audited, worklist=tasks))
    section = re.search(r'<section id="worklist">(.*?)</section>', page, re.S).group(1)
    assert (
        '<p>1,000 tasks, most important first; the first 50 here, all of them in <a href="worklist.csv">'
        'worklist.csv</a> and <a href="worklist.xlsx">worklist.xlsx</a>.</p>'
    ) in section
    assert section.count("<tr>") == html.TOP_TASKS + 1
    assert "C000049" in section and "C000050" not in section
    assert "<th>priority</th><th>entity</th><th>record_id</th><th>issue</th></tr>" in section
    assert "not shown" not in section
    assert "&lt;script&gt;" in section and "<script" not in section
    assert '… and 950 more tasks (in <a href="worklist.csv">worklist.csv</a>).' in section
    assert _headings(page)[-1] == "Cleanup worklist"


def test_check_only_result_leaves_out_what_did_not_run(audited: AuditResult) -> None:
    page = html.render(dataclasses.replace(audited, metrics=[], worklist=None, history=None, duplicates=None))
    assert _headings(page) == [
        "Contents",
        "Overview",
        "Verdict and overall score",
        "Scores by dimension",
        "Scores by entity",
        "Scores by field, worst first",
        "Failing rules",
        "Defects by owner and source",
    ]
    assert "Computed with the metrics (metric defects_per_source)" in page
    assert len(SVG.findall(page)) == 3


def test_size_is_bounded_for_any_number_of_owners_clusters_and_tasks(
    audited: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 200_000
    monkeypatch.setattr(html, "XLSX_ROWS", 150_000)  # Excel's 1,048,575 rows a sheet, made smaller than n
    findings = audited.findings.sample(n, replace=True, random_state=1).reset_index(drop=True)
    findings["owner"] = "owner " + (findings.index % 20_000).astype(str)
    findings["record_id"] = "R" + findings.index.astype(str)
    findings.loc[: 2 * n // 20_000, "owner"] = "y" * 100_000  # the owner with the most defects: shown first
    clusters = pd.DataFrame(
        {
            "entity": "contacts",
            "record_id": [f"X{i}" for i in range(n)],
            "cluster_id": [f"K{i // 2}" for i in range(n)],
            "is_master": [i % 2 == 0 for i in range(n)],
            "band": "review",
        }
    )
    tasks = pd.DataFrame({"note": pd.Categorical(["x" * 500] * n), **{f"column {c}": range(n) for c in range(30)}})
    big = dataclasses.replace(
        audited,
        findings=findings,
        duplicates=dataclasses.replace(audited.duplicates, clusters=clusters),
        worklist=tasks,
    )
    page = html.render(big)
    assert len(page.encode()) < 600_000
    assert f"… and {findings['owner'].nunique() - html.TOP_OWNERS:,} more owners" in page
    assert f"… and {n // 2 - html.TOP_CLUSTERS:,} more clusters" in page
    assert f"… and {n - html.TOP_TASKS:,} more tasks" in page
    assert f'(<a href="worklist.xlsx">worklist.xlsx</a> holds the first {html.XLSX_ROWS:,})' in page
    assert "x" * html.TEXT_CHARS not in page
    assert "y" * (html.TEXT_CHARS - 1) + "…" in page
    assert "y" * html.TEXT_CHARS not in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NaT, ""),
        (3.0, "3"),
        (1234.5, "1,234.50"),
        (float("inf"), "inf"),
        (1e20, "1e+20"),
        ("a" * 300, "a" * 199 + "…"),
    ],
)
def test_cell(value: object, shown: str) -> None:
    assert html.cell(value) == shown


def test_an_audit_with_nothing_to_show_still_renders(audited: AuditResult) -> None:
    empty = dataclasses.replace(
        audited,
        findings=audited.findings.iloc[:0],
        outcomes=[],
        structural=[],
        duplicates=None,
        metrics=[],
        worklist=pd.DataFrame(columns=["priority", "issue"]),
        history={"run_id": "abc", "trend": [{"run_id": "abc", "started_at": "2026-11-30", "overall": None}]},
        scores=dataclasses.replace(audited.scores, overall=None, entities={}, dimensions={}),
    )
    page = html.render(empty)
    assert "None" not in re.sub(r"<[^>]+>", "", page)
    assert '<span class="none">-</span>' in page
    assert "No rule fails." in page and "No finding names an owner." in page
    assert "No table was loaded." in page and "No field rule was evaluated." in page
    assert "The first recorded run: the trend starts with the next one." in page
    assert "<p>0 tasks, most important first.</p>" in page
    assert SVG.findall(page) == []


def test_the_overview_answers_three_questions_first(page: str, audited: AuditResult) -> None:
    overview = re.search(r'<section id="overview".*?</section>', page, re.S).group(0)
    assert page.index('<section id="overview"') < page.index('<section id="summary">')
    # can I trust my numbers: how many metrics are flagged how, and the headline board
    flags = {m.confidence for m in audited.metrics}
    unreliable = sum(m.confidence == "UNRELIABLE" for m in audited.metrics)
    assert f'<span class="badge flag-UNRELIABLE">{unreliable} UNRELIABLE</span>' in overview
    assert f"of {len(audited.metrics)} metrics" in overview and flags
    revenue = next(m for m in audited.metrics if m.id == "revenue")
    row = re.search(r'<a href="#metric-revenue">.*?</tbody>', overview, re.S).group(0)
    assert "23,268,177,019" in row and "19,645,727" in row and "UNRELIABLE" in row
    assert revenue.warning in row
    assert overview.count('<a href="#metric-') == html.BOARD_ROWS
    # how bad is the data: score with the gate, worst entities, owners by share of defective records
    assert f"{audited.scores.overall:.1f}</span>" in overview and "gate FAIL" in overview
    assert "<td>campaigns</td>" in overview
    shares = [float(v) for v in re.findall(r'<td class="text">[^<]*</td><td class="num">([\d.]+)</td>', overview)]
    assert len(shares) == html.OVERVIEW_OWNERS and shares == sorted(shares, reverse=True)
    # what to fix first: the first ten tasks, the amounts in the billions first
    assert overview.count('<td class="num rank">') == html.OVERVIEW_TASKS
    first = re.search(r'<td class="num rank">1</td>.*?</tr>', overview, re.S).group(0)
    assert "is an outlier" in first and "bn</td>" in first


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, ""), (0.0, ""), (950.0, "950"), (12_345.0, "12.3 k"), (1_023_485.0, "1.0 M"), (1.44e11, "144.0 bn")],
)
def test_money_at_stake_is_short(value: object, shown: str) -> None:
    assert html.money(value) == shown


def test_trend_times_are_for_people() -> None:
    assert html._when("2026-12-05T02:50:51.416343+00:00") == "2026-12-05 02:50 UTC"
    assert html._when("2026-11-30") == "2026-11-30"


def test_progress_since_the_previous_run_is_shown(audited: AuditResult) -> None:
    progress = {
        "against": "0138e52a" + "0" * 24,
        "started_at": "2026-11-29T23:57:01+00:00",
        "tasks_before": 552,
        "tasks_done": 3,
        "tasks_new": 1,
        "tasks_open": 550,
        "records_fixed": 17,
        "records_open": 2612,
    }
    page = html.render(dataclasses.replace(audited, history={**audited.history, "progress": progress}))
    line = (
        "Since the previous run (0138e52a of 2026-11-29 23:57 UTC): 3 of 552 tasks done, 17 records fixed; "
        "550 tasks on 2,612 records open (1 new)."
    )
    assert page.count(line) == 2  # in the overview, beside what to fix first, and in the trend
