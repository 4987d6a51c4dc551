"""The Python API: cuecast.plan / render / audio_segment, options as on the
command line, scripts as paths or mappings, and the stage modules that keep
working under the same names."""

from __future__ import annotations

import json
import os
import wave
from pathlib import Path

import numpy as np
import pytest

import cuecast
from cuecast.errors import InputError

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

ROOT = Path(__file__).resolve().parent.parent
SHORT = ROOT / "tests" / "e2e" / "scripts" / "short.yaml"
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
PY = {"engine": "pyttsx3"}  # fast; the default engine (best) is Piper


def test_the_verbs_are_functions_and_the_stages_modules_of_their_own() -> None:
    import inspect

    import cuecast.pipeline
    import cuecast.planner
    from cuecast import api

    assert cuecast.plan is api.plan and cuecast.render is api.render
    assert cuecast.audio_segment is api.audio_segment and cuecast.Result is api.Result
    for verb in (cuecast.plan, cuecast.render, cuecast.audio_segment):
        assert inspect.isfunction(verb) and verb.__module__ == "cuecast.api"
    assert type(cuecast.pipeline) is type(inspect) and type(cuecast.planner) is type(inspect)
    assert not callable(cuecast.pipeline) and not callable(cuecast.planner)
    assert cuecast.Timeline.__name__ == "Timeline"
    with pytest.raises(AttributeError):
        cuecast.nothing_here  # noqa: B018


def test_plan_takes_options_as_on_the_command_line() -> None:
    as_number = cuecast.plan(SHORT, sets={"hold": 45}, **PY)
    as_text = cuecast.plan(SHORT, set=["hold=45s"], **PY)
    assert as_number.length == as_text.length
    hold = next(e for e in as_number.events if e.kind == "hold")
    assert hold.end - hold.start == 45 * 44100
    assert repr(as_number).startswith("Timeline('Short Session', 1:")
    assert repr(as_number).endswith("events, pyttsx3)")


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"sets": {"hodl": 3}}, "--set hodl=3: the script has no var 'hodl'"),
        ({"rate": 45}, "rate 45 wpm is out of range; use 80 to 400 wpm"),
        ({"bitrate": 8}, "bitrate 8 kbit/s is out of range; use 16 to 320 kbit/s"),
        ({"loudness": "loud"}, "loudness must be a number"),
        ({"engnie": "piper"}, "unknown option 'engnie'"),
        ({"voice": "nobody"}, "voice nobody: the pyttsx3 engine has no voice"),  # not --voice
    ],
)
def test_bad_options_are_input_errors_naming_the_option(options: dict, says: str) -> None:
    with pytest.raises(InputError) as err:
        cuecast.plan(SHORT, **{**PY, **options})
    assert says in str(err.value)
    if "voice" in options:
        assert str(err.value).startswith(says)
    if "engnie" in options:
        assert err.value.hint == "Did you mean 'engine'?"


def test_a_script_may_be_a_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    script = {
        "title": "Built in Python",
        "vars": {"hold": {"value": "5s", "min": "2s", "max": "10s"}},
        "steps": [{"say": "Hold for {hold}."}, {"hold": "$hold"}],
    }
    timeline = cuecast.plan(script, sets={"hold": 3}, **PY)
    assert timeline.events[0].text == "Hold for three seconds."
    assert os.listdir(tmp_path) == []  # the mapping's file is gone
    with pytest.raises(InputError) as err:
        cuecast.plan(script, sets={"hold": "20s"}, **PY)
    assert str(err.value).startswith("<mapping>:vars.hold: --set hold=20s: 'hold' must be at most")
    with pytest.raises(InputError) as err:
        cuecast.plan({**script, "steps": [*script["steps"], {"hold": "soon"}]}, **PY)
    assert err.value.file == "<mapping>" and err.value.key == "steps[2].hold"
    result = cuecast.render(script, loudness="off", **PY)
    assert result.path == "built-in-python.mp3" and (tmp_path / "built-in-python.mp3").exists()
    # its timeline.json says where in the mapping, as plan's timeline does: no YAML lines
    written = json.loads((tmp_path / "built-in-python.timeline.json").read_text())
    assert [(e["line"], e["key"]) for e in written["events"]][:2] == [(None, "steps[0]"),
                                                                      (None, "steps[1]")]
    assert written["events"] == cuecast.plan(script, **PY).to_json()["events"]


def test_render_writes_name_format_here_and_reads_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cuecast.render(str(SHORT), **PY)
    assert (result.path, result.timeline_path) == ("short.mp3", "short.timeline.json")
    assert repr(result).startswith("Result('short.mp3', 0:")
    assert repr(result).endswith(" LUFS)") and result.loudness_lufs is not None
    nested = cuecast.render(SHORT, tmp_path / "a" / "b" / "s.ogg", loudness="off", **PY)
    assert Path(nested.path).stat().st_size > 1000 and nested.loudness_lufs is None


def test_audio_segment_is_the_wav_render(tmp_path: Path) -> None:
    segment = cuecast.audio_segment(SHORT, **PY)
    result = cuecast.render(SHORT, tmp_path / "s.wav", **PY)
    with wave.open(result.path, "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        assert (segment.frame_rate, segment.channels) == (wav.getframerate(), wav.getnchannels())
    assert segment.frame_count() == result.timeline.length
    assert segment.raw_data == frames
    samples = np.array(segment.get_array_of_samples())
    assert np.abs(samples).max() > 1000  # speech, not silence


@pytest.mark.e2e
def test_audio_segment_of_the_seed_is_as_long_as_its_timeline() -> None:
    segment = cuecast.audio_segment(str(SEED), loudness="off", **PY)  # the length is the point
    timeline = cuecast.plan(str(SEED), **PY)  # the speech is cached: no second synthesis
    assert segment.frame_count() == timeline.length
    assert abs(len(segment) - round(timeline.duration_s * 1000)) <= 1  # pydub counts ms


def test_render_options_take_numbers_for_sets() -> None:
    """``Options(sets={"hold": 45})`` crashed with AttributeError; a number
    is now its text, seconds for a duration var."""
    from cuecast.pipeline import Options, prepare

    timeline = prepare(SHORT, Options(sets={"hold": 45}, engine="pyttsx3")).timeline  # type: ignore[dict-item]
    hold = next(e for e in timeline.events if e.kind == "hold")
    assert hold.end - hold.start == 45 * 44100
