"""End to end: a customised session finds the pieces of the stretches it
shares with the sessions before it by their recipe, without mixing them
(``pieces/stretches.py``), and its file is byte for byte the file a render
with an empty cache (nothing known) writes. Real espeak-ng through
pyttsx3, real ffmpeg, the loudness guard on (each piece's levels come
from the cache, replayed or not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuecast.encode import PieceOptions
from cuecast.pieces.stretches import Recipes
from cuecast.pipeline import Options, render

pytestmark = pytest.mark.e2e

SCRIPT = """\
title: Recipes
vars:
  hold: {value: 20s, min: 10s, max: 60s}
  rest: {value: 8s, min: 5s, max: 30s}
steps:
  - sound: bell
  - say: Lie on your back, and let your arms rest by your sides.
  - hold: $hold
    cues:
      - {at: 6s, say: Keep breathing.}
    release: And release.
  - say: Roll to your side.
  - pause: $rest
  - say: Come back to the middle.
  - hold: 12s
    release: Well done.
  - say: That is all for today.
"""


def _render(script: Path, out: Path, sets: dict[str, str], recipes: Recipes | None = None):
    options = Options(engine="pyttsx3", sets=sets)
    pieces = PieceOptions(recipes=recipes)
    render(script, out, options, pieces=pieces)
    assert pieces.stats is not None
    return out.read_bytes(), pieces.stats


def test_customised_sessions_replay_stretches_and_match_a_cold_render(tmp_path, monkeypatch):
    script = tmp_path / "recipes.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    sessions = [{}, {"hold": "26s"}, {"hold": "31s", "rest": "12s"}]
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "warm"))
    recipes = Recipes()  # this test's own: what a server keeps across sessions
    warm = []
    for n, sets in enumerate(sessions):
        warm.append(_render(script, tmp_path / f"warm{n}.mp3", sets, recipes))
    assert len(recipes) > 0
    for _, stats in warm[1:]:
        assert stats.replayed > 0  # stretches found by recipe: not mixed, cut nor hashed
        assert stats.cached >= stats.replayed
    # a CLI render in a new process knows the records from the cache folder alone
    again, stats = _render(script, tmp_path / "again.mp3", sessions[2], Recipes())
    assert stats.replayed > 0 and stats.encoded == 0
    assert again == warm[2][0]
    for n, sets in enumerate(sessions):  # each alone, nothing cached, nothing recorded
        monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / f"cold{n}"))
        cold, stats = _render(script, tmp_path / f"cold{n}.mp3", sets, Recipes())
        assert stats.replayed == 0 or stats.repeated >= stats.replayed
        assert cold == warm[n][0], f"session {sets} differs from a cold render"
