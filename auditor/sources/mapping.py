"""Map a table's headers onto an entity's canonical fields, and say how each was mapped.

Per header, candidates in order of trust: the user's explicit mapping, a declared extra
field, the canonical name, the detected CRM preset, a generic alias, a close spelling.
Each field then takes its most trusted header; a header that won nothing is kept under
its own name, so no data disappears without a note.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.dtypes import TEXT
from auditor.model import ENTITIES, DType, ExtraField, Role
from auditor.sources.aliases import FULL_NAME, PRESETS, alias_table, header_key
from auditor.sources.convert import parse_datetime, parse_number, surely_parsed_each, written_no_date
from auditor.sources.table import ColumnMapping
from auditor.text import MISSING_CODES

_FUZZY_CUTOFF = 0.92
_FUZZY_MIN_LENGTH = 6


@dataclass(frozen=True)
class _Candidate:
    field: str | None
    how: str
    rank: int
    confidence: float
    position: int

    @property
    def order(self) -> tuple[int, float, int]:
        return (self.rank, -self.confidence, self.position)


@dataclass
class MappedColumns:
    columns: list[ColumnMapping]
    notes: list[str] = field(default_factory=list)
    preset: str | None = None
    split_from: str | None = None
    """The full-name header split into first_name/last_name, if any."""

    @property
    def score(self) -> float:
        """How well the headers fit the entity: summed confidence of the headers that feed a field.

        A header counts once, even when it feeds two fields (a full name split into first and last
        name, "CreatedDate" as opened_at and created_at).
        """
        best: dict[str, float] = {}
        for c in self.columns:
            if c.is_field:
                best[c.source_column] = max(best.get(c.source_column, 0.0), c.confidence)
        return sum(best.values())

    @property
    def fitting_headers(self) -> int:
        """How many headers feed a field."""
        return len({c.source_column for c in self.columns if c.is_field})

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The source frame under output names: fields renamed, kept columns as they are, ignored ones dropped."""
        out: dict[str, pd.Series] = {}
        for c in self.columns:
            if c.field is None:
                continue
            values = frame[c.source_column]
            if c.source_column == self.split_from and c.field in ("first_name", "last_name"):
                first, last = split_full_name(values)
                values = first if c.field == "first_name" else last
            out[c.field] = values
        return pd.DataFrame(out, index=frame.index)


def split_full_name(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ "Jan Maria Kowalski" -> ("Jan Maria", "Kowalski"); a single word is a last name."""
    parts = values.str.strip().str.rsplit(n=1, expand=True).reindex(columns=[0, 1])
    single = parts[1].isna()
    first = parts[0].mask(single)
    last = parts[1].mask(single, parts[0])
    return first.astype("str").mask(first.isna()), last.astype("str").mask(last.isna())


def map_columns(
    entity_name: str,
    headers: Sequence[str],
    source: str,
    explicit: Mapping[str, str | None] | None = None,
    extras: Mapping[str, ExtraField] | None = None,
) -> MappedColumns:
    entity = ENTITIES[entity_name]
    explicit, extras = explicit or {}, extras or {}
    preset = detect_preset(entity_name, headers)
    candidates = [
        _candidates(entity_name, header, position, preset, explicit, extras) for position, header in enumerate(headers)
    ]

    winners: dict[str, tuple[str, _Candidate]] = {}
    for header, options in zip(headers, candidates, strict=True):
        for cand in options:
            if cand.field is not None and (cand.field not in winners or cand.order < winners[cand.field][1].order):
                winners[cand.field] = (header, cand)

    has_split_target = entity.has_field("first_name") and entity.has_field("last_name")
    full_name = winners.pop(FULL_NAME, None)
    split_from: str | None = None
    if full_name and has_split_target and not ("first_name" in winners and "last_name" in winners):
        split_from = full_name[0]
        for part in ("first_name", "last_name"):
            winners.setdefault(part, (split_from, full_name[1]))

    notes: list[str] = []
    columns: list[ColumnMapping] = []
    taken = set(winners)
    for header, options in zip(headers, candidates, strict=True):
        if options and options[0].how == "ignored":
            columns.append(ColumnMapping(header, None, "ignored", 1.0))
            notes.append(f"{source}: column {header!r} ignored as configured")
            continue
        won = sorted((f, c) for f, (h, c) in winners.items() if h == header)
        for field_name, cand in won:
            if header == split_from:  # a split is a guess about where the first name ends
                columns.append(ColumnMapping(header, field_name, "alias", round(min(cand.confidence, 0.8), 3)))
            else:
                columns.append(ColumnMapping(header, field_name, cand.how, round(cand.confidence, 3)))
        if header == split_from:
            notes.append(f"{source}: full-name column {header!r} split into first_name and last_name (last word)")
        if won:
            continue
        kept = _unique(header, taken)
        taken.add(kept)
        columns.append(ColumnMapping(header, kept, "kept", 0.0))
        lost = [c.field for c in options if c.field and c.field != FULL_NAME and c.field in winners]
        if lost:
            notes.append(
                f"{source}: column {header!r} also looks like {lost[0]!r}, but {winners[lost[0]][0]!r} matches it"
                f" better; {header!r} is kept as an extra column"
            )
    for header, target in explicit.items():
        if target is not None and target in winners and not entity.has_field(target) and target not in extras:
            notes.append(f"{source}: {header!r} is mapped to {target!r}, not a field of {entity_name}: kept as is")
    return MappedColumns(columns=columns, notes=notes, preset=preset, split_from=split_from)


def detect_preset(entity_name: str, headers: Sequence[str]) -> str | None:
    """The CRM with most headers only it spells that way, if exactly one has most.

    A header the model or the generic aliases spell the same way (`account_id`, `Email`, `Create
    Date`) says nothing about the CRM, and neither does a spelling two presets share ("Contact
    Owner"): only distinctive spellings ("MailingCity", "Record ID", "Deal - Stage") claim a preset.
    """
    common = {header_key(f) for f in ENTITIES[entity_name].field_names} | set(alias_table("generic").keys(entity_name))
    counts = dict.fromkeys(PRESETS, 0)
    for key in {k for k in map(header_key, headers) if k not in common}:
        knowing = [p for p in PRESETS if alias_table(p).lookup(entity_name, key)]
        if len(knowing) == 1:
            counts[knowing[0]] += 1
    first, second = sorted(PRESETS, key=lambda p: -counts[p])[:2]
    return first if counts[first] > counts[second] else None


def _candidates(
    entity_name: str,
    header: str,
    position: int,
    preset: str | None,
    explicit: Mapping[str, str | None],
    extras: Mapping[str, ExtraField],
) -> list[_Candidate]:
    entity = ENTITIES[entity_name]
    key = header_key(header)
    if header in explicit or any(header_key(h) == key for h in explicit):
        target = (
            explicit[header] if header in explicit else next(v for h, v in explicit.items() if header_key(h) == key)
        )
        return [_Candidate(target, "explicit" if target else "ignored", 0, 1.0, position)]
    found: list[_Candidate] = []
    for name in extras:
        if header_key(name) == key:
            found.append(_Candidate(name, "extra", 1, 1.0, position))
    for f in entity.field_names:
        if header_key(f) == key:
            found.append(_Candidate(f, "canonical", 2, 1.0, position))
    if preset:
        for f, rank in alias_table(preset).lookup(entity_name, key):
            found.append(_Candidate(f, f"preset:{preset}", 3, max(0.8, 0.95 - 0.02 * rank), position))
    for f, _ in alias_table("generic").lookup(entity_name, key):
        found.append(_Candidate(f, "alias", 4, 0.85, position))
    if not preset:  # a spelling CRMs share ("Contact Owner") still maps when no CRM is claimed
        shared = {f for p in PRESETS for f, _ in alias_table(p).lookup(entity_name, key)}
        found.extend(_Candidate(f, "alias", 4, 0.8, position) for f in sorted(shared))
    if not found and len(key) >= _FUZZY_MIN_LENGTH:
        found.extend(_fuzzy(entity_name, key, position, preset))
    return found


def _fuzzy(entity_name: str, key: str, position: int, preset: str | None) -> list[_Candidate]:
    """A close spelling ("Emial Adress") of a known header, trusted less the further it is."""
    known, eligible = _known_keys(entity_name, preset)
    close = difflib.get_close_matches(key, eligible, n=1, cutoff=_FUZZY_CUTOFF)
    if not close:
        return []
    ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
    return [_Candidate(f, "alias", 5, round(0.7 * ratio, 3), position) for f, _ in known[close[0]]]


@cache
def _known_keys(entity_name: str, preset: str | None) -> tuple[dict[str, tuple[tuple[str, int], ...]], list[str]]:
    """The header keys a close spelling may stand for -> their fields, and those long enough to match;
    built once, not once per header (a table of thousands of unknown headers asked for each)."""
    known: dict[str, tuple[tuple[str, int], ...]] = {
        header_key(f): ((f, 0),) for f in ENTITIES[entity_name].field_names
    }
    for table in (alias_table("generic"), *([alias_table(preset)] if preset else [])):
        for k in table.keys(entity_name):
            known.setdefault(k, table.lookup(entity_name, k))
    return known, [k for k in known if len(k) >= _FUZZY_MIN_LENGTH]


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 0
    while candidate in taken:
        n += 1
        candidate = f"{name}.{n}"
    return candidate


_PLAUSIBLE_SAMPLE = 1000
_PLAUSIBLE_SHARE = 0.5
_MISSING = pa.array(MISSING_CODES, type=pa.string())


_DATE_ROLES = (Role.DATE, Role.DATETIME)
_NUMBER_ROLES = (Role.MONEY, Role.NUMBER, Role.COUNT, Role.SCORE)
_JUDGED_ROLES = (Role.EMAIL, Role.PHONE, Role.POSTAL_CODE, *_DATE_ROLES, *_NUMBER_ROLES)
"""The roles whose values `_plausible` judges: a column mapped to a field of another role keeps its mapping
whatever it holds, so its values are not even sampled."""


def _plausible(role: Role, text: pd.Series) -> pd.Series:
    """Which values could be a value of `role` (one of _JUDGED_ROLES) at all (a format's minimum, not its
    validity)."""
    if role is Role.EMAIL:
        return text.str.contains("@", regex=False)
    if role is Role.PHONE:
        return text.str.count(r"\d") >= 5
    if role is Role.POSTAL_CODE:
        return text.str.contains(r"\d", regex=True)
    if role in _DATE_ROLES:
        return parse_datetime(text, excel_serials=True).notna() | written_no_date(text)
    return parse_number(text).notna()


def _surely_plausible(roles: Sequence[Role], samples: Sequence[pa.Array]) -> list[bool]:
    """Per sample (of a column of the role beside it): at least _PLAUSIBLE_SHARE of it are dates (numbers) in the
    form most columns write them all in, so that `_plausible` need not read the other forms, which costs a dozen
    passes over a sample of 1,000 values. The samples of each type searched together, not column by column."""
    sure = [False] * len(samples)
    for judged, dtype in ((_DATE_ROLES, DType.DATETIME), (_NUMBER_ROLES, DType.NUMBER)):
        which = [k for k, role in enumerate(roles) if role in judged]
        if not which:
            continue
        lengths = [len(samples[k]) for k in which]
        text = pa.chunked_array([samples[k] for k in which], type=pa.string()).combine_chunks()
        read = surely_parsed_each(text, np.repeat(np.arange(len(which)), lengths), len(which), dtype)
        for k, count, length in zip(which, read, lengths, strict=True):
            sure[k] = bool(count >= _PLAUSIBLE_SHARE * length)
    return sure


def _samples(columns: Sequence[pd.Series]) -> list[pa.Array]:
    """`_sample` of each of `columns`, as Arrow text: the text columns whose first window is all of them (a small
    table's) read together, a few Arrow calls for all of them rather than for each; any other one by itself."""
    whole = [k for k, values in enumerate(columns) if values.dtype == TEXT and len(values) <= 4 * _PLAUSIBLE_SAMPLE]
    out: dict[int, pa.Array] = {}
    if whole:
        lengths = [len(columns[k]) for k in whole]
        pieces = [pa.array(columns[k], type=pa.string(), from_pandas=True) for k in whole]
        text = pc.utf8_trim_whitespace(pa.chunked_array(pieces, type=pa.string()).combine_chunks())
        kept = _telling(text)
        text, owner = text.filter(kept), np.repeat(np.arange(len(whole)), lengths)[kept]
        starts = np.searchsorted(owner, np.arange(len(whole)), side="left")
        ends = np.searchsorted(owner, np.arange(len(whole)), side="right")
        for k, start, end in zip(whole, starts, ends, strict=True):
            out[k] = text.slice(start, min(end - start, _PLAUSIBLE_SAMPLE))
    return [out[k] if k in out else _sample(values) for k, values in enumerate(columns)]


def _telling(text: pa.Array) -> np.ndarray:
    """Which values of stripped text say something: neither missing, blank nor a code for "no value"."""
    said = pc.and_(pc.not_equal(text, ""), pc.invert(pc.is_in(pc.utf8_lower(text), value_set=_MISSING)))
    return np.asarray(pc.fill_null(said, False), dtype=bool)


def _sample(values: pd.Series) -> pa.Array:
    """The first _PLAUSIBLE_SAMPLE values of a column that say something, stripped, as Arrow text: codes for "no
    value" say nothing about what the column holds. In Arrow: a few calls per column, whatever its length."""
    if values.dtype != TEXT:  # a reader's numbers and booleans as their text
        values = values.dropna().astype(str)
    # the column's head, longer and longer until it holds enough, not all of a million-row column
    found: list[pa.Array] = []
    start, window = 0, 4 * _PLAUSIBLE_SAMPLE
    while start < len(values) and sum(map(len, found)) < _PLAUSIBLE_SAMPLE:
        text = pc.utf8_trim_whitespace(
            pc.drop_null(pa.array(values.iloc[start : start + window], type=pa.string(), from_pandas=True))
        )
        found.append(text.filter(_telling(text)))
        start, window = start + window, window * 4
    return pa.chunked_array(found, type=pa.string()).slice(0, _PLAUSIBLE_SAMPLE).combine_chunks()


def reject_implausible(mapped: MappedColumns, frame: pd.DataFrame, entity_name: str, source: str) -> None:
    """Undo a mapping found by a column's name when its values cannot be that field: "zip_code" holding
    Urban / Suburban / Rural is no postal code, and reading it as one would fail every record. The
    column is kept under its own name with a note; a mapping the config states is never undone."""
    entity = ENTITIES[entity_name]
    taken = {c.field for c in mapped.columns if c.field}
    undone: list[int] = []
    judged = [
        (position, column, entity.field(column.field or "").role)
        for position, column in enumerate(mapped.columns)
        if column.is_field
        and column.how not in ("explicit", "extra")
        and entity.has_field(column.field or "")
        and entity.field(column.field or "").role in _JUDGED_ROLES
    ]
    samples = _samples([frame[column.source_column] for _, column, _ in judged])
    sure = _surely_plausible([role for _, _, role in judged], samples)
    for (position, column, role), sample, surely in zip(judged, samples, sure, strict=True):
        if not len(sample) or surely:
            continue
        text = pd.Series(sample, dtype=TEXT)
        share = float(_plausible(role, text).mean())
        if share >= _PLAUSIBLE_SHARE:
            continue
        examples = ", ".join(repr(v) for v in text.drop_duplicates().head(3))
        feeds_another = any(
            other.source_column == column.source_column and other.is_field and other is not column
            for other in mapped.columns
        )
        if feeds_another:  # the column stays what else it maps to (a declared extra field)
            undone.append(position)
            outcome = "not read as one"
        else:
            kept = _unique(column.source_column, taken)
            taken.add(kept)
            mapped.columns[position] = ColumnMapping(column.source_column, kept, "kept", 0.0)
            outcome = "kept as an extra column (map it in the config if it is one)"
        mapped.notes.append(
            f"{source}: column {column.source_column!r} is named like {column.field!r}, but {share:.0%} of its values"
            f" look like one ({examples}): {outcome}"
        )
    for position in reversed(undone):
        del mapped.columns[position]
