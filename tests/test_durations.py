"""Durations as written in scripts, and durations and numbers as spoken."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cuecast.script.durations import (
    DurationError,
    duration_words,
    looks_like_duration,
    number_words,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90), ("1m30s", 90), ("1m", 60), ("1:30", 90), ("1.5s", 1.5), ("500ms", 0.5),
        ("90", 90), ("1.5", 1.5), ("1h", 3600), ("1:02:03", 3723), ("1m 30s", 90),
        ("2 minutes", 120), ("1 min 30 sec", 90), ("0:05.5", 5.5), ("1h30m", 5400), ("0", 0),
        (" 45s ", 45), ("1M30S", 90),
    ],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "'abc' is not a duration; write one like 90s"),
        ("-5", "is not a duration"),
        ("1s1m", "is not a duration"),
        ("1m1m", "is not a duration"),
        ("5x", "is not a duration"),
        ("", "is not a duration"),
        ("1:75", "'1:75' has 75 seconds"),
        ("1:60:00", "has 60 minutes"),
        ("25h", "longer than the 24-hour limit"),
        ("nan", "is not a duration"),
        ("inf", "is not a duration"),
    ],
)
def test_bad_durations(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        parse_duration(text)


def test_looks_like_duration_needs_a_unit_or_colon() -> None:
    assert looks_like_duration("90s") and looks_like_duration("1:30")
    assert not looks_like_duration("90") and not looks_like_duration("relax")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (60, "one minute"), (90, "ninety seconds"), (135, "two minutes and fifteen seconds"),
        (1.5, "one and a half seconds"), (0.5, "half a second"), (1, "one second"),
        (45, "forty-five seconds"), (120, "two minutes"), (3600, "one hour"),
        (3690, "one hour, one minute and thirty seconds"), (7200, "two hours"),
        (2.25, "two point two five seconds"), (0, "zero seconds"),
    ],
)  # fmt: skip
def test_duration_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (21, "twenty-one"),
        (100, "one hundred"), (105, "one hundred and five"), (342, "three hundred and forty-two"),
        (1000, "one thousand"), (2024, "two thousand and twenty-four"),
        (9999, "nine thousand nine hundred and ninety-nine"), (10000, "10000"), (-1, "-1"),
    ],
)  # fmt: skip
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


@given(st.integers(min_value=0, max_value=9999))
def test_number_words_are_words(n: int) -> None:
    assert number_words(n).replace("-", " ").replace(" ", "").isalpha()


@given(st.integers(min_value=0, max_value=86400))
def test_whole_durations_read_back(seconds: int) -> None:
    assert parse_duration(f"{seconds}s") == seconds
    words = duration_words(seconds)
    assert any(unit in words for unit in ("second", "minute", "hour"))
