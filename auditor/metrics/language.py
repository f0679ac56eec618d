"""Metrics as data: a small declarative language that compiles to the registry's `Metric` objects.

A definition (the config's `metrics.define:` section, or a metric pack's `metrics:`) names one
measure, in the spirit of a semantic layer (dbt MetricFlow, Cube): measures, filters, dimensions
and ratios over any entity and any column of the export.

    cpa:
      title: Cost per acquisition
      ratio:
        - sum(costs.amount where category in [sales, marketing])
        - count(accounts where status == Customer)
      unit: "{currency} per customer"
    churn_snapshot: {share: accounts where churned == yes}
    nps_by_region: {metric: nps, by: region, min_n: 50}
    open_rate: {rate: [sum(campaigns.opened), sum(campaigns.delivered)]}
    avg_basket: {mean: orders.amount where quantity > 0}
    resolution_h: {median: hours(tickets.resolved_at - tickets.opened_at)}
    value_per_customer: {mean: opportunities.amount where stage == Closed Won, per: account_id}
    ltv_to_cac: {derived: value_per_customer / cac}

The measure keys, one per definition (their kind decides the interval, `registry.KINDS`):

| key | value | kind |
|---|---|---|
| `count` | `entity [where condition]`, `entity.column` (records with a value), `distinct entity.column` | count |
| `sum` | `value [where condition]` | sum |
| `mean`, `median` | `value [where condition]` (`weight: value` makes a mean weighted) | mean, median |
| `mean`, `median` with `per:` | a column: the mean or median of its groups' totals (`clv`) | mean, median |
| `nps` | `value [where condition]`: a 0-10 score | nps |
| `share` | `entity where condition`: the share of the entity's records (of `filter:`) | proportion |
| `ratio` | `[measure, measure]` or `measure / measure` | ratio |
| `rate` | as `ratio`, with the Wilson interval: a numerator counted out of its denominator | proportion |
| `top_share` | `value [where condition]`, `per: column`, `top: 0.2`: the top groups' share (Pareto) | ratio |
| `count`, `sum` with `per:` | a column or `month(date_column)`: the count or sum per value or month | distribution |
| `derived` | `+ - * /` of metric ids, measures and numbers: `clv / cac` (`_derived`) | ratio, or sum |
| `metric` | a built-in or defined metric id, to break it down (`by:`, `min_n:`) | its own |

with `measure = count(...) | count(distinct ...) | sum(...) | mean(...) | median(...)`, a `value` a column
(`entity.column`), a number, `+ - * /` of them, `hours(a - b)` / `days(a - b)` of two dates, a date moved by
a length of time (`end_date - 1 year`, `+ 30 days`: days, weeks, months, years, hours), or
`raw(entity.amount)` (an amount as written: not converted to the base currency); a `condition`
comparisons `column == != > < >= <= literal`, `column in [a, b]`, `column not in [...]`,
`column is missing`, `column is not missing`, `date in window`, `date_column <= window start` (or
`window end`: the edges of the run's window), `column [not] starts with / ends with / contains text`
(case as written), joined by `and`, `or`, `not`
and parentheses. Literals are numbers, quoted text, or bare words (`stage == Closed Won`); a
missing value satisfies no comparison.

Other keys: `title`, `unit`, `description` (the formula shown; default: the definition), `filter` (a condition
on the primary entity: its records are the metric's population and scope, as `win_rate`'s closed deals; one on
the window is read in the run's window), `window` (a date column: only records with it in the window, the 12
months up to as_of or --period; `first(column)`: a distinct count of the values whose earliest date is in it; a
list: each measure the first its entity has), `by` (a column, a list or a {name: column} mapping of breakdowns
of the primary entity; `fk->column` reads the referenced record's column; a date column breaks down by month),
`min_n` (groups with fewer records are left out of the breakdown), `scale` (a share on another scale: 100 for
percent), `family`.

A column is a field of the model or one declared under `extra_fields:` (a column of the export
the model does not have, kept under its own name). The parser is a hand-written recursive descent
(never `eval`); every problem is a ConfigError naming the metric, the key and the closest valid name.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from auditor.errors import ConfigError, did_you_mean
from auditor.metrics.common import (
    KEPT_RESULTS,
    Params,
    arrow_text,
    coded,
    counts,
    kept,
    missing,
    month_label,
    month_numbers,
    monthly_sums,
    naive_dates,
    per_table,
    probe_of,
    sums,
    text,
    within,
)
from auditor.metrics.registry import (
    KINDS,
    Derivation,
    Estimate,
    Grouped,
    Metric,
    Scope,
    Tables,
    mean_of,
    median_of,
    nps_of,
    proportion,
    ratio,
    registry,
    value_of,
)
from auditor.model import ENTITIES, DType, Role

MEASURES = ("count", "sum", "mean", "median", "nps", "share", "ratio", "rate", "top_share", "derived", "metric")
AGGREGATES = ("count", "sum", "mean", "median")
FUNCTIONS = ("hours", "days", "raw", "date")
KEYWORDS = ("where", "and", "or", "not", "in", "is", "missing", "window")
OPERATORS = ("==", "!=", ">=", "<=", ">", "<")
OPTION_KEYS = (
    "title",
    "unit",
    "description",
    "filter",
    "window",
    "by",
    "min_n",
    "scale",
    "family",
    "weight",
    "per",
    "top",
    "population",
    "groups",
)
REFERENCE_KEYS = ("metric", "title", "by", "min_n", "description", "family")
DERIVED_KEYS = ("derived", "title", "unit", "description", "window", "by", "min_n", "family")
DURATION_UNITS = {
    **{u: "days" for u in ("day", "days")},
    **{u: "weeks" for u in ("week", "weeks")},
    **{u: "months" for u in ("month", "months")},
    **{u: "years" for u in ("year", "years")},
    **{u: "hours" for u in ("hour", "hours")},
}
"""the lengths of time a date is moved by (`end_date - 1 year`), as pandas' offsets name them"""
TRUE_WORDS = ("yes", "true", "y", "1", "t")
FALSE_WORDS = ("no", "false", "n", "0", "f")


class DefinitionError(ConfigError):
    """A problem of one expression; the compiler prefixes the key path it came from."""


SYNONYMS = {"avg": "mean", "average": "mean", "total": "sum", "cnt": "count", "med": "median", "proportion": "share"}
"""names people write for a measure, suggested as the measure"""


def _hint(name: str, choices: Sequence[str]) -> str:
    if SYNONYMS.get(str(name).lower()) in choices:
        return f" (did you mean {SYNONYMS[str(name).lower()]!r}?)"
    return did_you_mean(name, choices)


# --- tokens ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<arrow>->)
  | (?P<op>==|!=|>=|<=|=>|=<|<>|>|<|=|!)
  | (?P<punct>[()\[\],.+\-*/])
  | (?P<name>[^\W\d]\w*)
  | (?P<other>.)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    at: int


def tokenize(source: str) -> list[Token]:
    out: list[Token] = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or "other"
        if kind == "space":
            continue
        value = match.group()
        if kind == "op" and value not in OPERATORS:
            close = {"=": "==", "=>": ">=", "=<": "<=", "<>": "!=", "!": "!="}[value]
            raise DefinitionError(
                f"{value!r} is not an operator (did you mean {close!r}?); operators: {', '.join(OPERATORS)}"
            )
        if kind == "other":
            raise DefinitionError(f"unexpected character {value!r} at position {match.start() + 1}")
        if kind == "string":
            value = value[1:-1]
        out.append(Token(kind, value, match.start()))
    out.append(Token("end", "", len(source)))
    return out


# --- syntax tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    entity: str | None
    name: str


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Func:
    name: str
    arg: Any


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Offset:
    """`1 year`, `30 days`: a length of calendar time added to or subtracted from a date (a term that ended
    in the window started a year before its end: `end_date - 1 year in window`)."""

    amount: float
    unit: str  # days | weeks | months | years | hours


@dataclass(frozen=True)
class MetricRef:
    """A metric's id inside a `derived:` expression (`clv / cac`): its value in the same run."""

    id: str


@dataclass(frozen=True)
class Literal:
    value: float | str
    quoted: bool = False


@dataclass(frozen=True)
class WindowEdge:
    """`window start` / `window end` on the right of a date comparison: the run's window, so a definition
    can say "active at the window start" (`start_date <= window start and not cancelled_at <= window start`)."""

    which: str  # start | end


@dataclass(frozen=True)
class Compare:
    left: Any
    op: str
    right: Literal | WindowEdge


@dataclass(frozen=True)
class IsIn:
    left: Any
    values: tuple[Literal, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsMissing:
    left: Any
    negate: bool = False


@dataclass(frozen=True)
class TextMatch:
    """`column starts with 'C'`, `ends with`, `contains` (case as written; `not` before it negates)."""

    left: Any
    how: str  # starts | ends | contains
    right: Literal
    negate: bool = False


@dataclass(frozen=True)
class InWindow:
    left: Any  # a date: a column, or a column moved by an Offset


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    part: Any


@dataclass(frozen=True)
class Selection:
    """`entity [where cond]` or `value [where cond]`: the records (and values) a measure reads."""

    entity: str | None
    value: Any | None
    where: Any | None
    distinct: bool = False
    """`count(distinct entity.column)`: the number of distinct values, not of records"""
    where_source: str | None = field(default=None, compare=False)
    """the condition as written, to name the records it selects"""


@dataclass(frozen=True)
class Measure:
    agg: str
    selection: Selection


class Parser:
    """Recursive descent over the tokens of one expression."""

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise DefinitionError(f"expected an expression (text), not {type(source).__name__} {source!r}"[:160])
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        t = self.tok
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return t

    def is_(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def keyword(self, word: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() == word

    def expect(self, kind: str, text: str | None = None, what: str = "") -> Token:
        if not self.is_(kind, text):
            self.fail(f"expected {what or text or kind}")
        return self.take()

    def fail(self, message: str) -> None:
        t = self.tok
        found = "the end" if t.kind == "end" else repr(t.text)
        raise DefinitionError(f"{message}, found {found} at position {t.at + 1} of {self.source!r}"[:300])

    def done(self) -> None:
        if not self.is_("end"):
            self.fail("expected the end of the expression")

    # grammar
    def selection(self, entity_only: bool = False) -> Selection:
        """`entity [where cond]` (entity_only) or `entity.column`/value `[where cond]`."""
        if entity_only and self.keyword("distinct") and self.peek().kind == "name":
            self.take()
            value = self.column()
            where, source = self.where()
            return Selection(None, value, where, distinct=True, where_source=source)
        elif entity_only and self.is_("name") and not self.is_("punct", ".") and self.peek().text != ".":
            entity = self.take().text
            if entity.lower() in KEYWORDS:
                self.fail("expected an entity")
            value = None
        else:
            value = self.value()
            entity = None
        where, source = self.where()
        return Selection(entity, value, where, where_source=source)

    def where(self) -> tuple[Any | None, str | None]:
        """`[where cond]`: the condition and its source text."""
        if not self.keyword("where"):
            return None, None
        self.take()
        start = self.tok.at
        cond = self.condition()
        return cond, self.source[start : self.tok.at].strip()

    def measure(self) -> Measure:
        t = self.tok
        if t.kind != "name" or self.peek().text != "(":
            self.fail(f"expected a measure ({', '.join(f'{a}(...)' for a in AGGREGATES)})")
        name = self.take().text
        if name not in AGGREGATES:
            raise DefinitionError(
                f"unknown function {name!r}{_hint(name, AGGREGATES)}; measures: {', '.join(AGGREGATES)}"
            )
        self.expect("punct", "(")
        sel = self.selection(entity_only=name == "count")
        self.expect("punct", ")", "')'")
        return Measure(name, sel)

    def ratio(self) -> tuple[Measure, Measure]:
        num = self.measure()
        self.expect("punct", "/", "'/' between the two measures")
        den = self.measure()
        self.done()
        return num, den

    def derived(self) -> Any:
        """`derived:` an arithmetic of metric ids, measures and numbers: `clv / cac`."""
        node = self.arithmetic(self.derived_factor, lambda: True)
        self.done()
        return node

    def derived_factor(self) -> Any:
        t = self.tok
        if t.kind == "number":
            self.take()
            return Num(float(t.text))
        if self.is_("punct", "-"):
            self.take()
            return BinOp("-", Num(0.0), self.derived_factor())
        if self.is_("punct", "("):
            self.take()
            inner = self.arithmetic(self.derived_factor, lambda: True)
            self.expect("punct", ")", "')'")
            return inner
        if t.kind == "name" and self.peek().text == "(":
            return self.measure()
        if t.kind == "name":
            return MetricRef(self.take().text)
        self.fail("expected a metric id, a measure such as mean(subscriptions.mrr), a number or '('")
        raise AssertionError  # unreachable

    def value(self) -> Any:
        return self.arithmetic(self.factor, self._division)

    def arithmetic(self, factor: Callable[[], Any], divides: Callable[[], bool]) -> Any:
        """`+ - * /` of factors, `*` and `/` first; a '/' for which `divides` says no ends the expression."""
        left = self.product(factor, divides)
        while self.is_("punct", "+") or self.is_("punct", "-"):
            op = self.take().text
            left = BinOp(op, left, self.product(factor, divides))
        return left

    def product(self, factor: Callable[[], Any], divides: Callable[[], bool]) -> Any:
        left = factor()
        while self.is_("punct", "*") or (self.is_("punct", "/") and divides()):
            op = self.take().text
            left = BinOp(op, left, factor())
        return left

    def _division(self) -> bool:
        """A '/' inside a value, not the one between two measures of a ratio."""
        nxt = self.peek()
        return not (nxt.kind == "name" and nxt.text in AGGREGATES and self.peek(2).text == "(")

    def factor(self) -> Any:
        t = self.tok
        if t.kind == "number":
            self.take()
            unit = self.tok.text.lower() if self.tok.kind == "name" else ""
            if unit in DURATION_UNITS and self.peek().text != "(":
                self.take()
                return Offset(float(t.text), DURATION_UNITS[unit])
            return Num(float(t.text))
        if self.is_("punct", "-"):
            self.take()
            return BinOp("-", Num(0.0), self.factor())
        if self.is_("punct", "("):
            self.take()
            inner = self.value()
            self.expect("punct", ")", "')'")
            return inner
        if t.kind == "name" and t.text.lower() not in KEYWORDS:
            if self.peek().text == "(":
                name = self.take().text
                if name not in FUNCTIONS:
                    known = (*FUNCTIONS, *AGGREGATES)
                    raise DefinitionError(
                        f"unknown function {name!r}{_hint(name, known)}; functions: {', '.join(FUNCTIONS)}"
                    )
                self.take()
                arg = self.value()
                self.expect("punct", ")", "')'")
                return Func(name, arg)
            return self.column()
        self.fail("expected a column, a number or a function")
        raise AssertionError  # unreachable

    def column(self) -> Col:
        first = self.expect("name", what="a column").text
        if self.is_("punct", "."):
            self.take()
            second = self.expect("name", what="a column after the entity").text
            return Col(first, second)
        return Col(None, first)

    def condition(self) -> Any:
        parts = [self.conjunction()]
        while self.keyword("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def conjunction(self) -> Any:
        parts = [self.negation()]
        while self.keyword("and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def negation(self) -> Any:
        if self.keyword("not"):
            self.take()
            return Not(self.negation())
        if self.is_("punct", "("):
            start = self.i
            try:
                self.take()
                inner = self.condition()
                self.expect("punct", ")", "')'")
                return inner
            except DefinitionError:
                self.i = start  # a parenthesised value: (a + b) > 3
        return self.comparison()

    def comparison(self) -> Any:
        left = self.value()
        if self.keyword("is"):
            self.take()
            negate = False
            if self.keyword("not"):
                self.take()
                negate = True
            if not self.keyword("missing"):
                self.fail("expected 'missing' after 'is' / 'is not'")
            self.take()
            return IsMissing(left, negate)
        negate = False
        if self.keyword("not"):
            self.take()
            negate = True
            if not (self.keyword("in") or self._text_match()):
                self.fail("expected 'in', 'starts with', 'ends with' or 'contains' after 'not'")
        if self._text_match():
            how = self.take().text.lower()
            if how in ("starts", "ends"):
                if not self.keyword("with"):
                    self.fail(f"expected 'with' after '{how}'")
                self.take()
            return TextMatch(left, how, self.literal(), negate)
        if self.keyword("in"):
            self.take()
            if self.keyword("window") and not negate:
                self.take()
                return InWindow(left)
            return IsIn(left, self.literals(), negate)
        if self.tok.kind == "op":
            op = self.take().text
            if self.keyword("window") and self.peek().text.lower() in ("start", "end"):
                self.take()
                return Compare(left, op, WindowEdge(self.take().text.lower()))
            return Compare(left, op, self.literal())
        if self.keyword("starts") or self.keyword("ends"):
            how = self.take().text.lower()
            self.fail(f"expected 'with' after '{how}'")
        self.fail(
            f"expected a comparison ({', '.join(OPERATORS)}, in, not in, is missing, in window, starts with,"
            " ends with, contains)"
        )
        raise AssertionError  # unreachable

    def _text_match(self) -> bool:
        """`starts with`, `ends with` or `contains` (words only where a comparison is expected, so a
        column may still be named `contains`)."""
        if self.keyword("contains"):
            return True
        return (self.keyword("starts") or self.keyword("ends")) and self.peek().text.lower() == "with"

    def literals(self) -> tuple[Literal, ...]:
        self.expect("punct", "[", "'[' and a list of values")
        items = [self.literal()]
        while self.is_("punct", ","):
            self.take()
            items.append(self.literal())
        self.expect("punct", "]", "']'")
        return tuple(items)

    def literal(self) -> Literal:
        t = self.tok
        if t.kind == "number":
            self.take()
            return Literal(float(t.text))
        if self.is_("punct", "-") and self.peek().kind == "number":
            self.take()
            return Literal(-float(self.take().text))
        if t.kind == "string":
            self.take()
            return Literal(t.text, quoted=True)
        words: list[str] = []
        while self.tok.kind in ("name", "number") and self.tok.text.lower() not in ("and", "or"):
            words.append(self.take().text)
        if not words:
            self.fail("expected a value (a number, 'quoted text' or words)")
        return Literal(" ".join(words))


def parse_ratio(source: Any) -> tuple[Measure, Measure]:
    """`[measure, measure]` or `measure / measure`."""
    if isinstance(source, list):
        if len(source) != 2:
            raise DefinitionError(f"expected two measures [numerator, denominator], not {len(source)}")
        parts = []
        for i, item in enumerate(source):
            try:
                p = Parser(item)
                m = p.measure()
                p.done()
            except DefinitionError as error:
                raise DefinitionError(f"[{i}]: {error.message}") from None
            parts.append(m)
        return parts[0], parts[1]
    return Parser(source).ratio()


def parse_selection(source: Any, entity_only: bool) -> Selection:
    p = Parser(source)
    sel = p.selection(entity_only=entity_only)
    p.done()
    return sel


def parse_condition(source: Any) -> Any:
    p = Parser(source)
    cond = p.condition()
    p.done()
    return cond


# --- types and names ---------------------------------------------------------------------------

Extras = Mapping[str, Mapping[str, Any]]
"""entity -> column -> ExtraField (or a Role): the columns `extra_fields:` declares"""


def _role(entity: str, name: str, extras: Extras) -> Role | None:
    spec = ENTITIES[entity]
    if spec.has_field(name):
        return spec.field(name).role
    extra = extras.get(entity, {}).get(name)
    if extra is None:
        return None
    return extra if isinstance(extra, Role) else getattr(extra, "role", Role.TEXT)


_NUMERIC = {DType.NUMBER, DType.INTEGER}


def _kind_of_role(role: Role) -> str:
    dtype = {Role.DATETIME: DType.DATETIME, Role.DATE: DType.DATE, Role.MONEY: DType.NUMBER}.get(role)
    dtype = dtype or {Role.SCORE: DType.NUMBER, Role.NUMBER: DType.NUMBER, Role.COUNT: DType.INTEGER}.get(role)
    dtype = dtype or (DType.BOOL if role is Role.BOOL else DType.STRING)
    if dtype in (DType.DATE, DType.DATETIME):
        return "date"
    if dtype in _NUMERIC:
        return "number"
    return "bool" if dtype is DType.BOOL else "text"


class _Checker:
    """Resolves the columns of an expression to one entity and checks names and types."""

    def __init__(self, extras: Extras) -> None:
        self.extras = extras

    def entity(self, name: str) -> str:
        if name not in ENTITIES:
            raise DefinitionError(f"unknown entity {name!r}{_hint(name, list(ENTITIES))}")
        return name

    def columns(self, entity: str) -> list[str]:
        return [*ENTITIES[entity].field_names, *self.extras.get(entity, {})]

    def column(self, col: Col, entity: str | None) -> tuple[str, str]:
        """(entity, column type) of `col` in a measure on `entity` (None: taken from the column)."""
        if col.entity is not None:
            self.entity(col.entity)
            if entity is not None and col.entity != entity:
                raise DefinitionError(
                    f"{col.entity}.{col.name}: a measure reads one entity ({entity}); use a ratio of two measures"
                )
            entity = col.entity
        elif entity is None:
            raise DefinitionError(f"{col.name!r}: name its entity, e.g. opportunities.{col.name}")
        role = _role(entity, col.name, self.extras)
        if role is None:
            raise DefinitionError(
                f"unknown column {col.name!r} of {entity}{_hint(col.name, self.columns(entity))}; a column the model"
                f" does not have is declared under extra_fields.{entity} (with its role: number, date, text...)"
            )
        return entity, _kind_of_role(role)

    def value_entity(self, node: Any) -> str | None:
        """The entity the first qualified column of a value names."""
        if isinstance(node, Col):
            return node.entity
        if isinstance(node, Func):
            return self.value_entity(node.arg)
        if isinstance(node, BinOp):
            return self.value_entity(node.left) or self.value_entity(node.right)
        return None

    def value(self, node: Any, entity: str) -> str:
        """The type of a value: number, date, duration (a difference of dates), text, bool."""
        kind = self._kind(node, entity)
        if kind == "offset":
            raise DefinitionError(_OFFSET_USE)
        return kind

    def _kind(self, node: Any, entity: str) -> str:
        if isinstance(node, Num):
            return "number"
        if isinstance(node, Offset):
            if node.unit in ("months", "years") and not node.amount.is_integer():
                raise DefinitionError(f"{node.amount:g} {node.unit}: months and years are whole numbers")
            return "offset"
        if isinstance(node, Col):
            return self.column(node, entity)[1]
        if isinstance(node, Func):
            inner = self.value(node.arg, entity)
            if node.name == "raw":
                if not isinstance(node.arg, Col):
                    raise DefinitionError("raw() takes one amount column, e.g. raw(opportunities.amount)")
                return inner
            if node.name == "date":
                if not isinstance(node.arg, Col) or inner != "date":
                    raise DefinitionError("date() takes one date column, e.g. date(opportunities.created_at)")
                return "date"
            if inner != "duration":
                raise DefinitionError(
                    f"{node.name}() takes a difference of two dates, e.g. {node.name}(resolved_at - opened_at)"
                )
            return "number"
        if isinstance(node, BinOp):
            left, right = self._kind(node.left, entity), self._kind(node.right, entity)
            moved = (left, right) == ("date", "offset") and node.op in ("+", "-")
            if moved or (left, right, node.op) == ("offset", "date", "+"):
                return "date"
            if "offset" in (left, right):
                raise DefinitionError(_OFFSET_USE)
            if node.op == "-" and left == right == "date":
                return "duration"
            for side in (left, right):
                if side == "duration":
                    raise DefinitionError("wrap a difference of dates in hours() or days()")
                if side not in ("number", "bool"):
                    raise DefinitionError(
                        f"'{node.op}' takes numbers, not {side} (declare a numeric column of the export under"
                        " extra_fields with role: number)"
                    )
            return "number"
        raise DefinitionError("expected a value")

    def numeric(self, node: Any, entity: str, what: str) -> None:
        kind = self.value(node, entity)
        if kind == "duration":
            raise DefinitionError("wrap a difference of dates in hours() or days()")
        if kind not in ("number", "bool"):
            shown = f"{node.entity or entity}.{node.name}" if isinstance(node, Col) else "the value"
            raise DefinitionError(
                f"{what} takes numbers; {shown} is {kind} (declare a numeric column of the export under"
                " extra_fields with role: number)"
            )

    def condition(self, node: Any, entity: str) -> None:
        if isinstance(node, BoolOp):
            for part in node.parts:
                self.condition(part, entity)
        elif isinstance(node, Not):
            self.condition(node.part, entity)
        elif isinstance(node, IsMissing):
            self.value(node.left, entity)
        elif isinstance(node, InWindow):
            kind = self.value(node.left, entity)
            if kind != "date":
                shown = node.left.name if isinstance(node.left, Col) else "the value"
                raise DefinitionError(f"'{shown} in window' takes a date, not a {kind}")
        elif isinstance(node, TextMatch):
            kind = self.value(node.left, entity)
            if kind in ("date", "duration"):
                raise DefinitionError(f"'{_MATCH_WORDS[node.how]}' reads text, not {kind}s")
        elif isinstance(node, Compare) and isinstance(node.right, WindowEdge):
            kind = self.value(node.left, entity)
            if kind != "date":
                raise DefinitionError(
                    f"'window {node.right.which}' is a date: compare a date column with it, not a {kind}"
                )
        elif isinstance(node, (Compare, IsIn)):
            kind = self.value(node.left, entity)
            if kind == "duration":
                raise DefinitionError("wrap a difference of dates in hours() or days()")
            for lit in node.values if isinstance(node, IsIn) else (node.right,):
                _literal_for(kind, lit)
            ordered = isinstance(node, Compare) and node.op in (">", "<", ">=", "<=")
            if ordered and kind in ("text", "bool") and not isinstance(node.right.value, float):
                raise DefinitionError(f"'{node.op}' compares numbers or dates, not text ({node.right.value!r})")

    def reads(self, node: Any, entity: str, out: dict[str, None]) -> None:
        """Every column a value or condition reads (with the currency of an amount)."""
        if isinstance(node, Col):
            out[node.name] = None
            return
        if isinstance(node, Func) and node.name == "raw":
            out[node.arg.name] = None
            return
        for child in _children(node):
            self.reads(child, entity, out)


_MATCH_WORDS = {"starts": "starts with", "ends": "ends with", "contains": "contains"}
_OFFSET_USE = "a length of time (1 year, 30 days) moves a date: add it to a date or subtract it, e.g. end_date - 1 year"


def _has(node: Any, kind: type) -> bool:
    return isinstance(node, kind) or any(_has(child, kind) for child in _children(node))


def _children(node: Any) -> tuple[Any, ...]:
    if isinstance(node, Func):
        return (node.arg,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.parts
    if isinstance(node, Not):
        return (node.part,)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, (IsIn, IsMissing, InWindow, TextMatch)):
        return (node.left,)
    return ()


def _literal_for(kind: str, lit: Literal) -> Any:
    """The literal as the column's type compares it (a DefinitionError when it cannot be)."""
    v = lit.value
    if kind == "date":
        try:
            stamp = pd.Timestamp(str(v) if not isinstance(v, float) else "")
            if pd.isna(stamp):
                raise ValueError
            return stamp
        except (ValueError, TypeError):
            raise DefinitionError(f"{v!r} is not a date; write dates as '2026-01-31'") from None
    if kind == "number":
        if isinstance(v, float):
            return v
        try:
            return float(v)
        except ValueError:
            raise DefinitionError(f"{v!r} is not a number") from None
    if kind == "bool":
        word = (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise DefinitionError(f"{v!r} is not true or false (yes/no, true/false, 1/0)")
    return v


# --- evaluation ------------------------------------------------------------------------------


def _numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=values.index)
    return pd.to_numeric(text(values), errors="coerce").astype("float64")


class _Runtime:
    """Evaluates values and conditions on one frame."""

    def __init__(self, entity: str, frame: pd.DataFrame, params: Params) -> None:
        self.entity, self.frame, self.p = entity, frame, params

    def column(self, name: str, convert: bool = True) -> pd.Series:
        frame = self.frame
        values = frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index, dtype="float64")
        currency_field = _currency_of(self.entity, name) if convert else None
        if currency_field is not None and currency_field in frame.columns:
            currency = frame[currency_field]
            return self.p.money.to_base(values, currency, coded(self.p, currency)).astype("float64")
        return values

    def value(self, node: Any) -> pd.Series:
        """The node's values per row (a bound's probe makes only what it changed: `_probed`)."""
        return self._probed(node, _Runtime._value)

    def condition(self, node: Any) -> np.ndarray:
        """Whether each row meets the condition (a bound's probe makes only what it changed: `_probed`)."""
        return self._probed(node, _Runtime._condition)

    def _probed(self, node: Any, how: Callable[[_Runtime, Any], Any]) -> Any:
        """`how(self, node)`; on a table a bound probes (`common.probing`: its base table with one column changed
        at some rows), a value or condition that does not read that column is made once on the base table for
        every probe, and one that reads it is made on the changed rows alone and put into the base table's. Every
        value and condition is made row by row (a row's result reads that row only, and its column's type), so
        both are what the whole probed table gives; except a text match, which reads a number column as whole
        numbers when every value of it is one: made on the whole probed table, as is what reads the column of a
        table of fewer than PART_FROM_ROWS rows."""
        probe = probe_of(self.p, self.frame)
        if probe is None and len(self.frame) < PART_FROM_ROWS:
            return self._once(node, how)
        reads = _columns_read(node, self.entity)
        if probe is not None and probe.column in reads and len(self.frame) < PART_FROM_ROWS:
            # the bounds of the metrics of one table probe it the same way (`bounds._probed_table`: one table object
            # per probe for the run), and read the same conditions of it (stage == Closed Won for every stage probe)
            return self._once(node, how, probed=True)
        if probe is None or (probe.column in reads and _has(node, TextMatch)):
            return how(self, node)
        whole = kept(
            self.p,
            how,
            (probe.base,),
            (self.entity, node),
            lambda: _frozen(how(_Runtime(self.entity, probe.base, self.p), node)),
            KEPT_NODES,
        )
        if probe.column not in reads:
            return whole
        part = how(_Runtime(self.entity, probe.part(reads), self.p), node)
        patched = _patched(whole, probe.rows, part, self.frame.index)
        return patched if patched is not None else how(self, node)

    def _once(self, node: Any, how: Callable[[_Runtime, Any], Any], probed: bool = False) -> Any:
        """`how(self, node)` made once per run for a table of fewer than PART_FROM_ROWS rows (kept with the frame
        object, checked to be that frame: `common.kept`; a probe's (`probed`) apart, so that a bound's many probes
        do not push out what the unprobed tables keep): the raw value, the breakdowns, the value with duplicates
        merged and the next metric of the table make the same conditions (stage == Closed Won) on the same tables,
        at a fixed cost per condition that is most of a small table's metric. A larger table's values are not kept
        (they would hold a million rows' arrays per node; their making is not fixed cost there)."""
        return kept(
            self.p,
            _made_on_probes if probed else _UNPROBED[how],
            (self.frame,),
            (self.entity, node, how) if probed else (self.entity, node),
            lambda: _frozen(how(self, node)),
            KEPT_PROBED if probed else KEPT_SMALL,
        )

    def _value(self, node: Any) -> pd.Series:
        if isinstance(node, Num):
            return pd.Series(node.value, index=self.frame.index, dtype="float64")
        if isinstance(node, Col):
            return _numbers(self.column(node.name))
        if isinstance(node, Func):
            if node.name == "raw":
                return _numbers(self.column(node.arg.name, convert=False))
            if node.name == "date":
                stamps = self.column(node.arg.name)
                return stamps.dt.normalize() if pd.api.types.is_datetime64_any_dtype(stamps.dtype) else stamps
            diff = self._value(node.arg)
            unit = pd.Timedelta(hours=1) if node.name == "hours" else pd.Timedelta(days=1)
            return diff / unit
        if isinstance(node.right, Offset):
            stamps, length = self._value(node.left), _length(node.right)
            return stamps - length if node.op == "-" else stamps + length
        if isinstance(node.left, Offset):
            return self._value(node.right) + _length(node.left)
        left, right = self._value(node.left), self._value(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        right = right.where(right != 0)
        return left / right

    def raw_value(self, node: Any) -> pd.Series:
        """A value for a comparison: text columns stay text."""
        if isinstance(node, Col):
            return self.column(node.name, convert=False)
        return self.value(node)

    def _raw(self, node: Any) -> pd.Series:
        """`raw_value` inside a condition (made as a whole: `_probed`)."""
        if isinstance(node, Col):
            return self.column(node.name, convert=False)
        return self._value(node)

    def _condition(self, node: Any) -> np.ndarray:
        n = len(self.frame)
        if isinstance(node, BoolOp):
            parts = [self._condition(p) for p in node.parts]
            out = parts[0].copy()
            for part in parts[1:]:
                out = (out & part) if node.op == "and" else (out | part)
            return out
        if isinstance(node, Not):
            return ~self._condition(node.part)
        if isinstance(node, IsMissing):
            absent = missing(self._raw(node.left))
            return ~absent if node.negate else absent
        if isinstance(node, InWindow):
            return within(self._raw(node.left), self.p.start, self.p.end).to_numpy(bool)
        if isinstance(node, TextMatch):
            return self.text_match(node)
        values = self._raw(node.left)
        present = ~missing(values)
        if isinstance(node, Compare) and isinstance(node.right, WindowEdge):
            if not pd.api.types.is_datetime64_any_dtype(values.dtype):
                return np.zeros(n, dtype=bool)
            edge = self.p.start if node.right.which == "start" else self.p.end
            return _compared(values, node.op, edge) & present
        literals = node.values if isinstance(node, IsIn) else (node.right,)
        kind = _runtime_kind(values, literals)
        if kind == "number":
            values = _numbers(values)
        elif kind == "text":
            # the loader's Arrow text compares as it is: as Python objects, a million stages were copied out per
            # comparison (a win rate's bound and breakdowns compare its stages hundreds of times)
            values = text(values)
        elif kind == "bool":
            values = values.astype("boolean")
        try:
            wanted = [_literal_for(kind, lit) for lit in literals]
        except DefinitionError:
            return np.zeros(n, dtype=bool)
        if kind == "text":
            wanted = [_text_literal(w) for w in wanted]
        if isinstance(node, IsIn):
            hit = values.isin(wanted).fillna(False).to_numpy(bool) & present
            return (present & ~hit) if node.negate else hit
        w = wanted[0]
        op = node.op
        if kind in ("text", "bool") and op not in ("==", "!="):
            return np.zeros(n, dtype=bool)
        return _compared(values, op, w) & present

    def text_match(self, node: TextMatch) -> np.ndarray:
        values = self._raw(node.left)
        present = ~missing(values)
        if pd.api.types.is_float_dtype(values.dtype) and (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")  # 12.0 reads as 12
        words = values.astype("object").where(values.notna(), None).map(str, na_action="ignore")
        wanted = _text_literal(node.right.value)
        how = {"starts": words.str.startswith, "ends": words.str.endswith}.get(node.how)
        hit = how(wanted) if how else words.str.contains(wanted, regex=False)
        hit = hit.fillna(False).to_numpy(bool) & present
        return (present & ~hit) if node.negate else hit


PART_FROM_ROWS = 50_000
"""a value or condition that reads the probed column of a smaller table is made on the whole probed table: taking
its changed rows and putting them back cost as much as the whole (fixtures/acme's bounds were 10-20% slower)"""

KEPT_NODES = 16
"""a bound keeps the values and conditions of the last 16 nodes it made on a base table (`_Runtime._probed`): a
metric reads a handful, and the next metric of the same table often the same (stage == Closed Won)"""


KEPT_SMALL = 64
"""the values and conditions of the last 64 (table, node) pairs kept for tables that are not probes
(`_Runtime._once`): the tables of fewer than PART_FROM_ROWS rows only, so at most a few MB"""

_UNPROBED: dict[Callable[[_Runtime, Any], Any], Callable[..., Any]] = {
    _Runtime._value: _Runtime.value,
    _Runtime._condition: _Runtime.condition,
}
"""where `_Runtime._once` keeps what it made (`Params.memo`'s owner): apart from a probe's base table's values"""

KEPT_PROBED = 512
"""the values and conditions reading the probed column kept for the probes of tables of fewer than PART_FROM_ROWS rows
(`_Runtime._probed`): fixtures/acme's bounds made 150 (probe, node) pairs on their 131 probed tables"""


def _made_on_probes() -> None:
    """Where `_Runtime._once` keeps what it made on a probe (`Params.memo`'s owner), apart from the unprobed tables'
    (`_UNPROBED`) and a probe's base table's (`_Runtime._probed`)."""


@functools.lru_cache(maxsize=512)
def _currency_of(entity: str, name: str) -> str | None:
    """The currency column of `entity`'s money column `name` (None for any other column): asked for every column a
    value reads, where the model's field lookups scan the entity's fields."""
    spec = ENTITIES[entity]
    if not spec.has_field(name):
        return None
    declared = spec.field(name)
    return declared.currency_field if declared.role is Role.MONEY and declared.currency_field else None


def _frozen(made: Any) -> Any:
    """An array kept for every probe, made read-only: a caller changing it in place would change every probe's."""
    if isinstance(made, np.ndarray):
        made.flags.writeable = False
    return made


def _patched(whole: Any, rows: np.ndarray, part: Any, index: pd.Index) -> Any:
    """`whole` (the base table's values or condition) with `part` (those of the changed rows) at `rows`; None when
    their types differ or are not numpy's (then the probe is made whole)."""
    if isinstance(whole, np.ndarray):
        if not isinstance(part, np.ndarray) or part.dtype != whole.dtype:
            return None
        out = whole.copy()
        out[rows] = part
        return out
    if not isinstance(whole.dtype, np.dtype) or part.dtype != whole.dtype:
        return None
    values = whole.to_numpy(copy=True)
    values[rows] = part.to_numpy()
    return pd.Series(values, index=index, name=whole.name)


@functools.lru_cache(maxsize=256)
def _columns_read(node: Any, entity: str) -> frozenset[str]:
    """The columns of `entity` a value or condition reads, with the currency of an amount (converted by it)."""
    if isinstance(node, Col):
        model = ENTITIES.get(entity)
        declared = model.field(node.name) if model is not None and model.has_field(node.name) else None
        currency = declared.currency_field if declared is not None and declared.role is Role.MONEY else None
        return frozenset((node.name, currency) if currency else (node.name,))
    return frozenset().union(*(_columns_read(child, entity) for child in _children(node)))


def _length(offset: Offset) -> pd.DateOffset | pd.Timedelta:
    """A calendar offset for months and years (a year before 2024-02-29 is 2023-02-28), a fixed one otherwise."""
    if offset.unit in ("months", "years"):
        return pd.DateOffset(**{offset.unit: int(offset.amount)})
    return pd.Timedelta(**{offset.unit: offset.amount})


_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _compared(values: pd.Series, op: str, w: Any) -> np.ndarray:
    """`values op w` per row, a missing result False."""
    held = _compared_held(values, op, w)
    if held is not None:
        return held
    return pd.Series(_COMPARE[op](values, w)).fillna(False).to_numpy(bool)


def _compared_held(values: pd.Series, op: str, w: Any) -> np.ndarray | None:
    """`_compared` on the column's own array, where numpy or Arrow compares as pandas does (None elsewhere): the
    pandas operator, its Series and fillna cost more than the comparison on a small table, and a metric's conditions
    compare in every computation of it (a missing date or number compares as numpy has it, True for != only, as
    pandas does; missing text as pandas' NaN-backed text does)."""
    if naive_dates(values) and isinstance(w, pd.Timestamp) and w.tz is None:
        return _COMPARE[op](values.to_numpy(), w.as_unit("ns").to_datetime64())
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f" and type(w) is float:
        return _COMPARE[op](values.to_numpy(), w)
    if arrow_text(values) and values.dtype.na_value is np.nan and type(w) is str and op in ("==", "!="):
        held = values.array.__arrow_array__()
        hit = pc.equal(held, w) if op == "==" else pc.not_equal(held, w)
        return np.asarray(pc.fill_null(hit, op == "!="), dtype=bool)
    return None


def _text_literal(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _runtime_kind(values: pd.Series, literals: Sequence[Literal]) -> str:
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if all(isinstance(lit.value, float) for lit in literals):
        return "number"  # a text column of the export compared with numbers: read it as numbers
    return "text"


# --- compiling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """A compiled measure: its entity, aggregate, value and the row condition."""

    agg: str
    entity: str
    value: Any | None
    where: Any | None
    weight: Any | None = None
    distinct: bool = False
    first: str | None = None
    """`window: first(column)`: a distinct count keeps the values whose earliest date in this column is in the
    window"""

    def rows(self, t: Tables, p: Params, extra: Any | None) -> tuple[_Runtime, np.ndarray]:
        frame = t[self.entity]
        rt = _Runtime(self.entity, frame, p)
        mask = np.ones(len(frame), dtype=bool)
        for cond in (self.where, extra):
            if cond is not None:
                mask &= rt.condition(cond)
        return rt, mask


_FIRST_OF = re.compile(r"^\s*first\s*\(\s*([^\W\d]\w*)\s*\)\s*$", re.IGNORECASE)


def _windows(window: Any, plans: list[_Plan], check: _Checker) -> tuple[dict[str, Any], list[_Plan]]:
    """`window:` a date column, `first(column)` or a list of them, each measure taking the first its entity has:
    (entity -> the row condition of a column's window, the plans with a `first(column)` window set). A column
    keeps the records whose date is in the window; `first(column)` keeps the distinct values whose earliest
    date (over the records the measure selects) is in it: new customers are accounts whose first won deal
    closed in the window, not accounts with a won deal there."""
    items = window if isinstance(window, list) else [window]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise DefinitionError("expected a date column, e.g. close_date, first(close_date), or a list of them")
    firsts = [_FIRST_OF.match(i) for i in items]
    columns = [first.group(1) if first else item for first, item in zip(firsts, items, strict=True)]
    windows: dict[str, Any] = {}
    used: set[int] = set()
    out = []
    for plan in plans:
        taken = next((k for k, col in enumerate(columns) if _role(plan.entity, col, check.extras) is not None), None)
        if taken is None:
            out.append(plan)
            continue
        used.add(taken)
        col = Col(plan.entity, columns[taken])
        check.condition(InWindow(col), plan.entity)
        if not firsts[taken]:
            windows[plan.entity] = InWindow(col)
            out.append(plan)
        elif plan.agg == "count" and plan.distinct:
            out.append(replace(plan, first=col.name))
        else:
            raise DefinitionError(
                f"{items[taken]} keeps the distinct values whose first date is in the window: only a count of"
                f" distinct values takes it, e.g. count(distinct {plan.entity}.account_id)"
            )
    for k, col in enumerate(columns):
        if k not in used:
            names = sorted({n for p in plans for n in check.columns(p.entity)})
            raise DefinitionError(f"no entity of the metric has a column {col!r}{_hint(col, names)}")
    return windows, out


def _and(*parts: Any) -> Any:
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else BoolOp("and", kept)


def _measure_value(plan: _Plan, t: Tables, p: Params, extra: Any | None) -> Estimate:
    """The aggregate of a measure inside a ratio (not two sums over the same entity: `_paired_sums`) or a
    derived value, its n the records it is over (NaN for the mean or median of none), with the sample of a
    mean or median for its interval. Kept per table object: a bound probes one table at a time, and a ratio
    of two tables (costs per new customer) recomputed the other table's measure for every probe of the first."""
    return _measure_on(t[plan.entity], p, plan, extra)


@per_table
def _measure_on(frame: pd.DataFrame, p: Params, plan: _Plan, extra: Any | None) -> Estimate:
    rt, mask = plan.rows({plan.entity: frame}, p, extra)
    if plan.agg == "count" and plan.distinct and plan.first is not None:
        dates = rt.column(plan.first)[mask]
        firsts = dates.groupby(text(rt.raw_value(plan.value)[mask]), dropna=True).min()
        return _count_of(int(within(firsts, p.start, p.end).sum()))
    if plan.agg == "count" and plan.distinct:
        return _count_of(int(rt.raw_value(plan.value)[mask].dropna().nunique()))
    if plan.agg == "count":
        return _count_of(int(_with_value(plan, rt, mask).sum()))
    values = rt.value(plan.value)[mask].dropna()
    if plan.agg == "sum":
        return _sum_of(values)
    sample = values.to_numpy(dtype="float64")
    if not len(sample):
        return Estimate(np.nan, 0, sample=sample)
    return Estimate(float(values.mean() if plan.agg == "mean" else np.median(values)), len(sample), sample=sample)


def _paired_sums(
    num: _Plan, den: _Plan, t: Tables, p: Params, extra: Callable[[_Plan], Any]
) -> tuple[float, float, int, np.ndarray]:
    """(the numerator's sum, the denominator's, the records the denominator is over, each record's terms)
    of a ratio of two sums over the same entity, over the records with both values present (a rate
    over the records with both counts). The terms (n x 2: a record's numerator and denominator, 0 in a
    sum whose condition leaves it out) are what a bootstrap over records resamples."""
    return _paired_in(*_paired_parts(num, den, t, p, extra), slice(None))


def _paired_parts(
    num: _Plan, den: _Plan, t: Tables, p: Params, extra: Callable[[_Plan], Any]
) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """(the numerator's values, the denominator's, the rows each sums over) of `_paired_sums`, made once for every
    group of the rows (`_grouped_ratio`)."""
    rt, num_rows = num.rows(t, p, extra(num))
    _, den_rows = den.rows(t, p, extra(den))
    x, y = rt.value(num.value), rt.value(den.value)
    both = x.notna().to_numpy(bool) & y.notna().to_numpy(bool)
    return x, y, num_rows & both, den_rows & both


def _paired_in(
    x: pd.Series, y: pd.Series, num_rows: np.ndarray, den_rows: np.ndarray, group: np.ndarray | slice
) -> tuple[float, float, int, np.ndarray]:
    """`_paired_sums` of the rows `group` (positions, or every row): their values in their order, as on a table of
    only those rows."""
    x, y, num_rows, den_rows = x.iloc[group], y.iloc[group], num_rows[group], den_rows[group]
    used = num_rows | den_rows
    terms = np.zeros((int(used.sum()), 2))
    terms[:, 0] = np.where(num_rows[used], x.to_numpy("float64", na_value=0.0)[used], 0.0)
    terms[:, 1] = np.where(den_rows[used], y.to_numpy("float64", na_value=0.0)[used], 0.0)
    return float(x[num_rows].sum()), float(y[den_rows].sum()), int(den_rows.sum()), terms


def _weighted(values: pd.Series, weights: pd.Series) -> Estimate:
    ok = values.notna() & weights.notna()
    v, w = values[ok].to_numpy("float64"), weights[ok].to_numpy("float64")
    total = float(w.sum())
    return Estimate(float((v * w).sum() / total) if total else None, len(v))


@dataclass
class Compiled:
    """What one definition compiles to, before it becomes a Metric."""

    kind: str
    inputs: dict[str, tuple[str, ...]]
    compute: Callable[[Tables, Params], Any]
    primary: str
    money: bool
    scope: dict[str, Scope]
    additive: bool | None = None
    spans: tuple[tuple[str, str], ...] = ()
    grouped: Grouped | None = None
    per: str | None = None


class _Compiler:
    def __init__(self, extras: Extras) -> None:
        self.check = _Checker(extras)

    def selection(self, sel: Selection, agg: str) -> _Plan:
        if sel.entity is not None:
            entity = self.check.entity(sel.entity)
            value = None
        else:
            entity = self.check.value_entity(sel.value)
            if entity is None:
                name = sel.value.name if isinstance(sel.value, Col) else "the value"
                raise DefinitionError(f"{name!r}: name its entity, e.g. opportunities.{name}")
            entity = self.check.entity(entity)
            value = sel.value
            if sel.distinct and agg != "count":
                raise DefinitionError("distinct counts values: count(distinct orders.account_id)")
            if agg == "count":
                if not isinstance(value, Col):
                    raise DefinitionError(
                        "count() takes an entity (count(accounts)) or a column (count(accounts.status))"
                    )
                self.check.column(value, entity)
            else:
                self.check.numeric(value, entity, f"{agg}()")
        if sel.where is not None:
            self.check.condition(sel.where, entity)
        return _Plan(agg, entity, value, sel.where, distinct=sel.distinct)

    def reads(self, plan: _Plan, out: dict[str, dict[str, None]]) -> None:
        cols = out.setdefault(plan.entity, {})
        for node in (plan.value, plan.where, plan.weight):
            if node is not None:
                self.check.reads(node, plan.entity, cols)
        if plan.agg == "count" and plan.value is None and not cols:
            cols[ENTITIES[plan.entity].primary_key] = None

    def money_of(self, plan: _Plan, inputs: dict[str, dict[str, None]]) -> bool:
        """Adds the currency column of every amount the plan converts; True when there is one."""
        found = False

        def walk(node: Any) -> None:
            nonlocal found
            if isinstance(node, Func) and node.name == "raw":
                return
            if isinstance(node, Col):
                spec = ENTITIES[plan.entity]
                if spec.has_field(node.name):
                    f = spec.field(node.name)
                    if f.role is Role.MONEY and f.currency_field:
                        inputs[plan.entity][f.currency_field] = None
                        found = True
                return
            for child in _children(node):
                walk(child)

        if plan.value is not None:
            walk(plan.value)
        return found


def compile_definition(mid: str, spec: Mapping[str, Any], extras: Extras) -> Compiled:
    """One definition (not a `metric:` reference) to its kind, inputs, compute and scope; a
    DefinitionError (its message starting with the key it is about) on a problem."""
    c = _Compiler(extras)
    measure = [k for k in spec if k in MEASURES]
    if len(measure) != 1:
        which = ", ".join(measure) if measure else "none"
        raise DefinitionError(f"a definition has exactly one of {', '.join(MEASURES)} (found {which})")
    key = measure[0]
    body = spec[key]

    def at(k: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except DefinitionError as error:
            raise DefinitionError(f"{k}: {error.message}") from None

    plans: list[_Plan]
    single: Selection | None = None  # the selection of a measure of one aggregate (not of a ratio)
    if key in ("ratio", "rate"):
        num, den = at(key, lambda: parse_ratio(body))
        plans = [
            at(key, lambda: c.selection(num.selection, num.agg)),
            at(key, lambda: c.selection(den.selection, den.agg)),
        ]
    elif key in ("count", "share"):
        single = sel = at(key, lambda: parse_selection(body, entity_only=True))
        if sel.entity is None and key == "share":
            raise DefinitionError(f"{key}: expected `entity where condition`, e.g. accounts where churned == yes")
        if key == "share" and sel.where is None:
            raise DefinitionError(f"{key}: expected `{sel.entity} where condition` (the records counted)")
        plans = [at(key, lambda: c.selection(sel, "count"))]
    else:
        single = sel = at(key, lambda: parse_selection(body, entity_only=False))
        plans = [at(key, lambda: c.selection(sel, {"nps": "mean", "top_share": "sum"}.get(key, key)))]
    primary = plans[0].entity
    if key == "ratio" or key == "rate":
        primary = plans[0].entity

    weight = None
    if "weight" in spec:
        if key != "mean":
            raise DefinitionError("weight: only a mean takes a weight")
        weight = at("weight", lambda: Parser(spec["weight"]).value())
        at("weight", lambda: c.check.numeric(weight, primary, "weight"))
        plans[0] = replace(plans[0], weight=weight)

    per, top, monthly = _ranking(spec, key, primary, c.check)
    groups = _groups(spec, key, per)

    filt = None
    if spec.get("filter") is not None:
        filt = at("filter", lambda: parse_condition(spec["filter"]))
        at("filter", lambda: c.check.condition(filt, primary))
    window_col = spec.get("window")
    windows: dict[str, Any] = {}
    if window_col is not None:
        windows, plans = at("window", lambda: _windows(window_col, plans, c.check))

    reads: dict[str, dict[str, None]] = {}
    for plan in reversed(plans) if key in ("ratio", "rate") and plans[0].entity == plans[1].entity else plans:
        c.reads(plan, reads)  # a rate of one entity lists its base first: delivered, then opened
    money = any([c.money_of(plan, reads) for plan in plans])
    if filt is not None:
        c.check.reads(filt, primary, reads[primary])
    if per is not None:
        reads[primary][per] = None
    for entity, cond in windows.items():
        c.check.reads(cond, entity, reads[entity])
    for plan in plans:
        if plan.first is not None:
            reads[plan.entity][plan.first] = None

    def extra(plan: _Plan) -> Any:
        return _and(filt if plan.entity == primary else None, windows.get(plan.entity))

    scale = spec.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise DefinitionError(f"scale: expected a positive number (100 for percent), not {scale!r}")
    scale = float(scale)

    grouped = _grouped(key, plans[0], extra(plans[0]), scale) if per is None and len(plans) == 1 else None
    compute: Callable[[Tables, Params], Any]
    if grouped is not None:
        # a single measure of one table: the whole table is its one group, reduced as each breakdown group is
        kind = {"share": "proportion"}.get(key, key)
        compute = _of_every_row(grouped)
    elif key in ("ratio", "rate"):
        num_plan, den_plan = plans
        paired = num_plan.entity == den_plan.entity and num_plan.agg == den_plan.agg == "sum"
        kind = "proportion" if key == "rate" else "ratio"

        def compute(t: Tables, p: Params) -> Any:
            pairs = None
            if paired:
                num, den, n, pairs = _paired_sums(num_plan, den_plan, t, p, extra)
            else:
                num = _measure_value(num_plan, t, p, extra(num_plan)).value
                den_of = _measure_value(den_plan, t, p, extra(den_plan))
                den, n = den_of.value, den_of.n
            return _ratio_of(key, num, den, n, pairs, scale)

        grouped = _grouped_ratio(key, num_plan, den_plan, paired, extra, scale, primary)

    elif per is not None and key in ("count", "sum"):
        plan = plans[0]
        kind = "distribution"
        if plan.distinct:
            raise DefinitionError(f"per: a count of distinct values is not counted per {per}")

        def compute(t: Tables, p: Params) -> Any:
            rt, mask = plan.rows(t, p, extra(plan))
            keys = rt.raw_value(Col(primary, per))[mask]
            shown = groups
            if monthly and shown is None and window_col is not None:
                shown = window_months(p)
            if key == "count":
                return counts(month_labels(keys) if monthly else keys, shown)
            values = rt.value(plan.value)[mask]
            summed = monthly_sums(values, keys) if monthly else sums(values, keys)
            return summed if shown is None else {g: summed.get(g, 0.0) for g in shown}

    elif per is not None and key in ("mean", "median"):
        plan = plans[0]
        kind = key
        if plan.weight is not None:
            raise DefinitionError(f"per: a {key} of the totals per {per} is not weighted")
        average = mean_of if key == "mean" else median_of

        def compute(t: Tables, p: Params) -> Any:
            rt, mask = plan.rows(t, p, extra(plan))
            return average(group_totals(rt.value(plan.value)[mask], _groups_of(rt, Col(primary, per), mask)))

        grouped = _grouped_totals(plan, extra(plan), Col(primary, per), average)

    elif key == "count":  # of distinct values
        plan = plans[0]
        kind = "count"

        def compute(t: Tables, p: Params) -> Any:
            return int(_measure_value(plan, t, p, extra(plan)).value)

    elif key == "top_share":
        plan = plans[0]
        kind = "ratio"
        assert per is not None

        def compute(t: Tables, p: Params) -> Any:
            rt, mask = plan.rows(t, p, extra(plan))
            return top_share(rt.value(plan.value)[mask], _groups_of(rt, Col(primary, per), mask), top)

    else:  # a weighted mean
        plan = plans[0]
        kind = key

        def compute(t: Tables, p: Params) -> Any:
            rt, mask = plan.rows(t, p, extra(plan))
            return _weighted(rt.value(plan.value)[mask], rt.value(plan.weight)[mask])

    # the records a count, sum or average is over are its scope, as a filter's are: its failing records are
    # judged against them and a failing record's questioned cells are drawn from them (a count of the won
    # deals' distinct accounts drew accounts from every deal, and came out 3-4% high). A condition on the
    # window is left out: a scope's mask does not know the period.
    selected = None if single is None or key == "share" or _has(single.where, InWindow) else single.where
    conditions = [
        (cond, text)
        for cond, text in ((filt, spec.get("filter")), (selected, single and single.where_source))
        if cond is not None
    ]
    scope: dict[str, Scope] = {}
    population = spec.get("population")
    if population is not None and (not isinstance(population, str) or not population.strip()):
        raise DefinitionError(
            f"population: expected the name of the records counted, e.g. closed deals, not {population!r}"
        )
    if population is not None and not conditions:
        raise DefinitionError("population: names the records a filter or a where selects; this definition has neither")
    if conditions:
        fields: dict[str, None] = {}
        for cond, _ in conditions:
            c.check.reads(cond, primary, fields)
        label = population or f"{primary} where " + " and ".join(_clean(text) for _, text in conditions)
        scope[primary] = _scope(label, primary, _and(*(cond for cond, _ in conditions)), tuple(fields))
    inputs = {e: tuple(cols) for e, cols in reads.items()}
    if primary in inputs:  # the primary entity first: breakdowns and the bound's scaling read it
        inputs = {primary: inputs[primary], **{e: f for e, f in inputs.items() if e != primary}}
    # a count of distinct values does not grow with its records: its failing records are not imputed
    additive = False if key == "count" and plans[0].distinct else None
    spans = tuple(
        dict.fromkeys(s for plan in plans if plan.entity == primary for s in _spans(plan.value, primary, extras))
    )
    totals_per = per if key in ("mean", "median") and not monthly else None
    return Compiled(kind, inputs, compute, primary, money, scope, additive, spans, grouped, totals_per)


def _grouped(key: str, plan: _Plan, extra: Any | None, scale: float) -> Grouped | None:
    """The metric on each group of its records at once (`Metric.grouped`, read by the breakdowns): its conditions
    and values made once over the whole table, then each group's rows reduced as `compute` reduces a table of
    only those rows (the same values in the same order, so the same result to the last bit). None for what is
    not one measure of one table's rows (a distinct count, a weighted mean)."""
    if plan.weight is not None or plan.distinct or key not in ("share", "count", "sum", "mean", "median", "nps"):
        return None

    def grouped(t: Tables, p: Params, groups: Sequence[np.ndarray | slice]) -> list[Any]:
        if key == "share":
            rt, population = replace(plan, where=None).rows(t, p, extra)
            hit = rt.condition(plan.where) & population
            return [proportion(int(hit[g].sum()), int(population[g].sum()), scale=scale) for g in groups]
        rt, mask = plan.rows(t, p, extra)
        if key == "count":
            mask = _with_value(plan, rt, mask)
            return [int(mask[g].sum()) for g in groups]
        values = rt.value(plan.value)
        out: list[Any] = []
        for g in groups:
            taken = values.iloc[np.flatnonzero(mask) if g is _EVERY_ROW else g[mask[g]]]
            if key == "sum":
                out.append(_sum_of(taken.dropna()))
            else:
                out.append({"mean": mean_of, "median": median_of, "nps": nps_of}[key](taken))
        return out

    return grouped


def _grouped_totals(plan: _Plan, extra: Any | None, per: Col, average: Callable[[pd.Series], Estimate]) -> Grouped:
    """A mean or median of the totals `per:` group (CLV: the won amount per account, averaged) on each breakdown group
    of its records at once (`_grouped`): the conditions, values and groups made once over the whole table, then each
    group's rows totalled per `per:` group and averaged as `compute` does on a table of only those rows (the same
    values in the same order under the same groups, so the same totals and the same mean to the last bit). CLV's
    three breakdowns had recomputed it on each of their groups. Arrow text groups are their ranks among the column's
    sorted values (`_ranks`, as a probe's are): the same groups in the same order as grouping each group's rows by
    the text, which hashed and sorted them anew per breakdown group."""

    def grouped(t: Tables, p: Params, groups: Sequence[np.ndarray | slice]) -> list[Any]:
        rt, mask = plan.rows(t, p, extra)
        values, keys = rt.value(plan.value), rt.raw_value(per)
        ranked = _ranks(rt, keys) if arrow_text(keys) else None  # hashed and sorted once, not once per group
        out: list[Any] = []
        for g in groups:
            rows = np.flatnonzero(mask) if g is _EVERY_ROW else g[mask[g]]
            out.append(average(group_totals(values.iloc[rows], keys.iloc[rows] if ranked is None else ranked[rows])))
        return out

    return grouped


def _grouped_ratio(
    key: str, num: _Plan, den: _Plan, paired: bool, extra: Callable[[_Plan], Any], scale: float, primary: str
) -> Grouped | None:
    """A ratio or rate of two counts or sums of the primary table's records on each group of them at once (`_grouped`
    for two measures): the conditions and values made once over the whole table, each group's rows reduced as
    `compute` reduces a table of only those rows (the same values in the same order, so the same sums to the last
    bit; counts are integers). None when a measure is of another table, a distinct count, a mean or a median: those
    are recomputed per group, as before."""
    plain = all(
        plan.entity == primary and plan.agg in ("count", "sum") and not plan.distinct and plan.first is None
        for plan in (num, den)
    )
    if not plain:
        return None

    def measure(plan: _Plan, t: Tables, p: Params) -> Callable[[np.ndarray | slice], Estimate]:
        rt, mask = plan.rows(t, p, extra(plan))
        if plan.agg == "count":
            counted = _with_value(plan, rt, mask)
            return lambda g: _count_of(int(counted[g].sum()))
        values = rt.value(plan.value)
        return lambda g: _sum_of(values.iloc[g][mask[g]].dropna())

    def grouped(t: Tables, p: Params, groups: Sequence[np.ndarray | slice]) -> list[Any]:
        out = []
        if paired:
            parts = _paired_parts(num, den, t, p, extra)
            for g in groups:
                top, bottom, n, pairs = _paired_in(*parts, g)
                out.append(_ratio_of(key, top, bottom, n, pairs, scale))
            return out
        num_of, den_of = measure(num, t, p), measure(den, t, p)
        for g in groups:
            bottom = den_of(g)
            out.append(_ratio_of(key, num_of(g).value, bottom.value, bottom.n, None, scale))
        return out

    return grouped


def _ratio_of(key: str, num: float, den: float, n: int, pairs: np.ndarray | None, scale: float) -> Estimate:
    """A `rate` (a proportion) or a `ratio` of two measures, as the metric gives it."""
    if key == "rate":
        return proportion(num, den, scale=scale) if np.isfinite(den) else Estimate(None, 0)
    return ratio(num, den, n=n, pairs=pairs)


def _sum_of(values: pd.Series) -> Estimate:
    """The sum of a measure's present values, its n their number."""
    return Estimate(float(values.sum()), len(values))


def _count_of(n: int) -> Estimate:
    """A count of records as a measure: the count, its n itself."""
    return Estimate(float(n), n)


_EVERY_ROW = slice(None)


def _of_every_row(grouped: Grouped) -> Callable[[Tables, Params], Any]:
    """The metric on the whole table: its one group of every row."""

    def compute(t: Tables, p: Params) -> Any:
        return grouped(t, p, [_EVERY_ROW])[0]

    return compute


def _with_value(plan: _Plan, rt: _Runtime, mask: np.ndarray) -> np.ndarray:
    """The rows a count counts: those selected, and with a value where it counts a column's values."""
    return mask if plan.value is None else mask & ~missing(rt.raw_value(plan.value))


def _spans(node: Any, entity: str, extras: Extras) -> list[tuple[str, str]]:
    """The (start, end) pairs of date columns of `entity` that `node` subtracts (end - start): the
    durations a metric reads (`Metric.spans`)."""
    found = []
    if isinstance(node, BinOp) and node.op == "-":
        # the day of a date (date(created_at)) spans from the same column: the fill carries the duration as read
        start, end = (n.arg if isinstance(n, Func) and n.name == "date" else n for n in (node.right, node.left))
        if isinstance(start, Col) and isinstance(end, Col):
            roles = [_role(entity, c.name, extras) for c in (start, end)]
            if all(role is not None and _kind_of_role(role) == "date" for role in roles):
                found.append((start.name, end.name))
    for child in _children(node) if node is not None else ():
        found.extend(_spans(child, entity, extras))
    return found


def group_totals(values: pd.Series, groups: pd.Series | np.ndarray) -> pd.Series:
    """Each group's total of `values` (records without a group left out; a group whose values are all missing
    totals 0: a customer whose won deals lack an amount is still a customer), groups in sorted order. `groups`: a
    column, or each row's group as its rank among the sorted groups (-1: none; `_groups_of`)."""
    if isinstance(groups, np.ndarray):
        grouped = groups >= 0
        return values[grouped].groupby(groups[grouped]).sum()
    return values.groupby(text(groups), dropna=True).sum()


def top_share(values: pd.Series, groups: pd.Series | np.ndarray, top: float) -> Estimate:
    """The share of the total held by the top ceil(top x groups) groups, ranked by their sum
    (Pareto: the revenue share of the top 20% of customers); records without a value or a group are
    left out. n is the number of groups. `groups`: as `group_totals` takes them."""
    # each group's sum is the same in any order of the groups, and the sums are then sorted: grouped unsorted, where
    # sorting the groups' keys (a million deals' accounts) took a third of a Pareto share's probe
    if isinstance(groups, np.ndarray):
        ok = values.notna().to_numpy(bool) & (groups >= 0)
        sums = values[ok].groupby(groups[ok], sort=False).sum()
    else:
        # grouped by the column's own array: Arrow text hashed as it is, where a million account ids copied out as
        # Python strings made a Pareto share at a million deals 2 s slower than the rest of its metric
        ok = values.notna().to_numpy(bool) & groups.notna().to_numpy(bool)
        keys = groups[ok]
        by = keys.array if isinstance(keys.dtype, pd.StringDtype) else keys.to_numpy()
        sums = values[ok].groupby(by, sort=False).sum()
    sums = _descending(sums)
    k = math.ceil(round(top * len(sums), 9))
    return ratio(float(sums.iloc[:k].sum()), float(sums.sum()), n=len(sums))


def _descending(sums: pd.Series) -> pd.Series:
    """The sums, largest first (a missing one last), as `sort_values(ascending=False)` orders them: equal sums are
    the same number whichever comes first, so numpy's sort of the numbers alone gives the same sequence, without
    the Series' index taken along."""
    if sums.dtype != np.float64:
        return sums.sort_values(ascending=False)
    return pd.Series(-np.sort(-sums.to_numpy()))


def _groups_of(rt: _Runtime, column: Col, mask: np.ndarray) -> pd.Series | np.ndarray:
    """The groups of the selected rows (`mask`): the column's values; or, when `rt` reads a table a bound probes in
    another column (`common.probing`), their ranks among the sorted groups of the whole column, which is then its
    base table's, ranked once for every probe (hashing and sorting a million account ids' text per probe was most of
    a Pareto share's and a CLV's bound at a million deals). The same groups in the same order as grouping by the
    text, so the same totals in the same order. A column not held as Arrow text (whose sorting may mix types) is
    grouped by its values."""
    probe = probe_of(rt.p, rt.frame)
    keys = rt.raw_value(column)
    if probe is None or probe.column == column.name or not arrow_text(keys):
        return keys[mask]
    return _ranks(rt, keys)[mask]


def _ranks(rt: _Runtime, keys: pd.Series) -> np.ndarray:
    """Each row's rank among the sorted distinct values of `keys` (Arrow text; -1: missing), as grouping by the text
    orders its groups: kept per run for the same Arrow array (a probe's column that the probe leaves alone is its
    base table's, as `common.coded` keeps codes)."""
    held = keys.array.__arrow_array__()
    return kept(rt.p, _groups_of, (held,), None, lambda: _sorted_codes(rt.p, keys))


def _sorted_codes(p: Params, keys: pd.Series) -> np.ndarray:
    """`pd.factorize(keys, sort=True)[0]` from the column's codes kept per run (`common.coded`, which a fill's group
    sizes and a breakdown's lookups of the same column share): each distinct value's rank in the order pandas sorts
    them (`argsort` of the distinct values), where the sorted factorize hashed the column again."""
    codes, distinct = coded(p, keys)
    rank = np.empty(len(distinct), dtype=codes.dtype)
    rank[distinct.argsort()] = np.arange(len(distinct))
    return np.append(rank, -1)[codes]  # a missing key's code -1 picks the appended -1


def _ranking(spec: Mapping[str, Any], key: str, primary: str, check: _Checker) -> tuple[str | None, float, bool]:
    """`per:` (the column whose groups are ranked, counted or summed one by one: a distribution, or whose
    groups' totals are averaged: a mean or median per group), `top:` (the share of them, 0.2 or '20%') of a
    top_share, and whether `per:` is `month(column)` (the groups are that date column's months); a count, a
    sum, a mean or a median takes `per:` alone."""
    if key not in ("top_share", *_PER_GROUP) or (key != "top_share" and "per" not in spec):
        for k in ("per", "top"):
            if k in spec:
                raise DefinitionError(f"{k}: only a top_share, a count, a sum, a mean or a median takes {k!r}")
        return None, 0.2, False
    if key != "top_share" and "top" in spec:
        raise DefinitionError("top: only a top_share takes 'top'")
    per = spec.get("per")
    if not isinstance(per, str) or not per:
        raise DefinitionError("per: expected the column whose groups are ranked, e.g. per: account_id")
    month = _MONTH_OF.match(per)
    if month is not None:
        return _monthly_column(month.group(1), key, primary, check), 0.2, True
    if _role(primary, per, check.extras) is None:
        raise DefinitionError(
            f"per: unknown column {per!r} of {primary}{_hint(per, check.columns(primary))}; a column the model"
            f" does not have is declared under extra_fields.{primary}"
        )
    top = spec.get("top", 0.2)
    if isinstance(top, str) and top.strip().endswith("%"):
        with contextlib.suppress(ValueError):
            top = float(top.strip()[:-1]) / 100
    if isinstance(top, bool) or not isinstance(top, (int, float)) or not 0 < top <= 1:
        raise DefinitionError(f"top: expected the share of the groups at the top, 0.2 or '20%', not {top!r}")
    return per, float(top), False


_PER_GROUP = ("count", "sum", "mean", "median")
"""the measures `per:` groups: a count or sum per group (a distribution), a mean or median of the groups' totals"""

_MONTH_OF = re.compile(r"^\s*month\s*\(\s*([^\W\d]\w*)\s*\)\s*$", re.IGNORECASE)


def _monthly_column(column: str, key: str, primary: str, check: _Checker) -> str:
    """`column` of `per: month(column)`, checked: a count or a sum per month of that date column."""
    if key == "top_share":
        raise DefinitionError("per: a top_share ranks the groups of a column, not months")
    if key in ("mean", "median"):
        raise DefinitionError(f"per: a {key} of the totals per group takes a column, not months")
    role = _role(primary, column, check.extras)
    if role is None:
        said = f"not one of its columns{_hint(column, check.columns(primary))}"
    elif _kind_of_role(role) != "date":
        said = f"a {_kind_of_role(role)} column"
    else:
        return column
    raise DefinitionError(f"per: month() takes a date column of {primary}; {column!r} is {said}")


def month_labels(stamps: pd.Series) -> pd.Series:
    """The month of each date as 'YYYY-MM' text (missing stays missing): a distribution's keys per month."""
    if not pd.api.types.is_datetime64_any_dtype(stamps.dtype):
        return pd.Series(None, index=stamps.index, dtype="object")
    months = month_numbers(stamps)
    present = ~np.isnan(months)
    codes = months[present].astype("int64")
    labels = np.full(len(stamps), None, dtype=object)
    distinct, where = np.unique(codes, return_inverse=True)
    names = np.array([month_label(int(c)) for c in distinct], dtype=object)
    labels[present] = names[where]
    return pd.Series(labels, index=stamps.index, dtype="object")


def window_months(p: Params) -> tuple[str, ...]:
    """Every month of the run's window, oldest first ('YYYY-MM'): a monthly distribution shows each, 0 included."""
    first, last = (p.start + pd.Timedelta(days=1)).to_period("M"), p.end.to_period("M")
    return tuple(str(m) for m in pd.period_range(first, last, freq="M"))


def _groups(spec: Mapping[str, Any], key: str, per: str | None) -> tuple[str, ...] | None:
    """`groups:` of a count or a sum per a column: the groups shown, in this order, zero included (a funnel shows
    every stage); None: the groups the records have, sorted."""
    if "groups" not in spec:
        return None
    listed = spec["groups"]
    if per is None or key not in ("count", "sum"):
        raise DefinitionError("groups: only a count or a sum per a column (per:) takes groups")
    if not isinstance(listed, list) or not listed or not all(isinstance(g, (str, int, float)) for g in listed):
        raise DefinitionError(f"groups: expected a list of the {per} values shown, e.g. [Prospecting, Proposal]")
    return tuple(_text_literal(g) for g in listed)


def _scope(label: str, entity: str, cond: Any, fields: tuple[str, ...]) -> Scope:
    """The records `cond` selects; a condition on the window (`in window`, its start or end) is read in the run's
    window (`Scope.dated`, bound by `Metric.in_period`)."""

    def dated(frame: pd.DataFrame, params: Params) -> pd.Series:
        return pd.Series(_Runtime(entity, frame, params).condition(cond), index=frame.index)

    def unbound(frame: pd.DataFrame) -> pd.Series:
        # a stand-in window would judge the records of some other window without a word
        raise RuntimeError(f"the scope {label!r} depends on the run's window: bind it with Metric.in_period")

    if _has(cond, WindowEdge) or _has(cond, InWindow):
        return Scope(label, unbound, fields, dated)
    timeless = Params.make("2000-01-01")
    return Scope(label, lambda frame: dated(frame, timeless), fields)


def _clean(source: Any) -> str:
    return " ".join(str(source).split())


def _describe(key: str, body: Any) -> str:
    if isinstance(body, list):
        return f"{key}: " + " / ".join(_clean(b) for b in body)
    return f"{key}: {_clean(body)}"


_DEFAULT_UNITS = {
    "proportion": "share",
    "ratio": "ratio",
    "nps": "points (-100..100)",
}


def _counted(body: Any, primary: str) -> str:
    """What a count counts: its entity's records, or, for distinct values, the records a key refers to
    (`distinct opportunities.account_id` counts accounts) or else the column's distinct values."""
    sel = parse_selection(body, entity_only=True)
    if not sel.distinct or not isinstance(sel.value, Col):
        return primary
    spec = ENTITIES[sel.value.entity or primary]
    referenced = spec.field(sel.value.name).references if spec.has_field(sel.value.name) else None
    return referenced or f"distinct {sel.value.name} values"


def _breakdowns(mid: str, by: Any, primary: str, extras: Extras) -> dict[str, str]:
    if by is None:
        return {}
    if isinstance(by, str):
        by = {by.split("->")[-1]: by}
    elif isinstance(by, list):
        if not all(isinstance(b, str) for b in by):
            raise DefinitionError("by: expected a column, a list of columns or {name: column}")
        by = {b.split("->")[-1]: b for b in by}
    elif not isinstance(by, dict) or not all(isinstance(v, str) for v in by.values()):
        raise DefinitionError("by: expected a column, a list of columns or {name: column}")
    check = _Checker(extras)
    out = {}
    for name, column in by.items():
        if "->" in column:
            fk, col = column.split("->", 1)
            spec = ENTITIES[primary]
            keys = [f.name for f in spec.fields if f.role is Role.FOREIGN_KEY]
            if fk not in keys:
                raise DefinitionError(f"by: {fk!r} is not a foreign key of {primary}{_hint(fk, keys)}")
            ref = spec.field(fk).references or ""
            if _role(ref, col, extras) is None:
                raise DefinitionError(f"by: unknown column {col!r} of {ref}{_hint(col, check.columns(ref))}")
        elif _role(primary, column, extras) is None:
            raise DefinitionError(
                f"by: unknown column {column!r} of {primary}{_hint(column, check.columns(primary))}; a column the"
                f" model does not have is declared under extra_fields.{primary}"
            )
        out[str(name)] = column
    return out


def _min_n(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DefinitionError(f"min_n: expected a whole number of records (0 or more), not {value!r}")
    return value


_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def compile_metrics(
    definitions: Any,
    extras: Extras | None = None,
    where: str = "metrics.define",
    builtins: Mapping[str, Metric] | None = None,
    family: str = "defined",
    taken: Mapping[str, Metric] | None = None,
) -> dict[str, Metric]:
    """The definitions ({id: definition}) as Metrics; a ConfigError listing every problem, each
    starting with its key path (`metrics.define.cpa.ratio: unknown entity 'cost' (did you mean
    'costs'?)`) so that the config gives it a line."""
    extras = extras or {}
    builtins = registry() if builtins is None else builtins
    taken = taken or {}
    problems: list[str] = []
    if definitions is None:
        return {}
    if not isinstance(definitions, dict):
        raise ConfigError(
            f"{where}: expected metric id -> definition", problems=[f"{where}: expected metric id -> definition"]
        )
    out: dict[str, Metric] = {}
    references: dict[str, Mapping[str, Any]] = {}
    """definitions that read other metrics (`metric:` and `derived:`), compiled once those exist"""
    needs: dict[str, list[Any]] = {}
    trees: dict[str, Any] = {}
    for mid, spec in definitions.items():
        here = f"{where}.{mid}"
        mid = str(mid)
        if not _ID.match(mid):
            problems.append(f"{here}: a metric id is letters, digits and _ (not {mid!r})")
            continue
        if mid in builtins:
            problems.append(
                f"{here}: {mid!r} is a built-in metric; choose another id (or `metric: {mid}` to break it down)"
            )
            continue
        if mid in taken:
            problems.append(f"{here}: {mid!r} is already defined (by a metric pack); choose another id")
            continue
        if isinstance(spec, str):
            problems.append(f"{here}: expected a mapping such as {{share: accounts where churned == yes}}, not text")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{here}: expected a mapping of the definition's keys, not {type(spec).__name__}")
            continue
        known = REFERENCE_KEYS if "metric" in spec else DERIVED_KEYS if "derived" in spec else (*MEASURES, *OPTION_KEYS)
        unknown = [k for k in spec if k not in known]
        for k in unknown:
            problems.append(f"{here}.{k}: unknown key{_hint(str(k), known)}; valid keys: {', '.join(sorted(known))}")
        if unknown:
            continue
        if "metric" in spec:
            references[mid], needs[mid] = spec, [spec["metric"]]
            continue
        if "derived" in spec:
            try:
                trees[mid] = Parser(spec["derived"]).derived()
            except DefinitionError as error:
                problems.append(f"{here}.derived: {error.message}")
                continue
            references[mid], needs[mid] = spec, list(dict.fromkeys(r.id for r in _metric_refs(trees[mid])))
            continue
        try:
            out[mid] = _metric(mid, spec, extras, family)
        except DefinitionError as error:
            problems.append(f"{here}.{error.message}" if _keyed(error.message) else f"{here}: {error.message}")
    # references may point at built-ins, at definitions, or at each other (in any order)
    pending = dict(references)
    while pending:
        progressed = False
        for mid, spec in list(pending.items()):
            known_ids = {**builtins, **taken, **out}
            key = "metric" if "metric" in spec else "derived"
            missing = [x for x in needs[mid] if not isinstance(x, str) or (x not in known_ids and x not in pending)]
            if missing:
                choices = [*builtins, *taken, *out, *references]
                target = missing[0]
                problems.append(f"{where}.{mid}.{key}: unknown metric {target!r}{_hint(str(target), choices)}")
                del pending[mid]
                continue
            if any(x in pending for x in needs[mid]):
                continue
            if key == "derived":
                try:
                    out[mid] = _derived(mid, spec, trees[mid], known_ids, extras, family)
                except DefinitionError as error:
                    message = error.message if _keyed(error.message) else f"derived: {error.message}"
                    problems.append(f"{where}.{mid}.{message}")
                del pending[mid]
                progressed = True
                continue
            base = known_ids[spec["metric"]]
            try:
                breakdowns = _breakdowns(mid, spec.get("by"), base.primary, extras) if "by" in spec else base.breakdowns
                out[mid] = replace(
                    base,
                    id=mid,
                    title=str(
                        spec.get("title", f"{base.title} by {', '.join(breakdowns)}" if "by" in spec else base.title)
                    ),
                    breakdowns=breakdowns,
                    min_n=_min_n(spec.get("min_n")) if "min_n" in spec else base.min_n,
                    family=str(spec.get("family", family)),
                    truth_key=None,
                    description=str(spec["description"]) if "description" in spec else base.formula,
                )
            except DefinitionError as error:
                problems.append(
                    f"{where}.{mid}.{error.message}" if _keyed(error.message) else f"{where}.{mid}: {error.message}"
                )
            del pending[mid]
            progressed = True
        if not progressed and pending:
            for mid, spec in pending.items():
                key = "metric" if "metric" in spec else "derived"
                problems.append(f"{where}.{mid}.{key}: a cycle of metric references ({', '.join(pending)})")
            break
    if problems:
        raise ConfigError("; ".join(problems), problems=problems)
    # in the order written: a metric read by a later one may come after it (clv_cac_ratio before cac)
    return {str(mid): out[str(mid)] for mid in definitions if str(mid) in out}


def _keyed(message: str) -> bool:
    head = message.split(": ", 1)[0]
    return " " not in head and head.split("[")[0] in (*MEASURES, *OPTION_KEYS)


def _metric(mid: str, spec: Mapping[str, Any], extras: Extras, family: str) -> Metric:
    compiled = compile_definition(mid, spec, extras)
    key = next(k for k in spec if k in MEASURES)
    if "description" in spec:
        # the author's words are the formula shown, as a Python metric's docstring is
        description = str(spec["description"])
    else:
        description = _describe(key, spec[key])
        if "filter" in spec:
            description += f"; filter: {_clean(spec['filter'])}"
        if "window" in spec:
            description += f"; window: {spec['window']}"
        if key == "top_share":
            description += f"; per: {spec['per']}; top: {spec.get('top', 0.2)}"
        elif "per" in spec:
            description += f"; per: {spec['per']}"
    compiled.compute.__doc__ = description
    unit = spec.get("unit")
    if unit is None:
        if key == "top_share":
            unit = "share"
        elif compiled.kind == "count" or (compiled.kind == "distribution" and key == "count"):
            unit = _counted(spec[key], compiled.primary)
        elif compiled.money:
            unit = "{currency}"
        elif isinstance(_value_of(spec, key), Func) and _value_of(spec, key).name in ("hours", "days"):
            unit = _value_of(spec, key).name
        else:
            unit = _DEFAULT_UNITS.get(compiled.kind, "")
    title = spec.get("title", mid.replace("_", " ").capitalize())
    breakdowns = _breakdowns(mid, spec.get("by"), compiled.primary, extras)
    assert compiled.kind in KINDS
    return Metric(
        id=mid,
        title=str(title),
        unit=str(unit) or "value",
        kind=compiled.kind,
        inputs=compiled.inputs,
        compute=compiled.compute,
        params=("period",),
        breakdowns=breakdowns,
        scope=compiled.scope,
        family=str(spec.get("family", family)),
        min_n=_min_n(spec.get("min_n")),
        description=description,
        additive=compiled.additive,
        spans=compiled.spans,
        grouped=compiled.grouped,
        per=compiled.per,
    )


def _metric_refs(node: Any) -> list[MetricRef]:
    """The metric ids a `derived:` expression reads, in the order written."""
    if isinstance(node, MetricRef):
        return [node]
    return [ref for child in _children(node) for ref in _metric_refs(child)]


@dataclass(frozen=True)
class _PlanAt:
    """A measure of a `derived:` expression: the position of its compiled plan."""

    i: int


def _derived(
    mid: str, spec: Mapping[str, Any], tree: Any, known: Mapping[str, Metric], extras: Extras, family: str
) -> Metric:
    """A `derived:` definition: the arithmetic of other metrics' values, measures and numbers of one run (`clv /
    cac`, `12 * mean(subscriptions.mrr where ...) / churn_rate`). It reads what each metric and measure reads,
    its primary entity is its first operand's, and it is judged as a ratio (recomputed on the records kept, its
    interval propagated from its operands': `confidence.propagated`) unless it only adds and subtracts counts and
    sums (then as a sum); its n is its first operand's."""
    c = _Compiler(extras)
    plans: list[_Plan] = []
    operands: list[Any] = []  # MetricRef or _PlanAt, in the order written

    def compiled(node: Any) -> Any:
        if isinstance(node, Measure):
            plans.append(c.selection(node.selection, node.agg))
            operands.append(_PlanAt(len(plans) - 1))
            return operands[-1]
        if isinstance(node, MetricRef):
            if known[node.id].kind == "distribution":
                raise DefinitionError(f"{node.id} is a distribution (a value per group); derive from single values")
            operands.append(node)
        if isinstance(node, BinOp):
            return BinOp(node.op, compiled(node.left), compiled(node.right))
        return node

    tree = compiled(tree)
    windows: dict[str, Any] = {}
    if spec.get("window") is not None:
        try:
            windows, plans[:] = _windows(spec["window"], plans, c.check)
        except DefinitionError as error:
            raise DefinitionError(f"window: {error.message}") from None
    reads: dict[str, dict[str, None]] = {}
    for operand in operands:
        if isinstance(operand, MetricRef):
            for entity, fields in known[operand.id].inputs.items():
                reads.setdefault(entity, {}).update(dict.fromkeys(fields))
            continue
        plan = plans[operand.i]
        c.reads(plan, reads)
        c.money_of(plan, reads)
        if plan.entity in windows:
            c.check.reads(windows[plan.entity], plan.entity, reads[plan.entity])
        if plan.first is not None:
            reads[plan.entity][plan.first] = None

    read_once = list(dict.fromkeys(operands))  # a metric named twice is one operand: `clv - clv` moves as one

    def operand(node: Any, t: Tables, p: Params) -> tuple[str, Estimate, bool]:
        """(its kind, its estimate, whether it came with its own n)"""
        if isinstance(node, MetricRef):
            metric = known[node.id]
            # a bound of `clv / cac` probes one table at a time: CLV is not recomputed for each probe of the costs
            frames = tuple(t[entity] for entity in metric.inputs if entity in t)
            # small tables' results are kept for as many probes as a bound keeps (`evaluate._compute_probe`): the
            # metric's own bound made them on the same probed tables
            small = all(len(frame) < PART_FROM_ROWS for frame in frames)
            result = kept(p, metric.compute, frames, None, lambda: metric.compute(t, p), KEPT_RESULTS if small else 0)
            if isinstance(result, Estimate):
                return metric.kind, result, True
            got = value_of(result)
            return metric.kind, Estimate(None if got is None else float(got), 0), False
        plan = plans[node.i]
        return plan.agg, _measure_value(plan, t, p, windows.get(plan.entity)), True

    def recompute(values: Sequence[float | None]) -> float | None:
        result = _evaluate(tree, dict(zip(read_once, values, strict=True)))
        return result if result is not None and math.isfinite(result) else None

    def compute(t: Tables, p: Params) -> Any:
        read = [operand(node, t, p) for node in read_once]
        value = recompute([estimate.value for _, estimate, _ in read])
        n = next((estimate.n for _, estimate, sized in read if sized), 0)
        return Estimate(value, n, derivation=Derivation(tuple((kind, e) for kind, e, _ in read), recompute))

    additive = _adds_up(tree, operands, plans, known)
    kind = "sum" if additive else "ratio"
    description = str(spec["description"]) if "description" in spec else f"derived: {_clean(spec['derived'])}"
    if "window" in spec and "description" not in spec:
        description += f"; window: {spec['window']}"
    compute.__doc__ = description
    inputs = {e: tuple(cols) for e, cols in reads.items()}
    primary = next(iter(inputs))
    return Metric(
        id=mid,
        title=str(spec.get("title", mid.replace("_", " ").capitalize())),
        unit=str(spec.get("unit", _DEFAULT_UNITS.get(kind, "value"))),
        kind=kind,
        inputs=inputs,
        compute=compute,
        params=("period",),
        breakdowns=_breakdowns(mid, spec.get("by"), primary, extras),
        family=str(spec.get("family", family)),
        min_n=_min_n(spec.get("min_n")),
        description=description,
    )


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _evaluate(node: Any, values: Mapping[Any, float | None]) -> float | None:
    """A derived expression on its operands' values (None when one is missing or a divisor is 0)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if left is None or right is None or (node.op == "/" and not right):
            return None
        return _ARITHMETIC[node.op](left, right)
    return values[node]


def _adds_up(tree: Any, operands: list[Any], plans: list[_Plan], known: Mapping[str, Metric]) -> bool:
    """Whether a derived value only adds and subtracts counts and sums (it grows with its records, as they do)."""

    def plus_minus(node: Any) -> bool:
        if isinstance(node, BinOp):
            return node.op in ("+", "-") and plus_minus(node.left) and plus_minus(node.right)
        return not isinstance(node, Num)

    def extensive(operand: Any) -> bool:
        if isinstance(operand, MetricRef):
            return known[operand.id].extensive
        plan = plans[operand.i]
        return plan.agg in ("count", "sum") and not plan.distinct

    return plus_minus(tree) and all(extensive(o) for o in operands)


def _value_of(spec: Mapping[str, Any], key: str) -> Any:
    if key not in ("sum", "mean", "median"):
        return None
    return parse_selection(spec[key], entity_only=False).value


def check_expression(source: Any) -> None:
    """Parse `source` as a ratio, a derived value, a selection or a condition; only ever raises a ConfigError (the
    parser's contract, tested with hypothesis)."""
    for parse in (
        parse_ratio,
        lambda s: Parser(s).derived(),
        lambda s: parse_selection(s, True),
        lambda s: parse_selection(s, False),
        parse_condition,
    ):
        try:
            parse(source)
        except ConfigError:
            continue
