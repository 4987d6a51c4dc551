"""End to end: real espeak-ng through pyttsx3, real ffmpeg; the decoded audio
is checked against the timeline it was rendered from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cuecast import sounds
from cuecast.pipeline import Options, prepare, render
from cuecast.timeline import SAMPLE_RATE
from tests.audio import (
    THRESHOLD,
    TOLERANCE,
    assert_length_matches,
    assert_sounds_start_on_time,
    decode,
    onset,
    peak,
    sounding,
)

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
SHORT = HERE / "scripts" / "short.yaml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    options = Options(loudness_lufs=None, engine="pyttsx3")
    prepared = prepare(SHORT, options)
    wav = render(SHORT, out / "short.wav", options)
    mp3 = render(SHORT, out / "short.mp3", options)
    return prepared, wav, mp3


@pytest.mark.parametrize("which", ["wav", "mp3"])
def test_every_isolated_sound_starts_where_the_timeline_says(rendered, which):
    prepared, wav, mp3 = rendered
    result = {"wav": wav, "mp3": mp3}[which]
    samples = decode(result.path)
    assert assert_sounds_start_on_time(samples, result.timeline, prepared.speaker) >= 10


@pytest.mark.parametrize("which", ["wav", "mp3"])
def test_length_matches_the_timeline(rendered, which):
    _, wav, mp3 = rendered
    result = {"wav": wav, "mp3": mp3}[which]
    assert_length_matches(decode(result.path), result.timeline)


def test_silence_where_nothing_is_planned(rendered):
    _, wav, _ = rendered
    samples = decode(wav.path)
    timeline = wav.timeline
    busy = np.zeros(timeline.length, dtype=bool)
    for ev in sounding(timeline):
        busy[ev.start:ev.end] = True
    quiet = np.flatnonzero(~busy)
    assert len(quiet) > 5 * SAMPLE_RATE  # the hold leaves long silences
    assert float(np.max(np.abs(samples[quiet]))) < 1e-3


def test_hold_is_exact_with_chimes_at_both_ends(rendered):
    prepared, wav, _ = rendered
    samples = decode(wav.path)
    hold = next(e for e in wav.timeline.events if e.kind == "hold")
    assert hold.end - hold.start == 12 * SAMPLE_RATE
    bell = sounds.builtin("bell")
    first = int(np.flatnonzero(np.abs(bell) > THRESHOLD)[0])
    for at in (hold.start, hold.end):
        found = onset(samples, at + first, threshold=THRESHOLD)
        assert found is not None and abs(found - (at + first)) <= TOLERANCE
    # the countdown "three, two, one" at D-3, D-2, D-1 is audible on its seconds
    for k in (3, 2, 1):
        at = hold.end - k * SAMPLE_RATE
        assert peak(samples, at, at + SAMPLE_RATE // 3) > 0.05


def test_timeline_json_is_written_beside_the_track(rendered):
    _, wav, _ = rendered
    data = json.loads(Path(wav.timeline_path).read_text())
    assert wav.timeline_path.endswith("short.timeline.json")
    assert data["title"] == "Short Session"
    assert abs(data["duration"] - wav.timeline.length / SAMPLE_RATE) < 1e-6
    kinds = {e["kind"] for e in data["events"]}
    assert {"section", "speech", "hold", "sound", "breath", "rep", "silence"} <= kinds


def test_same_script_same_bytes(rendered, tmp_path):
    _, _, mp3 = rendered
    again = render(SHORT, tmp_path / "again.mp3", Options(loudness_lufs=None, engine="pyttsx3"))
    assert Path(again.path).read_bytes() == Path(mp3.path).read_bytes()
