"""End to end in German: the Rückenroutine example rendered by espeak-ng
(pyttsx3) and real ffmpeg, its audio checked against its timeline as the
English renders are (every isolated sound within 5 ms of its event), and
what cuecast said by itself checked to be German, in a German voice."""

from __future__ import annotations

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
    clip_of,
    decode,
    isolated,
    onset,
    peak,
    sounding,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scripts" / "rueckenroutine.yaml"
SETS = {"katze_kuh": "4", "dehnung": "30s", "bruecke": "10s", "saetze": "2", "erholung": "10s"}
"""About four minutes: both sides' 30 s holds keep the whole
countdown (halfway, ten seconds left, three-two-one)."""
OPTIONS = Options(sets=SETS, engine="pyttsx3", loudness_lufs=None)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("ruecken")
    prepared = prepare(EXAMPLE, OPTIONS)
    wav = render(EXAMPLE, out / "ruecken.wav", OPTIONS)
    mp3 = render(EXAMPLE, out / "ruecken.mp3", OPTIONS)
    return prepared, wav, mp3


def assert_onsets(samples, timeline, speaker, guard_s: float = 0.1) -> int:
    """``tests.audio.assert_sounds_start_on_time``, and also passing over a
    sound that starts together with one heard sooner (a hold's bell, its
    first breath prompt and its tone all start on the hold's first
    sample; only the bell's onset can be found there)."""
    events = sounding(timeline)
    heard = {}
    for ev in events:
        loud = np.flatnonzero(np.abs(clip_of(speaker, ev.source)) > THRESHOLD)
        heard[id(ev)] = ev.start + int(loud[0]) if len(loud) else None
    checked = 0
    for ev in events:
        expected = heard[id(ev)]
        if expected is None or not isolated(events, ev, int(guard_s * SAMPLE_RATE)):
            continue
        together = (o for o in events if o is not ev and o.start == ev.start)
        if any((heard[id(o)] or expected) < expected - TOLERANCE for o in together):
            continue
        found = onset(samples, expected, threshold=THRESHOLD)
        assert found is not None, f"nothing audible near {ev.kind} {ev.text!r}"
        off_ms = 1000 * (found - expected) / SAMPLE_RATE
        assert abs(found - expected) <= TOLERANCE, (
            f"{ev.kind} {ev.text!r} starts {off_ms:+.1f} ms off"
        )
        checked += 1
    return checked


@pytest.mark.parametrize("which", ["wav", "mp3"])
def test_every_isolated_sound_starts_where_the_timeline_says(rendered, which):
    prepared, wav, mp3 = rendered
    result = {"wav": wav, "mp3": mp3}[which]
    samples = decode(result.path)
    assert assert_onsets(samples, result.timeline, prepared.speaker) >= 30
    assert_length_matches(samples, result.timeline)


def test_it_is_spoken_in_german_by_a_german_voice(rendered):
    prepared, wav, _ = rendered
    assert wav.timeline.voice["voice"] == "gmw/de"
    said = [e.text for e in wav.timeline.events if e.kind == "speech"]
    built_in = ["Einatmen.", "Und ausatmen.", "Halbzeit.", "Noch zehn Sekunden.", "Drei.", "Zwei."]
    built_in += ["Eins.", "Satz 1 von 2.", "Satz 2 von 2.", "Pause.", "Seitenwechsel."]
    for line in built_in:
        assert line in said, line
    assert any("jede Seite dreißig Sekunden lang" in line for line in said)
    assert any("Wir halten zehn Sekunden, mit zehn Sekunden Pause" in line for line in said)


def test_the_german_countdown_is_heard_on_its_seconds(rendered):
    _, wav, _ = rendered
    samples = decode(wav.path)
    holds = [e for e in wav.timeline.events if e.kind == "hold"]
    assert len(holds) == 4  # two sides, two sets
    bell = sounds.builtin("bell")
    first = int(np.flatnonzero(np.abs(bell) > THRESHOLD)[0])
    for hold in holds:
        found = onset(samples, hold.start + first, threshold=THRESHOLD)
        assert found is not None and abs(found - (hold.start + first)) <= TOLERANCE
        # "Drei. Zwei. Eins." at D-3, D-2, D-1
        for k in (3, 2, 1):
            at = hold.end - k * SAMPLE_RATE
            assert peak(samples, at, at + SAMPLE_RATE // 3) > 0.05
        words = [
            e.text for e in wav.timeline.events
            if e.kind == "speech" and hold.end - 3 * SAMPLE_RATE <= e.start < hold.end
        ]  # fmt: skip
        assert words == ["Drei.", "Zwei.", "Eins."]
