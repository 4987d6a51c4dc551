"""beds.py: ambiences levelled to the voice, files looped with crossfaded seams."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from cuecast import beds, sounds
from cuecast.loudness import measure_loudness
from cuecast.script.model import SoundRef
from cuecast.timeline import SAMPLE_RATE as SR

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

FADE = int(beds.LOOP_FADE_S * SR)


def write_wav(path, x: np.ndarray) -> np.ndarray:
    """Mono 16-bit WAV at SR; the samples as the decoder will give them."""
    pcm = np.round(np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768


def noise(seconds: float, seed: int = 1) -> np.ndarray:
    return 0.1 * np.random.default_rng(seed).standard_normal(int(seconds * SR))


def read(source, total: int, step: int) -> np.ndarray:
    return np.concatenate([source.block(i, min(step, total - i)) for i in range(0, total, step)])


@pytest.mark.parametrize("name", sorted(sounds.AMBIENCES))
def test_ambience_loudness_table_and_level_at_the_voice(name: str) -> None:
    raw = sounds.ambience(name).block(0, 40 * SR)
    expected = beds.AMBIENCE_LUFS[name]
    assert measure_loudness([raw]).integrated_lufs == pytest.approx(expected, abs=0.3)
    bed = beds.bed_source(SoundRef(name)).block(0, 40 * SR)
    assert measure_loudness([bed]).integrated_lufs == pytest.approx(beds.VOICE_LUFS, abs=0.3)


def test_file_loops_with_a_crossfaded_seam(tmp_path) -> None:
    x = write_wav(tmp_path / "bed.wav", noise(10))
    bed = beds.bed_source(SoundRef("bed", str(tmp_path / "bed.wav")))
    assert isinstance(bed, beds.LoopedFile) and bed.clip is not None
    period = x.size - FADE
    out = read(bed, 3 * period, 7777) / bed.gain
    assert np.allclose(out[:period], x[:period], atol=1e-6)  # the first pass starts clean
    ramp = (np.arange(FADE) + 0.5) / FADE * (np.pi / 2)
    seam = x[:FADE] * np.sin(ramp) + x[period:] * np.cos(ramp)
    for k in (1, 2):
        assert np.allclose(out[k * period : k * period + FADE], seam, atol=1e-6)
        assert np.allclose(out[k * period + FADE : (k + 1) * period], x[FADE:period], atol=1e-6)
    # the seam keeps the level: no dip or bump (equal power on uncorrelated noise)
    rms = [np.sqrt(np.mean(out[a : a + FADE] ** 2)) for a in (period, period + FADE)]
    assert rms[0] == pytest.approx(rms[1], rel=0.1)


def test_file_bed_is_levelled_to_the_voice_and_the_same_whatever_the_blocks(tmp_path) -> None:
    write_wav(tmp_path / "bed.wav", noise(6) * 0.3)
    ref = SoundRef("bed", str(tmp_path / "bed.wav"))
    whole = beds.bed_source(ref).block(0, 30 * SR)
    assert measure_loudness([whole]).integrated_lufs == pytest.approx(beds.VOICE_LUFS, abs=0.5)
    again = beds.bed_source(ref)
    assert np.array_equal(read(again, 30 * SR, 4099), whole)
    assert np.array_equal(again.block(5 * SR, 1000), whole[5 * SR : 5 * SR + 1000])  # rewinds


def test_long_file_streams_the_same_samples(tmp_path, monkeypatch) -> None:
    write_wav(tmp_path / "long.wav", noise(9, seed=2))  # long enough for the whole fade
    ref = SoundRef("long", str(tmp_path / "long.wav"))
    kept = read(beds.bed_source(ref), 25 * SR, SR)
    monkeypatch.setattr(beds, "IN_MEMORY_S", 1.0)
    beds._short_clip.cache_clear()
    try:
        streamed = beds.bed_source(ref)
        assert streamed.clip is None
        assert np.array_equal(read(streamed, 25 * SR, SR), kept)
    finally:
        beds._short_clip.cache_clear()


def test_silent_and_tiny_files(tmp_path) -> None:
    write_wav(tmp_path / "quiet.wav", np.zeros(SR))
    quiet = beds.bed_source(SoundRef("quiet", str(tmp_path / "quiet.wav")))
    assert not np.any(quiet.block(0, 3 * SR))
    x = write_wav(tmp_path / "tiny.wav", noise(0.01))
    tiny = beds.bed_source(SoundRef("tiny", str(tmp_path / "tiny.wav")))
    assert tiny.fade == x.size // 4
    assert np.count_nonzero(tiny.block(0, SR)) > SR // 2
