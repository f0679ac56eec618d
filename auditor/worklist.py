"""Findings + duplicate clusters -> the prioritized, owner-assigned cleanup worklist, ranked by harm.

One row per task (`WORKLIST_COLUMNS`), and one row per record of a task (`RECORD_COLUMNS`):

- **fix**: one edit is one cell, i.e. a record (file and row, since a repeated id is itself a defect)
  and field, with its findings grouped: "  JAN" fails both `whitespace` and `casing` and is one edit
  listing both rule ids. Record-level rules (order, foreign key...) name the field they report on, so
  they group the same way. Cells that get the same fix are one task: same rules, entity and field,
  and the same fix, which is "auto" (the safe rewrite `crm-audit fix` applies), "set X -> Y" (one
  suggested replacement) or "look up" (no suggestion). A bulk task lists all its records in the
  records frame; it keeps a record, owner or value only when all its records share it.
- **merge**: one task per duplicate cluster (master id, the members to merge into it, the pairwise
  evidence and the merge plan's surviving values), and one per existing record that rows of another
  entity duplicate (a lead that duplicates a contact).

Priority (higher score first; `priority` is the rank, 1 = do first):

    priority_score = severity x (1 + metric impact) x (1 + log10(1 + money / MONEY_STEP))
                     x (1 + log10(records)) / effort

- severity: error 3, warning 2, info 1 (a merge task: error in the auto-merge band, else warning);
- metric impact: per metric that reads the task's entity and field (a merge: its entity) 1 plus the
  levels its flag is below HIGH (`flags_at_stake` counts those below HIGH), plus, for each metric
  whose own worklist names the task's rule (a merge: duplicates of its entity), the confidence levels
  the metric gains when everything its worklist names is done (0-3);
- money: `money_at_stake`, the absolute amounts of the task's records in a money field;
- records: how many records the task touches;
- effort: 1 (low) for an auto-fixable task, 2 (medium) when a suggested value only needs a check or
  a merge is in the auto-merge band, 3 (high) when the right value must be looked up or a review-band
  merge decided.

`task_id` is a hash of what the task is (a fix: rules, entity, field and fix; a merge: its cluster id,
itself stable across runs), not of a row number, so a task keeps its id while its records get fixed
and the run history can tell the progress (auditor.history.task_progress).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.csvtext import coded_texts, mostly_distinct
from auditor.dedupe import normalize
from auditor.findings import codes_of, factorize, sort_codes, sort_ranks
from auditor.fix.safe import cell_fixes, safe_mask
from auditor.lookups import is_in
from auditor.metrics.confidence import Flag, MetricsSettings
from auditor.model import ENTITIES, Role
from auditor.result import AuditResult

WORKLIST_COLUMNS = (
    "task_id",
    "priority",
    "priority_score",
    "action",
    "entity",
    "records",
    "record_id",
    "owner",
    "issue",
    "rule_ids",
    "severity",
    "field",
    "current_value",
    "suggested_value",
    "auto_fixable",
    "metrics",
    "metric_effect",
    "flags_at_stake",
    "money_at_stake",
    "effort",
    "file",
    "row",
    "members",
    "evidence",
    "merge_plan",
)
NUMERIC_COLUMNS = ("priority", "priority_score", "records", "flags_at_stake", "money_at_stake", "row")
RECORD_COLUMNS = (
    "task_id",
    "priority",
    "action",
    "entity",
    "record_id",
    "owner",
    "field",
    "current_value",
    "suggested_value",
    "money_at_stake",
    "issue",
    "rule_ids",
    "severity",
    "file",
    "row",
)
"""worklist_records: one row per record of a task (a merge: its master record), so that a bulk task
lists every record it applies to and each owner gets the records to edit."""
MONEY_STEP = 1_000.0
"""Money at stake counts in the priority as log10(1 + money / MONEY_STEP): a thousand adds 0.3, a
million 3, a billion 6, so an amount mistyped in the billions outranks a letter-case fix."""
SEVERITY = {"error": 3, "warning": 2, "info": 1}
EFFORT = {"low": 1, "medium": 2, "high": 3}
CELL = ["entity", "file", "row", "field"]
LIST_SEP = ";"


@dataclass
class Worklist:
    tasks: pd.DataFrame
    """One row per task (WORKLIST_COLUMNS), highest priority first."""
    records: pd.DataFrame
    """One row per record of a task (RECORD_COLUMNS), in task priority order."""


def build_worklist(result: AuditResult, settings: MetricsSettings | None = None) -> pd.DataFrame:
    """The cleanup tasks of an audit, highest priority first (see the module docstring).
    `settings`: the confidence thresholds used to project flags (the audit config's `metrics:`; default:
    the documented defaults)."""
    return plan_worklist(result, settings).tasks


def plan_worklist(result: AuditResult, settings: MetricsSettings | None = None) -> Worklist:
    """The tasks and, per task, the records it applies to."""
    settings = settings or MetricsSettings()
    kinds = {o.rule_id: o.kind for o in result.outcomes}
    findings = result.findings
    kind = _per_distinct(findings["rule_id"], lambda rule: kinds.get(rule))
    duplicate = _per_distinct(
        findings["rule_id"], lambda rule: kinds.get(rule) == "duplicate" or ".duplicate" in str(rule), bool
    )
    cells = _fix_cells(findings, np.flatnonzero(~duplicate), kind)
    del kind, duplicate
    fixes = _bulk(cells)
    merges = _merge_tasks(result.duplicates)
    impact = MetricImpact.of(result.metrics, settings)
    tasks = _prioritize(pd.concat([impact.attach_fixes(fixes), impact.attach_merges(merges)], ignore_index=True))
    return Worklist(tasks, _records(cells, tasks, result.duplicates))


# --- memory: a million findings are a million pointers, not a million strings ------------------------


def _objects(values: Any, index: pd.Index | None = None) -> pd.Series:
    """`values` as an object column: pandas would turn an object array of str into Arrow strings, which
    store every row's bytes again; as objects, rows that share a value share one str. Not copied: pandas 3
    copies an array it is given unless told not to, and the cells' frames would hold every column twice."""
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object, copy=False)


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A frame that holds `columns` as they are (object arrays stay objects), without copying them."""
    return pd.DataFrame(
        {
            name: _objects(v) if isinstance(v, np.ndarray) and v.dtype == object else pd.Series(v, copy=False)
            for name, v in columns.items()
        },
        copy=False,
    )


NUMBERS = ("priority", "money_at_stake", "row")
CODED = (
    *(c for c in RECORD_COLUMNS if c not in (*NUMBERS, "record_id")),
    "fix",
    "auto_fixable",
    "effort",
    "message",
    "label",
)
"""The text columns of the cells and records kept as codes (_coded); not their record ids (distinct per
row: a code would add to the pointer, not replace it), nor their numbers."""


def _firsts(codes: np.ndarray) -> np.ndarray:
    """Whether each row is the first of its code (`~pd.Series(codes).duplicated()`, codes 0..k-1 or -1),
    without a hash table of the rows."""
    seen = np.zeros(len(codes), dtype=bool)
    if len(codes):
        first = np.full(int(codes.max()) + 2, -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # repeated: the last assigned, the first row, wins
        seen[first[first >= 0]] = True
    return seen


def _coded(values: Any) -> pd.Categorical:
    """`values` as a categorical: a code per row (1 to 4 bytes, by how many distinct values there are) into
    one array of the distinct values, which stay the Python objects they were. A pointer per row took 8
    bytes, and the records' dozen text columns 100 bytes a record on a million copies of one contact;
    Arrow strings (pandas' default for a categorical made from text) would store each distinct value's
    bytes again and make a str per row when read back. Missing values (None, NaN) become the missing code."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.Categorical):
        return values
    codes, uniques = factorize(np.asarray(values, dtype=object))
    return _categorical(codes, uniques)


def _categorical(codes: np.ndarray, uniques: Any) -> pd.Categorical:
    categories = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))


def _concat_coded(pieces: list[pd.Series]) -> pd.Categorical:
    """The pieces one after the other, as one categorical (each piece coded or plain): their distinct
    values made one list, each piece's codes mapped into it. A coded piece's categories and a plain piece's
    values are hashed together, once: a plain piece factorized first, and its distinct values hashed again
    with the others, was a third of the task records' time on a million contacts. The distinct values come
    in the same order either way (a plain piece's first appearances are its distinct values' order)."""
    if len(pieces) == 1:
        return _categorical(*codes_of(pieces[0]))
    coded = [isinstance(piece.dtype, pd.CategoricalDtype) for piece in pieces]
    values = [
        np.asarray(piece.cat.categories, dtype=object) if is_coded else piece.to_numpy(dtype=object)
        for piece, is_coded in zip(pieces, coded, strict=True)
    ]
    remap, uniques = factorize(np.concatenate(values))
    offsets = np.cumsum([0, *(len(v) for v in values)])
    codes = np.concatenate(
        [
            # a coded piece's code -1 (missing) picks the -1 appended to its map
            np.append(remap[start : start + len(v)], -1)[piece.cat.codes.to_numpy()]
            if is_coded
            else remap[start : start + len(v)]
            for piece, is_coded, v, start in zip(pieces, coded, values, offsets, strict=False)
        ]
    )
    return _categorical(codes, uniques)


def plain(values: pd.Series) -> np.ndarray:
    """A (coded) text column as an object array, None where missing: what the writers show."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        out = values.to_numpy(dtype=object, copy=True)
        out[pd.isna(out)] = None
        return out
    codes = values.cat.codes.to_numpy()
    categories = np.asarray(values.cat.categories, dtype=object)
    if not len(categories):
        return np.full(len(codes), None, dtype=object)
    # not the categories with a None appended: the writers ask for a chunk at a time, and a copy of every
    # distinct value per chunk cost more than the chunk (400,000 distinct current values on a million contacts)
    out = categories[codes]
    out[codes < 0] = None
    return out


def _per_distinct(values: pd.Series | np.ndarray, function: Any, dtype: Any = object) -> np.ndarray:
    """`function` of each value, computed once per distinct value (a rule id, an entity, a field) and
    shared by the rows that have it."""
    values = np.asarray(values, dtype=object)
    codes, uniques = factorize(values)
    missing = codes < 0
    if missing.any():  # a missing value's own, as function gives it
        uniques = np.append(uniques, values[np.flatnonzero(missing)[0]])
        codes[missing] = len(uniques) - 1
    mapped = np.empty(len(uniques), dtype=dtype)
    mapped[:] = [function(u) for u in uniques]
    return mapped[codes]


def _group_codes(columns: list[pd.Series]) -> np.ndarray:
    """`groupby(columns, sort=False, dropna=False).ngroup()`: each row's group, numbered in the order the
    groups first appear, from each column's codes (a coded column's own) combined two at a time. A
    groupby on the text columns themselves held about 80 bytes a row while it hashed them."""
    codes = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for column in columns:
        if isinstance(column.dtype, pd.CategoricalDtype):
            own = column.cat.codes.to_numpy().astype(np.int64)
            width = len(column.cat.categories) + 1  # its missing values (-1) a group of their own
            own += 1
        else:
            own, uniques = factorize(column.to_numpy(dtype=object))
            width = len(uniques) + 1
            own += 1
        codes = factorize(codes * width + own)[0]  # renumbered: the product of widths never overflows
    return codes


def _shared(keys: pd.DataFrame, function: Any) -> np.ndarray:
    """`function(frame of distinct key rows) -> array`, spread back to every row of `keys`: a fix's text
    or task id is made once per distinct (entity, field, rules, fix), not once per cell."""
    codes = _group_codes([keys[c] for c in keys.columns])
    firsts = _firsts(codes)
    distinct = keys[firsts].reset_index(drop=True)
    made = np.empty(len(distinct), dtype=object)
    made[:] = list(function(distinct))
    return made[codes]


def _constant(choices: dict[bool, str], mask: np.ndarray) -> np.ndarray:
    """One of two texts per row, the same str object in every row that has it."""
    return np.array([choices[False], choices[True]], dtype=object)[mask.astype(int)]


# --- fix tasks ----------------------------------------------------------------------------------


def _fix_cells(findings: pd.DataFrame, rows: np.ndarray, kind: np.ndarray) -> pd.DataFrame:
    """One row per cell to edit (record and field), its findings grouped, with the task it belongs
    to: `fix` says what the edit is, and the task id hashes the rules, entity, field and fix. A cell's
    issue is kept as its entity's `label` and its `message` (records_table writes "label id: message"):
    the text of every cell of a million-record task is not held at once. `rows`: the positions of the
    findings to fix; `kind`: each finding's rule kind.

    Built on those positions: the cells are sorted on integer codes and each of the findings' columns
    is read once, at the rows a cell takes it from. A copy of the findings per step (select, assign,
    sort, split) took 500 bytes per cell on a million copies of one contact, 2.9 GB."""

    def at(column: str, where: np.ndarray) -> np.ndarray:
        return findings[column].to_numpy()[where]

    kind = kind[rows]
    suggested = _fill_suggestions(findings, rows, kind)
    safe = _safe(kind, at("value", rows), suggested)
    sev = _per_distinct(at("severity", rows), lambda s: SEVERITY.get(s, 1), np.int8)
    cell = [sort_codes(at(column, rows)) for column in CELL]
    order = np.lexsort((sort_codes(at("rule_id", rows)), -sev, *reversed(cell)))  # most severe first in a cell
    del sev
    same = np.ones(max(len(order) - 1, 0), dtype=bool)  # a row of the same cell as the one before it
    for codes in cell:
        placed = codes[order]
        same &= placed[1:] == placed[:-1]
    del cell, placed
    many = np.zeros(len(order), dtype=bool)
    many[1:] |= same
    many[:-1] |= same
    del same
    alone = order[~many]
    column = {
        name: at(source, rows[alone]) if name in ("row", "record_id") else _coded(at(source, rows[alone]))
        for name, source in (
            ("entity", "entity"),
            ("file", "file"),
            ("row", "row"),
            ("field", "field"),
            ("record_id", "record_id"),
            ("owner", "owner"),
            ("value", "value"),
            ("severity", "severity"),
            ("rule_ids", "rule_id"),
            ("message", "message"),
        )
    }
    column["auto"], column["suggested"] = safe[alone], _coded(suggested[alone])
    several = order[many]
    where = rows[several]
    multi = {c: at(c, where) for c in (*CELL, "record_id", "owner", "value", "severity", "rule_id", "message")}
    multi.update(kind=kind[several], suggested_value=suggested[several], safe=safe[several])
    del kind, suggested, safe, order, many, alone, several, where
    if len(multi["entity"]):
        grouped = _grouped(_frame(multi)).rename(columns={"issue": "message"})
        del multi
        for name, values in column.items():  # one column at a time: the cells are not held twice
            more = grouped.pop(name)
            if isinstance(values, pd.Categorical):
                column[name] = _concat_coded([pd.Series(values, copy=False), more])
            else:
                column[name] = np.concatenate([values, more.to_numpy()])
        del grouped, values, more
    else:
        del multi
    tasks = _frame(column)
    label = _per_distinct(tasks["entity"], lambda e: ENTITIES[e].label if e in ENTITIES else str(e))
    suggested = tasks["suggested"]
    has_suggestion = suggested.notna().to_numpy(bool)
    auto = tasks["auto"].to_numpy(bool)
    fix = _constant({True: "auto", False: "look up"}, auto)  # "auto": one run of `crm-audit fix` applies them all
    wanted = ~auto & has_suggestion
    if wanted.any():
        said: dict[str, str] = {}
        fix[wanted] = [
            said.setdefault(text, text)
            for text in (
                f"set {v} -> {s}"
                for v, s in zip(
                    tasks["value"].to_numpy()[wanted].tolist(), suggested.to_numpy()[wanted].tolist(), strict=True
                )
            )
        ]
    roles = _roles(tasks["entity"].to_numpy(), tasks["field"].to_numpy()) == Role.MONEY
    money = np.zeros(len(tasks), dtype=float)
    if roles.any():
        money[roles] = (
            pd.to_numeric(tasks["value"][roles].astype(object), errors="coerce").abs().fillna(0.0).to_numpy(float)
        )
    key = _frame({"e": tasks["entity"], "f": tasks["field"], "r": tasks["rule_ids"], "x": _coded(fix)})
    cells = {
        "task_id": _shared(key, lambda distinct: _ids("F", distinct)),
        "fix": fix,
        "action": _constant({True: "fix", False: "fix"}, auto),
        "entity": tasks["entity"],
        "record_id": tasks["record_id"].to_numpy(),
        "owner": tasks["owner"],
        "rule_ids": tasks["rule_ids"],
        "severity": tasks["severity"],
        "field": tasks["field"],
        "current_value": tasks["value"],
        "suggested_value": suggested,
        "auto_fixable": _constant({True: "yes", False: "no"}, auto),
        "effort": _effort(auto, has_suggestion),
        "file": tasks["file"],
        "row": tasks["row"].to_numpy(),
        "money_at_stake": money,
        "message": tasks["message"],
        "label": label,
    }
    del key, tasks, suggested, fix, label, money, auto, has_suggestion, roles
    # coded one column at a time, its objects dropped once coded: the cells are not held twice
    return _frame({name: _coded(cells.pop(name)) if name in CODED else cells.pop(name) for name in list(cells)})


def _effort(auto: np.ndarray, has_suggestion: np.ndarray) -> np.ndarray:
    effort = _constant({True: "medium", False: "high"}, has_suggestion)
    effort[auto] = "low"
    return effort


def _safe(kind: np.ndarray, value: np.ndarray, suggested: np.ndarray) -> np.ndarray:
    """fix.safe.safe_mask, computed once per distinct (kind, value, suggestion), and only for the findings with
    a suggestion: safe_mask answers each row by itself, and no for one without (the uniques and missing values
    of a million contacts, four fifths of their findings, were grouped, folded and compared for nothing)."""
    safe = np.zeros(len(kind), dtype=bool)
    at = np.flatnonzero(pd.notna(suggested))
    if len(at):
        keys = _frame({"kind": kind[at], "value": value[at], "suggested_value": suggested[at]})
        safe[at] = _shared(keys, lambda d: safe_mask(d["kind"], d["value"], d["suggested_value"])).astype(bool)
    return safe


BULK_PREVIEW = 3
"""Record ids named in a bulk task's issue; worklist_records has them all."""


def _bulk(cells: pd.DataFrame) -> pd.DataFrame:
    """One task per (rules, entity, field, fix): a cell alone keeps its record, file and row; a bulk
    task of many records keeps the values its records share (owner, current and suggested value,
    file) and sums their money at stake. Its records are in worklist_records. Column by column, in
    the cells' (task, file, row) order: the cells are not copied as a whole."""
    if not len(cells):
        empty = cells.drop(columns=["fix", "message", "label"])
        return empty.assign(issue=pd.Series(dtype=object), records=pd.Series(dtype=int))
    row = cells["row"].to_numpy(dtype=float, na_value=np.nan)
    order = np.lexsort((row, sort_ranks(cells["file"]), sort_ranks(cells["task_id"])))
    codes = factorize(codes_of(cells["task_id"])[0][order])[0]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])

    def in_order(column: str) -> pd.Series:
        return cells[column].take(order).reset_index(drop=True)

    out = pd.DataFrame({"task_id": _objects(cells["task_id"].to_numpy()[order][starts])})
    firsts: dict[str, np.ndarray] = {}
    for column in cells.columns.drop(["task_id", "money_at_stake"]):
        values = in_order(column)
        firsts[column] = values.iloc[starts].to_numpy()
        if column in ("owner", "current_value", "suggested_value", "file"):  # kept when all records share it
            distinct = values.groupby(codes, sort=False).nunique(dropna=False).to_numpy()
            out[column] = _objects(np.where(distinct == 1, firsts[column], None))
        else:
            first = values.groupby(codes, sort=False).first()  # the first value present
            out[column] = _objects(first.to_numpy()) if values.dtype == object else first.to_numpy()
    records = np.bincount(codes)
    out["records"] = records
    out["money_at_stake"] = in_order("money_at_stake").groupby(codes, sort=False).sum().to_numpy()
    many = records > 1
    shown = (np.arange(len(codes)) - starts[codes]) < BULK_PREVIEW
    ids = in_order("record_id")[shown].astype(str)
    preview = ids.groupby(codes[shown], sort=False).agg(", ".join).to_numpy(object)
    preview = preview + np.where(records > BULK_PREVIEW, ", …", "").astype(object)
    count = pd.Series(records).map("{:,}".format).to_numpy(object)
    label, message = firsts["label"].astype(object), firsts["message"].astype(object)
    single = np.array([str(r) for r in firsts["record_id"]], dtype=object)
    out["record_id"] = _objects(np.where(many, None, firsts["record_id"]))
    out["row"] = pd.array(np.where(many, 0, firsts["row"]), dtype="Int64")
    out.loc[many, "row"] = pd.NA
    out["issue"] = _objects(
        np.where(
            many,
            label + ", " + count + " records (" + preview + "): " + message,
            label + " " + single + ": " + message,
        )
    )
    return out.drop(columns=["fix", "message", "label"])


def _records(cells: pd.DataFrame, tasks: pd.DataFrame, dup: Any) -> pd.DataFrame:
    """Every record of every task, in task priority order: a fix task's cells; a merge's master
    (current value: the members) and each member (current value: the master it merges into). A fix
    cell's issue is its `label` and `message` (records_table writes it out). Column by column, each
    of the cells' columns dropped once placed (`cells` is emptied): the cells and the records are not
    held twice. The text columns are coded (CODED): a record is its id's pointer, three numbers and a
    code per text column."""
    priority = tasks.set_index("task_id")["priority"]
    parts: list[pd.DataFrame] = []
    if len(cells):  # the cells become the records' first part, their other columns dropped now
        for column in cells.columns.difference([*RECORD_COLUMNS, "label", "message"]):
            del cells[column]
        codes, ids = codes_of(cells["task_id"])
        cells["priority"] = priority.reindex(ids).to_numpy()[codes]
        cells["issue"] = _categorical(np.full(len(cells), -1, dtype=np.int8), [])
        parts.append(cells)
    merges = tasks[tasks["action"] == "merge"]
    if len(merges):
        parts.append(merges.assign(current_value=merges["members"], label=None, message=None))
        members = merges.assign(
            issue="merge into " + merges["record_id"] + ": " + merges["issue"],
            member_entity=merges["rule_ids"].str.split(".").str[0],
            record_id=merges["members"].str.split(LIST_SEP),
            current_value=merges["record_id"],
            label=None,
            message=None,
        )[[*RECORD_COLUMNS, "member_entity", "label", "message"]].explode("record_id")
        meta = _meta(dup, "member_entity", "record_id", members["record_id"])
        members = members.drop(columns=["owner", "file", "row"]).merge(
            meta, on=["member_entity", "record_id"], how="left"
        )
        parts.append(members.assign(entity=members["member_entity"]).drop(columns="member_entity"))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in (*RECORD_COLUMNS, "label", "message")})
    # as sort_values(["priority", "file", "row"], kind="stable") would place them, missing values last
    file = _concat_coded([part["file"] for part in parts])
    ranks = [
        np.concatenate([part[c].to_numpy(dtype=float, na_value=np.nan) for part in parts]) for c in ("priority", "row")
    ]
    order = np.lexsort((ranks[1], sort_ranks(pd.Series(file, copy=False)), ranks[0]))
    del ranks
    columns: dict[str, Any] = {}
    for column in (*RECORD_COLUMNS, "label", "message"):
        pieces = [part.pop(column) for part in parts]
        if column == "record_id":  # the findings' id objects, not an Arrow copy of them (a str per row)
            columns[column] = _objects(np.concatenate([piece.to_numpy(dtype=object) for piece in pieces])[order])
        elif column in NUMBERS:
            values = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
            del pieces
            if column == "row":
                columns[column] = values.astype("Int64").take(order).reset_index(drop=True)
            else:
                columns[column] = values.take(order).reset_index(drop=True)
        else:
            coded = file if column == "file" else _concat_coded(pieces)
            del pieces
            columns[column] = coded[order]
    return pd.DataFrame(columns, copy=False)


def records_table(records: pd.DataFrame, coded: Collection[str] = (), *, as_arrow: bool = False) -> pd.DataFrame:
    """RECORD_COLUMNS of (a chunk of) Worklist.records as the writers show them: text as objects (None
    where missing) and each fix cell's issue written out: "label record id: message". The writers call
    it CHUNK_ROWS rows at a time. `coded`: columns left as they are coded where their categories are texts
    (csvtext.coded_texts), for a writer that makes each category's text once (csvtext.each_category): made
    objects per chunk only to be replaced by their codes, they were a fifth of the records' writing. `as_arrow`:
    the issue column as Arrow text where it can be (_issue_text), for a writer that makes Arrow text of it."""
    if "label" not in records.columns:  # a frame of RECORD_COLUMNS already (none was planned)
        return records[list(RECORD_COLUMNS)]

    def shown(column: str) -> pd.Series:
        values = records[column]
        if column not in CODED or (column in coded and coded_texts(values)):
            return values
        return _objects(plain(values), records.index)

    table = {c: shown(c) for c in RECORD_COLUMNS}
    label = pd.Series(plain(records["label"]), index=records.index, dtype=object)
    cell = label.notna().to_numpy(bool)
    issue_text = _issue_text(records, cell) if as_arrow and cell.any() else None
    if issue_text is not None:
        table["issue"] = issue_text
    elif cell.any():
        issue = table["issue"].to_numpy().copy()
        message = pd.Series(plain(records["message"]), index=records.index, dtype=object)
        issue[cell] = (
            label[cell].astype(str) + " " + records["record_id"][cell].astype(str) + ": " + message[cell].astype(str)
        ).to_numpy(dtype=object)
        table["issue"] = _objects(issue, records.index)
    return pd.DataFrame(table, copy=False)


def _issue_text(records: pd.DataFrame, cell: np.ndarray) -> pd.Series | None:
    """The issue column as records_table writes it out, as Arrow text: each fix cell's "label record id: message"
    joined by Arrow from its label's and message's categories, made text once per category, and its record id
    (a Python `+` per record, then the writers' copy of the result into Arrow, were 0.4 CPU s of a million
    contacts' task records). None where the parts are not all texts (str() of another value, or of a missing
    one, is pandas'), or Arrow cannot hold one (a lone surrogate)."""
    ids = records["record_id"].to_numpy(dtype=object)
    if pd.api.types.infer_dtype(ids[cell], skipna=False) != "string":
        return None
    try:
        label, message = _category_texts(records["label"], cell), _category_texts(records["message"], cell)
        if label is None or message is None:
            return None
        others = pa.array(plain(records["issue"]), type=pa.string(), from_pandas=True)
        joined = pc.binary_join_element_wise(label, " ", pa.array(ids[cell], type=pa.string()), ": ", message, "")
    except (pa.ArrowException, UnicodeError):
        return None
    issue = pc.replace_with_mask(others, pa.array(cell), joined)
    return pd.Series(pd.arrays.ArrowStringArray(issue), index=records.index, copy=False)


def _category_texts(values: pd.Series, rows: np.ndarray) -> pa.Array | None:
    """A coded column's texts at `rows` as Arrow text, the categories used made text once; None where one is
    missing or its category is not a str."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return None
    codes = values.cat.codes.to_numpy()[rows]
    if (codes < 0).any():
        return None
    used, at = np.unique(codes, return_inverse=True)
    texts = np.asarray(values.cat.categories, dtype=object)[used]
    if pd.api.types.infer_dtype(texts, skipna=False) not in ("string", "empty"):
        return None
    return pa.array(texts, type=pa.string()).take(pa.array(at.astype(np.int64)))


def _grouped(multi: pd.DataFrame) -> pd.DataFrame:
    """One row per cell with several findings (already sorted: most severe first)."""
    out = _grouped_text(
        multi,
        CELL,
        {"rule_ids": ("rule_id", LIST_SEP), "issue": ("message", "; ")},
        first=("record_id", "owner", "value", "severity"),
        first_valid={"first_suggestion": "suggested_value"},
        all_={"auto": "safe"},
    )
    safe = multi[multi["safe"].to_numpy(bool)]
    if len(safe):
        out = out.merge(cell_fixes(safe, CELL), on=CELL, how="left")
        out["suggested"] = out["fixed"].astype("object").where(out["fixed"].notna(), out["first_suggestion"])
    else:
        out["suggested"] = out["first_suggestion"]
    return out


def _grouped_text(
    frame: pd.DataFrame,
    keys: list[str],
    texts: dict[str, tuple[str, str]],
    *,
    first: tuple[str, ...] = (),
    first_valid: dict[str, str] | None = None,
    any_: dict[str, str] | None = None,
    all_: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per group of `keys` (first-appearance order) without a Python call per group: the
    `first` columns of its first row, name -> column of its first non-missing value (`first_valid`),
    of any / all of a boolean column, `count`, and for name -> (column, separator) in `texts` the
    group's values joined (_joined)."""
    codes = _group_codes([frame[key] for key in keys])
    starts = _firsts(codes)
    out = frame.loc[starts, [*keys, *first]].reset_index(drop=True)
    n = len(out)
    out["count"] = np.bincount(codes, minlength=n)
    for name, column in (first_valid or {}).items():
        valid = frame[column].notna().to_numpy(bool)
        firsts = valid & _firsts(np.where(valid, codes, -1))
        values = np.full(n, None, dtype=object)
        values[codes[firsts]] = frame[column].astype("object").to_numpy()[firsts]
        out[name] = values
    for name, column in (any_ or {}).items():
        out[name] = np.bincount(codes, weights=frame[column].to_numpy(bool), minlength=n) > 0
    for name, column in (all_ or {}).items():
        out[name] = np.bincount(codes, weights=~frame[column].to_numpy(bool), minlength=n) == 0
    order = np.argsort(codes, kind="stable")
    for name, (column, sep) in texts.items():
        out[name] = _joined(frame[column], codes, order, sep)
    return out


def _joined(values: pd.Series, codes: np.ndarray, order: np.ndarray, sep: str) -> pd.Series:
    """Per group (`codes` 0..n-1, each present; `order` the rows sorted by group, stably): its rows' values
    joined by `sep` in row order, str() of each and "" for a missing one, as objects that groups with the
    same text share. Joined by Arrow, a list of each group's values: a str.join per group on numpy slices
    took a second for the clusters of a million contacts."""
    try:
        rows = _texts(values).take(pa.array(order))
    except (pa.ArrowException, UnicodeError):  # a lone surrogate (a JSON source's "\ud800"): by Python
        held, uniques = codes_of(values)
        every = np.append(np.array([str(u) for u in uniques], dtype=object), "")[held]
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        said: dict[str, str] = {}
        return _objects([said.setdefault(t, t) for t in (sep.join(chunk) for chunk in np.split(every[order], bounds))])
    offsets = np.append(0, np.cumsum(np.bincount(codes, minlength=int(codes.max(initial=-1)) + 1)))
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), rows)
    joined = pc.binary_join(lists, pa.scalar(sep, type=pa.large_string()))
    if mostly_distinct(joined):  # a cluster's members, evidence, merge plan: hashing them finds nothing to share
        return _objects(joined.to_numpy(zero_copy_only=False))
    shared = joined.dictionary_encode()  # groups with the same text share one str
    return _objects(np.array(shared.dictionary.to_pylist(), dtype=object)[shared.indices.to_numpy()])


def _texts(values: pd.Series) -> pa.Array:
    """str() of each value, "" for a missing one, as Arrow text: an Arrow column as it is, another made
    once per distinct value."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        return pa.chunked_array(pa.array(values.array)).combine_chunks().cast(pa.large_string()).fill_null("")
    held, uniques = codes_of(values)
    distinct = pa.array([*(str(u) for u in uniques), ""], type=pa.large_string())
    return distinct.take(pa.array(np.where(held < 0, len(uniques), held)))


AMBIGUOUS_DATE = r"^\s*(0?[1-9]|1[0-2])[./-](0?[1-9]|1[0-2])[./-]\d{2,4}\s*$"
"""03.04.2026: 3 April or March 4; no date is suggested for it."""


def _fill_suggestions(findings: pd.DataFrame, rows: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """The rule's suggestion, else the date normalizer's (dedupe/normalize.py) for a date the type
    rule could not read in the export's format but that reads one way only ("15.03.2026" ->
    "2026-03-15"; "03.04.2026" gets none). Phone numbers get none here: a number that is invalid in
    its row's country but valid elsewhere is a guess, and the phone rule already tries its repairs.
    Per finding at `rows` (`kind`: theirs)."""
    out = np.asarray(findings["suggested_value"].to_numpy()[rows], dtype=object)
    typed = np.flatnonzero(pd.isna(out) & (kind == "type"))
    if not len(typed):
        return out
    where = rows[typed]
    roles = _roles(findings["entity"].to_numpy()[where], findings["field"].to_numpy()[where])
    dated = typed[pd.Series(roles, dtype=object).isin((Role.DATE, Role.DATETIME)).to_numpy(bool)]
    if len(dated):
        values = pd.Series(findings["value"].to_numpy()[rows[dated]], dtype=object)
        ambiguous = values.astype("string").str.match(AMBIGUOUS_DATE).fillna(False).to_numpy(bool)
        out[dated] = normalize.dates(values.where(~ambiguous, None)).to_numpy()
    return out


def _roles(entity: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Each row's field role, looked up once per distinct (entity, field)."""
    keys = _frame({"entity": entity, "field": field})
    return _shared(keys, lambda d: [_role(e, f) for e, f in zip(d["entity"], d["field"], strict=True)])


def _role(entity: str, field: str) -> Role | None:
    model = ENTITIES.get(entity)
    return model.field(field).role if model is not None and model.has_field(field) else None


# --- merge tasks --------------------------------------------------------------------------------


def _merge_tasks(dup: Any) -> pd.DataFrame:
    parts = []
    if dup is not None and len(dup.clusters):
        parts.append(_cluster_tasks(dup))
    if dup is not None and len(dup.links):
        parts.append(_link_tasks(dup))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(WORKLIST_COLUMNS))


def _cluster_tasks(dup: Any) -> pd.DataFrame:
    c = dup.clusters
    masters = c[c["is_master"]].drop_duplicates(["entity", "cluster_id"])
    masters = masters[["entity", "cluster_id", "record_id"]].rename(columns={"record_id": "master_id"})
    members = c[~c["is_master"]].merge(masters, on=["entity", "cluster_id"], how="inner")
    members["review"] = members["band"].ne("auto_merge")
    keys = ["entity", "cluster_id", "master_id"]
    tasks = _grouped_text(members, keys, {"members": ("record_id", LIST_SEP)}, any_={"review": "review"})
    # the evidence of the first EVIDENCE_MEMBERS members: the rest are counted (pairs.csv has them all)
    shown = members[members.groupby(keys, sort=False).cumcount().to_numpy() < EVIDENCE_MEMBERS]
    shown = shown.assign(evidence=_member_evidence(dup.pairs, shown))
    evidence = _grouped_text(shown, keys, {"evidence": ("evidence", " | ")})["evidence"].to_numpy(object)
    more = (tasks["count"] - EVIDENCE_MEMBERS).to_numpy()
    tail = [f" | and {n:,} more in duplicates/pairs.csv" if n > 0 else "" for n in more]
    tasks["evidence"] = _objects([text + rest for text, rest in zip(evidence, tail, strict=True)])
    tasks = tasks.merge(_plan_text(dup.merge_plan), on=["entity", "cluster_id"], how="left")
    tasks = tasks.merge(_meta(dup, "entity", "master_id", tasks["master_id"]), on=["entity", "master_id"], how="left")
    band = np.where(tasks["review"].to_numpy(bool), "review", "auto-merge")
    plural = tasks["entity"].where(tasks["count"] > 1, tasks["entity"].str.removesuffix("s"))
    issue = (
        tasks["count"].astype(str)
        + " duplicate "
        + plural
        + " of "
        + tasks["master_id"]
        + " ("
        + band
        + " band): merge "
        + tasks["members"].map(_named)
        + " into "
        + tasks["master_id"]
    )
    return _merge_frame(
        tasks, ids=tasks[["entity", "cluster_id"]], issue=issue, rules=tasks["entity"] + ".duplicate", band=band
    )


EVIDENCE_MEMBERS = 50
"""Members whose pair evidence a merge task's `evidence` shows (a cluster of a million copies would make
it a string of 400 MB in one cell); duplicates/pairs.csv has every pair."""
NAMED_MEMBERS = 10
"""Members a merge task's text names; the rest are counted. The text is repeated on every record of the
task (worklist_records.csv, the Records sheet): naming all 5,000 copies of one contact there would
write 25 million ids. The task's `members` column lists them all, once."""


def _named(members: str) -> str:
    ids = members.split(LIST_SEP, NAMED_MEMBERS)
    if len(ids) <= NAMED_MEMBERS:
        return ", ".join(ids)
    more = members.count(LIST_SEP) + 1 - NAMED_MEMBERS
    return ", ".join(ids[:NAMED_MEMBERS]) + f" and {more:,} more"


def _link_tasks(dup: Any) -> pd.DataFrame:
    links = dup.links.assign(
        evidence=_evidence_text(dup.links["record_id"], dup.links), review=dup.links["band"].ne("auto_merge")
    )
    tasks = _grouped_text(
        links,
        ["entity", "other_entity", "other_id"],
        {"members": ("record_id", LIST_SEP), "evidence": ("evidence", " | ")},
        any_={"review": "review"},
    )
    rules = tasks["entity"] + ".duplicate_of_" + tasks["other_entity"].str.removesuffix("s")
    tasks = tasks.rename(columns={"entity": "from_entity", "other_entity": "entity", "other_id": "master_id"})
    tasks = tasks.merge(_meta(dup, "entity", "master_id", tasks["master_id"]), on=["entity", "master_id"], how="left")
    tasks["merge_plan"] = None
    band = np.where(tasks["review"].to_numpy(bool), "review", "auto-merge")
    issue = (
        tasks["count"].astype(str)
        + " "
        + tasks["from_entity"]
        + " duplicate existing "
        + tasks["entity"].str.removesuffix("s")
        + " "
        + tasks["master_id"]
        + " ("
        + band
        + " band): merge "
        + tasks["members"].map(_named)
        + " into it"
    )
    ids = tasks[["from_entity", "entity", "master_id"]]
    return _merge_frame(tasks, ids=ids, issue=issue, rules=rules, band=band)


def _merge_frame(
    tasks: pd.DataFrame, *, ids: pd.DataFrame, issue: pd.Series, rules: pd.Series, band: np.ndarray
) -> pd.DataFrame:
    """The merge tasks' columns, their texts as objects (_frame): a frame made of object arrays of texts would
    hold them as Arrow text, every merge plan and evidence copied there and made Python objects again when
    the tasks are ranked (_prioritize)."""
    review = band == "review"
    n = len(tasks)
    entity = tasks["entity"].to_numpy(dtype=object)
    return _frame(
        {
            "task_id": _ids("M", ids),
            "action": np.full(n, "merge", dtype=object),
            "entity": entity,
            "record_id": tasks["master_id"].to_numpy(dtype=object),
            "owner": tasks["owner"].to_numpy(dtype=object),
            "issue": issue.to_numpy(dtype=object),
            "rule_ids": rules.to_numpy(dtype=object),
            "severity": _constant({True: "warning", False: "error"}, review),
            "field": _per_distinct(entity, _primary_key),
            "current_value": tasks["members"].to_numpy(dtype=object),
            "suggested_value": tasks["master_id"].to_numpy(dtype=object),
            "auto_fixable": np.full(n, "no", dtype=object),
            "effort": _constant({True: "high", False: "medium"}, review),
            "file": tasks["file"].to_numpy(dtype=object),
            "row": tasks["row"].to_numpy(),
            "members": tasks["members"].to_numpy(dtype=object),
            "evidence": tasks["evidence"].to_numpy(dtype=object),
            "merge_plan": tasks["merge_plan"].to_numpy(dtype=object),
            "records": tasks["count"].to_numpy() + 1,
            "money_at_stake": np.zeros(n),
        }
    )


def _primary_key(entity: str) -> str:
    return ENTITIES[entity].primary_key if entity in ENTITIES else "record_id"


def _member_evidence(pairs: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Per member: its pair with the master (probability and per-field evidence), when one was scored."""
    cols = ["entity", "id_a", "id_b", "match_probability", "evidence"]
    ids, masters = members["record_id"], members["master_id"]

    def pairing(member: str, master: str) -> np.ndarray:
        # a missing id is among them when one of them is missing, as a merge on it matches it
        return is_in(pairs[member], ids, nulls_match=True) & is_in(pairs[master], masters, nulls_match=True)

    # each pair both ways, only those of a member and a master: the rest (every other pair of a million
    # contacts' clusters, twice) could not match a member's own pair, and their duplicates cost a second
    forward, backward = pairs.loc[pairing("id_a", "id_b"), cols], pairs.loc[pairing("id_b", "id_a"), cols]
    both = pd.concat([forward, backward.rename(columns={"id_a": "id_b", "id_b": "id_a"})], ignore_index=True)
    return _evidence_of(members, both.drop_duplicates(["entity", "id_a", "id_b"]))


def _evidence_of(members: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Per member, the text of its pair with its master among `pairs` (each pair once, member as id_a), or that
    it is linked through other members of the cluster."""
    joined = members[["entity", "record_id", "master_id"]].merge(
        pairs, left_on=["entity", "record_id", "master_id"], right_on=["entity", "id_a", "id_b"], how="left"
    )
    text = _evidence_text(joined["record_id"], joined)
    linked = joined["record_id"] + ": linked to " + joined["master_id"] + " through other members of the cluster"
    return text.where(joined["match_probability"].notna(), linked).set_axis(members.index)


def _evidence_text(ids: pd.Series, frame: pd.DataFrame) -> pd.Series:
    prob = frame["match_probability"].map("{:.3f}".format, na_action="ignore")
    return ids.astype(str) + " (match probability " + prob + "): " + frame["evidence"].fillna("").astype(str)


def _plan_text(plan: pd.DataFrame) -> pd.DataFrame:
    """Per cluster: the fields whose values differ, with the surviving value and why."""
    if not len(plan):
        return pd.DataFrame(columns=["entity", "cluster_id", "merge_plan"])
    pieces = [
        plan["field"],
        " = ",
        plan["surviving_value"].astype(str),
        " (from ",
        plan["source_record_id"].astype(str),
        ", ",
        plan["reason"].astype(str),
        "; drops ",
        plan["discarded_values"].fillna("").astype(str),
        ")",
    ]
    frame = plan[["entity", "cluster_id"]].assign(merge_plan=_concatenated(pieces))
    return _grouped_text(frame, ["entity", "cluster_id"], {"merge_plan": ("merge_plan", "; ")}).drop(columns="count")


def _concatenated(pieces: list[pd.Series | str]) -> pd.Series:
    """The pieces (text columns and texts) joined row by row, missing where one is, as pandas' `+` gives
    them: in one Arrow call (each `+` made every line again, 546,000 merge-plan lines 10 times on a million
    contacts), or by pandas where Arrow cannot hold a text (a lone surrogate)."""
    try:
        columns = [pa.array(p, type=pa.large_string(), from_pandas=True) for p in pieces if not isinstance(p, str)]
    except (pa.ArrowException, UnicodeError):
        return functools.reduce(operator.add, pieces)
    texts = iter(columns)
    joined = [pa.scalar(p, type=pa.large_string()) if isinstance(p, str) else next(texts) for p in pieces]
    line = pc.binary_join_element_wise(*joined, pa.scalar("", type=pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(line), index=pieces[0].index)


def _meta(dup: Any, entity_col: str, id_col: str, wanted: pd.Series) -> pd.DataFrame:
    """owner, file and row of each record the dedupe stage saw whose id is among `wanted`, keyed by (entity,
    record id): the first row of each id, as among all of them (the rows of the other ids are dropped before,
    not after, the duplicates are: hashing a million contacts' ids twice to keep 95,000 masters was a tenth of
    the worklist's time). A missing id is among `wanted` when one of them is missing, as a merge matches it."""
    frames = [
        meta[is_in(meta["record_id"], wanted, nulls_match=True)]
        .drop_duplicates("record_id")
        .assign(**{entity_col: entity})
        .rename(columns={"record_id": id_col})
        for entity, meta in dup.records.items()
        if len(meta)
    ]
    if not frames:
        return pd.DataFrame(columns=[entity_col, id_col, "owner", "file", "row"])
    return pd.concat(frames, ignore_index=True)[[entity_col, id_col, "owner", "file", "row"]]


def _ids(prefix: str, keys: pd.DataFrame) -> np.ndarray:
    """Stable ids: a fixed-key hash of the key columns' text (pandas' hash_pandas_object)."""
    if not len(keys):
        return np.empty(0, dtype=object)
    hashed = pd.util.hash_pandas_object(keys.astype("object").astype(str), index=False).to_numpy()
    return np.array([f"{prefix}-{h:016x}" for h in hashed.tolist()], dtype=object)


# --- metric impact ------------------------------------------------------------------------------


@dataclass
class MetricImpact:
    """What each metric reads, what its own worklist names, and the flag it would reach."""

    reads: dict[tuple[str, str], set[str]]
    """(entity, field) -> metrics reading it; (entity, "") -> metrics reading the entity at all"""
    fixes: dict[tuple[str, str, str], list[str]]
    """(entity, field, rule_id) -> metrics whose worklist names that fix"""
    merges: dict[str, list[tuple[str, int, int]]]
    """entity -> (metric, clusters, records) for metrics whose worklist names merging its duplicates"""
    effect: dict[str, tuple[Flag, Flag, Flag, int]]
    """metric -> (flag now, after its named fixes, after merging duplicates, records its fixes name)"""

    @classmethod
    def of(cls, metrics: list[Any], settings: MetricsSettings) -> MetricImpact:
        impact = cls({}, {}, {}, {})
        for m in metrics:
            for entity, fields in m.inputs.items():
                for name in (*fields, ""):
                    impact.reads.setdefault((entity, name), set()).add(m.id)
            items = [w for w in m.worklist if w.get("action") == "fix"]
            for w in items:
                named = impact.fixes.setdefault((w["entity"], w["field"], w["rule_id"]), [])
                if m.id not in named:
                    named.append(m.id)
            for w in m.worklist:
                if w.get("action") == "merge":
                    impact.merges.setdefault(w["entity"], []).append((m.id, int(w["clusters"]), int(w["records"])))
            after_fix, after_merge = _projected(m, settings)
            impact.effect[m.id] = (m.flag, after_fix, after_merge, sum(int(w["records"]) for w in items))
        return impact

    def attach_fixes(self, tasks: pd.DataFrame) -> pd.DataFrame:
        combos = tasks[["entity", "field", "rule_ids"]].drop_duplicates()
        rows = [self._fix_combo(e, f, r) for e, f, r in combos.itertuples(index=False)]
        return tasks.merge(self._table(combos, rows), on=["entity", "field", "rule_ids"], how="left")

    def attach_merges(self, tasks: pd.DataFrame) -> pd.DataFrame:
        if not len(tasks):
            return tasks.assign(impact=pd.Series(dtype=float))
        entities = tasks[["entity"]].drop_duplicates()
        rows = [self._merge_entity(e) for e in entities["entity"]]
        merged = tasks.drop(columns=["metrics", "metric_effect"], errors="ignore")
        return merged.merge(self._table(entities, rows), on="entity", how="left")

    @staticmethod
    def _table(keys: pd.DataFrame, rows: list[tuple[str | None, str | None, float, int]]) -> pd.DataFrame:
        return keys.assign(
            metrics=[r[0] for r in rows],
            metric_effect=[r[1] for r in rows],
            impact=[r[2] for r in rows],
            flags_at_stake=[r[3] for r in rows],
        )

    def _fix_combo(self, entity: str, field: str, rule_ids: str) -> tuple[str | None, str | None, float, int]:
        reading = self.reads.get((entity, field), set())
        named = dict.fromkeys(m for rule in rule_ids.split(LIST_SEP) for m in self.fixes.get((entity, field, rule), []))
        effects = []
        for metric in named:
            now, after, _, records = self.effect[metric]
            effects.append(
                (
                    after - now,
                    f"{metric} {now.name} -> {after.name} when the {records:,} records its worklist names are fixed",
                )
            )
        return _summarize(reading, effects, self._below(reading))

    def _below(self, metrics: set[str]) -> list[int]:
        """Per metric flagged below HIGH (and evaluated): the levels it is below HIGH (1-3)."""
        now = (self.effect[m][0] for m in metrics if m in self.effect)
        return [Flag.HIGH - f for f in now if Flag.UNRELIABLE <= f < Flag.HIGH]

    def _merge_entity(self, entity: str) -> tuple[str | None, str | None, float, int]:
        named = self.merges.get(entity, [])
        effects = []
        for metric, clusters, records in named:
            now, _, after, _ = self.effect[metric]
            effects.append(
                (
                    after - now,
                    f"{metric} {now.name} -> {after.name} when its {records:,} duplicate "
                    f"{entity} in {clusters:,} clusters are merged",
                )
            )
        reading = self.reads.get((entity, ""), set()) | {m for m, _, _ in named}
        return _summarize(reading, effects, self._below(reading))


SHOWN_EFFECTS = 3


def _summarize(
    reading: set[str], effects: list[tuple[int, str]], below: list[int]
) -> tuple[str | None, str | None, float, int]:
    """(metric ids, the largest effects in words, impact, flags at stake): impact = metrics read +
    the levels below HIGH of those flagged lower + the levels gained; flags at stake = the metrics
    read that are flagged below HIGH."""
    effects.sort(key=lambda e: -e[0])
    text = "; ".join(t for _, t in effects[:SHOWN_EFFECTS])
    if len(effects) > SHOWN_EFFECTS:
        text += f"; and {len(effects) - SHOWN_EFFECTS} more"
    impact = float(len(reading) + sum(below) + sum(g for g, _ in effects))
    return ", ".join(sorted(reading)) or None, text or None, impact, len(below)


def _projected(m: Any, settings: MetricsSettings) -> tuple[Flag, Flag]:
    """The flag once everything the metric's worklist names is fixed (coverage and sensitivity
    clear), and once its duplicates are merged: the worst of the signals that remain, read from the
    metric's own coverage, sensitivity, duplicates, n, interval and freshness. Never below now."""
    if m.value is None:
        return m.flag, m.flag
    rest = [Flag.HIGH]
    if m.n is not None and m.n < settings.sample_high:
        rest.append(settings.sample_flag(m.n))
    if m.interval is not None and isinstance(m.value, float):
        half = (m.interval[1] - m.interval[0]) / 2
        rest.append(settings.interval_flag(half / abs(m.value) if m.value else np.inf))
    if m.freshness_days is not None:
        rest.append(settings.freshness_flag(m.freshness_days))
    duplicates = settings.shift_flag(m.duplicates) if m.duplicates else Flag.HIGH
    coverage = settings.coverage_flag(m.coverage) if m.coverage is not None else Flag.HIGH
    sensitivity = settings.shift_flag(m.sensitivity) if m.sensitivity else Flag.HIGH
    after_fix = max(m.flag, min(*rest, duplicates))
    after_merge = max(m.flag, min(*rest, coverage, sensitivity))
    return Flag(after_fix), Flag(after_merge)


# --- priority -----------------------------------------------------------------------------------


def priority_score(
    severity: pd.Series,
    impact: pd.Series,
    effort: pd.Series,
    money: pd.Series | None = None,
    records: pd.Series | None = None,
) -> np.ndarray:
    """severity x (1 + metric impact) x (1 + log10(1 + money / MONEY_STEP)) x (1 + log10(records))
    / effort, rounded to 3 decimals; `severity` and `effort` by name (SEVERITY, EFFORT), the others
    numbers (missing: impact and money 0, records 1)."""
    sev = severity.map(SEVERITY).fillna(1).to_numpy(float)
    cost = effort.map(EFFORT).to_numpy(float)
    stake = 1 + np.log10(1 + (money.fillna(0).to_numpy(float) if money is not None else 0.0) / MONEY_STEP)
    breadth = 1 + np.log10(np.maximum(records.fillna(1).to_numpy(float), 1) if records is not None else 1.0)
    return np.round(sev * (1 + impact.fillna(0).to_numpy(float)) * stake * breadth / cost, 3)


def one_marker(values: pd.Series) -> pd.Series:
    """`values` as objects, None for every missing value (None, NaN, pd.NA, NaT). A column of texts alone has
    none to replace: pandas' isna asks each value (every merge plan and evidence text of a million contacts'
    tasks) what infer_dtype sees from its type."""
    values = values.astype("object")
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return values.where(values.notna(), None)


def _prioritize(tasks: pd.DataFrame) -> pd.DataFrame:
    if not len(tasks):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in WORKLIST_COLUMNS})
    score = priority_score(
        tasks["severity"],
        tasks["impact"].astype(float),
        tasks["effort"],
        tasks["money_at_stake"].astype(float),
        tasks["records"].astype(float),
    )
    severity = tasks["severity"].map(SEVERITY).fillna(1).to_numpy(float)
    # highest score first; ties: the more severe, then by task id, so the order is the same every run
    ids = pd.factorize(tasks["task_id"], sort=True)[0]
    order = np.lexsort((ids, -severity, -score))
    tasks = tasks.assign(priority_score=score).take(order)
    tasks["priority"] = np.arange(1, len(tasks) + 1)
    tasks["row"] = tasks["row"].astype("Int64")  # a merge whose master has no known row must not make rows floats
    tasks["records"] = tasks["records"].astype(int)
    tasks["flags_at_stake"] = tasks["flags_at_stake"].fillna(0).astype(int)
    tasks["money_at_stake"] = tasks["money_at_stake"].astype(float).round(2)
    for column in WORKLIST_COLUMNS:
        if column not in tasks:
            tasks[column] = None
        elif column not in NUMERIC_COLUMNS:  # one missing-value marker in text columns: None
            tasks[column] = one_marker(tasks[column])
    return tasks[list(WORKLIST_COLUMNS)].reset_index(drop=True)
