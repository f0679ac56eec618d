"""review.html, the duplicate review page written by `crm-audit dedupe` (auditor.reports.review), in a
real browser (Debian's Chromium driven by playwright): pairs labelled with the keyboard, kept across a
reload, exported as labels.csv; then that labels.csv fed back through `crm-audit dedupe --labels`, whose
output shows the labelled decisions and each band's precision estimated from the labels.

The contacts of fixtures/acme, with HTML typed into the job titles of two records of review-band pairs:
the page must show it as text and run none of it under its Content-Security-Policy. Saves a screenshot
to build/test-artifacts/. Skipped without a browser unless CRM_AUDIT_BROWSER_REQUIRED is set."""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.reports import review
from auditor.reports.review import render

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TITLED = {"C002049": SCRIPT, "C001718": IMG}
"""Records of review-band pairs whose job title (not compared) becomes HTML."""


Browser = Callable[[Callable[[Any], Any]], Any]


def _in_thread(executable: Path, work: Callable[[Any], Any]) -> Any:
    """work(chromium) in a thread of its own, with its own playwright: playwright's sync API cannot
    start twice in one thread, and test_html_browser.py's session may hold it in the main one."""
    from playwright.sync_api import sync_playwright

    def run() -> Any:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(executable))
            try:
                return work(chromium)
            finally:
                chromium.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Browser:
    """Runs a function of a launched Chromium (see `_in_thread`); skips without a browser (conftest)."""
    return functools.partial(_in_thread, chromium)


def _dedupe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["dedupe", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def contacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review") / "export"
    folder.mkdir()
    shutil.copy(ACME / "crm-audit.yaml", folder / "crm-audit.yaml")
    with (ACME / "contacts.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["title"] = TITLED.get(row["contact_id"], row["title"])
    with (folder / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder / "contacts.csv"


@pytest.fixture(scope="module")
def deduped(contacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review") / "out"
    assert main(["dedupe", str(contacts), "--entity", "contacts", "--out", str(out)]) == 1  # auto-merge band
    return out


def test_dedupe_writes_the_review_page_and_its_data(deduped: Path) -> None:
    data = json.loads((deduped / "review.json").read_text(encoding="utf-8"))
    with (deduped / "pairs.csv").open(newline="", encoding="utf-8") as handle:
        review = [(r["id_a"], r["id_b"]) for r in csv.DictReader(handle) if r["band"] == "review"]
    assert [(p["id_a"], p["id_b"]) for p in data["pairs"]] == review and len(review) == 12
    page = (deduped / "review.html").read_text(encoding="utf-8")
    # one inline script and one stylesheet, each allowed by its hash; nothing else may run or load
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "unsafe-inline" not in policy and policy.startswith("default-src 'none'; script-src 'sha256-")
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in policy
    assert page.count("<script") == 1
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert IMG not in page
    # an e-mail made of the names at two domains adds nothing beyond them: shown as not counted, not missing
    last = page[page.index('data-a="C000196" data-b="C001096"') :]
    assert re.search(r"<th scope=\"row\">email</th>\s*<td[^>]*>petro\.kovalenko@krajewski\.pl</td>", last)
    assert re.search(r"kovalenko@wp\.pl</td>\s*<td>not counted</td>", last)
    # the waterfall adds up: prior + each step = the match weight of every pair
    for pair in data["pairs"]:
        bits = [f["bits"] for f in pair["fields"] if f["bits"] is not None]
        assert all(f["level"] for f in pair["fields"])  # every compared field's level read from its evidence
        assert len(bits) >= 2


def test_crm_audit_review_renders_the_page_again_from_the_directory(deduped: Path, capsys, tmp_path: Path) -> None:
    before = (deduped / "review.html").read_text(encoding="utf-8")
    (deduped / "review.html").unlink()
    capsys.readouterr()
    assert main(["review", str(deduped)]) == 0
    out = capsys.readouterr().out
    assert "12 pairs to review" in out and "review.html" in out
    assert (deduped / "review.html").read_text(encoding="utf-8") == before
    # spot checks: pairs drawn at random from the auto-merge band follow the review band's
    assert main(["review", str(deduped), "--spot-check", "5"]) == 0
    assert "17 pairs to review" in capsys.readouterr().out
    page = (deduped / "review.html").read_text(encoding="utf-8")
    bands = re.findall(r'<section class="pair"[^>]*data-band="([a-z_]+)"', page)
    assert bands == ["review"] * 12 + ["auto_merge"] * 5
    assert "5 pairs drawn at random from the auto-merge band" in page
    swapped = [p for p in json.loads((deduped / "review.json").read_text())["spot_checks"] if p["names_swapped"]]
    assert swapped and swapped[0]["id_a"] == "C000063"  # Lisa Harris / Harris Lisa
    assert main(["review", str(deduped), "--spot-check", "50"]) == 0
    assert (deduped / "review.html").read_text(encoding="utf-8").count("first and last name swapped") == len(swapped)
    data = json.loads((deduped / "review.json").read_text(encoding="utf-8"))
    assert len(data["spot_checks"]) == 50 and {p["band"] for p in data["spot_checks"]} == {"auto_merge"}
    assert main(["review", str(deduped)]) == 0
    assert (deduped / "review.html").read_text(encoding="utf-8") == before
    assert main(["review", str(tmp_path)]) == 2
    assert "no review.json here nor in duplicates/" in capsys.readouterr().err


def test_a_page_without_pairs_says_so() -> None:
    page = render(
        {"version": 1, "thresholds": {"auto_merge": 0.95, "review": 0.5}, "review_pairs": 0, "shown": 0}
        | {"entities": {}, "pairs": []}
    )
    assert "nothing to review" in page


@pytest.fixture(scope="module")
def labelled(browser: Browser, deduped: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Label pairs on review.html with the keyboard, reload, export: what the browser saw and saved."""
    saved = tmp_path_factory.mktemp("download") / "labels.csv"
    shot = tmp_path_factory.mktemp("shots") / "review.png"

    def label(chromium: Any) -> dict[str, Any]:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append(f"dialog {d.message}"), d.dismiss()))
        page.goto((deduped / "review.html").as_uri(), wait_until="load")
        seen: dict[str, Any] = {"start": page.locator("#progress").inner_text()}
        shown = page.locator("section.pair:not([hidden])")
        seen["first"] = shown.get_attribute("data-key")
        seen["script_visible"] = page.get_by_text(SCRIPT).first.is_visible()
        for key in ("m", "n", "s", "j", "m", "ArrowLeft", "ArrowLeft", "n"):
            page.keyboard.press(key)
        seen["after_keys"] = shown.get_attribute("data-key")
        page.locator("button.goto").nth(11).click()
        page.keyboard.press("n")
        seen["progress"] = page.locator("#progress").inner_text()
        seen["counts"] = page.locator("#counts").inner_text()
        seen["marks"] = page.locator("button.goto").evaluate_all("bs => bs.map(b => b.getAttribute('data-mark') || '')")
        page.screenshot(path=str(shot))
        # Chromium commits a page's localStorage to its storage service asynchronously; on a loaded host the
        # reloaded document could read the store before the labels reach it. A second page of the same context
        # reads through that service: once it sees all six labels, the reload must too.
        probe = context.new_page()
        probe.goto(page.url, wait_until="load")
        stored = "JSON.parse(localStorage.getItem(document.body.getAttribute('data-store')) || '{}')"
        probe.wait_for_function(f"() => Object.keys({stored}).length >= 6", timeout=30_000)
        probe.close()
        page.reload(wait_until="load")
        seen["after_reload"] = page.locator("#progress").inner_text()
        seen["resumed_at"] = shown.get_attribute("data-key")
        with page.expect_download() as download:
            page.get_by_role("button", name="Export labels.csv").click()
        download.value.save_as(saved)
        seen["suggested"] = download.value.suggested_filename
        seen["problems"] = problems
        context.close()
        return seen

    return {**browser(label), "labels": saved, "screenshot": shot}


def test_the_review_page_labels_pairs_with_the_keyboard_and_exports_labels_csv(
    labelled: dict[str, Any], deduped: Path, artifact
) -> None:
    pairs = json.loads((deduped / "review.json").read_text(encoding="utf-8"))["pairs"]
    keys = [f"contacts|{p['id_a']}|{p['id_b']}" for p in pairs]
    assert labelled["problems"] == []  # nothing blocked by the policy, no error, alert() never ran
    assert labelled["start"] == "0 of 12 labelled"
    assert labelled["first"] == keys[0]
    assert labelled["script_visible"]  # the typed HTML shows as text
    # m, n, s label pairs 1-3 and move on; j passes pair 4; m labels 5; two steps back and n labels 4
    assert labelled["after_keys"] == keys[4]
    assert labelled["progress"] == "5 of 12 labelled"
    assert labelled["counts"] == "2 match, 3 not a match, 1 skipped"
    assert labelled["marks"] == ["match", "non_match", "skip", "non_match", "match"] + [""] * 6 + ["non_match"]
    # the labels survive a reload (localStorage), which opens the first pair without a label
    assert labelled["after_reload"] == "5 of 12 labelled"
    assert labelled["resumed_at"] == keys[5]
    assert labelled["suggested"] == "labels.csv"
    with labelled["labels"].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    expected = [("match", 0), ("non_match", 1), ("non_match", 3), ("match", 4), ("non_match", 11)]
    assert rows == [["entity", "id_a", "id_b", "label", "match_probability", "band"]] + [
        ["contacts", pairs[k]["id_a"], pairs[k]["id_b"], label, str(pairs[k]["match_probability"]), "review"]
        for label, k in expected
    ]
    shutil.copy(labelled["screenshot"], artifact("review.png"))


def test_labels_csv_fed_back_decides_the_pairs_and_measures_the_bands(
    labelled: dict[str, Any], contacts: Path, deduped: Path, tmp_path: Path, capsys
) -> None:
    pairs = json.loads((deduped / "review.json").read_text(encoding="utf-8"))["pairs"]
    out = tmp_path / "again"
    code, text, err = _dedupe(
        capsys, str(contacts), "--entity", "contacts", "--out", str(out), "--labels", str(labelled["labels"])
    )
    assert (code, err) == (1, "")
    assert "labels: 5 labelled pairs decided as labelled: 2 match (merged), 3 non_match (never merged)" in text
    # all five were in the review band: 2 of 5 matches, Wilson 95% interval 11.8%-76.9%
    assert (
        "review band precision from labels: 2 of 5 labelled pairs are matches = 40% (95% Wilson interval 12%-77%)"
        in text
    )
    assert "auto_merge band precision: no labelled pairs" in text
    with (out / "pairs.csv").open(newline="", encoding="utf-8") as handle:
        listed = {(r["id_a"], r["id_b"]): r for r in csv.DictReader(handle)}
    with (out / "clusters.csv").open(newline="", encoding="utf-8") as handle:
        cluster = {r["record_id"]: r for r in csv.DictReader(handle)}
    for k in (0, 4):  # labelled matches: merged, in the auto-merge band
        a, b = pairs[k]["id_a"], pairs[k]["id_b"]
        row = listed[(a, b)]
        assert (row["label"], row["band"], row["match_probability"]) == ("match", "auto_merge", "1.0")
        assert row["evidence"].endswith("labelled a match")
        assert cluster[a]["cluster_id"] == cluster[b]["cluster_id"]
    for k in (1, 3, 11):  # labelled non-matches: no longer listed, never in one cluster
        a, b = pairs[k]["id_a"], pairs[k]["id_b"]
        assert (a, b) not in listed
        assert a not in cluster or b not in cluster or cluster[a]["cluster_id"] != cluster[b]["cluster_id"]
    skipped = pairs[2]
    assert listed[(skipped["id_a"], skipped["id_b"])]["label"] == ""
    # the next review page holds none of the labelled pairs (the weights learnt from the labels may move others)
    left = {(p["id_a"], p["id_b"]) for p in json.loads((out / "review.json").read_text(encoding="utf-8"))["pairs"]}
    assert left and not left & {(pairs[k]["id_a"], pairs[k]["id_b"]) for k in (0, 1, 3, 4, 11)}


def test_the_audit_writes_the_review_page_beside_the_report(audited, injected, tmp_path: Path) -> None:
    from auditor.reports.outputs import write_audit_outputs

    written = write_audit_outputs(audited, tmp_path)
    assert {"duplicates/review.json", "review.html"} <= set(written)
    data = json.loads((tmp_path / "duplicates" / "review.json").read_text(encoding="utf-8"))
    review = audited.duplicates.pairs
    assert len(data["pairs"]) == int((review["band"] == "review").sum()) > 0
    assert {p["entity"] for p in data["pairs"]} <= {"contacts", "accounts", "leads"}
    page = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert injected.script not in page and injected.img not in page
    # crm-audit review finds the data under duplicates/ and writes the same page
    assert main(["review", str(tmp_path)]) == 0
    assert (tmp_path / "review.html").read_text(encoding="utf-8") == page


@pytest.mark.parametrize("width", [390, 1400])
def test_no_pair_overflows_a_narrow_or_a_wide_screen(browser: Browser, deduped: Path, width: int, artifact) -> None:
    shot = artifact(f"review-{width}.png")

    def walk(chromium: Any) -> list[Any]:
        page = chromium.new_page(viewport={"width": width, "height": 900})
        page.goto((deduped / "review.html").as_uri(), wait_until="load")
        seen = []
        for _ in range(12):
            seen.append(
                page.evaluate(
                    """() => {
                      const limit = document.documentElement.clientWidth + 1;
                      const parts = document.querySelectorAll('header *, nav *, section.pair:not([hidden]) *');
                      return [document.documentElement.scrollWidth, limit,
                              [...parts].filter(e => e.getBoundingClientRect().right > limit).map(e => e.tagName)];
                    }"""
                )
            )
            page.keyboard.press("j")
        page.screenshot(path=str(shot), full_page=False)
        page.close()
        return seen

    for scroll_width, limit, beyond in browser(walk):
        assert scroll_width <= limit and beyond == [], (scroll_width, limit, beyond)


def test_a_comparisons_level_pattern_is_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pair's level of each comparison is read from its evidence by one pattern per comparison, made once,
    not once per pair (77,000 escapes and patterns for the 2,000 pairs of a million contacts)."""
    escaped: list[str] = []
    escape = review.re.escape
    monkeypatch.setattr(review.re, "escape", lambda text: escaped.append(text) or escape(text))
    levels = ["exact", "fuzzy 0.9", "fuzzy 0.8"]
    for n in range(50):
        evidence = f"email fuzzy 0.9 (+{n}.5), phone exact (+3.1)"
        assert review._level(evidence, "email", levels) == "fuzzy 0.9"
        assert review._level(evidence, "phone", levels) == "exact"
    assert len(escaped) <= 2 * (len(levels) + 1)
