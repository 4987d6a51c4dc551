"""Durations and numbers, both ways: script text -> seconds, seconds -> words.

Takes the text of a duration as written in a script (``90s``, ``1m30s``,
``1:30``, ``500ms``, ``1h``, ``1:02:03`` or a bare number of seconds) and
gives float seconds; takes seconds or whole numbers and gives the English
words a narrator would say ("two minutes and fifteen seconds"), from the
language layer (``cuecast.language``), which says them in every language.
"""

from __future__ import annotations

import re

from cuecast import limits
from cuecast.language import ENGLISH

MAX_DURATION_S = limits.MAX_DURATION_S
"""No duration in a script may be longer than a day (see docs, Limits)."""

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_BARE = re.compile(rf"^{_NUMBER}$")
_PART = re.compile(rf"({_NUMBER})\s*([a-z]+)\s*")
_CLOCK = re.compile(r"^(\d+)(?::(\d+))?:(\d+(?:\.\d*)?)$")

_UNITS = {
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 0.001,
}  # fmt: skip

DURATION_EXAMPLES = "like 90s, 1m30s, 1:30, 1.5s, 500ms or a number of seconds"


class DurationError(ValueError):
    """Text that is not a duration; the message says what was expected."""


def is_bare_number(text: str) -> bool:
    """True for ``90`` or ``1.5``: a number with no unit and no colon."""
    return bool(_BARE.match(text.strip()))


def parse_duration(text: str) -> float:
    """Seconds for a non-negative duration; raises ``DurationError``."""
    t = text.strip().lower()
    if _BARE.match(t):
        return _bounded(float(t), text)
    clock = _CLOCK.match(t)
    if clock:
        return _bounded(_clock_seconds(clock, text), text)
    return _bounded(_unit_seconds(t, text), text)


def _bounded(seconds: float, text: str) -> float:
    if seconds > MAX_DURATION_S:
        raise DurationError(f"'{text}' is longer than the 24-hour limit")
    return seconds


def _clock_seconds(match: re.Match[str], text: str) -> float:
    first, middle, last = match.groups()
    if middle is None:  # m:ss
        hours, minutes = 0, int(first)
    else:  # h:mm:ss
        hours, minutes = int(first), int(middle)
        if minutes >= 60:
            raise DurationError(f"'{text}' has {minutes} minutes; write h:mm:ss with mm below 60")
    seconds = float(last)
    if seconds >= 60:
        raise DurationError(f"'{text}' has {last} seconds; the part after a colon must be below 60")
    return hours * 3600 + minutes * 60 + seconds


def _unit_seconds(t: str, text: str) -> float:
    total, pos, last_scale = 0.0, 0, float("inf")
    for match in _PART.finditer(t):
        if match.start() != pos:
            break
        scale = _UNITS.get(match.group(2))
        if scale is None or scale >= last_scale:
            raise DurationError(_not_a_duration(text))
        total += float(match.group(1)) * scale
        pos, last_scale = match.end(), scale
    if pos == 0 or pos != len(t):
        raise DurationError(_not_a_duration(text))
    return total


def _not_a_duration(text: str) -> str:
    return f"'{text}' is not a duration; write one {DURATION_EXAMPLES}"


def looks_like_duration(text: str) -> bool:
    """True if ``text`` parses as a duration written with a unit or a colon."""
    if is_bare_number(text):
        return False
    try:
        parse_duration(text)
    except DurationError:
        return False
    return True


def number_words(n: int) -> str:
    """English words for 0..9999 ("one hundred and five"); digits beyond
    (the language layer's num2words; ``Phrases.number`` for others)."""
    return ENGLISH.number(n)


def duration_words(seconds: float) -> str:
    """How an English narrator says a duration: 60 -> "one minute", 90 ->
    "ninety seconds", 135 -> "two minutes and fifteen seconds", 0.5 -> "half
    a second" (``Phrases.duration`` in the script's language)."""
    return ENGLISH.duration(seconds)
