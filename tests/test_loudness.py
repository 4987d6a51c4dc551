"""loudness/ffmpeg_meter.py: EBU R128 measurement by ffmpeg, and a plain
gain (``settings.plain_gain_db``) checked on the decoded output of a real
encode. The levelling and its limiter: test_loudness_level.py and
test_loudness_numpy.py; the render's tracks: tests/e2e/test_loudness_exact.py."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast.encode import EncodeSettings, encode
from cuecast.errors import EncodeError
from cuecast.loudness import Loudness, measure_loudness, parse_summary
from cuecast.loudness.settings import plain_gain_db
from cuecast.timeline import SAMPLE_RATE
from tests.audio_check import blocks_of, decode, sine

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

SR = SAMPLE_RATE


def voice_like(length: int, peak: float) -> np.ndarray:
    """Harmonic "speech": a wandering 140 Hz buzz in 3.5 Hz syllables."""
    t = np.arange(length) / SR
    phase = 2 * np.pi * np.cumsum(140 + 20 * np.sin(2 * np.pi * 0.7 * t)) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 12))
    x = x * np.clip(np.sin(2 * np.pi * 3.5 * t), 0, None) ** 2
    return (peak * x / np.max(np.abs(x))).astype(np.float32)


def normalise_and_encode(x: np.ndarray, path, fmt: str = "mp3") -> tuple[float, Loudness]:
    """Pass 1 measure, pass 2 encode with the plain gain; the loudness decoded."""
    gain_db = plain_gain_db(measure_loudness(blocks_of(x)).integrated_lufs, -16.0)
    settings = EncodeSettings(fmt=fmt, gain_db=gain_db)
    encode(blocks_of(x), str(path), settings, meta=None, chapters=[], total_samples=len(x))
    return gain_db, measure_loudness(blocks_of(decode(str(path))))


def assert_on_target(result: Loudness) -> None:
    assert result.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert result.true_peak_dbtp <= -1.0


def test_full_scale_sine_reference():
    # EBU Tech 3341: a 1 kHz sine at -20 dBFS peak in one channel reads -23 LUFS
    result = measure_loudness(blocks_of(sine(3 * SR, 1000, 0.1)))
    assert result.integrated_lufs == pytest.approx(-23.0, abs=0.2)
    assert result.true_peak_dbtp == pytest.approx(-20.0, abs=0.2)
    assert result.lra_lu >= 0.0  # (a 3 s signal is too short for a meaningful range)


def test_silence_gets_no_gain():
    result = measure_loudness([np.zeros(2 * SR, np.float32)])
    assert result.integrated_lufs <= -70.0
    assert plain_gain_db(result.integrated_lufs, -16.0) == 0.0


def test_parse_summary_and_missing_summary():
    text = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -16.3 LUFS
    Threshold: -26.4 LUFS

  Loudness range:
    LRA:         4.2 LU
    Threshold:  -36.5 LUFS

  True peak:
    Peak:       -1.7 dBFS"""
    assert parse_summary(text) == Loudness(-16.3, -1.7, 4.2)
    with pytest.raises(EncodeError):
        parse_summary("nothing here")


def test_loud_input_comes_down_to_target(tmp_path):
    gain_db, result = normalise_and_encode(voice_like(5 * SR, 0.99), tmp_path / "l.mp3")
    assert gain_db < 0
    assert_on_target(result)


def test_mostly_silent_session_is_judged_by_its_sound(tmp_path):
    x = np.zeros(10 * SR, np.float32)
    x[4 * SR : 5 * SR] = voice_like(SR, 0.3)  # 10% sound, 90% digital silence
    gain_db, result = normalise_and_encode(x, tmp_path / "s.mp3")
    assert gain_db > 0
    assert_on_target(result)
    decoded = decode(str(tmp_path / "s.mp3"))
    assert np.max(np.abs(decoded[: 3 * SR])) < 1e-3  # the silence stays silent


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "ogg", "opus", "flac"])
def test_every_format_decodes_at_the_mix_level(tmp_path, fmt):
    x = voice_like(4 * SR, 0.5)
    out = tmp_path / f"v.{fmt}"
    encode(
        blocks_of(x),
        str(out),
        EncodeSettings(fmt=fmt),
        meta=None,
        chapters=[],
        total_samples=len(x),
    )
    before = measure_loudness(blocks_of(x)).integrated_lufs
    after = measure_loudness(blocks_of(decode(str(out)))).integrated_lufs
    assert after == pytest.approx(before, abs=0.2)
