"""A customised session spoken from a teacher's recordings keeps its default
session's gain without the default session's lines being recorded: with
``--strict`` (every line of the session recorded) the default value's own
line, which the teacher never recorded, is not an error, and the session's
own lines are levelled as without the anchor (its recorded speaker is not
asked for the default's lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuecast.pipeline import Options, prepare, render
from cuecast.voices.recordings import line_id
from tests.teacher import record

pytestmark = pytest.mark.e2e

ROUTINE = """\
title: Teacher anchor
vars: {hold: 25s}
defaults:
  chime: none
steps:
  - say: Welcome. Sit comfortably and let your shoulders drop.
  - say: We will hold for {hold}.
  - hold: $hold
  - say: Well done. That is the end of the session.
"""


def test_a_strict_recorded_session_keeps_the_default_gain_unrecorded(tmp_path: Path) -> None:
    script = tmp_path / "routine.yaml"
    script.write_text(ROUTINE)
    folder = tmp_path / "teacher"
    folder.mkdir()
    mine = Options(engine="pyttsx3", recordings=str(folder), sets={"hold": "30s"})
    texts = {e.text for e in prepare(script, mine).timeline.events if e.kind == "speech"}
    for text in texts:  # every line of this session, and none of the default's own
        record(text, folder / f"{line_id(text, 'en')}.wav")
    default_texts = {e.text for e in prepare(script, Options(engine="pyttsx3")).timeline.events
                     if e.kind == "speech"}  # fmt: skip
    assert default_texts - texts  # "We will hold for 25 seconds." is not recorded
    strict = render(script, tmp_path / "strict.mp3", Options(**{**mine.as_dict(), "strict": True}))
    again = render(script, tmp_path / "again.mp3", mine)
    assert Path(strict.path).read_bytes() == Path(again.path).read_bytes()
    assert strict.loudness_lufs is not None and abs(strict.loudness_lufs - -16.0) <= 0.5
    recorded = [e for e in strict.timeline.events if e.kind == "speech"]
    assert recorded and all(e.origin for e in recorded), recorded  # none from the engine
