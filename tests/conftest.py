"""Shared fixtures: tests never touch the real speech cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point ``CUECAST_CACHE_DIR`` at a fresh temporary folder."""
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path_factory.mktemp("cuecast-cache")))
