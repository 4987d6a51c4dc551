"""The speaker over the real espeak engine (through pyttsx3's binding)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cuecast.errors import EngineError, InputError
from cuecast.script.model import VoiceSpec
from cuecast.timeline import SAMPLE_RATE, Utterance
from cuecast.voices import workers as workers_module
from cuecast.voices.base import Synthesis
from cuecast.voices.registry import get_engine
from cuecast.voices.speaker import Speaker, compile_lexicon

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

LINE = "Lie on your belly, and rest your forehead on your hands."


def utt(text: str = LINE, **voice) -> Utterance:
    return Utterance(text, VoiceSpec(**voice))


# --- engines used to test failures (loaded by name in worker processes) --------


class HangingEngine:
    name = "hang"

    def version(self) -> str:
        return "hang 1"

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        return VoiceSpec(engine=self.name, name="x", rate_wpm=150.0, volume=1.0)

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        time.sleep(120)
        raise AssertionError("unreachable")

    def voices(self) -> list:
        return []


class FailingEngine(HangingEngine):
    name = "fail"

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        print("noise on stdout")
        raise RuntimeError("the synthesiser broke")


# --- the engine ------------------------------------------------------------------


def test_espeak_is_deterministic() -> None:
    engine = get_engine("pyttsx3")
    voice = engine.resolve(VoiceSpec(), "en")
    first = engine.synthesize(LINE, voice)
    engine.synthesize(
        "Something else, at another rate.", VoiceSpec(**{**voice.__dict__, "rate_wpm": 200.0})
    )
    again = engine.synthesize(LINE, voice)
    assert first.rate == 22050
    assert first.samples.dtype == np.int16
    assert np.array_equal(first.samples, again.samples)


def test_espeak_resolves_defaults_for_a_language() -> None:
    engine = get_engine("espeak")
    assert engine is get_engine("pyttsx3")
    voice = engine.resolve(VoiceSpec(), "en")
    assert voice.name.lower().endswith("en-us")
    assert (voice.rate_wpm, voice.pitch, voice.volume) == (150.0, 50.0, 1.0)
    assert engine.resolve(VoiceSpec(name="EN-GB"), "en").name.lower() == "gmw/en"
    assert "de" in engine.resolve(VoiceSpec(), "de-AT").name


def test_unknown_voice_lists_close_names() -> None:
    with pytest.raises(InputError, match="no voice 'en-usa'") as err:
        Speaker("pyttsx3", base_voice=VoiceSpec(name="en-usa")).resolve(VoiceSpec())
    assert "en-US" in str(err.value)


def test_out_of_range_rate_is_an_input_error() -> None:
    with pytest.raises(InputError, match="rate"):
        Speaker("pyttsx3").resolve(VoiceSpec(rate_wpm=5))


def test_unknown_engine_says_did_you_mean() -> None:
    with pytest.raises(InputError, match="espeak"):
        Speaker("espek").resolve(VoiceSpec())


def test_voices_lists_english() -> None:
    names = {v.name.lower() for v in get_engine("pyttsx3").voices()}
    assert "gmw/en-us" in names


# --- the speaker -----------------------------------------------------------------


def test_voice_layers_line_over_script_under_override() -> None:
    speaker = Speaker(
        "pyttsx3", base_voice=VoiceSpec(rate_wpm=120, pitch=40), override=VoiceSpec(pitch=60)
    )
    voice = speaker.resolve(VoiceSpec(rate_wpm=130, pitch=45))
    assert (voice.engine, voice.rate_wpm, voice.pitch) == ("pyttsx3", 130.0, 60.0)


def test_clip_is_trimmed_to_the_speech() -> None:
    speaker = Speaker("pyttsx3")
    clip = speaker.clip(utt())
    assert clip.dtype == np.float32
    assert speaker.length(utt()) == len(clip)
    loud = np.flatnonzero(np.abs(clip) > 10 ** (-50 / 20))
    assert loud[0] <= 0.003 * SAMPLE_RATE
    assert len(clip) - 1 - loud[-1] <= 0.012 * SAMPLE_RATE
    assert 20 * np.log10(np.abs(clip).max()) == pytest.approx(-3.0, abs=0.05)
    assert abs(clip[0]) < 1e-3 and abs(clip[-1]) < 1e-3


def test_volume_scales_the_levelled_clip() -> None:
    speaker = Speaker("pyttsx3")
    full, half = speaker.clip(utt()), speaker.clip(utt(volume=0.5))
    assert len(full) == len(half)
    assert np.abs(half).max() == pytest.approx(0.5 * np.abs(full).max(), rel=1e-3)


def test_prepare_is_deterministic_across_caches(tmp_path) -> None:
    from cuecast.voices.cache import Cache

    lines = [utt(), utt("Breathe in."), utt("And breathe out.")]
    a = Speaker("pyttsx3", cache=Cache(tmp_path / "a"))
    b = Speaker("pyttsx3", cache=Cache(tmp_path / "b"), jobs=1)
    done: list[tuple[int, int]] = []
    a.prepare(lines, lambda d, t: done.append((d, t)))
    b.prepare(reversed(lines))
    assert done[-1] == (3, 3)
    for line in lines:
        assert np.array_equal(a.clip(line), b.clip(line))


def test_cache_hit_gives_identical_samples_without_synthesis(monkeypatch) -> None:
    first = Speaker("pyttsx3").clip(utt())
    import cuecast.voices.workers as workers

    monkeypatch.setattr(workers, "run_jobs", lambda *a, **k: pytest.fail("synthesised again"))
    again = Speaker("pyttsx3")
    again.prepare([utt()])
    assert np.array_equal(first, again.clip(utt()))


def test_corrupted_cache_file_is_synthesised_again() -> None:
    speaker = Speaker("pyttsx3")
    clip = speaker.clip(utt())
    path = speaker.cache.path(speaker.job(utt()).key)
    path.write_bytes(path.read_bytes()[:1000])
    fresh = Speaker("pyttsx3")
    fresh.prepare([utt()])
    assert fresh.length(utt()) == len(clip)
    assert np.array_equal(fresh.clip(utt()), clip)


def test_a_clips_header_is_read_once_and_a_clip_gone_since_is_made_again(monkeypatch) -> None:
    """A render walks its script two or three times (a server's session
    more): each clip's length is read from the cache once per speaker;
    a clip deleted after its length was read is spoken again when loaded."""
    from cuecast.voices.cache import Cache

    made = Speaker("pyttsx3").clip(utt())
    reads: list[str] = []
    real = Cache.length

    def length(self, key):  # type: ignore[no-untyped-def]
        reads.append(key)
        return real(self, key)

    monkeypatch.setattr(Cache, "length", length)
    speaker = Speaker("pyttsx3")
    assert [speaker.length(utt()) for _ in range(3)] == [len(made)] * 3
    speaker.prepare([utt()])
    assert len(reads) == 1
    speaker.cache.path(speaker.job(utt()).key).unlink()  # trimmed from the cache meanwhile
    assert np.array_equal(speaker.clip(utt()), made)


def test_lexicon_respelling_shares_the_clip() -> None:
    respelled = Speaker("pyttsx3", lexicon=[("psoas", "SO-us")])
    plain = Speaker("pyttsx3")
    a, b = utt("Release the Psoas, slowly."), utt("Release the SO-us, slowly.")
    assert respelled.job(a).key == plain.job(b).key
    assert np.array_equal(respelled.clip(a), plain.clip(b))


def test_lexicon_whole_words_longest_first() -> None:
    say = compile_lexicon([("psoas", "SO-us"), ("psoas major", "SO-us MAY-jer"), ("QL", "Q L")])
    assert say("The PSOAS major and the psoas.") == "The SO-us MAY-jer and the SO-us."
    assert say("psoas-like, psoases, 'psoas'") == "psoas-like, psoases, 'SO-us'"
    assert say("the ql (QL) muscle") == "the Q L (Q L) muscle"
    hyphen = compile_lexicon([("sacro-iliac", "SAY-kro ILL-ee-ak"), ("don't", "do not")])
    assert hyphen("Your sacro-iliac joint; don't.") == "Your SAY-kro ILL-ee-ak joint; do not."


def test_nothing_leaks_to_stdout_or_stderr(capfd) -> None:
    speaker = Speaker("pyttsx3")
    speaker.prepare([utt("A line for the quiet test.")])
    engine = get_engine("pyttsx3")
    engine.synthesize("In this process too.", speaker.resolve(VoiceSpec()))
    speaker.describe()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_describe_names_engine_voice_rate_and_version() -> None:
    info = Speaker("pyttsx3", base_voice=VoiceSpec(rate_wpm=140)).describe()
    assert info["engine"] == "pyttsx3" and info["rate"] == 140.0
    assert "espeak-ng" in info["version"] and info["voice"].lower() == "gmw/en-us"


def test_failing_engine_is_an_engine_error_naming_the_line(capfd) -> None:
    speaker = Speaker("tests.test_speaker:FailingEngine")
    with pytest.raises(EngineError, match="Breathe in.*the synthesiser broke"):
        speaker.prepare([utt("Breathe in.")])
    assert capfd.readouterr() == ("", "")


def test_hanging_engine_is_killed_after_its_timeout(monkeypatch) -> None:
    monkeypatch.setattr(workers_module, "TIMEOUT_BASE_S", 0.5)
    monkeypatch.setattr(workers_module, "TIMEOUT_PER_CHAR_S", 0.0)
    monkeypatch.setattr(workers_module, "STARTUP_TIMEOUT_S", 0.5)
    speaker = Speaker("tests.test_speaker:HangingEngine")
    # The engine sleeps 120 s: only the timeout's kill gives this error
    # (benchmarks/unit_timings.py times it against the timeout).
    with pytest.raises(EngineError, match=r"did not finish 'Hold it.' within \d+ s \(killed\)"):
        speaker.prepare([utt("Hold it.")])


def test_list_voices_covers_engines_and_notes_failures() -> None:
    from cuecast.voices import list_voices

    found, notes = list_voices("espeak")
    assert found and all(v.engine == "pyttsx3" for v in found) and notes == []
    with pytest.raises(InputError):
        list_voices("nope")


def test_espeak_uses_the_wheels_library_and_data() -> None:
    import os

    import espeakng_loader

    get_engine("pyttsx3").version()  # loads the library
    assert os.environ["ESPEAK_DATA_PATH"] == espeakng_loader.get_data_path()
    with open("/proc/self/maps") as maps:
        loaded = {line.split()[-1] for line in maps if "libespeak" in line}
    assert loaded == {espeakng_loader.get_library_path()}
