"""Planned timelines of real scripts equal their reviewed golden files."""

from __future__ import annotations

import pytest

from tests.golden_cases import CASES, GOLDEN, golden_json


@pytest.mark.parametrize("name", sorted(CASES))
def test_timeline_matches_golden(name):
    expected = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
    assert golden_json(CASES[name]) == expected, "planning changed: review, then `make golden`"
