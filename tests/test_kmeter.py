"""kmeter.py and level.py: loudness in numpy agrees with ffmpeg's ebur128,
and the per-clip limiter holds its ceiling, deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast import kmeter, level
from cuecast.loudness import measure_loudness
from cuecast.mix import mix
from cuecast.timeline import SAMPLE_RATE as SR
from cuecast.timeline import Event, Timeline, Tone
from tests.audio_check import blocks_of
from tests.test_loudness import voice_like


def analytic(x: np.ndarray) -> kmeter.Measure:
    """kmeter on one clip played at 0 as a whole timeline."""
    source = Tone("test", len(x))
    timeline = Timeline("t", len(x), (Event("tone", 0, len(x), 1, source=source),))
    return kmeter.measure(timeline, lambda s: x)


def signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(SR * 12) / SR
    gated = rng.standard_normal(t.size) * (np.sin(2 * np.pi * 0.3 * t) > 0.3)
    return {
        "sine 1 kHz": 0.1 * np.sin(2 * np.pi * 1000 * t),
        "sine 60 Hz": 0.3 * np.sin(2 * np.pi * 60 * t),
        "noise": 0.05 * rng.standard_normal(t.size),
        "bursts": 0.3 * gated,
        "voice": voice_like(t.size, 0.7),
    }


@pytest.mark.parametrize("name", list(signals()))
def test_analytic_loudness_agrees_with_ffmpeg(name):
    x = signals()[name].astype(np.float32)
    ours, theirs = analytic(x), measure_loudness(blocks_of(x))
    assert ours.integrated_lufs == pytest.approx(theirs.integrated_lufs, abs=0.1)
    assert ours.true_peak_dbtp == pytest.approx(theirs.true_peak_dbtp, abs=0.2)


def test_silence_is_silent():
    m = analytic(np.zeros(SR * 2, dtype=np.float32))
    assert m.integrated_lufs == kmeter.SILENT_LUFS and m.true_peak == 0.0


def test_kweight_is_the_filter_convolved():
    x = np.random.default_rng(1).standard_normal(30000)
    direct = np.convolve(x, kmeter.kweight_ir())
    assert np.max(np.abs(kmeter.kweight(x) - direct)) < 1e-5


def test_running_min_is_the_centred_minimum():
    x = np.random.default_rng(2).random(1000)
    got = level.running_min(x, 9)
    want = [x[max(0, i - 4) : i + 5].min() for i in range(x.size)]
    assert np.array_equal(got, want)


@pytest.mark.parametrize("threshold", [0.5, 0.2, 0.05])
def test_limiter_holds_the_ceiling_true_peak_included(threshold):
    x = voice_like(SR * 3, 0.9) + 0.05 * np.random.default_rng(3).standard_normal(SR * 3)
    y = level.limit(x.astype(np.float32), threshold)
    assert np.max(np.abs(y)) <= threshold
    assert kmeter.true_peak(y) <= threshold * 1.001
    assert np.array_equal(y, level.limit(x.astype(np.float32), threshold))  # deterministic
    quiet = np.abs(x) < threshold / 4  # far from any peak, the gain is near 1
    assert np.max(np.abs(y[quiet] - x[quiet])) < threshold


def test_level_lands_on_target_under_the_ceiling():
    x = voice_like(SR * 20, 0.7)
    x[SR * 5 : SR * 5 + 200] *= 1.4  # a few peaks far over the rest
    source = Tone("test", len(x))
    timeline = Timeline("t", len(x), (Event("tone", 0, len(x), 1, source=source),))
    levelled = level.level(timeline, lambda s: x, target_lufs=-16.0)
    assert levelled is not None
    out = np.concatenate(list(mix(levelled.timeline, levelled.clip_for,
                                  gain_db=levelled.gain_db)))  # fmt: skip
    measured = measure_loudness(blocks_of(out))
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.2)
    assert measured.true_peak_dbtp <= -1.5
    assert 20 * np.log10(np.max(np.abs(out))) <= level.CEILING_DBFS + 0.01
