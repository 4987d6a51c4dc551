"""End to end: real espeak-ng through pyttsx3, real ffmpeg; the decoded audio
is checked against the timeline it was rendered from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cuecast import sounds
from cuecast.render import Options, prepare, render
from cuecast.timeline import SAMPLE_RATE, SoundPlay, Tone, Utterance
from tests.audio import decode, onset, peak

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
SHORT = HERE / "scripts" / "short.yaml"
TOLERANCE = int(0.005 * SAMPLE_RATE)  # the timing promise: 5 ms
THRESHOLD = 0.02


def clip_of(prepared, source) -> np.ndarray:
    if isinstance(source, Utterance):
        return prepared.speaker.clip(source)
    if isinstance(source, SoundPlay):
        return sounds.builtin(source.sound.name)
    if isinstance(source, Tone):
        return sounds.tone(source.shape, source.length)
    raise AssertionError(source)


def sounding(timeline):
    return [e for e in timeline.events if e.source is not None]


def isolated(events, ev, guard: int) -> bool:
    """Nothing else sounds in the ``guard`` samples before ``ev`` starts."""
    return not any(o is not ev and o.start < ev.start and o.end > ev.start - guard for o in events)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    options = Options(loudness_lufs=None)
    prepared = prepare(SHORT, options)
    wav = render(SHORT, out / "short.wav", options)
    mp3 = render(SHORT, out / "short.mp3", options)
    return prepared, wav, mp3


@pytest.mark.parametrize("which", ["wav", "mp3"])
def test_every_isolated_sound_starts_where_the_timeline_says(rendered, which):
    prepared, wav, mp3 = rendered
    result = {"wav": wav, "mp3": mp3}[which]
    samples = decode(result.path)
    events = sounding(result.timeline)
    checked = 0
    for ev in events:
        if not isolated(events, ev, guard=int(0.1 * SAMPLE_RATE)):
            continue
        clip = clip_of(prepared, ev.source)
        own = np.flatnonzero(np.abs(clip) > THRESHOLD)
        if len(own) == 0:
            continue  # too quiet to find (breath tones fade in)
        expected = ev.start + int(own[0])
        found = onset(samples, expected, threshold=THRESHOLD)
        assert found is not None, f"nothing audible near {ev.kind} {ev.text!r}"
        assert abs(found - expected) <= TOLERANCE, (
            f"{ev.kind} {ev.text!r} starts {1000 * (found - expected) / SAMPLE_RATE:+.1f} ms off"
        )
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("which", ["wav", "mp3"])
def test_length_matches_the_timeline(rendered, which):
    _, wav, mp3 = rendered
    result = {"wav": wav, "mp3": mp3}[which]
    samples = decode(result.path)
    assert abs(len(samples) - result.timeline.length) <= int(0.05 * SAMPLE_RATE)


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
    again = render(SHORT, tmp_path / "again.mp3", Options(loudness_lufs=None))
    assert Path(again.path).read_bytes() == Path(mp3.path).read_bytes()
