"""Progress on stderr when it is not a terminal (``make``, CI, a log file).

A terminal gets click's bars (``base._progress``). Anywhere else a bar
would be a flood of carriage returns, so each stage gets short lines
instead: one when it starts, then at most one every ``EVERY_S`` seconds,
and one when it is done:

    speech: 0/140 lines
    speech: 57/140 lines
    speech: 140/140 lines
    mixing and encoding: 0%
    mixing and encoding: 100%
"""

from __future__ import annotations

import time
from collections.abc import Callable

EVERY_S = 5.0
"""The most often a stage prints a line, in seconds."""

_LABELS = {"speech": "speech", "audio": "mixing and encoding"}


class LineProgress:
    """``progress(stage, done, total)`` that writes a line per stage at most
    every ``every_s`` seconds (always the first and the last)."""

    def __init__(
        self,
        echo: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        every_s: float = EVERY_S,
    ) -> None:
        self.echo = echo
        self.clock = clock
        self.every_s = every_s
        self._last_s: dict[str, float] = {}
        self._finished: set[str] = set()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        first = stage not in self._last_s
        last = done >= total
        if stage in self._finished or not (
            first or last or now - self._last_s[stage] >= self.every_s
        ):
            return
        self._last_s[stage] = now
        if last:
            self._finished.add(stage)
        self.echo(f"{_LABELS.get(stage, stage)}: {_amount(stage, done, total)}")


def _amount(stage: str, done: int, total: int) -> str:
    if stage == "speech":
        return f"{done}/{total} lines"
    if stage == "audio":
        return f"{100 * done // max(total, 1)}%"
    return f"{done}/{total}"
