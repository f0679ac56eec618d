"""The spelling dictionaries of the `misspelt` kind, as sorted word arrays read in place from a file cached
under the user's cache directory.

A pyspellchecker dictionary is a gzipped JSON file of word counts (160,000 English words; 86,000-417,000 in
each other language). Parsing one costs 0.02-0.14 CPU s, and an audit that judges a picklist parses English
and, when English would correct a word, the six others: about 0.3 s of a small export's check stage, for a few
dozen membership tests and a handful of corrections. Here a dictionary is made once into a file of its words
grouped by length in UTF-8 bytes, each group sorted (a numpy `S{length}` array, with the counts beside it),
named by a hash of the dictionary file's content; a later process maps that file and searches only the group
of each word it asks about (a binary search), reading nothing else. Where no file can be written (a read-only
home) the arrays are made in memory, at about the cost of parsing the dictionary as before.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mmap
import os
import string
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from auditor.io import user_cache

FORMAT = b"crm-auditor words 1\n"
"""The first bytes of a cached dictionary: a file of another layout is made again."""
_ALIGN = 8


def cache_directory() -> Path:
    """Where cached dictionaries go: `$XDG_CACHE_HOME/crm-auditor/words`, by default under ~/.cache."""
    return user_cache("words")


class Words:
    """Words (and a count of each) grouped by their length in UTF-8 bytes, each group sorted bytewise.

    `buffer` holds the groups as laid out by `_layout`; the arrays are views of it, not copies, so a mapped
    file is read only where a search looks."""

    def __init__(self, buffer: bytes | mmap.mmap, header: Mapping[str, object], data_start: int) -> None:
        self._buffer = buffer
        self._groups: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        for length, count, offset, counts_offset in header["groups"]:  # type: ignore[attr-defined]
            words = np.frombuffer(buffer, dtype=f"S{length}", count=count, offset=data_start + offset)
            counts = (
                None
                if counts_offset is None
                else np.frombuffer(buffer, dtype="<i8", count=count, offset=data_start + counts_offset)
            )
            self._groups[length] = (words, counts)
        self._empty = bool(header["empty"])
        self.letters: str = str(header.get("letters", ""))
        """Every character of every word, in code-point order (the alphabet of one-edit candidates); made for
        the "lowered" form only."""
        self.longest: int = int(header.get("longest", 0))  # type: ignore[call-overload]
        """The length of the longest word, in characters ("lowered" form only)."""

    def _find(self, word: bytes) -> tuple[np.ndarray | None, int]:
        if not word:
            return None, 0 if self._empty else -1
        group = self._groups.get(len(word))
        if group is None:
            return None, -1
        words = group[0]
        at = int(np.searchsorted(words, word))
        # `S` arrays drop trailing NUL bytes, which no word of a JSON dictionary holds
        return (group[1], at) if at < len(words) and words[at] == word and b"\0" not in word else (None, -1)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._find(word.encode())[1] >= 0

    def count(self, word: str) -> int:
        """How often the dictionary saw `word`; 0 when it is not one of its words (or it holds no counts)."""
        counts, at = self._find(word.encode())
        return 0 if counts is None else int(counts[at])

    def known(self, words: Iterable[str]) -> list[str]:
        """Those of `words` in the dictionary, searched one length group at a time, in their first order."""
        unique = list(dict.fromkeys(words))
        encoded = [w.encode() for w in unique]
        found = np.zeros(len(unique), dtype=bool)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        for length in np.unique(lengths).tolist():
            group = self._groups.get(length)
            if group is None:
                continue
            which = np.flatnonzero(lengths == length)
            asked = np.array([encoded[i] for i in which], dtype=f"S{length}")
            at = np.minimum(np.searchsorted(group[0], asked), len(group[0]) - 1)
            found[which] = group[0][at] == asked
        found[lengths == 0] = self._empty
        return [w for w, ok, e in zip(unique, found, encoded, strict=True) if ok and b"\0" not in e]


def _layout(text: bytes, starts: np.ndarray, lengths: np.ndarray, counts: np.ndarray | None) -> tuple[dict, bytes]:
    """(header, data): the words (`text[start:start + length]`, UTF-8) grouped by length and sorted bytewise, each
    group's words then its counts; of a word given twice, the later count (as a JSON object keeps it)."""
    data = bytearray()
    groups = []
    for length in np.unique(lengths[lengths > 0]).tolist():
        which = np.flatnonzero(lengths == length)
        # every `length` bytes of the text from each offset, as a view: the words are copied out by their starts
        windows = np.ndarray(shape=(len(text) - length + 1,), dtype=f"S{length}", buffer=text, strides=(1,))
        group = windows[starts[which]]
        order = np.argsort(group, kind="stable")
        group = group[order]
        last = np.append(group[1:] != group[:-1], True)  # equal words sort together, in the order given
        offset = len(data)
        data += group[last].tobytes()
        data += bytes(-len(data) % _ALIGN)
        counts_offset = None
        if counts is not None:
            counts_offset = len(data)
            data += counts[which][order][last].astype("<i8").tobytes()
        groups.append([length, int(last.sum()), offset, counts_offset])
    return {"groups": groups, "empty": bool((lengths == 0).any())}, bytes(data)


def _spans_of(words: list[bytes]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """(text, starts, lengths) of `words` written one after another."""
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    return b"".join(words), np.cumsum(lengths) - lengths, lengths


def _key_spans(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(starts, lengths) of the keys of a one-key-a-line file (pyspellchecker's layout, without escapes), as the
    regex `\\n"([^"\\n]*)":` finds them: after a line break and a quote, up to the next quote, when no line break
    comes first and a colon follows."""
    every = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(every == ord("\n"))
    quotes = np.flatnonzero(every == ord('"'))
    opening = breaks[breaks + 1 < len(every)]
    starts = opening[every[opening + 1] == ord('"')] + 2
    after = np.searchsorted(quotes, starts)
    starts, after = starts[after < len(quotes)], after[after < len(quotes)]
    ends = quotes[after]
    next_break = np.searchsorted(breaks, starts)
    unbroken = (next_break >= len(breaks)) | (breaks[np.minimum(next_break, len(breaks) - 1)] > ends)
    colon = np.zeros(len(ends), dtype=bool)
    inside = ends + 1 < len(every)
    colon[inside] = every[ends[inside] + 1] == ord(":")
    keep = unbroken & colon
    return starts[keep], (ends - starts)[keep]


def _pack(header: Mapping[str, object], data: bytes) -> bytes:
    text = json.dumps(header).encode()
    head = FORMAT + len(text).to_bytes(8, "little") + text
    return head + bytes(-len(head) % _ALIGN) + data


def _unpack(buffer: bytes | mmap.mmap) -> Words:
    if buffer[: len(FORMAT)] != FORMAT:
        raise ValueError("not a cached dictionary")
    size = int.from_bytes(buffer[len(FORMAT) : len(FORMAT) + 8], "little")
    start = len(FORMAT) + 8
    header = json.loads(buffer[start : start + size])
    data_start = start + size + (-(start + size) % _ALIGN)
    return Words(buffer, header, data_start)


Parsed = tuple[bytes, np.ndarray, np.ndarray, np.ndarray | None, dict[str, object]]
"""(text, starts, lengths, counts, header entries): a dictionary's words as spans of `text` (`_layout`)."""


def lowered_counts(text: str) -> Parsed:
    """The words and counts pyspellchecker reads from a dictionary file as a local one: its text lower-cased,
    then parsed (of two keys that differ only in case, the later count is kept); and its letters and longest word."""
    counts: dict[str, int] = json.loads(text.lower())
    words = list(counts)
    about = {"letters": "".join(sorted(set("".join(words)))), "longest": max(map(len, words), default=0)}
    return (*_spans_of([w.encode() for w in words]), np.fromiter(counts.values(), dtype=np.int64), about)


def keys_as_written(raw: bytes) -> Parsed:
    """The words the kind asked a dictionary file's bytes about: the keys of a one-key-a-line file as written
    (read off its lines, by numpy: a regex's list of 400,000 keys cost more than the rest of the file's making);
    of a file in another layout, its keys lower-cased, as pyspellchecker's own loader reads a language."""
    if b"\\" not in raw and raw.startswith(b"{\n"):
        return (raw, *_key_spans(raw), None, {})
    return (*_spans_of([key.lower().encode() for key in json.loads(raw)]), None, {})


def cached_words(name: str, compressed: bytes, form: str) -> Words:
    """The words of the gzipped dictionary file `compressed` (called `name`) in `form` ("lowered": as
    `lowered_counts` reads them, with counts; "keys": as `keys_as_written` reads them), from the cache when it
    holds them for this content."""
    digest = hashlib.blake2b(compressed, digest_size=16).hexdigest()
    target = cache_directory() / f"{name}-{form}-{digest}.words"
    try:
        with open(target, "rb") as handle:
            return _unpack(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
    except (OSError, ValueError):
        pass  # not cached yet (or unreadable, or another layout): made below
    raw = gzip.decompress(compressed)
    text, starts, lengths, counts, about = lowered_counts(raw.decode()) if form == "lowered" else keys_as_written(raw)
    header, data = _layout(text, starts, lengths, counts)
    packed = _pack({**header, **about}, data)
    _store(target, packed)
    return _unpack(packed)


def _store(target: Path, packed: bytes) -> None:
    """Write `packed` to `target` whole or not at all (a process reading it never sees half a file); a cache
    that cannot be written is no error: the next process makes the arrays again."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(packed)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def _plain(word: str) -> str:
    """`word` without its combining marks, as pyspellchecker compares a candidate's accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _checked(word: str, longest: int) -> bool:
    """pyspellchecker's `_check_if_should_check`: a word it would look up at all."""
    if len(word) == 1 and word in string.punctuation:
        return False
    if len(word) > longest + 3:
        return False
    if word.lower() in ("nan", "inf", "infinity"):
        return True
    try:
        float(word)
    except ValueError:
        return True
    return False


def correction(words: Words, word: str) -> str | None:
    """pyspellchecker's `correction` of a checker at distance 1 over `words` (made "lowered"): the word
    itself when known or not worth checking; else its most frequent known neighbour one edit away (an
    added, dropped, changed or swapped letter of the dictionary's), preferring those that differ only in
    accents; None when there is none. Of neighbours equally frequent the first in code-point order is taken
    (pyspellchecker takes the first of a set, whose order changes from process to process with str hashing)."""
    lower = word.lower()
    if (lower in words and _checked(lower, words.longest)) or not _checked(word, words.longest):
        return word
    if not _checked(lower, words.longest):
        return None
    splits = [(lower[:i], lower[i:]) for i in range(len(lower) + 1)]
    letters = words.letters
    edits = [left + right[1:] for left, right in splits if right]
    edits += [left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1]
    edits += [left + c + right[1:] for left, right in splits if right for c in letters]
    edits += [left + c + right for left, right in splits for c in letters]
    found = [w for w in words.known(e.lower() for e in edits) if _checked(w, words.longest)]
    if not found:
        return None
    plain = _plain(word)
    preferred = [w for w in found if _plain(w) == plain] or found
    return min(preferred, key=lambda w: (-words.count(w), w))
