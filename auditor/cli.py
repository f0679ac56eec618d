"""The `crm-audit` entry point: the app with every command registered (one module each in
`auditor.commands`), and the exit codes. No logic.

Exit codes: 0 the gate passed, 1 the gate failed, 2 bad usage or unreadable input (one line,
no traceback), 3 an internal error (a bug: rerun with CRM_AUDIT_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any, NoReturn

import typer
from typer.core import TyperCommand

from auditor.commands import load_all
from auditor.commands.app import COMMAND_ORDER, Command, app, pause_collector
from auditor.errors import AuditorError
from auditor.redact import redact
from auditor.staging import remove_later, remove_left_folders

try:  # typer 0.2x carries its own copy of click; earlier releases use click itself
    from typer._click import exceptions as usage_errors
except ImportError:  # pragma: no cover
    from click import exceptions as usage_errors  # type: ignore[no-redef]

__all__ = ["COMMAND_ORDER", "app", "main", "run"]


def _load_commands() -> None:
    load_all()
    for command in app.registered_commands:  # every command's help with real metavars (Command)
        if command.cls in (None, TyperCommand):
            command.cls = Command


_load_commands()


def _option_name(param: Any) -> str:
    if param.param_type_name == "argument":
        return param.metavar or (param.name or "argument").upper()
    names = [*param.opts]
    return max(names, key=len) if names else f"--{param.name}"


def _bad_value(error: Any) -> str:
    """What is wrong with the value, in words: typer's wording is pydantic's ("Input should be a
    valid number", "Value error, ..."), which names no value and reads like a stack trace."""
    param = error.param
    cause = error.__cause__
    details = cause.errors() if hasattr(cause, "errors") else []
    if not details:
        return error.message
    detail = details[0]
    given, kind, limits = detail.get("input"), detail.get("type", ""), detail.get("ctx") or {}
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if choices:
        return f"{given!r} is not one of {', '.join(str(c) for c in choices)}"
    if kind.startswith("int"):
        return f"{given!r} is not a whole number"
    if kind.startswith(("float", "decimal")):
        return f"{given!r} is not a number"
    bounds = {
        "greater_than_equal": "at least {ge}",
        "greater_than": "more than {gt}",
        "less_than_equal": "at most {le}",
        "less_than": "less than {lt}",
    }
    if kind in bounds:
        shown = {k: f"{v:g}" if isinstance(v, int | float) else v for k, v in limits.items()}
        return f"{given} is out of range: it must be {bounds[kind].format(**shown)}"
    if kind.startswith("date"):
        return f"{given!r} is not a date (YYYY-MM-DD)"
    return f"{given!r} is not a valid {param.metavar or 'value'}"


def usage_message(error: Any) -> str:
    """One line for a usage error of the command line: what is wrong, then where to look."""
    ctx = getattr(error, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    param = getattr(error, "param", None)
    if isinstance(error, usage_errors.MissingParameter) and param is not None:
        what = f"{_option_name(param)} is missing"
        if param.help:
            what += f": {param.help}"
    elif isinstance(error, usage_errors.BadParameter) and (param is not None or error.param_hint):
        hint = error.param_hint if param is None else _option_name(param)
        hint = hint if isinstance(hint, str) else " / ".join(hint)
        what = f"{hint}: {_bad_value(error) if param is not None else error.message}"
    elif isinstance(error, usage_errors.NoSuchOption):
        what = f"no option {error.option_name}"
        if error.possibilities:
            what += f"; did you mean {' or '.join(sorted(error.possibilities))}?"
    else:
        what = error.format_message()
        if what.startswith("No such command"):  # "No such command 'chekc'. Did you mean 'check'?"
            what = what.replace("No such command", "no command", 1).replace(". Did you mean", "; did you mean", 1)
            where = " (crm-audit --help lists them)"
        else:
            what = what[:1].lower() + what[1:]
    return " ".join(f"{what.rstrip('.')}{where}".split())


def main(argv: list[str] | None = None) -> int:
    try:
        # Not standalone: usage errors come back here, to be reported as one line (exit 2).
        done = app(args=argv, prog_name="crm-audit", standalone_mode=False)
        return done if isinstance(done, int) else 0
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except usage_errors.NoArgsIsHelpError as help_text:
        sys.stdout.write(help_text.format_message() + "\n")
        return 2
    except usage_errors.UsageError as error:
        sys.stderr.write(f"crm-audit: error: {redact(usage_message(error))}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("crm-audit: aborted\n")
        return 130
    except AuditorError as error:
        # a message may quote a database URL (a driver's own words): never its password
        for i, line in enumerate(redact(str(error)).splitlines()):
            sys.stderr.write(("crm-audit: error: " if i == 0 else "  ") + line.strip() + "\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as bug:
        if os.environ.get("CRM_AUDIT_DEBUG"):
            raise
        sys.stderr.write(
            f"crm-audit: internal error: {type(bug).__name__}: {redact(str(bug))} "
            "(rerun with CRM_AUDIT_DEBUG=1 for the traceback, and please report it)\n"
        )
        return 3
    return 0


def run() -> NoReturn:
    """The `crm-audit` program (its console script, `python -m auditor`): `main()` on the command line, the
    garbage collector paused until the command starts (`pause_collector`), then the process ends with its
    exit code at once (`end_process`), the folders its run replaced left to a process of their own
    (`auditor.staging.remove_later`). `main` itself returns, for callers that go on (the tests)."""
    pause_collector()
    remove_later()
    end_process(main())


def end_process(code: int) -> NoReturn:
    """End the process with `code` without tearing the interpreter down: after an audit of fixtures/acme
    that teardown (every module, frame and Arrow pool freed one by one, for a process about to vanish)
    took 0.3-0.7 s of wall time, as much as the load stage. What the interpreter's exit does that anyone
    can see still happens: standard output and error are flushed and the atexit handlers run (logging,
    temporary folders, coverage). A thread still running (it would be joined) or a stream that cannot
    be flushed (a closed pipe: the interpreter reports it) leaves the exit to the interpreter, as before."""
    remove_left_folders()
    if _threads_running() or not _flushed():
        raise SystemExit(code)
    # CPython's own call at exit; it clears the handlers, so none runs twice
    atexit._run_exitfuncs()
    _flushed()
    os._exit(code)


def _threads_running() -> bool:
    main_thread = threading.main_thread()
    return any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate())


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream
        return False
    return True


if __name__ == "__main__":
    run()
