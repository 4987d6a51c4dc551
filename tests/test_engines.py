"""The Pico and hibari engines behind the engine interface: names, the
default per language, worker processes, the cache and determinism (same
samples in any process, whatever was spoken before), and the render that
uses them when no engine is named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.errors import InputError
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Utterance
from cuecast.voices import hibari, pico, piper, registry
from cuecast.voices.cache import Cache
from cuecast.voices.clip import finish
from cuecast.voices.registry import best_engine, canonical_name, engine_for_voice, get_engine
from cuecast.voices.speaker import Speaker

needs_pico = pytest.mark.skipif(not pico.available(), reason="py-nanotts is not installed here")
needs_hibari = pytest.mark.skipif(
    not hibari.available(), reason="the neural extra is not installed: cuecast[neural]"
)


def utt(text: str) -> Utterance:
    return Utterance(text=text, voice=VoiceSpec())


# --- names and the default per language (no synthesis) ---------------------------


@needs_pico
def test_pico_voice_names_and_language_tags() -> None:
    engine = get_engine("svox")
    assert engine is get_engine("pico")
    assert engine.resolve(VoiceSpec(), "de-AT").name == "pico-de"
    assert engine.resolve(VoiceSpec(), "en-GB").name == "pico-en-gb"
    assert engine.resolve(VoiceSpec(name="fr-FR"), "en").name == "pico-fr"
    assert engine.resolve(VoiceSpec(name="PICO-IT"), "en").name == "pico-it"
    with pytest.raises(InputError, match="no voice 'pico-pt'"):
        engine.resolve(VoiceSpec(name="pico-pt"), "pt")
    with pytest.raises(InputError, match="no voice for language 'nl'"):
        engine.resolve(VoiceSpec(), "nl")
    with pytest.raises(InputError, match="^voice rate 500 wpm is out of range; use 80 to 400 wpm$"):
        engine.resolve(VoiceSpec(rate_wpm=500), "de")
    voices = engine.voices()
    assert {v.language for v in voices} == {"en-US", "en-GB", "de-DE", "es-ES", "fr-FR", "it-IT"}
    assert all(v.gender == "female" and v.rate_hz == 16000 for v in voices)


@needs_hibari
def test_hibari_lists_its_voices_and_refuses_one_not_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari"))  # empty voice folders
    monkeypatch.setenv("CUECAST_VOICES_DIR", str(tmp_path / "cuecast"))
    engine = get_engine("hibari")
    voices = {v.name: v for v in engine.voices()}
    assert voices["heart"].installed and voices["heart"].gender == "female"
    assert voices["heart"].rate_hz == 24000
    assert not voices["fable"].installed and voices["fable"].gender == "male"
    assert engine.resolve(VoiceSpec(), "en-US").name == "heart"
    with pytest.raises(InputError, match="'fable' is not installed") as err:
        engine.resolve(VoiceSpec(name="fable"), "en")
    assert "cuecast voices get fable" in (err.value.hint or "")
    assert not list(tmp_path.iterdir())  # nothing was downloaded
    # a voice `cuecast voices get` put in the voice folder (heart's model stands in for fable)
    fable = tmp_path / "cuecast" / "hibari" / hibari.catalogue()["fable"]["file"]
    fable.parent.mkdir(parents=True)
    fable.write_bytes(Path(hibari.model_path("heart") or "").read_bytes())
    assert engine.resolve(VoiceSpec(name="fable"), "en").name == "fable"
    assert {v.name: v.installed for v in engine.voices()}["fable"]


@needs_hibari
@pytest.mark.parametrize("env", [
    {"HIBARI_HOME": "/somewhere/hibari-home"},
    {"XDG_CACHE_HOME": "/somewhere/xdg"},
    {},
])  # fmt: skip
def test_hibari_is_found_without_importing_it_where_hibari_finds_itself(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cuecast reads hibari's catalogue and finds its models without
    importing hibari (its package imports scipy's FFT), where hibari itself
    finds them: the same catalogue, the same fetched-voice folder, the same
    model paths."""
    import hibari.voices as theirs

    for name in ("HIBARI_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CUECAST_VOICES_DIR", str(tmp_path / "cuecast"))
    assert hibari.hibari_cache_dir() == theirs.cache_dir()
    assert hibari.catalogue() == theirs.VOICES
    fable = Path(theirs.cache_dir()) / theirs.VOICES["fable"]["file"]
    if not env:  # under the temporary home: a voice hibari fetched itself
        fable.parent.mkdir(parents=True)
        fable.write_bytes(b"model")
    for name in theirs.VOICES:
        try:
            path: str | None = theirs.voice_path(name, download_missing=False)
        except FileNotFoundError:
            path = None
        assert hibari.model_path(name) == path, name


@needs_hibari
def test_a_render_whose_lines_are_cached_does_not_import_hibari() -> None:
    """Choosing ``best``, resolving the voice and naming the engine's
    version (what a warm render asks of hibari) import none of it."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from cuecast.voices.registry import best_engine, get_engine\n"
            "from cuecast.script.model import VoiceSpec\n"
            "assert best_engine('en') == 'hibari'\n"
            "engine = get_engine('hibari')\n"
            "engine.resolve(VoiceSpec(), 'en-US'); engine.version(); engine.voices()\n"
            "print(sorted(m for m in sys.modules\n"
            "             if m.split('.')[0] in ('hibari', 'scipy')))\n")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_best_is_measured_per_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The order in BEST_ORDER, each engine only when installed with a voice."""
    expected_en = (
        "hibari" if hibari.available() else "piper" if piper.available()
        else "pico" if pico.available() else "pyttsx3"
    )  # fmt: skip
    assert best_engine("en-US") == canonical_name(None, "en") == expected_en
    for language in ("de", "es", "fr", "it", "de-AT"):
        assert best_engine(language) == ("pico" if pico.available() else "pyttsx3")
    assert best_engine("pt") == best_engine("nl") == best_engine("pt-BR") == "pyttsx3"
    monkeypatch.setattr(hibari, "available", lambda: False)
    assert best_engine("en") == ("piper" if piper.available() else expected_en)
    for where in ("cuecast.voices.piper.engine", "cuecast.voices.piper.voices"):
        monkeypatch.setattr(f"{where}.available", lambda: False)
    monkeypatch.setattr(pico, "available", lambda: False)  # py-nanotts has no wheel here
    assert best_engine("en") == best_engine("de") == best_engine("it") == "pyttsx3"


@needs_pico
@needs_hibari
def test_a_voice_name_brings_its_engine() -> None:
    assert engine_for_voice("heart") == "hibari"
    assert engine_for_voice("pico-de") == "pico"
    assert engine_for_voice("en-gb") == "pyttsx3"  # a bare tag stays espeak-ng's
    assert engine_for_voice("de") == "pyttsx3"
    with pytest.raises(InputError, match="no installed engine has a voice 'pico-dee'"):
        engine_for_voice("pico-dee")


def test_the_engine_order_is_every_engine() -> None:
    assert set(registry.ENGINES_FIRST) == set(registry.ENGINES) >= set(registry.VOICE_LOOKUP)


# --- real synthesis -----------------------------------------------------------------


@pytest.mark.e2e
@needs_pico
def test_pico_is_deterministic_and_follows_the_rate() -> None:
    engine = get_engine("pico")
    voice = engine.resolve(VoiceSpec(), "de")
    line = "Atme langsam ein, und wieder aus."
    first = engine.synthesize(line, voice)
    engine.synthesize("Etwas anderes.", engine.resolve(VoiceSpec(rate_wpm=220), "de"))
    again = engine.synthesize(line, voice)
    assert first.rate == 16000 and first.samples.dtype == np.int16
    assert np.array_equal(first.samples, again.samples)
    fast = engine.synthesize(line, engine.resolve(VoiceSpec(rate_wpm=300), "de"))
    ratio = len(finish(fast)) / len(finish(first))
    assert 0.45 < ratio < 0.7  # twice the rate: about half as long (pauses shrink less)


@pytest.mark.e2e
@needs_hibari
def test_hibari_is_deterministic_whatever_was_spoken_before() -> None:
    engine = get_engine("hibari")
    voice = engine.resolve(VoiceSpec(), "en")
    line = "Lie on your back. Let the floor hold you."
    first = engine.synthesize(line, voice)
    engine.synthesize("Something else entirely, at first.", voice)
    again = engine.synthesize(line, voice)
    assert first.rate == 24000
    assert np.array_equal(first.samples, again.samples)
    # two sentences joined by the scaled pause, no long silence at either end
    level = np.abs(first.samples.astype(np.float64)) / 32768
    assert level[:480].max() > 0.001 and level[-480:].max() > 0.001


@pytest.mark.e2e
@pytest.mark.parametrize(
    "engine",
    [pytest.param("pico", marks=needs_pico), pytest.param("hibari", marks=needs_hibari)],
)
def test_worker_processes_give_the_same_clips_in_any_order(engine: str, tmp_path: Path) -> None:
    lines = [utt("Breathe in."), utt("And breathe out, slowly."), utt("Rest.")]
    a = Speaker(engine, cache=Cache(tmp_path / "a"), jobs=2)
    b = Speaker(engine, cache=Cache(tmp_path / "b"), jobs=1)
    a.prepare(lines)
    b.prepare(list(reversed(lines)))
    for line in lines:
        assert a.job(line).engine == engine
        assert a.cache.path(a.job(line).key).read_bytes() == b.cache.path(
            b.job(line).key
        ).read_bytes()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("language", "engine"),
    [pytest.param("de", "pico", marks=needs_pico),
     pytest.param("en", "hibari", marks=needs_hibari)],
)  # fmt: skip
def test_plan_and_render_agree_to_the_sample_with_the_default_voice(
    language: str, engine: str, tmp_path: Path
) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(
        f"title: T\nlanguage: {language}\nsteps:\n  - say: Eins, zwei. Drei.\n"
        "  - hold: 12s\n    chime: none\n",
        encoding="utf-8",
    )
    plan = CliRunner().invoke(main, ["plan", str(script), "--json"])
    assert plan.exit_code == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert planned["voice"]["engine"] == engine
    out = tmp_path / "s.wav"
    first = CliRunner().invoke(main, ["render", str(script), "-o", str(out)])
    assert first.exit_code == 0, first.stderr
    rendered = json.loads((tmp_path / "s.timeline.json").read_text("utf-8"))
    assert rendered["events"] == planned["events"]
    assert rendered["duration"] == planned["duration"]
    data = out.read_bytes()
    again = CliRunner().invoke(main, ["render", str(script), "-o", str(out)])
    assert again.exit_code == 0 and out.read_bytes() == data  # same script, same bytes


@pytest.mark.parametrize("name", ["pyttsx3", "pico", "piper", "hibari"])
def test_every_engine_refuses_a_voice_value_out_of_range_in_the_same_words(name: str) -> None:
    """One range and one message (``cuecast.limits``, ``voices.base.voice_value``)
    for the rate and volume every engine takes (a script's loader and the command
    line say the same)."""
    engine = get_engine(name)
    for voice, says in ((VoiceSpec(rate_wpm=500), "voice rate 500 wpm is out of range; "
                                                  "use 80 to 400 wpm"),
                        (VoiceSpec(volume=2), "voice volume 2 is out of range; use 0 to 1")):
        with pytest.raises(InputError) as caught:
            engine.resolve(voice, "en")
        if "not installed" in caught.value.message:
            pytest.skip(f"{name} has no English voice installed here")
        assert caught.value.message == says
