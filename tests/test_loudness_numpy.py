"""loudness/bs1770.py, limiter.py and levelling.py: loudness in numpy agrees
with ffmpeg's ebur128, measured from the clips as well as from the mix, and
the limiter holds its ceiling, deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast.loudness import measure, measure_loudness
from cuecast.loudness.bs1770 import Reading, kweight, kweight_ir, measure_blocks, true_peak
from cuecast.loudness.levelling import level
from cuecast.loudness.limiter import limit, running_min
from cuecast.loudness.settings import CEILING_DBFS, SILENT_LUFS
from cuecast.mix import mix
from cuecast.timeline import Event, Timeline, Tone
from cuecast.units import SAMPLE_RATE as SR
from cuecast.units import db_to_gain
from tests.audio_check import blocks_of
from tests.test_loudness import voice_like

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast


def one_clip(x: np.ndarray) -> Timeline:
    source = Tone("test", len(x))
    return Timeline("t", len(x), (Event("tone", 0, len(x), 1, source=source),))


def analytic(x: np.ndarray) -> Reading:
    """The numpy meter on one clip played at 0 as a whole timeline."""
    return measure(one_clip(x), lambda s: x)


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
    blocks = measure_blocks(blocks_of(x, SR))  # the meter of a mix with a bed
    assert blocks.integrated_lufs == pytest.approx(theirs.integrated_lufs, abs=0.1)


def session() -> tuple[Timeline, dict[Tone, np.ndarray]]:
    """Lines of varied level and length, some overlapping, at odd offsets."""
    rng = np.random.default_rng(5)
    clips, events, at = {}, [], 1234
    for i in range(12):
        x = voice_like(int(SR * rng.uniform(0.5, 3.0)), float(rng.uniform(0.05, 0.9)))
        source = Tone(f"line{i}", len(x))
        clips[source] = x
        for _ in range(1 + i % 3):  # lines that recur
            events.append(Event("tone", at, at + len(x), 1, source=source))
            at += int(len(x) * rng.choice([0.6, 1.01, 2.0, 5.0]))  # overlapping, adjacent, apart
    return Timeline("t", at + SR, tuple(events)), clips


def test_measuring_from_the_clips_equals_measuring_the_mix():
    timeline, clips = session()
    made = np.concatenate(list(mix(timeline, clips.__getitem__)))
    ours = measure(timeline, clips.__getitem__)
    theirs = measure_loudness(blocks_of(made))
    assert ours.integrated_lufs == pytest.approx(theirs.integrated_lufs, abs=0.1)
    assert ours.true_peak_dbtp == pytest.approx(theirs.true_peak_dbtp, abs=0.2)
    assert ours.sample_peak == pytest.approx(float(np.max(np.abs(made))), rel=1e-5)
    assert ours.lra_lu == pytest.approx(theirs.lra_lu, abs=0.3)


def test_silence_is_silent():
    m = analytic(np.zeros(SR * 2, dtype=np.float32))
    assert m.integrated_lufs == SILENT_LUFS and m.true_peak == 0.0


def test_kweight_is_the_filter_convolved():
    x = np.random.default_rng(1).standard_normal(30000)
    direct = np.convolve(x, kweight_ir())
    assert np.max(np.abs(kweight(x) - direct)) < 1e-5


@pytest.mark.parametrize("width", [1, 3, 9, 971])
def test_running_min_is_the_centred_minimum(width):
    x = np.random.default_rng(2).random(1000)
    got = running_min(x, width)
    half = width // 2
    want = [x[max(0, i - half) : i + half + 1].min() for i in range(x.size)]
    assert np.array_equal(got, want)


@pytest.mark.parametrize("threshold", [0.5, 0.2, 0.05])
def test_limiter_holds_the_ceiling_true_peak_included(threshold):
    x = voice_like(SR * 3, 0.9) + 0.05 * np.random.default_rng(3).standard_normal(SR * 3)
    y = limit(x.astype(np.float32), threshold)
    assert np.max(np.abs(y)) <= threshold
    assert true_peak(y) <= threshold * 1.001
    assert np.array_equal(y, limit(x.astype(np.float32), threshold))  # deterministic
    quiet = np.abs(x) < threshold / 4  # far from any peak, the gain is near 1
    assert np.max(np.abs(y[quiet] - x[quiet])) < threshold


def test_a_clip_under_the_threshold_is_left_as_it_is():
    x = voice_like(SR, 0.3)
    assert limit(x, 0.5) is x


def made(levelled) -> np.ndarray:
    """The levelled mix as the encoder gets it (gain applied)."""
    out = np.concatenate(list(mix(levelled.timeline, levelled.clip_for)))
    return out * np.float32(db_to_gain(levelled.gain_db))


def never_mixed(timeline, clip_for):
    raise AssertionError("the mix was made to measure it")


def test_level_lands_on_target_under_the_ceiling():
    x = voice_like(SR * 20, 0.7)
    x[SR * 5 : SR * 5 + 200] *= 1.4  # a few peaks far over the rest
    levelled = level(one_clip(x), lambda s: x, never_mixed, target_lufs=-16.0)
    assert levelled.mix_limit is None  # no bed: the clips are limited, not the mix
    out = made(levelled)
    measured = measure_loudness(blocks_of(out))
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.2)
    assert levelled.after.integrated_lufs == pytest.approx(measured.integrated_lufs, abs=0.1)
    assert measured.true_peak_dbtp <= -1.5
    assert 20 * np.log10(np.max(np.abs(out))) <= CEILING_DBFS + 0.01


def test_level_of_a_session_limits_overlapping_lines_as_one():
    timeline, clips = session()
    levelled = level(timeline, clips.__getitem__, never_mixed, target_lufs=-16.0)
    out = made(levelled)
    measured = measure_loudness(blocks_of(out))
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.2)
    assert 20 * np.log10(np.max(np.abs(out))) <= CEILING_DBFS + 0.01
    assert measured.true_peak_dbtp <= -1.5
    assert levelled.before.integrated_lufs < -17.0  # it was raised, and limited to get there
    assert levelled.timeline != timeline  # overlapping lines became groups


def test_no_target_levels_nothing():
    x = voice_like(SR, 0.9)
    levelled = level(one_clip(x), lambda s: x, never_mixed, target_lufs=None)
    assert (levelled.gain_db, levelled.before, levelled.after) == (0.0, None, None)
