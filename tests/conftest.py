"""Shared fixtures: tests never touch the real speech cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point ``CUECAST_CACHE_DIR`` at a fresh temporary folder."""
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path_factory.mktemp("cuecast-cache")))


def pytest_terminal_summary(terminalreporter) -> None:
    """The robustness tally (tests/tally.py), when those tests ran."""
    from tests.tally import COUNTS

    if COUNTS:
        terminalreporter.write_sep("-", "cuecast robustness tally")
        for what, n in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{what}: {n}")
