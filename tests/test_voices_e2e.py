"""Voices end to end: a Piper render checked against its timeline, the
lexicon deciding what is spoken for both engines, choosing engines and
voices from the command line, and the errors for ones not installed.

Piper tests need the ``neural`` extra (``make test`` installs it) and are
skipped, saying so, only when it is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.pipeline import Options, prepare, render
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Utterance
from cuecast.voices import hibari, pico, piper
from cuecast.voices.cache import Cache
from cuecast.voices.registry import canonical_name
from cuecast.voices.speaker import Speaker
from tests.audio import assert_length_matches, assert_sounds_start_on_time, decode

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

SHORT = Path(__file__).parent / "e2e" / "scripts" / "short.yaml"
needs_piper = pytest.mark.skipif(
    not piper.available(),
    reason="the neural extra is not installed (pip install 'cuecast[neural]'); "
    "`make test` installs it",
)
ENGINES = [
    "pyttsx3", pytest.param("piper", marks=needs_piper),
    pytest.param("hibari", marks=pytest.mark.skipif(not hibari.available(), reason="no hibari")),
    pytest.param("pico", marks=pytest.mark.skipif(not pico.available(), reason="no py-nanotts")),
]


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def no_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as if the neural extra were not installed (neither piper nor
    hibari; ``available`` is asked in the piper package's modules)."""
    monkeypatch.setattr(piper.voices, "available", lambda: False)
    monkeypatch.setattr(piper.engine, "available", lambda: False)
    monkeypatch.setattr(hibari, "available", lambda: False)


# --- a piper render lands on its timeline ------------------------------------------


@pytest.fixture(scope="module")
def piper_render(tmp_path_factory: pytest.TempPathFactory):
    if not piper.available():
        pytest.skip("the neural extra is not installed (pip install 'cuecast[neural]')")
    out = tmp_path_factory.mktemp("piper")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CUECAST_CACHE_DIR", str(out / "cache"))
        options = Options(engine="piper", loudness_lufs=None)
        prepared = prepare(SHORT, options)
        result = render(SHORT, out / "short.wav", options)
        planned = json.loads(run("plan", str(SHORT), "--json", "--engine", "piper").stdout)
        yield prepared, result, planned


@pytest.mark.e2e
def test_piper_speech_starts_where_the_timeline_says(piper_render) -> None:
    prepared, result, _ = piper_render
    samples = decode(result.path)
    assert assert_sounds_start_on_time(samples, result.timeline, prepared.speaker) >= 10
    assert_length_matches(samples, result.timeline)


@pytest.mark.e2e
def test_piper_render_records_engine_and_voice(piper_render) -> None:
    _, result, _ = piper_render
    voice = json.loads(Path(result.timeline_path).read_text("utf-8"))["voice"]
    assert (voice["engine"], voice["voice"], voice["rate"]) == ("piper", "en_US-joe-medium", 150)
    assert "others" not in voice


@pytest.mark.e2e
def test_plan_and_render_agree_with_piper(piper_render) -> None:
    """Plan says the length render makes, to the sample (the default voice:
    tests/test_engines.py)."""
    _, result, planned = piper_render
    assert planned["voice"]["engine"] == "piper"
    planned_samples = round(planned["duration"] * planned["sample_rate"])
    assert planned_samples == result.timeline.length == len(decode(result.path))


# --- the lexicon decides what is spoken --------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_lexicon_respelling_is_what_is_spoken(engine: str, tmp_path: Path) -> None:
    """Synthesised apart (two caches), the line with the word and the line
    with its respelling are the same samples; without the entry they differ."""

    def clip(text: str, lexicon: list[tuple[str, str]], cache: str) -> np.ndarray:
        speaker = Speaker(engine, lexicon=lexicon, cache=Cache(tmp_path / cache))
        return speaker.clip(Utterance(text, VoiceSpec()))

    respelled = clip("Release the psoas.", [("psoas", "soeus")], "a")
    spoken = clip("Release the soeus.", [], "b")
    plain = clip("Release the psoas.", [], "c")
    assert np.array_equal(respelled, spoken)
    assert not np.array_equal(respelled, plain)


# --- choosing engines and voices -----------------------------------------------------


def test_voices_lists_per_language_default_first_in_aligned_columns() -> None:
    result = run("voices")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header, first = lines[0], lines[1]
    assert header.split() == ["ENGINE", "VOICE", "LANGUAGE", "GENDER", "HZ", "STATUS", "DEFAULT",
                              "FOR", "DESCRIPTION"]  # fmt: skip
    if hibari.available():
        assert first.split()[:7] == ["hibari", "heart", "en-US", "female", "24000", "installed",
                                     "en"]  # fmt: skip
    columns = [header.index(name) for name in ("VOICE", "LANGUAGE", "GENDER", "DESCRIPTION")]
    for line in lines[1:]:  # every row starts its columns where the header does
        assert all(line[c - 2 : c] == "  " and line[c] != " " for c in columns), line
    by_language: dict[str, list[str]] = {}
    for line in lines[1:]:
        by_language.setdefault(line.split()[2].split("-")[0].lower(), []).append(line)
    assert list(by_language) == ["en", "de", "fr", "es", "it", "pt", "nl"]  # one block each
    default_at = header.index("DEFAULT FOR")
    for language, rows in by_language.items():  # the language's default first
        assert rows[0][default_at:].split()[0] == language, rows[0]
    engines = [line.split()[0] for line in by_language["en"][1:] if " installed " in line]
    order = ["hibari", "piper", "pico", "pyttsx3"]
    assert engines == sorted(engines, key=order.index)  # then by engine
    assert "(male)" not in result.stdout  # espeak-ng says it of every voice
    assert 15 < len(lines) < 40 and "more espeak-ng voices: cuecast voices --all" in result.stderr
    assert ("rhasspy/piper-voices" if piper.available() else "cuecast[neural]") in result.stderr


def test_voices_all_and_by_language() -> None:
    every = run("voices", "--all").stdout.splitlines()
    assert len(every) > 100 and any(" yue " in line for line in every)
    german = [line.split() for line in run("voices", "--language", "de").stdout.splitlines()]
    espeak = ["pyttsx3", "gmw/de", "de", "-", "22050", "installed"]
    if pico.available():
        assert german[1:] == [["pico", "pico-de", "de-DE", "female", "16000", "installed", "de",
                               "SVOX", "Pico,", "German"], [*espeak, "German"]]  # fmt: skip
    else:
        assert german[1:] == [[*espeak, "de", "German"]]
    data = json.loads(run("voices", "--language", "en", "--json").stdout)
    assert {v["language"].split("-")[0].lower() for v in data} == {"en"}


def test_voices_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    no_piper(monkeypatch)
    result = run("voices")
    assert result.exit_code == 0
    assert "piper" not in result.stdout
    english = "pico pico-en-us" if pico.available() else "pyttsx3 gmw/en-US"
    assert f"(English: {english} at 150 wpm)" in result.stderr
    assert result.stderr.rstrip().endswith(
        "More voices: pip install 'cuecast[neural]' adds hibari and piper, natural-sounding "
        "offline neural voices."
    )


def test_best_engine_is_the_default_and_neural_only_when_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fallback = "pico" if pico.available() else "pyttsx3"
    expected = "hibari" if hibari.available() else "piper" if piper.available() else fallback
    assert canonical_name("best", "en-US") == canonical_name("auto") == expected
    assert canonical_name(None, "en") == expected  # the default is best
    assert canonical_name("best", "de") == fallback  # no neural German voice
    no_piper(monkeypatch)
    assert canonical_name("best") == canonical_name(None) == fallback


@needs_piper
def test_a_voice_name_selects_its_engine(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nsteps: [{say: Hi.}]\n")
    voice = json.loads(run("plan", path, "--json", "--voice", "joe").stdout)["voice"]
    assert (voice["engine"], voice["voice"]) == ("piper", "en_US-joe-medium")
    voice = json.loads(run("plan", path, "--json", "--voice", "en-gb").stdout)["voice"]
    assert (voice["engine"], voice["voice"]) == ("pyttsx3", "gmw/en")
    script = write(tmp_path, "title: T\nvoice: {engine: pyttsx3}\nsteps: [{say: Hi.}]\n")
    voice = json.loads(run("plan", script, "--json", "--voice", "joe").stdout)["voice"]
    assert voice["engine"] == "piper"  # the command line's voice brings its engine
    wrong = run("plan", path, "--engine", "pyttsx3", "--voice", "joe")
    assert wrong.exit_code == 2
    assert wrong.stderr.startswith("cuecast: error: --voice joe: the pyttsx3 engine has no")
    assert "'joe' is a piper voice" in wrong.stderr


def test_an_unknown_voice_on_the_command_line_names_the_option(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nsteps: [{say: Hi.}]\n")
    result = run("plan", path, "--voice", "nobody-at-all")
    assert result.exit_code == 2
    assert "--voice nobody-at-all: no installed engine has a voice" in result.stderr
    assert str(path) not in result.stderr  # not blamed on a line of the script


def test_engine_voice_and_rate_options_override_the_script(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nvoice: {name: en-gb, rate: 120}\nsteps: [{say: Hi.}]\n")
    as_written = json.loads(run("plan", path, "--json").stdout)["voice"]
    assert (as_written["engine"], as_written["voice"], as_written["rate"]) == (
        "pyttsx3", "gmw/en", 120,
    )  # fmt: skip
    result = run("plan", path, "--json", "--voice", "en-us", "--rate", "170")
    voice = json.loads(result.stdout)["voice"]
    assert (voice["voice"], voice["rate"]) == ("gmw/en-US", 170)


def test_timeline_lists_the_other_voices_a_script_uses(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "title: T\nvoice: {name: en-us}\nsteps:\n  - say: One.\n"
        "  - say: Two.\n    voice: {name: en-gb, rate: 130}\n  - say: Three.\n",
    )
    voice = json.loads(run("plan", path, "--json").stdout)["voice"]
    assert voice["voice"] == "gmw/en-US"
    assert [(v["engine"], v["voice"], v["rate"]) for v in voice["others"]] == [
        ("pyttsx3", "gmw/en", 130)
    ]


@needs_piper
def test_script_can_choose_piper(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nvoice: {engine: piper, rate: 170}\nsteps: [{say: Hi.}]\n")
    voice = json.loads(run("plan", path, "--json").stdout)["voice"]
    assert (voice["engine"], voice["voice"], voice["rate"]) == ("piper", "en_US-joe-medium", 170)


# --- engines and voices that are not there ---------------------------------------------


def test_unknown_engine_is_exit_2_saying_how_to_install(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nsteps: [{say: Hi.}]\n")
    result = run("plan", path, "--engine", "nosuch")
    assert result.exit_code == 2
    assert "unknown speech engine 'nosuch'" in result.stderr
    assert "pip install 'cuecast[neural]'" in result.stderr
    assert result.stdout == ""


def test_script_naming_piper_without_the_extra_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_piper(monkeypatch)
    path = write(tmp_path, "title: T\nvoice: {engine: piper, name: joe}\nsteps: [{say: Hi.}]\n")
    result = run("render", path, "-o", str(tmp_path / "out.wav"))
    assert result.exit_code == 2
    assert "piper" in result.stderr and "pip install 'cuecast[neural]'" in result.stderr
    assert not (tmp_path / "out.wav").exists()


@needs_piper
def test_script_naming_a_piper_voice_not_installed_is_exit_2(tmp_path: Path) -> None:
    path = write(
        tmp_path, "title: T\nvoice: {engine: piper, name: en_GB-alba-medium}\nsteps: [{say: Hi.}]\n"
    )
    result = run("plan", path)
    assert result.exit_code == 2
    assert "unknown piper voice 'en_GB-alba-medium'" in result.stderr
    assert "rhasspy/piper-voices" in result.stderr


def test_voices_errors_and_empty_languages_say_so() -> None:
    wrong = run("voices", "--engine", "espek")
    assert wrong.exit_code == 2 and "--engine espek: unknown speech engine" in wrong.stderr
    none = run("voices", "--language", "xx")
    assert none.exit_code == 0 and none.stdout == ""
    assert "No installed voice for language 'xx'" in none.stderr
