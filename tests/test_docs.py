"""The docs say what the code does: the command reference is the --help."""

from __future__ import annotations

from tests.cli_docs import COMMANDS, DOC, cli_doc, help_text


def test_cli_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == cli_doc(), "run `make docs` and review the diff"


def test_every_command_has_real_help():
    for args in COMMANDS:
        text = help_text(args)
        assert "Usage: cuecast" in text
        # a one-line summary under the usage line, not just the option list
        assert len(text.split("\n\n")[1].strip()) > 20, args
