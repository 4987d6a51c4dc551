"""Mix: a ``Timeline`` and its clips -> float32 PCM blocks, streamed.

The track is never held whole: each block is made from the clips that
sound in it, a block where none sounds (and no bed plays) is
``blocks.silence`` (no memory, and skipped by what reads it), and a clip
is loaded when its first event comes and dropped after its last one, so
memory stays flat however long the session is.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cuecast.blocks import Stretch, silence
from cuecast.timeline import Event, Source, Timeline
from cuecast.units import SAMPLE_RATE, db_to_gain

BLOCK = SAMPLE_RATE
"""Samples per block handed to the encoder (one second)."""

ClipFor = Callable[[Source], np.ndarray]
"""Gives the float32 samples for an event's source (at ``SAMPLE_RATE``)."""


class BedSource(Protocol):
    """What the background bed needs: ``block(start, n)`` of raw bed samples."""

    def block(self, start: int, n: int) -> np.ndarray: ...  # pragma: no cover - protocol


@dataclass(frozen=True)
class Bed:
    """A background under the whole session, ducked under speech.

    ``volume_db`` is its level, ``duck_db`` what is taken off under speech
    (reached ``attack_s`` before a line starts, let go over ``release_s``
    after it ends), ``fade_s`` the fade in at the start and out at the end.
    """

    source: BedSource
    volume_db: float
    duck_db: float
    fade_s: float
    attack_s: float = 0.25
    release_s: float = 0.6


def mix(
    timeline: Timeline,
    clip_for: ClipFor,
    *,
    bed: Bed | None = None,
    block: int = BLOCK,
    start: int = 0,
    end: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield the track as float32 blocks of ``block`` samples (the last may
    be shorter); exactly ``timeline.length`` samples in all. ``start`` and
    ``end`` give only the samples in [start, end) of the same track, the
    same values (to hear a part of it: an event's clip ends with its event,
    so only the events still sounding at ``start`` are looked at)."""
    end = timeline.length if end is None else min(end, timeline.length)
    mixer = _Mixer(timeline, clip_for, bed, start)
    try:
        yield from mixer.blocks(start, end, block)
    finally:
        mixer.close()


Names = Callable[[Source], "str | None"]
"""What names an event's clip as the mixer gets it (None: nothing does)."""


def stretches(timeline: Timeline, clip_for: ClipFor, names: Names, *, grid: int, lead: int,
              trail: int, head: int, gap: int, block: int = BLOCK, salt: str = "",
              ) -> Iterator[np.ndarray | Stretch]:  # fmt: skip
    """The track as ``mix`` makes it (no bed), in ``blocks.Stretch``es, each
    mixed only if its blocks are asked for (before the next item is), and
    digital silence between them. Slots are ``grid`` samples. The plays
    fall into islands of sound at least ``gap`` slots apart (where nothing
    plays). After a long silence (at least ``lead + trail + 2`` slots) a
    stretch starts ``lead`` slots before the island's first slot, and one
    ends ``trail`` slots after the last slot of the island before; after a
    shorter one a stretch starts ``head`` slots into the island (its head,
    from the end of the island before, is the previous stretch's end and
    can be made apart: ``Stretch.head``). The first stretch starts at the
    track's start, the last ends at its end. A stretch's recipe names the
    length of what it and its head span, its start in it, and each play
    sounding there, in the timeline's order (the order the mixer adds them
    in), by where it starts and ``names``: those samples are a function of
    that alone (None if a play has no name), and of the code that makes
    them, which ``salt`` names."""
    mixer = _Mixer(timeline, clip_for, None, 0)
    try:
        segments = _segments(timeline, names, grid, lead, trail, head, gap, salt)
        for i, (kind, lo, hi, head_lo, then, recipe) in enumerate(segments):
            ahead = []  # the recipes of the stretches right after it
            for after in segments[i + 1 : i + 1 + AHEAD]:
                if after[0] != "stretch":
                    break
                ahead.append(after[5])
            if kind == "silence":
                yield from (silence(min(block, hi - b)) for b in range(lo, hi, block))
                continue
            yield Stretch(lo, hi, recipe, functools.partial(mixer.blocks, lo, hi, block),
                          head_lo, functools.partial(mixer.blocks, head_lo, lo, block), then,
                          tuple(ahead))
            mixer.skip(then)  # unless mixed: its plays passed over, their clips not loaded
    finally:
        mixer.close()


Segment = tuple[str, int, int, int, int, "str | None"]
"""``(kind, start, stop, head_start, next_head, recipe)``: see ``_segments``."""


def _segments(timeline: Timeline, names: Names, grid: int, lead: int, trail: int, head: int,
              gap: int, salt: str = "") -> list[Segment]:  # fmt: skip
    """``(kind, start, stop, head_start, next_head, recipe)`` of what
    ``stretches`` gives, in order: ``"stretch"`` or ``"silence"``."""
    playing = [e for e in timeline.events if e.source is not None]
    length = timeline.length
    if not playing or any(b.start < a.start for a, b in itertools.pairwise(playing)):
        # nothing plays, or the mixer would add plays in another order: one stretch, unnamed
        return [("stretch", 0, length, 0, length, None)]
    islands: list[list[Event]] = []
    end = 0
    for ev in playing:
        if islands and ev.start // grid - -(-end // grid) < gap:
            islands[-1].append(ev)
            end = max(end, ev.end)
        else:
            islands.append([ev])
            end = ev.end
    quiet = lead + trail + 2
    firsts = list(itertools.accumulate((len(i) for i in islands), initial=0))
    """Where each island's plays begin in ``playing`` (none before sounds after its start)."""
    # where each stretch starts (and its head), and each ends
    bounds: list[tuple[int, int, int]] = [(0, 0, 0)]  # (head_start, start, stop before) per island
    for before, island in itertools.pairwise(islands):
        first = island[0].start // grid
        last = -(-max(e.end for e in before) // grid)
        if (first + head + 3) * grid > length:
            break  # too near the end to be a stretch of its own
        if first - last >= quiet:
            bounds.append(((first - lead) * grid, (first - lead) * grid, (last + trail) * grid))
        else:
            # its head is all the silence before it: the cutter may have cut anywhere in it
            bounds.append((last * grid, (first + head) * grid, (first + head) * grid))
    out: list[Segment] = []
    for i, (head_lo, lo, _) in enumerate(bounds):
        hi = bounds[i + 1][2] if i + 1 < len(bounds) else length
        then = bounds[i + 1][0] if i + 1 < len(bounds) else length
        out.append(("stretch", lo, hi, head_lo, min(then, hi),
                    _recipe(playing[firsts[i] :], names, head_lo, lo, hi, salt)))  # fmt: skip
        if i + 1 < len(bounds) and bounds[i + 1][1] > hi:
            out.append(("silence", hi, bounds[i + 1][1], hi, hi, None))
    return out


def _recipe(playing: list[Event], names: Names, lo: int, start: int, hi: int,
            salt: str = "") -> str | None:  # fmt: skip
    """What names samples [lo, hi) of the mix, counted from ``lo``, with a
    stretch starting at ``start`` in them (``playing``: from the first play
    that may sound there on); None if a play sounding there has no name."""
    h = hashlib.sha256(f"stretch {salt}\n{hi - lo}\n{start - lo}\n".encode())
    for ev in playing:
        if ev.start >= hi:
            break
        if ev.end <= lo:
            continue
        name = names(ev.source)
        if name is None:
            return None
        h.update(f"{ev.start - lo}\n{len(name)}\n{name}\n".encode())
    return h.hexdigest()


AHEAD = 8
"""A stretch names the recipes of at most this many stretches after it."""


class _Mixer:
    """Mixes the track's samples range by range, in order, keeping the
    clips that still sound (or will soon: ``_Clips``) between ranges."""

    def __init__(self, timeline: Timeline, clip_for: ClipFor, bed: Bed | None,
                 start: int) -> None:  # fmt: skip
        self.playing = [e for e in timeline.events if e.source is not None and e.end > start]
        self.clips = _Clips(clip_for, self.playing)
        self.duck = _Ducker(timeline, bed) if bed is not None else None
        self.active: list[tuple[int, np.ndarray, Event]] = []
        self.nxt = 0
        self.at = start
        """Where what was mixed or skipped ends."""

    def blocks(self, start: int, end: int, block: int) -> Iterator[np.ndarray]:
        """Samples [start, end) in blocks (``start`` at or after the end of
        the range mixed or skipped before)."""
        if start < self.at:
            raise ValueError(f"samples from {start} asked for after those to {self.at}")
        self.at = max(self.at, end)
        playing, clips = self.playing, self.clips
        clips.horizon = bisect.bisect_left(playing, end, key=lambda e: e.start)
        for b0 in range(start, end, block):
            b1 = min(b0 + block, end)
            out: np.ndarray | None = None
            while self.nxt < len(playing) and playing[self.nxt].start < b1:
                ev = playing[self.nxt]
                self.active.append((ev.start, clips.take(ev.source), ev))
                self.nxt += 1
            still: list[tuple[int, np.ndarray, Event]] = []
            for at, clip, ev in self.active:
                lo, hi = max(b0, at), min(b1, at + len(clip))
                if hi > lo:
                    if out is None:
                        out = np.zeros(b1 - b0, dtype=np.float32)
                    out[lo - b0 : hi - b0] += clip[lo - at : hi - at]
                if at + len(clip) > b1:
                    still.append((at, clip, ev))
                else:
                    clips.done(ev.source, b1)
            self.active = still
            if self.duck is not None:
                if out is None:
                    out = np.zeros(b1 - b0, dtype=np.float32)
                out += self.duck.block(b0, b1 - b0)
            yield out if out is not None else silence(b1 - b0)

    def skip(self, to: int) -> None:
        """Pass over what sounds before sample ``to`` and was not mixed: the
        plays that end by then, unloaded, up to the first that does not (it
        and those after it are mixed if what follows is)."""
        self.at = max(self.at, to)
        playing, clips = self.playing, self.clips
        while self.nxt < len(playing) and playing[self.nxt].end <= to:
            clips.skip(playing[self.nxt].source)
            self.nxt += 1
        still = []
        for at, clip, ev in self.active:
            if at + len(clip) > to:
                still.append((at, clip, ev))
            else:
                clips.done(ev.source, to)
        self.active = still

    def close(self) -> None:
        self.clips.close()


KEEP_AHEAD = 300 * SAMPLE_RATE
"""A clip not needed again within this many samples (five minutes) is
dropped and loaded anew when its turn comes: memory then depends on what
sounds in the next few minutes, not on how many lines recur across a long
session (measured: a 2-hour warm render peaks at 119 MB instead of 139 MB
for the same time; at 30 s it took 25 % longer, reloading limited clips)."""


PREFETCH = 1
"""Clips made ahead of their turn on a second thread: making one (a
limited clip, a group) then overlaps the mixing and the encoder (one is
enough: two took 7 MB more at two hours and no less time)."""


class _Clips:
    """Loads a source's samples when an event needs them (the next few ahead
    of time, ``PREFETCH``) and keeps them only while it plays or until it
    plays again, if that is soon (``KEEP_AHEAD``)."""

    def __init__(self, clip_for: ClipFor, playing: list[Event]) -> None:
        self.clip_for = clip_for
        self.order: list[Source] = [event.source for event in playing]  # in order of start
        self.taken = 0
        self.starts: dict[Hashable, deque[int]] = defaultdict(deque)
        for event in playing:
            self.starts[event.source].append(event.start)
        self.sounding: Counter[Hashable] = Counter()
        self.loaded: dict[Hashable, np.ndarray] = {}
        self.pending: dict[Hashable, Future[np.ndarray]] = {}
        self.ahead: ThreadPoolExecutor | None = None
        self.horizon = len(self.order)
        """Only the events before this one are fetched ahead (those of the
        range being mixed: what follows may be passed over)."""

    def skip(self, source: Source) -> None:
        """An event of ``source`` is passed over, not mixed."""
        self.starts[source].popleft()
        self.taken += 1

    def take(self, source: Source) -> np.ndarray:
        self.starts[source].popleft()
        self.sounding[source] += 1
        self.taken += 1
        clip = self.loaded.get(source)
        if clip is None:
            made = self.pending.pop(source, None)
            clip = made.result() if made is not None else self._load(source)
            self.loaded[source] = clip
        self._prefetch()
        return clip

    def done(self, source: Source, now: int) -> None:
        """An event of ``source`` has finished sounding at sample ``now``."""
        self.sounding[source] -= 1
        upcoming = self.starts[source]
        if self.sounding[source] <= 0 and (not upcoming or upcoming[0] - now > KEEP_AHEAD):
            self.loaded.pop(source, None)

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.shutdown(wait=False, cancel_futures=True)

    def _load(self, source: Source) -> np.ndarray:
        return np.asarray(self.clip_for(source), dtype=np.float32)

    def _prefetch(self) -> None:
        """Start making the next ``PREFETCH`` clips not loaded or under way."""
        wanted: list[Source] = []
        for source in self.order[self.taken : self.horizon]:
            if len(wanted) + len(self.pending) >= PREFETCH:
                break
            if source not in self.loaded and source not in self.pending and source not in wanted:
                wanted.append(source)
        if wanted and self.ahead is None:
            self.ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cuecast-clips")
        for source in wanted:
            assert self.ahead is not None
            self.pending[source] = self.ahead.submit(self._load, source)


class _Ducker:
    """The bed's samples for a block, with fades and ducking applied."""

    def __init__(self, timeline: Timeline, bed: Bed) -> None:
        self.bed = bed
        self.length = timeline.length
        speech = sorted((e.start, e.end) for e in timeline.events if e.kind == "speech")
        self.starts = [s for s, _ in speech]
        self.spans = speech
        # Running maximum of the ends: monotonic, so a bisect finds the first
        # line that may still be sounding at a block's start.
        self.max_ends = list(itertools.accumulate((e for _, e in speech), max))
        self.attack = max(1, int(bed.attack_s * SAMPLE_RATE))
        self.release = max(1, int(bed.release_s * SAMPLE_RATE))
        self.fade = int(bed.fade_s * SAMPLE_RATE)
        self.level = db_to_gain(bed.volume_db)
        self.depth = 1.0 - db_to_gain(-bed.duck_db)

    def block(self, b0: int, n: int) -> np.ndarray:
        t = np.arange(b0, b0 + n, dtype=np.float64)
        gain = np.full(n, self.level, dtype=np.float64)
        gain *= 1.0 - self.depth * self._duck_amount(t, b0, n)
        if self.fade > 0:
            gain *= np.clip(np.minimum(t, self.length - t) / self.fade, 0.0, 1.0)
        raw = np.asarray(self.bed.source.block(b0, n), dtype=np.float64)
        return (raw * gain).astype(np.float32)

    def _duck_amount(self, t: np.ndarray, b0: int, n: int) -> np.ndarray:
        """0 (no duck) .. 1 (full duck) for each sample of the block."""
        amount = np.zeros(n, dtype=np.float64)
        # Lines that can touch this block start before its end + attack.
        lo = bisect.bisect_left(self.max_ends, b0 - self.release)
        hi = bisect.bisect_left(self.starts, b0 + n + self.attack)
        for s, e in self.spans[lo:hi]:
            ramp_in = (t - (s - self.attack)) / self.attack
            ramp_out = 1.0 - (t - e) / self.release
            np.maximum(amount, np.clip(np.minimum(ramp_in, ramp_out), 0.0, 1.0), out=amount)
        return amount
