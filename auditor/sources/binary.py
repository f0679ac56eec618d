"""Binary bytes anywhere in a text export refuse it, not only in the first MiB the encoding is told from.

The rule is the encoding detection's, applied to every MiB of the file: a NUL byte, or more than 1% of
control bytes (other than tab and line breaks). A file whose binary part starts later (an attachment
appended, a disk block of junk) would otherwise be read as records of junk.
"""

from __future__ import annotations

import numpy as np

from auditor.errors import InputError

_WINDOW = 1 << 20
_MOST_CONTROLS = _WINDOW // 100
_CHUNK = 1 << 24
_IS_CONTROL = np.zeros(256, dtype=bool)
_IS_CONTROL[[*range(0, 9), 11, 12, *range(14, 32)]] = True
_NOT_CONTROL = bytes(b for b in range(256) if not _IS_CONTROL[b])


def reject_binary(payload: bytes, source: str) -> None:
    """InputError naming the line of the first NUL byte, or of the first MiB dense with control bytes."""
    at = payload.find(b"\x00")
    if at < 0 and len(payload.translate(None, _NOT_CONTROL)) > _MOST_CONTROLS:
        at = _dense_controls(payload)
    if at >= 0:
        raise InputError(
            f"not a text file (binary byte 0x{payload[at]:02x} on this line)",
            file=source,
            line=payload.count(b"\n", 0, at) + 1,
        )


def _dense_controls(payload: bytes) -> int:
    """Where the first window of 1 MiB with more than 1% control bytes starts, or -1."""
    positions = np.concatenate(
        [
            np.flatnonzero(_IS_CONTROL[np.frombuffer(payload, np.uint8, min(_CHUNK, len(payload) - at), at)]) + at
            for at in range(0, len(payload), _CHUNK)
        ]
    )
    dense = positions[_MOST_CONTROLS:] - positions[:-_MOST_CONTROLS] < _WINDOW
    return int(positions[np.argmax(dense)]) if dense.any() else -1
