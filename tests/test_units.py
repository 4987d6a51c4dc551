"""units.py: samples, seconds, milliseconds, dB and the clock texts."""

from __future__ import annotations

import math

import pytest

from cuecast.units import (
    SAMPLE_RATE,
    clock,
    clock_text,
    db_to_gain,
    gain_to_db,
    timestamp,
    to_ms,
    to_samples,
    to_seconds,
    whole_seconds,
)

SR = SAMPLE_RATE


def test_seconds_and_samples_round_trip_to_the_sample():
    assert to_samples(1.5) == 66150
    assert to_seconds(66150) == 1.5
    assert all(to_samples(to_seconds(n)) == n for n in (0, 1, 441, 44099, 10 * 3600 * SR + 7))


def test_milliseconds_round_half_up_in_integers():
    assert to_ms(SR) == 1000
    assert to_ms(22) == 0 and to_ms(23) == 1  # 22 samples = 0.4989 ms, 23 = 0.5215 ms
    assert to_ms(3600 * SR * 6) == 6 * 3_600_000


def test_db_and_gain():
    assert db_to_gain(0.0) == 1.0
    assert db_to_gain(-20.0) == pytest.approx(0.1)
    assert gain_to_db(db_to_gain(-7.25)) == pytest.approx(-7.25)
    assert gain_to_db(0.0) == -math.inf


@pytest.mark.parametrize(
    ("seconds", "text", "whole", "stamp"),
    [
        (0.0, "0:00.000", "0:00", "00:00:00.000"),
        (59.9996, "1:00.000", "1:00", "00:01:00.000"),
        (118.381, "1:58.381", "1:58", "00:01:58.381"),
        (3599.5, "59:59.500", "1:00:00", "00:59:59.500"),
        (3723.2, "1:02:03.200", "1:02:03", "01:02:03.200"),
    ],
)
def test_clock_texts(seconds: float, text: str, whole: str, stamp: str):
    n = to_samples(seconds)
    assert clock_text(n) == text
    assert clock_text(n, millis=False) == whole
    assert timestamp(n) == stamp
    assert timestamp(n, ",") == stamp.replace(".", ",")


@pytest.mark.parametrize(("seconds", "whole", "text"), [
    (332.5, 333, "5:33"), (333.5, 334, "5:34"), (332.49, 332, "5:32"), (45.0, 45, "0:45"),
    (59.5, 60, "1:00"), (3725.4, 3725, "1:02:05"),
])
def test_one_clock_rounds_half_up_for_pages_feeds_and_playlists(seconds, whole, text):
    """Python's round() is half to even (round(332.5) == 332): the playlist
    said 332 where the page said 5:33. Every whole second is whole_seconds."""
    assert whole_seconds(seconds) == whole and clock(seconds) == text
