"""meter.py: the fast first-pass measurement gives ffmpeg's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast import meter
from cuecast.loudness import measure_loudness
from cuecast.timeline import SAMPLE_RATE
from tests.audio_check import blocks_of
from tests.test_loudness import voice_like

SR = SAMPLE_RATE


def session_like() -> np.ndarray:
    """Speech bursts of varied level between long and short silences, with
    a quiet tone under some of them (what a routine's mix looks like)."""
    rng = np.random.default_rng(3)
    parts = []
    for i in range(14):
        parts.append(voice_like(int(SR * rng.uniform(1.0, 4.0)), float(rng.uniform(0.05, 0.9))))
        gap = np.zeros(int(SR * rng.choice([0.3, 2.0, 7.5, 31.0])), dtype=np.float32)
        if i % 3 == 0:
            t = np.arange(len(gap)) / SR
            gap += (0.01 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        parts.append(gap)
    return np.concatenate(parts)


@pytest.mark.parametrize("make", [session_like, lambda: voice_like(20 * SR, 0.5)])
def test_fast_measurement_equals_the_plain_one(make):
    x = make()
    assert meter.measure_mix(lambda: blocks_of(x)) == measure_loudness(blocks_of(x))


def test_silence_measures_as_silence():
    x = np.zeros(3 * SR, dtype=np.float32)
    assert meter.measure_mix(lambda: blocks_of(x)) == measure_loudness(blocks_of(x))


def test_a_mix_that_breaks_the_screen_is_measured_in_full(monkeypatch):
    # Ask for a true peak above any real one: the check after measuring
    # fails, and the mix is made again and measured the plain way.
    x = session_like()
    calls = []
    plain = meter.measure_loudness

    def counted(blocks):
        calls.append(1)
        return plain(blocks)

    monkeypatch.setattr(meter, "measure_loudness", counted)
    monkeypatch.setattr(meter, "PEAK_FLOOR", 4.0)
    assert meter.measure_mix(lambda: blocks_of(x)) == plain(blocks_of(x))
    assert calls == [1]


def test_screen_sends_only_frames_near_the_peak():
    sent: list[np.ndarray] = []

    class Sink:
        def write(self, pcm: np.ndarray) -> None:
            sent.append(pcm)

    screen = meter._PeakScreen(lambda: Sink())  # type: ignore[arg-type, return-value]
    loud = voice_like(SR, 0.9)
    quiet = np.full(10 * SR, 0.001, dtype=np.float32)
    screen.feed(np.concatenate([loud, quiet, loud, quiet]))
    screen.finish()
    total = sum(len(p) for p in sent)
    assert 2 * SR <= total < 3 * SR  # the loud seconds and a frame each side
    # the second loud second (and its frame of context) keeps its place
    # modulo the resampler's period
    assert (screen.sent - (12 * SR + meter.FRAME)) % meter.PHASE == 0
