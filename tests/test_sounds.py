"""Built-in sounds: levels, onsets, determinism, streaming beds."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast import sounds
from cuecast.errors import InputError
from cuecast.script.model import SoundRef
from cuecast.timeline import SAMPLE_RATE


def dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(float(np.max(np.abs(x))))


@pytest.mark.parametrize("name", sorted(sounds.BUILTINS))
def test_builtin_onset_is_at_sample_zero(name: str) -> None:
    clip = sounds.builtin(name)
    assert clip.dtype == np.float32
    first = np.flatnonzero(np.abs(clip) > 10 ** (-40 / 20))[0]
    assert first <= SAMPLE_RATE // 1000  # within 1 ms
    assert abs(clip[0]) < 0.05  # no step at the start beyond the strike


@pytest.mark.parametrize("name", sorted(sounds.BUILTINS))
def test_builtin_ends_quietly_and_does_not_clip(name: str) -> None:
    clip = sounds.builtin(name)
    assert dbfs(clip) <= -5.9
    assert abs(clip[-1]) < 1e-4


def test_builtin_is_deterministic_and_read_only() -> None:
    sounds.builtin.cache_clear()
    first = sounds.builtin("bell").copy()
    sounds.builtin.cache_clear()
    assert np.array_equal(first, sounds.builtin("bell"))
    with pytest.raises(ValueError):
        sounds.builtin("bell")[0] = 1.0


def test_bell_rings_about_three_seconds_at_minus_6_dbfs() -> None:
    bell = sounds.builtin("bell")
    assert dbfs(bell) == pytest.approx(-6.0, abs=0.1)
    late = bell[int(3.0 * SAMPLE_RATE) : int(3.25 * SAMPLE_RATE)]
    assert -45 < dbfs(late) < -15  # still ringing, much quieter


def test_beep_is_880_hz_for_150_ms() -> None:
    beep = sounds.builtin("beep")
    assert len(beep) == int(0.15 * SAMPLE_RATE)
    spectrum = np.abs(np.fft.rfft(beep, 8 * len(beep)))
    peak_hz = np.fft.rfftfreq(8 * len(beep), 1 / SAMPLE_RATE)[np.argmax(spectrum)]
    assert peak_hz == pytest.approx(880, abs=5)


def test_unknown_builtin_is_an_input_error() -> None:
    with pytest.raises(InputError, match="bell"):
        sounds.builtin("gong")


def test_advance_is_shorter_than_the_ring() -> None:
    assert sounds.advance_s("bell") < len(sounds.builtin("bell")) / SAMPLE_RATE
    assert sounds.advance_s(SoundRef("bowl")) == sounds.ADVANCE_S["bowl"]


@pytest.mark.parametrize("shape", ["rise", "fall"])
def test_tone_length_level_and_fades(shape: str) -> None:
    length = int(4.3 * SAMPLE_RATE)
    tone = sounds.tone(shape, length)
    assert len(tone) == length
    assert dbfs(tone) == pytest.approx(sounds.TONE_PEAK_DBFS, abs=1.5)
    assert abs(tone[0]) < 1e-6 and abs(tone[-1]) < 1e-3
    assert len(sounds.tone(shape, 0)) == 0


def test_tone_rises_and_falls() -> None:
    def pitch(x: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        return float(np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)[np.argmax(spectrum)])

    n = 4 * SAMPLE_RATE
    rise, fall = sounds.tone("rise", n), sounds.tone("fall", n)
    quarter = SAMPLE_RATE // 2
    assert pitch(rise[quarter : 2 * quarter]) < pitch(rise[-2 * quarter : -quarter])
    assert pitch(fall[quarter : 2 * quarter]) > pitch(fall[-2 * quarter : -quarter])


@pytest.mark.parametrize("name", sorted(sounds.AMBIENCES))
def test_ambience_is_the_same_whatever_the_block_size(name: str) -> None:
    n = sounds.CHUNK * 2 + 12345
    whole = sounds.ambience(name, seed=3).block(1000, n)
    bed = sounds.ambience(name, seed=3)
    parts = np.concatenate([bed.block(1000 + i, min(4099, n - i)) for i in range(0, n, 4099)])
    assert np.array_equal(whole, parts)
    assert not np.array_equal(whole, sounds.ambience(name, seed=4).block(1000, n))


@pytest.mark.parametrize("name", sorted(sounds.AMBIENCES))
def test_ambience_level_and_no_jumps_at_chunk_edges(name: str) -> None:
    x = sounds.ambience(name).block(0, 3 * sounds.CHUNK)
    rms_db = 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    assert -24 < rms_db < -16
    assert dbfs(x) < -1
    step = np.abs(np.diff(x))
    edges = [sounds.CHUNK - 1, 2 * sounds.CHUNK - 1]
    assert step[edges].max() < 6 * step.mean() + 1e-3


def test_ambience_far_blocks_need_no_history() -> None:
    bed = sounds.ambience("rain")
    hour = 3600 * SAMPLE_RATE
    assert np.array_equal(bed.block(hour, 1000), sounds.ambience("rain").block(hour, 1000))


def test_unknown_ambience_is_an_input_error() -> None:
    with pytest.raises(InputError, match="ocean"):
        sounds.ambience("wind")


def test_load_file_decodes_and_resamples(tmp_path) -> None:
    import wave

    path = tmp_path / "clip.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        frames = (np.sin(np.arange(22050) / 10) * 10000).astype("<i2")
        w.writeframes(np.repeat(frames, 2).tobytes())
    clip = sounds.load_file(str(path))
    assert clip.dtype == np.float32
    assert abs(len(clip) - SAMPLE_RATE) < 64
    assert sounds.advance_s(SoundRef("clip", str(path))) == len(clip) / SAMPLE_RATE


def test_load_file_errors_are_input_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        sounds.load_file(str(tmp_path / "missing.wav"))
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"this is not audio at all" * 20)
    with pytest.raises(InputError, match="cannot decode"):
        sounds.load_file(str(bad))


def test_a_sound_file_longer_than_the_cap_is_an_input_error(tmp_path, monkeypatch) -> None:
    import wave

    monkeypatch.setattr(sounds, "MAX_SOUND_FILE_S", 0.5)
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.full(8000, 1000, dtype="<i2").tobytes())  # 1 s
    with pytest.raises(InputError, match="longer than") as err:
        sounds.load_file(str(path))
    assert "background" in (err.value.hint or "")


def test_a_builtin_is_made_once_per_cache_and_read_back_the_same(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path))
    made = sounds._kept("bell")  # made, and kept in the cache folder
    (kept,) = (tmp_path / "sounds").glob("bell-*.f32")
    with monkeypatch.context() as m:
        m.setitem(sounds._MAKERS, "bell", lambda: pytest.fail("made again"))
        again = sounds._kept("bell")
    assert again.dtype == np.float32 and again.tobytes() == made.tobytes()
    assert made.tobytes() == sounds._bell().tobytes()
    kept.write_bytes(kept.read_bytes()[:-40] + bytes(40))  # damaged: made again, rewritten
    assert sounds._kept("bell").tobytes() == made.tobytes()
    assert sounds._kept("bell").tobytes() == made.tobytes()
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a folder")  # cannot keep it: made each time
    assert sounds._kept("bell").tobytes() == made.tobytes()


def test_a_breathing_tone_is_kept_per_shape_and_length(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path))
    sounds._tone.cache_clear()
    made = sounds._make_tone("rise", 44100)
    assert sounds.tone("rise", 44100).tobytes() == made.tobytes()
    (kept,) = (tmp_path / "sounds").glob("tone-rise-44100-*.f32")
    sounds._tone.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(sounds, "_make_tone", lambda *_: pytest.fail("made again"))
        assert sounds.tone("rise", 44100).tobytes() == made.tobytes()
    assert sounds.tone("fall", 44100).tobytes() != made.tobytes()
    assert len(list((tmp_path / "sounds").glob("tone-*.f32"))) == 2
    sounds._tone.cache_clear()
