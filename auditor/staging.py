"""All-or-nothing output folders: a run writes its reports into a hidden sibling of `--out`, and only
when every file is written is that folder swapped into place, so `--out` holds one complete run or
the previous one, never a mix of two runs, whenever the process is killed.

The swap is one atomic system call where the system has one (Linux renameat2 RENAME_EXCHANGE);
elsewhere two renames, and a run killed between them is repaired by the next run (the previous
folder is put back). `--out` is replaced whole, so it must be crm-audit's own: a folder holding
anything a run does not write (an export, notes...) is refused before any work.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from auditor.errors import InputError

MANIFEST = ".crm-audit-run.json"
"""Written last into every staged run: the files it holds. A folder with it is a complete run of ours."""
STAGING = "staging"
PREVIOUS = "previous"

_LATER: dict[str, bool] = {"on": False}
_LEFT: list[Path] = []
"""The folders a run replaced or abandoned, while `remove_later` is on: removed by `remove_left_folders`."""


def remove_later() -> None:
    """The folders a run replaced (the previous run, swapped out of `--out`) are left for `remove_left_folders`
    at the program's end (auditor.cli.run), not removed before it can end: on a disk mounted with `discard` each
    unlink of a synced file waits on the device, and the 64 files of fixtures/acme's previous run took 0.18-0.23 s
    of wall time (5 ms of CPU) as the last thing an audit did. A caller that goes on (`main()`, the tests) has
    them removed at once, as before."""
    _LATER["on"] = True


def remove_left_folders() -> None:
    """The folders left for later, removed by a process of their own that the program does not wait for (`rm
    -rf`, with no terminal or pipe of ours: a CI step waiting on its output does not wait on it); here where it
    cannot be started. A folder a killed remover leaves carries this process's id, which the next run's `recover`
    sees dead and removes."""
    folders = [str(folder) for folder in _LEFT]
    _LEFT.clear()
    if not folders:
        return
    try:
        subprocess.Popen(
            ["rm", "-rf", "--", *folders],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C at the terminal does not stop it halfway
        )
    except OSError:  # no `rm` (Windows)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _remove(folder: Path) -> None:
    if _LATER["on"] and folder.exists():
        _LEFT.append(folder)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _sibling(out: Path, kind: str) -> Path:
    return out.with_name(f".{out.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _siblings(out: Path, kind: str) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.{kind}-*"))


def _alive(sibling: Path) -> bool:
    try:
        pid = int(sibling.name.rsplit("-", 2)[-2])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:  # another user's live process
        return True
    return pid != os.getpid()


def recover(out: Path) -> None:
    """Put back the previous run a killed swap left aside, and remove what dead runs left staged."""
    if not out.exists():
        previous = [p for p in _siblings(out, PREVIOUS) if not _alive(p)]
        if previous:
            os.replace(previous[-1], out)
    for left in (*_siblings(out, STAGING), *_siblings(out, PREVIOUS)):
        if not _alive(left):
            shutil.rmtree(left, ignore_errors=True)


def foreign_entries(out: Path, ours: Iterable[str]) -> list[str]:
    """The entries of an existing `out` that no run of crm-audit wrote: not in the last run's manifest
    and not among `ours` (the names any run may write)."""
    if not out.is_dir():
        return []
    known = set(ours) | {MANIFEST}
    with contextlib.suppress(OSError, ValueError):
        known |= set(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"])
    # a hidden *.tmp is a file auditor.io.atomic_open was writing when an earlier run was killed
    return sorted(p.name for p in out.iterdir() if p.name not in known and not _temporary(p.name))


def _temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def claim(out: Path, ours: Iterable[str]) -> None:
    """Before any work: `out` may be replaced whole (absent, or holding only a run's files); else an
    InputError naming what it holds."""
    out = _real(out)
    # the nearest folder that exists above `out`: the staging folder is made in it
    above = next(p for p in (out.parent, *out.parent.parents) if p.exists())
    if not os.access(above, os.W_OK | os.X_OK):
        raise InputError(
            "cannot write beside --out (a run is written into a sibling folder, then swapped in): "
            "give a folder whose parent you may write to",
            file=str(out),
        )
    recover(out)
    foreign = foreign_entries(out, ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise InputError(
            f"--out holds files crm-audit did not write ({shown}); each run replaces the folder whole, "
            "so give a folder of its own (it is created when missing)",
            file=str(out),
        )


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh hidden sibling of `out` to write a run into; swapped into place when the block ends
    without an error, removed when it raises (`out` then untouched)."""
    # start-up time: auditor.io loads pandas, which the program's start (auditor.cli) does not need
    from auditor.io import synced_once

    out = _real(out)
    stage = _sibling(out, STAGING)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        stage.mkdir()
        with synced_once(stage):  # every file on disk before the swap, in one sync
            yield stage
            files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
            (stage / MANIFEST).write_text(json.dumps({"files": files}, indent=1) + "\n", encoding="utf-8")
        _swap(stage, out)
    except OSError as error:  # a full disk, a folder taken away: the previous run stays, one line says why
        raise InputError(
            f"cannot write the reports ({error.strerror or error}); --out is unchanged", file=str(out)
        ) from None
    finally:
        _remove(stage)


def _swap(stage: Path, out: Path) -> None:
    """`stage` becomes `out`; what `out` was ends at `stage` (to be removed)."""
    if not out.exists():
        os.replace(stage, out)
        return
    if _exchange(stage, out):
        return
    aside = _sibling(out, PREVIOUS)
    os.replace(out, aside)
    os.replace(stage, out)  # killed before this line: recover() puts `aside` back
    os.replace(aside, stage)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, TypeError, AttributeError):  # no C library to ask (Windows), or one without it
        return False
    at_cwd, rename_exchange = -100, 2
    if function(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):  # a file system without it
        return False
    raise OSError(code, os.strerror(code), str(second))


def _real(out: Path) -> Path:
    """`out` with symbolic links resolved: a link to a folder is written through, never replaced."""
    return Path(os.path.realpath(out))
