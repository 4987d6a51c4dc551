"""Counts of the robustness tests (bad inputs, fuzz cases, faults), shown
at the end of a pytest run by ``conftest.pytest_terminal_summary``."""

from __future__ import annotations

from collections import Counter

COUNTS: Counter[str] = Counter()
"""``bad inputs``, ``fuzz cases``, ``property cases``, ``faults survived``
and ``files lost`` (which must stay 0)."""


def add(what: str, n: int = 1) -> None:
    COUNTS[what] += n
