"""docs/cli.md is generated from the commands' --help: ``make docs`` rewrites it."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from cuecast.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
FIRST = ["render", "plan", "check", "voices"]
"""The everyday commands lead; every other command follows by name."""


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    ctx = click.Context(group)
    names = group.list_commands(ctx)
    names = [n for n in FIRST if n in names and not prefix] + [
        n for n in names if prefix or n not in FIRST
    ]
    out: list[list[str]] = []
    for name in names:
        command = group.get_command(ctx, name)
        out.append([*prefix, name])
        if isinstance(command, click.Group):
            out += _commands(command, [*prefix, name])
    return out


COMMANDS = [[], *_commands(main, [])]
"""Every command and sub-command, found from the group: a new one is documented too."""

HEAD = """# Command reference

Generated from each command's `--help` by `make docs`; a test keeps it in
step with the code. For the script format see
[script-format.md](script-format.md).
"""


def help_text(args: list[str]) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], prog_name="cuecast",
                                terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip() + "\n"


def cli_doc() -> str:
    parts = [HEAD]
    for args in COMMANDS:
        title = " ".join(["cuecast", *args])
        parts.append(f"\n## `{title}`\n\n```\n{help_text(args)}```\n")
    return "".join(parts)


if __name__ == "__main__":
    DOC.write_text(cli_doc(), encoding="utf-8")
    print(f"wrote {DOC}")
