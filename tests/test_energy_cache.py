"""The clips' loudness measurements live beside the speech cache
(``<cache>/energies``, ``voices.cache.energy_store``), not among the MP3
pieces: a render whose speech is cached measures no clip again even when
its pieces were deleted; ``cuecast cache clear`` empties them; a corrupt
entry is measured again, not trusted. Counted in calls, not time."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.loudness import energies
from cuecast.pipeline import render
from cuecast.request import Options
from cuecast.voices.cache import Cache, cache_dir, energy_store

pytestmark = pytest.mark.e2e  # real engine, ffmpeg

SCRIPT = Path(__file__).resolve().parent / "e2e" / "scripts" / "short.yaml"


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many clips were K-weighted (``energies.clip_energy``)."""
    calls: Counter[str] = Counter()
    real = energies.clip_energy

    def measure(clip):  # type: ignore[no-untyped-def]
        calls["measured"] += 1
        return real(clip)

    monkeypatch.setattr(energies, "clip_energy", measure)
    return calls


def test_a_render_whose_pieces_were_deleted_measures_no_clip_again(
        tmp_path: Path, measured: Counter[str]) -> None:
    options = Options(engine="pyttsx3")
    first = render(SCRIPT, tmp_path / "a.mp3", options)
    assert measured["measured"] > 3
    store = energy_store()
    assert store.root == cache_dir() / "energies"
    # in their own folder: each clip's by its content, a speech clip's also by its file
    assert store.info()[0] >= measured["measured"]
    first_measured = measured["measured"]
    shutil.rmtree(cache_dir() / "pieces")  # a "warm" render: speech cached, no pieces
    measured.clear()
    second = render(SCRIPT, tmp_path / "b.mp3", options)
    assert measured["measured"] == 0
    assert Path(first.path).read_bytes() == Path(second.path).read_bytes()

    for damaged, _, _ in store.entries():  # same size, other content
        damaged.write_bytes(damaged.read_bytes()[:-5] + b"junk!")
    shutil.rmtree(cache_dir() / "pieces")
    third = render(SCRIPT, tmp_path / "c.mp3", options)
    assert measured["measured"] == first_measured  # corrupt ones measured again, not trusted
    assert store.info()[0] >= first_measured  # and kept anew
    assert Path(third.path).read_bytes() == Path(first.path).read_bytes()

    kept = store.info()[0]
    result = CliRunner().invoke(main, ["cache", "clear"])
    assert result.exit_code == 0, result.output
    assert f"removed {kept} clip loudness measurements" in result.output
    assert store.info()[0] == 0 and Cache().info()[0] == 0


def test_the_measurements_are_kept_within_the_cache_budget(
        tmp_path: Path, measured: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUECAST_PIECE_CACHE_MB", "0")
    render(SCRIPT, tmp_path / "a.mp3", Options(engine="pyttsx3"))
    assert measured["measured"] > 3
    assert energy_store().info()[0] == 0  # trimmed at the end of the levelling


SPOKEN = """\
title: Lines
steps:
  - say: Lie on your back.
  - say: Bend your knees.
  - pause: 2s
  - say: Breathe out slowly.
  - say: Done.
"""


def test_a_render_reads_each_clip_once_to_mix_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Grouping takes a clip's length from its file's header and levelling
    finds its measurement by its file: only the mixer reads a clip, once
    (before: three times, for its length, its measurement and the mix)."""
    script = tmp_path / "lines.yaml"
    script.write_text(SPOKEN)
    render(script, tmp_path / "warm.mp3", Options(engine="pyttsx3"))  # speech made, measured
    reads: Counter[str] = Counter()
    real = Cache.load

    def load(self, key):  # type: ignore[no-untyped-def]
        reads[key] += 1
        return real(self, key)

    monkeypatch.setattr(Cache, "load", load)
    shutil.rmtree(cache_dir() / "pieces")
    again = render(script, tmp_path / "again.mp3", Options(engine="pyttsx3"))
    assert len(reads) == 4 and set(reads.values()) == {1}
    assert Path(again.path).read_bytes() == (tmp_path / "warm.mp3").read_bytes()


def test_shared_speech_hands_the_next_test_the_measurements_but_not_the_pieces(
        tmp_path: Path, measured: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """What the ``shared_speech`` fixture (tests/conftest.py) links from one
    test's cache folder into this worker's pool, and from the pool into the
    next test's: with the speech, the clips' measurements, so the next test
    measures no clip again; never the pieces, so it encodes its own (and
    its bytes are a render's from scratch)."""
    from tests.conftest import _link_shared

    pool, later = tmp_path / "pool", tmp_path / "later"
    pool.mkdir()
    later.mkdir()
    first = render(SCRIPT, tmp_path / "a.mp3", Options(engine="pyttsx3"))
    _link_shared(cache_dir(), pool)  # the first test's teardown
    _link_shared(pool, later)  # the next test's setup
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(later))
    measured.clear()
    second = render(SCRIPT, tmp_path / "b.mp3", Options(engine="pyttsx3"))
    assert measured["measured"] == 0
    assert not (pool / "pieces").exists()
    assert Path(first.path).read_bytes() == Path(second.path).read_bytes()
