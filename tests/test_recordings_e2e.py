"""End to end: a teacher records some of a routine's lines; the render plays
those recordings at their timeline places (checked by correlation in the
decoded track), the engine speaks the rest, and both sit at one loudness."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cuecast.ffmpeg import ffmpeg_exe
from cuecast.pipeline import Options, prepare, render
from cuecast.script.model import VoiceSpec
from cuecast.timeline import SAMPLE_RATE, Utterance
from cuecast.voices.recordings import PIECE_GAP_S, line_id
from tests.audio import decode
from tests.teacher import record, trimmed

pytestmark = pytest.mark.e2e

ROUTINE = """\
title: Teacher test
vars: {hold: 25s}
defaults:
  chime: none   # a ringing bell under a line would blur the correlations
  countdown: {halfway: true, remaining: [], count: 3}
steps:
  - say: Welcome. Sit comfortably and let your shoulders drop.
  - say: We will hold for {hold}.
  - hold: $hold
    cues: [{at: 5s, say: Soften your shoulders.}]
    release: And release.
  - say: Well done. That is the end of the session.
"""
RECORDED = {
    # text -> (format, rate, channels, gain): the studio's files are not all alike
    "Welcome. Sit comfortably and let your shoulders drop.": ("mp3", 48000, 2, 1.0),
    "Soften your shoulders.": ("ogg", 44100, 1, 0.3),
    "Well done. That is the end of the session.": ("wav", 22050, 1, 1.0),
}
PIECES = {"we will hold for": "flac", "twenty-five": "wav", "seconds": "m4a"}
SYNTHESISED = ["Halfway.", "Three.", "Two.", "One.", "And release."]


def corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    x, y = a[:n].astype(np.float64), b[:n].astype(np.float64)
    return float(np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y)))


def ebur128_lufs(audio: np.ndarray, tmp: Path) -> float:
    """Integrated loudness by ffmpeg's own meter (independent of cuecast's)."""
    raw = tmp / "group.f32"
    raw.write_bytes(audio.astype("<f4").tobytes())
    done = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-f", "f32le", "-ar", str(SAMPLE_RATE),
         "-ac", "1", "-i", str(raw), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)[-1])


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("teacher")
    script = root / "routine.yaml"
    script.write_text(ROUTINE)
    folder = root / "teacher"
    folder.mkdir()
    for text, (ext, rate, channels, gain) in RECORDED.items():
        record(text, folder / f"{line_id(text, 'en')}.{ext}", rate=rate, channels=channels,
               gain=gain)
    for text, ext in PIECES.items():
        record(text, folder / f"{line_id(text, 'en')}.{ext}")
    # the teacher's takes of the other lines, kept out of the folder: the
    # track must not sound like them
    elsewhere = root / "not-used"
    elsewhere.mkdir()
    unused = {t: record(t, elsewhere / f"{line_id(t, 'en')}.wav") for t in SYNTHESISED}
    options = Options(engine="pyttsx3", recordings=str(folder))
    result = render(script, root / "out.wav", options)
    audio = decode(result.path)
    timeline = json.loads(Path(result.timeline_path).read_text())
    return root, folder, result, audio, timeline, unused


def speech(timeline: dict) -> list[dict]:
    return [e for e in timeline["events"] if e["kind"] == "speech"]


def test_recorded_lines_are_the_recordings_at_their_places(session):
    _, folder, _, audio, timeline, _ = session
    seen = 0
    for event in speech(timeline):
        if event["text"] not in RECORDED:
            continue
        assert event["from"] == "recording"
        (name,) = event["recordings"]
        expected = trimmed(folder / name)
        start = int(round(event["start"] * SAMPLE_RATE))
        played = audio[start:start + len(expected)]
        assert corr(played, expected) > 0.95, event
        # and at that place, not a few milliseconds off
        assert corr(audio[start + 220:start + 220 + len(expected)], expected) < 0.9
        assert abs(event["end"] - event["start"] - len(expected) / SAMPLE_RATE) < 1e-4
        seen += 1
    assert seen == len(RECORDED)


def test_a_customised_duration_is_assembled_from_recorded_pieces(session):
    _, folder, _, audio, timeline, _ = session
    (event,) = [e for e in speech(timeline) if e["text"].startswith("We will hold")]
    assert event["from"] == "recording"
    assert event["recordings"] == [f"{line_id(t, 'en')}.{x}" for t, x in PIECES.items()]
    gap = np.zeros(int(round(PIECE_GAP_S * SAMPLE_RATE)), dtype=np.float32)
    parts = [trimmed(folder / name) for name in event["recordings"]]
    expected = np.concatenate([parts[0], gap, parts[1], gap, parts[2]])
    start = int(round(event["start"] * SAMPLE_RATE))
    assert corr(audio[start:start + len(expected)], expected) > 0.95


def test_other_lines_are_synthesised_by_the_scripts_engine(session):
    root, _, _, audio, timeline, unused = session
    engine = prepare(root / "routine.yaml", Options(engine="pyttsx3")).speaker
    for event in speech(timeline):
        if event["text"] not in SYNTHESISED:
            continue
        assert event["from"] == "engine" and "recordings" not in event
        start = int(round(event["start"] * SAMPLE_RATE))
        engine_clip = engine.clip(Utterance(event["text"], VoiceSpec()))
        played = audio[start:start + len(engine_clip)]
        assert corr(played, engine_clip) > 0.95, event
        assert corr(played, trimmed(unused[event["text"]])) < 0.5, event


def test_recorded_and_synthesised_lines_are_equally_loud(session):
    root, _, _, audio, timeline, _ = session
    groups: dict[str, list[np.ndarray]] = {"recording": [], "engine": []}
    for event in speech(timeline):
        start, end = (int(round(event[k] * SAMPLE_RATE)) for k in ("start", "end"))
        groups[event["from"]].append(audio[start:end])
    recorded = ebur128_lufs(np.concatenate(groups["recording"]), root)
    synthesised = ebur128_lufs(np.concatenate(groups["engine"]), root)
    print(f"recorded {recorded:.2f} LUFS, synthesised {synthesised:.2f} LUFS")
    assert abs(recorded - synthesised) <= 1.0


def test_the_timeline_says_where_each_line_came_from(session):
    _, _, result, _, timeline, _ = session
    froms = {e["text"]: e["from"] for e in speech(timeline)}
    assert {t for t, f in froms.items() if f == "engine"} == set(SYNTHESISED)
    assert timeline["voice"]["recordings"] == {"recorded": 4, "synthesised": 5}
    # the file names are relative to the folder: no machine paths in the timeline
    assert str(session[1]) not in Path(result.timeline_path).read_text()


def test_without_loudness_the_recordings_are_played_sample_for_sample(session):
    """With no levelling after the mix, a recorded line is exactly its
    trimmed file (the group gain aside): the limiter is what blurs it above."""
    root, folder, _, _, _, _ = session
    result = render(root / "routine.yaml", root / "plain.wav",
                    Options(engine="pyttsx3", recordings=str(folder), loudness_lufs=None))
    audio = decode(result.path)
    for event in result.timeline.events:
        if event.kind == "speech" and len(event.origin or ()) == 1:
            expected = trimmed(folder / event.origin[0])  # type: ignore[index]
            played = audio[event.start:event.start + len(expected)]
            assert corr(played, expected) > 0.999, event.text
