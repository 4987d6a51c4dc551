"""loudness/settings.py and the fallback in levelling.py: the one correcting
loop lands a limited mix on its target, bounded; the gain rule; and
ffmpeg's limiter, when the numpy one cannot do it, lands the track too."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from cuecast.encode import EncodeSettings, encode
from cuecast.loudness import Loudness, level, measure_loudness
from cuecast.loudness.settings import (
    MAX_CORRECTION_DB,
    MAX_GAIN_DB,
    MAX_LIMITED_PASSES,
    plain_gain_db,
    settle,
    shifted,
)
from cuecast.mix import mix
from cuecast.timeline import Event, Timeline, Tone
from cuecast.units import SAMPLE_RATE as SR
from tests.audio_check import blocks_of, decode
from tests.test_loudness import voice_like

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

level_module = importlib.import_module("cuecast.loudness.levelling")


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


# -- the ffmpeg fallback ----------------------------------------------------------


def chimed(length_s: float = 8.0) -> np.ndarray:
    """Speech with a loud short chime: the limiter must work."""
    x = voice_like(int(length_s * SR), 0.5)
    burst = np.sin(np.pi * np.arange(441) / 441) * np.sin(2 * np.pi * 1000 * np.arange(441) / SR)
    x[SR : SR + 441] += 0.95 * burst.astype(np.float32)
    return x


def one_clip(x: np.ndarray) -> Timeline:
    source = Tone("test", len(x))
    return Timeline("t", len(x), (Event("tone", 0, len(x), 1, source=source),))


def mix_of(timeline, clip_for):
    return mix(timeline, clip_for)


@pytest.fixture
def numpy_gives_up(monkeypatch):
    """The numpy limiter misses every target: levelling falls back to ffmpeg."""
    monkeypatch.setattr(level_module, "MISS_LU", -1.0)


def test_fallback_lands_on_target_through_ffmpegs_limiter(numpy_gives_up, tmp_path):
    x = chimed()
    levelled = level(one_clip(x), lambda s: x, mix_of, target_lufs=-16.0)
    assert levelled.ffmpeg_limiter and levelled.clip_for(None) is x  # clips left as made
    assert levelled.after.integrated_lufs == pytest.approx(-16.0, abs=0.15)
    assert levelled.after.true_peak_dbtp <= -1.0
    out = tmp_path / "fallback.mp3"  # and the encoder, limiting, makes that track
    settings = EncodeSettings(gain_db=levelled.gain_db, limiter=True)
    encode(blocks_of(x), str(out), settings, meta=None, chapters=[], total_samples=len(x))
    decoded = measure_loudness(blocks_of(decode(str(out))))
    assert decoded.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert decoded.true_peak_dbtp <= -1.0


def test_render_falls_back_to_ffmpeg_and_still_lands(numpy_gives_up, tmp_path, monkeypatch):
    from cuecast.pipeline import Options, render

    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "cache"))
    fallbacks = []
    original = level_module._with_ffmpeg_limiter

    def spied(*args, **kwargs):
        fallbacks.append(original(*args, **kwargs))
        return fallbacks[-1]

    monkeypatch.setattr(level_module, "_with_ffmpeg_limiter", spied)
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nsteps:\n  - say: Breathe in, and let the shoulders drop.\n"
                      "  - hold: 6s\n  - say: And release.\n")  # fmt: skip
    result = render(script, tmp_path / "s.mp3", Options(engine="pyttsx3", jobs=1))
    track = measure_loudness(blocks_of(decode(result.path)))
    assert track.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert track.true_peak_dbtp <= -1.0
    assert result.final_loudness.integrated_lufs == pytest.approx(-16.0, abs=0.15)
    assert [f.ffmpeg_limiter for f in fallbacks] == [True]
