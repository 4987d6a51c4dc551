"""docs/cli.md is generated from the commands' --help: ``make docs`` rewrites it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cuecast.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
COMMANDS = [[], ["render"], ["plan"], ["check"], ["lines"], ["voices"], ["schema"], ["cache"],
            ["cache", "info"], ["cache", "clear"]]

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
