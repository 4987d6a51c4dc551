"""loudness/settings.py and levelling.py: the one correcting loop lands a
limited mix on its target, bounded; the gain rule; a bed under limited
clips is held by the mix's own limit; a target out of reach is an error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cuecast.errors import LoudnessError
from cuecast.loudness import CEILING_DBFS, Loudness, level, measure_loudness
from cuecast.loudness.settings import (
    MAX_CORRECTION_DB,
    MAX_GAIN_DB,
    MAX_LIMITED_PASSES,
    plain_gain_db,
    settle,
    shifted,
)
from cuecast.mix import Bed, mix
from cuecast.timeline import Event, Timeline, Tone
from cuecast.units import SAMPLE_RATE as SR
from cuecast.units import db_to_gain
from tests.audio_check import blocks_of
from tests.test_loudness import voice_like

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast



def test_gain_rule():
    assert plain_gain_db(-22.0, -16.0) == 6.0
    assert plain_gain_db(-10.0, -16.0) == -6.0
    assert plain_gain_db(-60.0, -16.0) == MAX_GAIN_DB
    assert plain_gain_db(-70.0, -16.0) == 0.0  # silence gets no gain
    assert plain_gain_db(-math.inf, -16.0) == 0.0


def test_silence_stays_silence():
    silent = Loudness(-70.0, -math.inf, 0.0)
    assert shifted(silent, 12.0) == silent
    assert shifted(Loudness(-22.0, -9.0, 5.0), 6.0) == Loudness(-16.0, -3.0, 5.0)


class Limiter:
    """A fake limited mix: loses ``loss`` of every dB of gain past ``knee_db``."""

    def __init__(self, knee_db: float, loss: float) -> None:
        self.knee_db, self.loss, self.calls = knee_db, loss, []

    def __call__(self, gain_db: float) -> float:
        self.calls.append(gain_db)
        over = max(0.0, gain_db - self.knee_db)
        return round(-22.0 + gain_db - self.loss * over, 1)


def test_limited_shortfall_is_made_up():
    limiter = Limiter(knee_db=3.0, loss=0.35)
    gain_db = settle(limiter, -16.0, 6.0, 6.0)
    assert limiter(gain_db) == pytest.approx(-16.0, abs=0.15)
    assert gain_db > 6.0
    assert len(limiter.calls) <= MAX_LIMITED_PASSES + 1
    assert limiter.calls[-2] == gain_db  # the gain given is the one last measured


def test_correction_is_bounded():
    limiter = Limiter(knee_db=0.0, loss=0.95)  # a mix that will not get louder
    gain_db = settle(limiter, -16.0, 6.0, 6.0)
    assert gain_db == 6.0 + MAX_CORRECTION_DB  # went as far as allowed, then stopped
    assert len(limiter.calls) <= MAX_LIMITED_PASSES
    assert limiter.calls[-1] == gain_db


# -- the mix limited as a whole, and what cannot be reached ------------------------


def chimed(length_s: float = 8.0) -> np.ndarray:
    """Speech with a loud short chime: the limiter must work."""
    x = voice_like(int(length_s * SR), 0.5)
    burst = np.sin(np.pi * np.arange(441) / 441) * np.sin(2 * np.pi * 1000 * np.arange(441) / SR)
    x[SR : SR + 441] += 0.95 * burst.astype(np.float32)
    return x


def one_clip(x: np.ndarray) -> Timeline:
    source = Tone("test", len(x))
    return Timeline("t", len(x), (Event("tone", 0, len(x), 1, source=source),))


class Hum:
    """A loud bed (a 100 Hz hum at -12 dBFS) that never ducks (no speech events)."""

    def block(self, start: int, n: int) -> np.ndarray:
        t = np.arange(start, start + n) / SR
        return (0.25 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)


def test_a_bed_under_limited_clips_is_held_by_the_mix_limit():
    x = chimed()
    bed = Bed(Hum(), volume_db=0.0, duck_db=0.0, fade_s=0.0)

    def mix_of(timeline, clip_for):
        return mix(timeline, clip_for, bed=bed)

    levelled = level(one_clip(x), lambda s: x, mix_of, target_lufs=-16.0, bed=True)
    assert levelled.mix_limit is not None
    out = np.concatenate(list(levelled.finished(mix_of(levelled.timeline, levelled.clip_for))))
    out *= np.float32(db_to_gain(levelled.gain_db))
    assert out.size == x.size
    assert 20 * np.log10(np.max(np.abs(out))) <= CEILING_DBFS + 0.01  # the chime plus the hum
    measured = measure_loudness(blocks_of(out))
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.2)
    assert measured.true_peak_dbtp <= -1.5


def test_a_target_out_of_reach_is_an_error_not_a_quiet_track():
    x = np.zeros(6 * SR, np.float32)
    x[:: SR // 5] = 0.9  # clicks: all peak, no loudness; limiting them takes it all
    with pytest.raises(LoudnessError, match="cannot bring this mix to -16 LUFS"):
        level(one_clip(x), lambda s: x, None, target_lufs=-16.0)
