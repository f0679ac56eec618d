"""Config fuzzing through the command line: generated configs (valid and invalid shapes, wrong types,
unknown and non-string keys, extreme numbers, odd text, YAML tags and anchors) given to `crm-audit
check`. Whatever the config, the exit code is 0, 1 or 2, never 3 (an internal error); nothing prints a
traceback; an exit 2 is one `crm-audit: error:` message; a run that completes prints a JSON document.

The default test-suite runs a quick sample; `pytest -m fuzz` runs the campaign (FUZZ_EXAMPLES, seeded).
The runs use a small rule pack instead of the core pack, so that an example costs milliseconds.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from auditor.cli import main
from auditor.config import TOP_KEYS

QUICK_EXAMPLES = 60
FUZZ_EXAMPLES = 1500
SEED = 18

PACK = """\
rules:
  - {id: contacts.email.format, kind: email, entity: contacts, fields: [email], severity: error}
  - {id: contacts.email.unique, kind: unique, entity: contacts, fields: [email], severity: warning}
  - {id: contacts.type, kind: type, entity: contacts, fields: [created_at], severity: error}
"""
CONTACTS = """\
contact_id,first_name,last_name,email,phone,created_at,owner,Tier
C1,Ann,Lee,ann@example.com,+48601100100,2026-01-02,jo,gold
C2,Bob,Ray,bob@example,601,2026-13-01,jo,
C3,Ann,Lee,ann@example.com,+48601100100,02/01/2026,,silver
"""

KEYS = [
    *sorted(TOP_KEYS),
    *("contacts", "accounts", "leads", "opportunities", "email", "phone", "created_at", "first_name", "Tier"),
    *("files", "tables", "encoding", "delimiter", "dayfirst", "chunk_size", "latest", "key", "by"),
    *("fail_on", "fail_under", "weights", "entity_weights", "error", "warning", "info"),
    *("role", "type", "allowed", "compare", "thresholds", "auto_merge", "review", "blocking", "fields"),
    *("define", "packs", "coverage", "high", "base", "default", "rates", "EUR", "field", "table", "column", "in"),
    *("unknown_key", "gate ", "Contacts"),
]
_text = st.one_of(
    st.sampled_from(
        [
            "",
            "contacts",
            "email",
            "error",
            "enum",
            "%d/%m/%Y",
            "%Q",
            "utf-8",
            "cp1250",
            "no-such-codec",
            ";",
            "*.csv",
            "[",
            "../../etc/passwd",
            "9999-12-31",
            "0000-00-00",
            "2026-02-31",
            "1e400",
            "nan",
            "contacts.email",
            "postgresql://u:pw@127.0.0.1:notaport/db",
        ]
    ),
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8", categories=("Cc", "Zs", "So")), max_size=4),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 200),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    _text,
)
_keys = st.one_of(st.sampled_from(KEYS), st.integers(-2, 2), st.none(), st.booleans())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.integers(-2, 2), st.none(), st.booleans()), inner, max_size=4
        ),
    ),
    max_leaves=10,
)
_configs = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 3), st.none()), _values, max_size=6)

TAGS = ["!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 9999-12-31"]


def _text_of(data: dict, extra: str | None) -> str:
    """The config as YAML (safe_dump cannot write every generated value: then its repr, itself a test
    of the reader), with an extra raw line: a YAML tag, an anchor and its alias, or broken text."""
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, TypeError):
        text = repr(data)
    return text + (extra + "\n" if extra else "")


_extras = st.one_of(
    st.none(),
    st.sampled_from(TAGS).map(lambda tag: f"tagged: {tag}"),
    st.just("anchor: &a {x: [1, 2]}\nalias: [*a, *a]"),
    st.just("gate: {fail_under: 80}\ngate: {fail_on: never}"),  # a key twice
    st.text(max_size=20),
)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("fuzz-export")
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    pack = folder.parent / "pack.yaml"
    pack.write_text(PACK, encoding="utf-8")
    return folder, pack


def _run(export: tuple[Path, Path], data: dict, extra: str | None, tmp: Path) -> None:
    folder, pack = export
    if data.get("core_rules") is not False:  # the core pack's hundreds of rules take a second an example
        data["core_rules"] = False
    data.setdefault("rules", [str(pack)])
    config = tmp / "crm-audit.yaml"
    config.write_text(_text_of(data, extra), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(folder), "--config", str(config), "--format", "json", "--no-mask-pii"])
    printed, errors = out.getvalue(), err.getvalue()
    assert code in (0, 1, 2), f"exit {code}: {errors}\n--- config:\n{config.read_text(encoding='utf-8')}"
    assert "Traceback" not in errors and "internal error" not in errors, errors
    if code == 2:
        assert errors.startswith("crm-audit: error: "), errors
    else:
        json.loads(printed)


@seed(SEED)
@settings(max_examples=QUICK_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=_configs, extra=_extras)
def test_any_config_is_a_result_or_one_error_line(
    export: tuple[Path, Path], tmp_path: Path, data: dict, extra: str | None
) -> None:
    _run(export, data, extra, tmp_path)


@pytest.mark.fuzz
@pytest.mark.slow
@seed(SEED)
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=_configs, extra=_extras)
def test_config_fuzz_campaign(export: tuple[Path, Path], tmp_path: Path, data: dict, extra: str | None) -> None:
    _run(export, data, extra, tmp_path)
