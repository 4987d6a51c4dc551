"""``cuecast voices --say TEXT --voice NAME [-o FILE]``: a short sample,
written (any output format) or played, else written beside you."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.cli import voices as voices_cli
from tests.audio import decode

pytestmark = pytest.mark.e2e  # real engines and ffmpeg


def run(*args: str):
    return CliRunner().invoke(main, ["voices", *args])


@pytest.mark.parametrize("name", ["sample.wav", "sample.mp3"])
def test_say_writes_the_sample(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = run("--say", "Breathe in slowly.", "--voice", "en-gb", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Wrote {out} (pyttsx3 gmw/en)")
    samples = decode(str(out))
    assert 0.5 < len(samples) / 44100 < 4 and np.abs(samples).max() > 0.1
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary left


def test_a_voice_alone_says_its_languages_sentence(tmp_path: Path) -> None:
    out = tmp_path / "de.wav"
    result = run("--voice", "gmw/de", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert len(decode(str(out))) / 44100 > 1.5  # "Atme langsam ein, ..."


def test_without_a_player_the_sample_is_written_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices_cli, "PLAYERS", ())
    monkeypatch.chdir(tmp_path)
    result = run("--say", "Hello.", "--voice", "en-us")
    assert result.exit_code == 0, result.stderr
    assert "No audio player found; wrote voice-sample.wav" in result.stderr
    assert len(decode(str(tmp_path / "voice-sample.wav"))) > 0


def test_bad_requests_name_the_option(tmp_path: Path) -> None:
    nobody = run("--say", "Hi.", "--voice", "nobody-at-all", "-o", str(tmp_path / "x.wav"))
    assert nobody.exit_code == 2 and "--voice nobody-at-all: no installed engine" in nobody.stderr
    long = run("--say", "a" * 401, "-o", str(tmp_path / "x.wav"))
    assert long.exit_code == 2 and "--say: the sample text is 401 characters" in long.stderr
    alone = run("-o", str(tmp_path / "x.wav"))
    assert alone.exit_code == 2 and "give --say TEXT or --voice NAME" in alone.stderr
    bad_format = run("--say", "Hi.", "-o", str(tmp_path / "x.xyz"))
    assert bad_format.exit_code == 2 and "cannot tell the output format" in bad_format.stderr
    assert not list(tmp_path.iterdir())  # nothing half-written
