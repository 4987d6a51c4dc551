"""normalise.py: the gain that lands a mix on its target, limiter or not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cuecast.loudness import Loudness, measure_loudness
from cuecast.normalise import MAX_CORRECTION_DB, MAX_LIMITED_PASSES, normalise, shifted
from cuecast.timeline import SAMPLE_RATE as SR
from tests.audio_check import blocks_of
from tests.test_loudness import voice_like


def never(gain_db: float) -> Loudness:
    raise AssertionError("measured again although no limiter is needed")


def test_no_limiter_means_one_measurement_and_a_computed_result():
    levels = normalise(Loudness(-22.0, -9.0, 5.0), never)
    assert (levels.gain_db, levels.limiter) == (6.0, False)
    assert levels.after == Loudness(-16.0, -3.0, 5.0)


def test_silence_stays_silence():
    silent = Loudness(-70.0, -math.inf, 0.0)
    levels = normalise(silent, never)
    assert (levels.gain_db, levels.after) == (0.0, silent)
    assert shifted(silent, 12.0) == silent


class Limiter:
    """A fake limited mix: loses ``loss`` of every dB of gain past ``knee_db``."""

    def __init__(self, knee_db: float, loss: float) -> None:
        self.knee_db, self.loss, self.calls = knee_db, loss, []

    def __call__(self, gain_db: float) -> Loudness:
        self.calls.append(gain_db)
        over = max(0.0, gain_db - self.knee_db)
        return Loudness(round(-22.0 + gain_db - self.loss * over, 1), -1.6, 6.0)


def test_limited_shortfall_is_made_up():
    limiter = Limiter(knee_db=3.0, loss=0.35)
    levels = normalise(Loudness(-22.0, -2.0, 6.0), limiter)
    assert levels.limiter
    assert levels.after.integrated_lufs == pytest.approx(-16.0, abs=0.15)
    assert levels.gain_db > 6.0
    assert len(limiter.calls) <= MAX_LIMITED_PASSES
    assert limiter.calls[-1] == levels.gain_db  # `after` was measured at the gain used


def test_correction_is_bounded():
    limiter = Limiter(knee_db=0.0, loss=0.95)  # a mix that will not get louder
    levels = normalise(Loudness(-22.0, -2.0, 6.0), limiter)
    assert levels.gain_db == 6.0 + MAX_CORRECTION_DB  # went as far as allowed, then stopped
    assert len(limiter.calls) <= MAX_LIMITED_PASSES
    assert limiter.calls[-1] == levels.gain_db


def test_real_limiter_lands_on_target():
    x = voice_like(8 * SR, 0.5)
    burst = np.sin(np.pi * np.arange(441) / 441) * np.sin(2 * np.pi * 1000 * np.arange(441) / SR)
    x[SR : SR + 441] += 0.95 * burst.astype(np.float32)  # a chime that forces the limiter on
    before = measure_loudness(blocks_of(x))

    def limited(gain_db: float) -> Loudness:
        return measure_loudness(blocks_of(x), gain_db=gain_db, limiter=True)

    levels = normalise(before, limited)
    assert levels.limiter
    assert levels.after.integrated_lufs == pytest.approx(-16.0, abs=0.15)
    assert levels.after.true_peak_dbtp <= -1.0
