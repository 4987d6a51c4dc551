"""Units every stage shares: the sample rate, seconds <-> samples, dB <->
linear gain, and times as text.

Takes and gives plain numbers and strings; imports nothing from cuecast, so
any module may use it. Every time inside cuecast is an integer sample
position at ``SAMPLE_RATE`` (sums of them never drift); seconds appear only
at the edges (the script, the JSON, what is printed).
"""

from __future__ import annotations

import math

SAMPLE_RATE = 44100
"""Samples per second of the mix (mono)."""

GRID_SAMPLES = 1152
"""The frame grid: an MP3 frame's samples. A hold, and what follows a hold,
a rest or a pause, starts on a multiple of it (``planner``), so the encoded
pieces of a hold are the same wherever it stands, and those of what
follows are the same whatever that hold's length (``pieces/``)."""


def on_grid(sample: int) -> int:
    """The first grid point at or after ``sample``."""
    return -(-sample // GRID_SAMPLES) * GRID_SAMPLES


def to_samples(seconds: float) -> int:
    """Seconds to the nearest whole sample."""
    return int(round(seconds * SAMPLE_RATE))


def to_seconds(samples: int) -> float:
    """Samples to seconds, rounded to the microsecond (as the JSON gives them)."""
    return round(samples / SAMPLE_RATE, 6)


def to_ms(samples: int) -> int:
    """Samples to whole milliseconds, rounded half up (integers only: no
    float rounding can move a chapter or a caption by a millisecond)."""
    return (samples * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE


def db_to_gain(db: float) -> float:
    """Decibels to a linear amplitude factor (0 dB -> 1.0, -6 dB -> ~0.5)."""
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """A linear amplitude factor to decibels; ``-inf`` for silence."""
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf


def clock_text(samples: int, *, millis: bool = True) -> str:
    """A time for people: ``M:SS.mmm``, or ``H:MM:SS.mmm`` from an hour on;
    without ``millis``, rounded to the second (``M:SS``, ``H:MM:SS``)."""
    if not millis:
        samples = (to_ms(samples) + 500) // 1000 * SAMPLE_RATE  # as whole_seconds
    hours, minutes, seconds, ms = _split(samples)
    fraction = f".{ms:03d}" if millis else ""
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}{fraction}"
    return f"{minutes}:{seconds:02d}{fraction}"


def whole_seconds(seconds: float) -> int:
    """Seconds rounded to the whole second, half up, through the sample and
    the millisecond as every clock rounds (``332.5`` -> ``333``, never
    Python's half-to-even ``332``)."""
    return (to_ms(to_samples(seconds)) + 500) // 1000


def clock(seconds: float) -> str:
    """A length or a time for people, rounded to the second: ``0:45``,
    ``5:34``, ``1:02:05``. The one clock of every page, feed and playlist."""
    return clock_text(to_samples(seconds), millis=False)


def timestamp(samples: int, sep: str = ".") -> str:
    """A time for files (captions, chapters): ``HH:MM:SS.mmm``, ``sep``
    between the seconds and the milliseconds (SRT wants ``,``)."""
    hours, minutes, seconds, millis = _split(samples)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{millis:03d}"


def _split(samples: int) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, milliseconds) of a sample position."""
    hours, rest = divmod(to_ms(samples), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return hours, minutes, seconds, millis
