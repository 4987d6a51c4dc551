"""pieces/stretches.py: the pieces of a stretch found by its recipe (not
mixed, cut nor hashed) are the very pieces mixing, cutting and hashing the
whole track gives: same frames, same keys, in the same order, wherever the
stretch stands, whatever came before it.

The pieces are compared by ``Stats.sequence`` (the sha256 of every piece in
order: a silent piece's frames, a sound piece's key, which holds its frames,
lead-in and samples) of a dry run (nothing encoded)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuecast.blocks import Stretch, flat
from cuecast.encode import _as_pcm
from cuecast.memo import digest
from cuecast.mix import mix, stretches
from cuecast.mp3frames import FRAME_SAMPLES
from cuecast.pieces.cuts import Cutter
from cuecast.pieces.mp3 import Stats, write_pieced
from cuecast.pieces.store import PieceStore
from cuecast.pieces.stretches import (
    GAP_SLOTS,
    GRID,
    HEAD_SLOTS,
    LEAD_SLOTS,
    TRAIL_SLOTS,
    Recipes,
    Record,
)
from cuecast.timeline import Event, Timeline, Tone

F = FRAME_SAMPLES


def _clip(kind: int, n: int, seed: int) -> np.ndarray:
    """Sounds of a few kinds: noise, a decaying tone, one sample alone, a
    sound with digital silence inside it and at its ends (a clip's zeros
    are the cutter's business, not the recipe's)."""
    rng = np.random.default_rng(seed)
    if kind == 0:
        return (rng.standard_normal(n) * 0.2).astype(np.float32)
    if kind == 1:
        t = np.arange(n)
        return (np.sin(t * 0.03) * np.exp(-t / max(1, n / 3)) * 0.5).astype(np.float32)
    if kind == 2:
        x = np.zeros(n, np.float32)
        x[n // 2] = 0.7
        return x
    x = (rng.standard_normal(n) * 0.3).astype(np.float32)
    x[: n // 5] = 0.0
    x[n // 3 : n // 3 + min(n // 3, 40 * F)] = 0.0
    x[-(n // 7) :] = 0.0
    return x


GAPS = {
    "touching": (-2000, 2000),  # overlapping or nearly: one island
    "short": (F, 15 * F),  # under the onset gap: one piece
    "medium": (16 * F, 170 * F),  # an onset cut, no silent piece: one stretch
    "long": (170 * F, 420 * F),  # a silent piece: stretches apart
}


@st.composite
def sessions(draw):
    """A timeline of a few plays from a small pool of clips (so the same
    stretch comes again), with gaps of every class, and its clips."""
    lengths = st.one_of(st.integers(300, 120_000), st.integers(700_000, 1_000_000))
    pool = draw(st.lists(st.tuples(st.integers(0, 3), lengths), min_size=1, max_size=4))
    clips = {Tone(f"c{i}", n): _clip(kind, n, i) for i, (kind, n) in enumerate(pool)}
    sources = list(clips)
    events = []
    at = draw(st.integers(0, 300 * F))
    for _ in range(draw(st.integers(1, 9))):
        source = draw(st.sampled_from(sources))
        events.append(Event("sound", at, at + source.length, None, source=source))
        lo, hi = GAPS[draw(st.sampled_from(["long", *sorted(GAPS)]))]
        at = max(events[-1].start, at + source.length + draw(st.integers(lo, hi)))
        if draw(st.booleans()):  # on the grid, as a hold's start is
            at = -(-at // F) * F
    length = max(e.end for e in events) + draw(st.integers(0, 300 * F))
    return Timeline("t", max(length, 20 * F), tuple(events)), clips


def _names(clips):
    """Each clip named by its content (the store is shared by the examples)."""
    return lambda source: digest(clips[source]).hex()


def _dry(stream, total: int, store: PieceStore, recipes: Recipes, gain: float) -> Stats:
    return write_pieced(_as_pcm(stream, gain, 1.0), io.BytesIO(), kbps=96, total_samples=total,
                        store=store, encode_missing=False, recipes=recipes)  # fmt: skip


def _stretched(timeline: Timeline, clips) -> Iterator[np.ndarray | Stretch]:
    """The stream (a stretch's blocks are asked for before the next item: not a list)."""
    return stretches(timeline, clips.__getitem__, _names(clips), grid=GRID, lead=LEAD_SLOTS,
                     trail=TRAIL_SLOTS, head=HEAD_SLOTS, gap=GAP_SLOTS)  # fmt: skip


def _later(timeline: Timeline, after: int, by: int) -> Timeline:
    """The timeline with every play from the ``after``-th on ``by`` samples later
    (a hold made longer)."""
    events = tuple(replace(e, start=e.start + by, end=e.end + by) if i >= after else e
                   for i, e in enumerate(timeline.events))  # fmt: skip
    return replace(timeline, events=events, length=timeline.length + by)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return PieceStore(tmp_path_factory.mktemp("pieces"))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(session=sessions(), gain=st.sampled_from([1.0, 1.7]),
       shift=st.tuples(st.integers(0, 8), st.integers(0, 200 * F)))
def test_replayed_stretches_are_the_pieces_of_the_whole_mix(store, session, gain, shift):
    timeline, clips = session
    recipes = Recipes()
    whole = _dry(mix(timeline, clips.__getitem__), timeline.length, store, recipes, gain)
    assert whole.replayed == 0 and len(recipes) == 0  # plain blocks: nothing recorded

    first = _dry(_stretched(timeline, clips), timeline.length, store, recipes, gain)
    assert first.sequence == whole.sequence
    assert first.pieces == whole.pieces and first.silent == whole.silent

    again = _dry(_stretched(timeline, clips), timeline.length, store, recipes, gain)
    assert again.sequence == whole.sequence
    if len(recipes):
        assert again.replayed > 0

    moved = _later(timeline, *shift)  # the same stretches elsewhere, some merged or apart
    want = _dry(mix(moved, clips.__getitem__), moved.length, store, Recipes(), gain)
    got = _dry(_stretched(moved, clips), moved.length, store, recipes, gain)
    assert got.sequence == want.sequence


def test_a_repeated_hold_is_replayed_within_one_render(store):
    """Six identical holds, long silences apart, each a chime, a word and a
    chime: the first is mixed and recorded, the other five replayed (their
    pieces the first's, in flight or cached), the pieces those of the whole mix."""
    clips = {Tone("chime", 60_000): _clip(1, 60_000, 1), Tone("word", 20_000): _clip(0, 20_000, 2)}
    chime, word = clips
    events, at = [], 200 * F
    for _ in range(6):
        for offset, source in ((0, chime), (3 * 44100, word), (25 * 44100, chime)):
            events.append(Event("sound", at + offset, at + offset + source.length, None,
                                source=source))  # fmt: skip
        at = -(-(at + 40 * 44100 + 12_345) // F) * F
    timeline = Timeline("t", at + 10 * 44100, tuple(events))
    recipes = Recipes()
    whole = _dry(mix(timeline, clips.__getitem__), timeline.length, store, recipes, 1.0)
    # three a hold: the chime and the word (an onset apart), the last chime
    assert sum(isinstance(i, Stretch) for i in _stretched(timeline, clips)) == 18
    mixed: list[int] = []

    def counted(item: Stretch) -> Stretch:
        def blocks():
            mixed.append(item.start)
            return item.blocks()

        return replace(item, blocks=blocks)

    items = (counted(i) if isinstance(i, Stretch) else i for i in _stretched(timeline, clips))
    got = _dry(items, timeline.length, store, recipes, 1.0)
    assert got.sequence == whole.sequence
    # mixed: the first hold's (the first from the track's start), the second's first (from
    # a silence), the last hold's last (to the track's end: its flush is its own); recorded:
    # each of them
    assert len(mixed) == 5 and len(recipes) == 5
    assert got.replayed > 0 and got.repeated == whole.repeated


def test_a_record_survives_its_bytes():
    cutter = Cutter(1000 * F)
    assert not cutter.synced(0)
    record = Record(cutter_cuts(), ("a" * 64,))
    assert Record.from_bytes(record.to_bytes()) == record
    assert Record.from_bytes(b"CCS1{") is None and Record.from_bytes(b"junk") is None


def cutter_cuts():
    from cuecast.pieces.cuts import Cuts

    return Cuts(200, np.packbits(np.ones(200, bool)).tobytes(), None, 3, ((3, 40, False, 2),),
                True, 43)


def test_the_stream_is_the_mix_whatever_is_replayed():
    clips = {Tone("a", 30_000): _clip(0, 30_000, 5)}
    (a,) = clips
    events = tuple(Event("sound", s, s + a.length, None, source=a)
                   for s in (400 * F, 800 * F + 77, 1300 * F))  # fmt: skip
    timeline = Timeline("t", 1700 * F, events)
    whole = np.concatenate(list(mix(timeline, clips.__getitem__)))
    made = np.concatenate(list(flat(_stretched(timeline, clips))))
    assert np.array_equal(made, whole)
