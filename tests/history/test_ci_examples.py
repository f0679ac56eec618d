"""The CI examples are working files: every `crm-audit` command line in them names a command
and options that exist, so that the docs cannot rot when the command line changes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from auditor.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ci"


def commands() -> dict:
    """The command line as click sees it (typer builds it on its own copy of click)."""
    return typer.main.get_command(app).commands  # type: ignore[attr-defined]


def command_lines(text: str) -> list[str]:
    """`crm-audit ...` invocations in a shell snippet, without what follows `||` or `&&`."""
    lines = []
    for line in text.splitlines():
        for part in re.split(r"\|\||&&|;", line):
            part = part.strip()
            if part.startswith("crm-audit "):
                lines.append(part)
    return lines


def github_commands(document: dict) -> list[str]:
    return [
        line
        for job in document["jobs"].values()
        for step in job["steps"]
        for line in command_lines(step.get("run", ""))
    ]


def gitlab_commands(document: dict) -> list[str]:
    return [
        line
        for job in document.values()
        if isinstance(job, dict)
        for key in ("before_script", "script", "after_script")
        for line in command_lines("\n".join(job.get(key, [])))
    ]


def pre_commit_commands() -> list[str]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((EXAMPLES / "pre-commit-config.yaml").read_text(encoding="utf-8"))
    used = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    commands = []
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.search(hook["files"], "exports/contacts.csv") and not re.search(hook["files"], "README.md")
        example = used[hook["id"]]
        assert example["entry"] == hook["entry"]
        commands.append(shlex.join([*shlex.split(hook["entry"]), *example["args"]]))
    return commands


def all_commands() -> list[tuple[str, str]]:
    github = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    gitlab = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    return (
        [("github-actions.yml", c) for c in github_commands(github)]
        + [("gitlab-ci.yml", c) for c in gitlab_commands(gitlab)]
        + [(".pre-commit-hooks.yaml", c) for c in pre_commit_commands()]
    )


def test_the_examples_run_the_audit_with_a_regression_gate() -> None:
    commands = all_commands()
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        audits = [c for where, c in commands if where == name and c.startswith("crm-audit audit ")]
        assert audits and all("--fail-on-regression" in c for c in audits), name
        assert any(c.startswith("crm-audit diff") for where, c in commands if where == name), name


@pytest.mark.parametrize(("where", "line"), all_commands(), ids=lambda v: str(v)[:60])
def test_every_command_line_uses_existing_commands_and_options(where: str, line: str) -> None:
    _, name, *args = shlex.split(line)
    command = commands().get(name)
    assert command is not None, f"{where}: no command `crm-audit {name}`"
    options = {o: p for p in command.params if p.param_type_name == "option" for o in (*p.opts, *p.secondary_opts)}
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    positional = 0
    rest = iter(args)
    for token in rest:
        if token.startswith("-"):
            option = options.get(token.split("=", 1)[0])
            assert option is not None, f"{where}: `crm-audit {name}` has no option {token}"
            if not option.is_flag and "=" not in token:
                next(rest)  # its value
        else:
            positional += 1
    assert positional <= len(arguments), f"{where}: too many arguments for `crm-audit {name}`"
    required = [a for a in arguments if a.required]
    assert positional >= len(required), f"{where}: `crm-audit {name}` needs {len(required)} argument(s)"
