"""End to end: a hold starts on the MP3 frame grid (issue 19), so the same
hold after lines of other lengths is the same pieces and decodes to the same
samples, where the timeline says. Real espeak-ng through pyttsx3, real
ffmpeg, decoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuecast import sounds
from cuecast.encode import PieceOptions
from cuecast.pipeline import Options, prepare, render
from cuecast.units import GRID_SAMPLES
from tests.audio import THRESHOLD, TOLERANCE, assert_sounds_start_on_time, decode, onset

pytestmark = pytest.mark.e2e

SCRIPT = """\
title: Grid
steps:
  - say: {line}
  - hold: 16s
    cues:
      - {{at: 6s, say: Keep breathing.}}
    release: And release.
  - say: Well done.
"""

LINES = ("Lie down.", "Lie down on your back, and let your arms rest by your sides.")


def _render(tmp_path: Path, n: int) -> tuple[object, object, PieceOptions]:
    path = tmp_path / f"grid{n}.yaml"
    path.write_text(SCRIPT.format(line=LINES[n]), encoding="utf-8")
    options = Options(loudness_lufs=None, engine="pyttsx3")
    pieces = PieceOptions()
    result = render(path, tmp_path / f"grid{n}.mp3", options, pieces=pieces)
    return prepare(path, options), result, pieces


def test_the_same_hold_after_another_line_is_the_same_audio_on_the_grid(tmp_path, monkeypatch):
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "cache"))
    held = []
    for n in range(2):
        prepared, result, pieces = _render(tmp_path, n)
        samples = decode(result.path)
        assert samples.size == result.timeline.length
        assert assert_sounds_start_on_time(samples, result.timeline, prepared.speaker) >= 3
        hold = next(e for e in result.timeline.events if e.kind == "hold")
        assert hold.start % GRID_SAMPLES == 0
        bell = sounds.builtin("bell")
        first = int(np.flatnonzero(np.abs(bell) > THRESHOLD)[0])
        found = onset(samples, hold.start + first, threshold=THRESHOLD)
        assert found is not None and abs(found - (hold.start + first)) <= TOLERANCE
        inside = [(e.kind, e.text, e.start - hold.start) for e in result.timeline.events
                  if hold.start <= e.start < hold.end]  # fmt: skip
        # from its second frame (the first overlaps the decoding of the frame before)
        held.append((inside, samples[hold.start + GRID_SAMPLES : hold.end]))
        assert pieces.stats is not None
        if n == 1:
            # the hold's pieces were made for the first script: only the new
            # line's piece, and the one ending where the hold begins, are encoded
            assert pieces.stats.cached >= 3 and pieces.stats.encoded <= 2, pieces.stats
    assert held[0][0] == held[1][0]  # the same events at the same offsets
    assert np.array_equal(held[0][1], held[1][1])  # the very same decoded samples
