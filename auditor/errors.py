"""Exceptions for misuse: bad configuration or unreadable input.

A failing record is a finding, never an exception. These carry the place (file, line,
row, column, rule) so that the CLI can print one line a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from typing import Any


def did_you_mean(name: object, choices: Iterable[object], *, cutoff: float = 0.6, aside: bool = True) -> str:
    """ " (did you mean 'x'?)" for the closest of `choices` to a misspelt `name` (`aside=False`: "; did you
    mean 'x'?"), or "" when none is as close as `cutoff` (difflib's ratio)."""
    close = get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=cutoff)
    if not close:
        return ""
    return f" (did you mean {close[0]!r}?)" if aside else f"; did you mean {close[0]!r}?"


def unknown_keys(section: Mapping[str, Any], where: str, known: Iterable[str], report: Callable[[str], None]) -> None:
    """Report each key of a config `section` that is not `known`, with the closest valid one and the list."""
    known = list(known)
    for key in section:
        if key not in known:
            report(f"{where}.{key}: unknown key{did_you_mean(key, known)}; valid keys: {', '.join(sorted(known))}")


class AuditorError(Exception):
    """Base class; `str(err)` is the one-line message the CLI prints."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        row: int | None = None,
        column: str | None = None,
        rule: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.row = row
        self.column = column
        self.rule = rule
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file) + (f":{self.line}" if self.line else ""))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        if self.rule:
            where.append(f"rule {self.rule!r}")
        return (", ".join(where) + ": " if where else "") + self.message


class InputError(AuditorError):
    """Input that cannot be read: missing, empty, undecodable, malformed."""


class ConfigError(AuditorError):
    """A configuration file, mapping or rule pack that is malformed. `problems`: each problem on its
    own (a section's parser may find several; the config gathers them all)."""

    def __init__(self, message: str, *, problems: list[str] | None = None, **where: Any) -> None:
        self.problems = problems or [message]
        super().__init__(message, **where)
