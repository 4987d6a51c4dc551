"""One exception family for everything a user can see.

Nothing below the CLI prints or exits: stages raise these, and ``cli.py``
maps them to a message on stderr and an exit code.
"""

from __future__ import annotations


class CuecastError(Exception):
    """Base of every error cuecast reports to a user (exit code 1)."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint
        self.key = key
        """Where in a script given as a mapping: ``steps[3].hold`` (then
        ``file`` is the mapping's name and there is no line)."""

    def location(self) -> str:
        """``file:line:column`` or ``file:key`` (as much of it as is known), or ``""``."""
        parts = [p for p in (self.file, self.key, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.hint:
            text += ("" if text.endswith((".", "?", "!", ":")) else ".") + f" {self.hint}"
        return text


class InputError(CuecastError):
    """The script, a file it names, or a command-line value is wrong (exit 2)."""

    exit_code = 2


class EngineError(CuecastError):
    """A speech engine failed, hung or is missing (exit 1)."""


class EncodeError(CuecastError):
    """ffmpeg or the output file failed (exit 1)."""


class LoudnessError(CuecastError):
    """A track cannot reach its loudness target under its peak ceiling, or
    its encoded file missed it (exit 1, nothing written)."""


class Interrupted(CuecastError):
    """The render was stopped by a signal; nothing was written."""

    def __init__(self, signum: int) -> None:
        super().__init__("interrupted; no output was written")
        self.exit_code = 128 + signum
