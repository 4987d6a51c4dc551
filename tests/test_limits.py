"""One range per option: the command line, the script loader, the engines
and the encoder all keep to ``cuecast.limits``, and say the limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast import limits
from cuecast.cli import main
from cuecast.encode import EncodeSettings
from cuecast.errors import InputError
from cuecast.script import load
from cuecast.script.model import VoiceSpec
from cuecast.voices import piper
from cuecast.voices.registry import get_engine

SHORT = Path(__file__).parent / "e2e" / "scripts" / "short.yaml"


def test_range_text_and_problem() -> None:
    assert limits.RATE_WPM.text() == "80 to 400 wpm"
    assert limits.LOUDNESS_LUFS.text() == "-40 to -5 LUFS"
    assert limits.RATE_WPM.problem("--rate", 120) is None
    said = limits.RATE_WPM.problem("--rate", 45)
    assert said == "--rate 45 wpm is out of range; use 80 to 400 wpm"
    assert 400 in limits.RATE_WPM and 400.5 not in limits.RATE_WPM and "x" not in limits.RATE_WPM


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--rate", "45"], "--rate 45 wpm is out of range; use 80 to 400 wpm"),
        (["--rate", "quick"], "--rate must be a number, not 'quick'; use 80 to 400 wpm"),
        (["--bitrate", "8"], "--bitrate 8 kbit/s is out of range; use 16 to 320 kbit/s"),
        (["--bitrate", "96.5"], "--bitrate must be a whole number; it is 96.5"),
        (["--jobs", "0"], "--jobs 0 is out of range; use 1 to 256"),
        (["--loudness", "-50"], "--loudness -50 LUFS is out of range; use -40 to -5 LUFS"),
        (["--engine", "espek"], "--engine espek: unknown speech engine"),
        (["--captions", "vtt,xyz"], "--captions vtt,xyz: unknown caption format 'xyz'; use any"),
        (["--track", "abc"], "--track abc: track 'abc' is not a number or N/TOTAL"),
        (["--profile", "gentel"], "--profile gentel: this script has no profile 'gentel'"),
    ],
)
def test_a_command_line_value_names_the_option_and_the_limit(args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, ["render", str(SHORT), "-o", "never.mp3", *args])
    assert result.exit_code == 2
    assert says in result.stderr
    assert not re.search(r"short\.yaml:\d+:", result.stderr)  # not blamed on a script line
    assert not Path("never.mp3").exists()


def test_the_script_and_every_engine_keep_to_the_same_rate(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nvoice: {rate: 450}\nsteps: [{say: Hi.}]\n")
    with pytest.raises(InputError, match="voice rate must be a number from 80 to 400") as e:
        load(script)
    assert e.value.line == 2
    assert (piper.MIN_RATE_WPM, piper.MAX_RATE_WPM) == (limits.RATE_WPM.low, limits.RATE_WPM.high)
    with pytest.raises(InputError, match="80 to 400"):
        get_engine("pyttsx3").resolve(VoiceSpec(rate_wpm=79), "en")


def test_the_encoder_keeps_to_the_bitrate_range() -> None:
    from cuecast.encode import _check_settings

    with pytest.raises(InputError, match="bitrate 8 kbit/s is out of range; use 16 to 320 kbit/s"):
        _check_settings(EncodeSettings(fmt="mp3", bitrate_kbps=8))
    _check_settings(EncodeSettings(fmt="mp3", bitrate_kbps=16))
