"""Where the mix is cut into pieces: on the MP3 frame grid, by its content.

Takes the mix as it streams (float32 blocks, gain applied, as the encoder
would get them) and gives ``Piece``s in order, each as soon as it is
settled. Frame k of the track (1152 samples) is encoded from the mix
around samples ``1152 k`` (LAME delays its input by 576 samples, the
decoder by 529: frame k decodes mix samples ``1152 k - 1105`` on, and its
bits depend on the slots ``k - 2 .. k + 1`` of the mix, slot j being
samples ``1152 j .. 1152 j + 1151``: measured, every frame whose four slots
are digital silence is one of the encoder's two silent frames).

Pieces follow the content, not the clock, so the same sound with the same
silence around it, started on the grid, is the same piece wherever it
stands (``planner`` puts a hold's start, and what follows a hold, a rest
or a pause, on the grid):

- a run of at least ``MIN_SILENT_FRAMES`` silent frames is a silent piece,
  written as the encoder's silent frames with no encoding at all;
- a sound that starts after at least ``MIN_GAP_SLOTS`` slots of digital
  silence starts a piece of its own, at its first slot (an onset): the
  piece's two lead-in frames are then silence, so the piece is the same
  whatever came before. A hold starts on the grid after a line and its
  gap (``planner``), so its start chime, its cues, countdown words and
  breath prompts are pieces of their own, the same in every hold that
  holds the same, in every session;
- the sound between is a sound piece, at most ``MAX_PIECE_FRAMES`` long:
  a longer stretch is cut at its quietest frame in the second half of that
  length (a pause between words; under a bed, the bed alone), counted
  from the stretch's start, so the cuts too follow the content.

Every decision looks at the content near it only (an onset at the slots
before it, a silent run at its frames, a long stretch from where it
started), so the same audio at the same grid phase is cut the same way
wherever it stands, once something before it was cut.

So a stretch of sound is cut the same way wherever it stands, if the
cutter comes to it in the same state relative to it (``Cutter.entry``):
in a silence it has looked at up to the stretch (what it settles then
depends on the stretch's samples, and on where that silence began only
for the silent piece's first frame), or with a sound piece just begun
near its start, the frames before that piece's lead-in no longer looked
at (then what it settles depends only on the samples from that lead-in
on). From such a state, what it settles is a function of the samples it
reads (``Cuts`` records it, with the state it ends in); ``Cutter.replay``
settles the same at another place without them (``stretches.py`` keeps
the records by what makes a stretch's samples).

A sound piece of frames ``[first, stop)`` is encoded from the mix samples
``1152 (first - 2)`` to ``1152 (stop + 2)``: two frames of what precedes it
as a lead-in, whose frames are then dropped (the encoder's state at the
join is then near what a single encode has: measured, a joined file
decodes within 0.01 dB of a single encode of the same mix overall) and
two after it. The last piece runs to the end of the mix and keeps every
frame the encoder gives (its flush), so the joined file has exactly the
frames a single encode has.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from cuecast.blocks import is_silence, silence
from cuecast.mp3frames import FRAME_SAMPLES

LEAD_IN_FRAMES = 2
"""Frames of preceding audio each piece is encoded with, then dropped."""

TAIL_FRAMES = 2
"""Frames of following audio each piece is encoded with (slots k + 1 and
one more for safety: the frames before the cut depend on them)."""

MIN_SILENT_FRAMES = 150
"""Silence shorter than this (3.9 s) is not a silent piece of its own: its
frames are encoded with the sound before it (whose piece ends at the next
onset, ``MIN_GAP_SLOTS``). A silent piece makes two more pieces of the
sound around it, and when each piece was an ffmpeg of its own, starting
an encoder cost about what encoding 3 s of audio does (measured then on a
10-minute session of lines and holds: at 8 frames 143 pieces and 1.90 s
of encoder CPU, at 100 61 pieces and 1.35 s, at 400 50 pieces and 1.44 s)."""

MIN_GAP_SLOTS = 16
"""A sound after this many slots (0.42 s) of digital silence starts a piece
(an onset cut; see above). Shorter silences (between the words of a line,
after a comma) stay inside a piece; a line's gap (0.5 s unless the script
says otherwise) and what it precedes, a hold on the grid among them, is
cut. Each piece costs its lead-in and tail frames and an encoder in its
batch's ffmpeg, and a file in the cache: ``MIN_SILENT_FRAMES`` was chosen
when each piece was an ffmpeg of its own (about 20 ms of CPU, as much as
3 s of audio); in a batch a piece costs far less, and one that is reused
across holds and listeners costs nothing."""

MAX_PIECE_FRAMES = 766
"""A sound piece is at most 766 frames (20 s): short enough that both
cores have work on a track of a few minutes and that the pieces in flight
stay small (3.5 MB of float32 each), long enough that starting the
encoder (about 20 ms of CPU each) costs little."""

PIECE_FORMAT = 2
"""Part of every piece's key: bump it when the cutting or encoding changes
(2: onset cuts, ``MIN_GAP_SLOTS``)."""


@dataclass(frozen=True)
class Piece:
    """Frames ``[first, stop)`` of the track (``stop`` None: to the end).

    A silent piece has no samples; a sound piece carries the mix samples it
    is encoded from (``samples``: float32 little-endian arrays, views of
    the blocks fed, together starting at frame ``first - keep_first``; as
    bytes, ``pcm``, made only when asked: a cached piece is only hashed)
    and keeps the encoded frames from ``keep_first`` on, ``stop - first``
    of them (all, for the last piece)."""

    first: int
    stop: int | None
    silent: bool
    samples: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)
    keep_first: int = 0

    @property
    def frames(self) -> int | None:
        return None if self.stop is None else self.stop - self.first

    @functools.cached_property
    def pcm(self) -> bytes:
        """The samples as float32 little-endian bytes (one copy)."""
        return b"".join(_buffer(part) for part in self.samples)


def _buffer(part: np.ndarray) -> bytes | memoryview:
    """A part's bytes without a copy (a silent block's zeros are made)."""
    return part.data if part.flags.c_contiguous else part.tobytes()


def piece_key(piece: Piece, settings: Sequence[str]) -> str:
    """The cache key of a sound piece: the sha256 of the canonical JSON of
    ``{"v", "settings", "keep"}`` (``settings``: the encoder and its
    arguments), a newline, and the samples it encodes. Changing this layout
    changes every key; bump ``PIECE_FORMAT`` when the cutting changes."""
    head = {"v": PIECE_FORMAT, "settings": list(settings),
            "keep": [piece.keep_first, piece.frames]}  # fmt: skip
    h = hashlib.sha256(json.dumps(head, sort_keys=True, separators=(",", ":")).encode())
    h.update(b"\n")
    for part in piece.samples:
        h.update(_buffer(part))
    return h.hexdigest()


@dataclass(frozen=True)
class Cuts:
    """What the cutter settled over a stretch of whole slots, from a state
    ``Cutter.entry`` allows, and the state it left it in, frames counted
    from the stretch's first slot: it settles the same wherever a stretch
    with the same samples stands and it comes to it the same way
    (``Cutter.replay``)."""

    slots: int
    """The stretch's length in slots."""
    zero: bytes
    """Its slots' zero flags, ``np.packbits``."""
    enter: int | None
    """How the cutter came to it: None, in a silence looked at up to its
    start; else with a sound piece begun at this frame (``start == next``)."""
    opens: int
    """Coming in a silence: where it ends (the silent piece then settled,
    begun before the stretch, ends there)."""
    pieces: tuple[tuple[int, int | None, bool, int], ...]
    """The pieces settled after that one: ``(first, stop, silent, keep_first)``
    (``stop`` None: the track's last piece, to its end)."""
    silent: bool
    """How the cutter left it: in a silence looked at up to its end, or
    with a sound piece begun (``start == next``)..."""
    rest: int
    """... at this frame (the silence's or the sound piece's)."""
    final: bool = False
    """The stretch runs to the track's end: its pieces are the track's last
    (settled by ``Cutter.end``), and the cutter is done after them."""

    def sound(self) -> int:
        """How many of its pieces are sound pieces."""
        return sum(1 for p in self.pieces if not p[2])


class Cutter:
    """Feed the mix with ``feed`` and ``end``; each gives the pieces settled.

    Whole blocks are looked at at once (numpy), never a frame at a time: a
    block's slots are flagged zero or not as it comes, a run of silent
    frames is found with a cumulative sum, and a slot's energy is summed
    only where a long stretch is cut (``_quietest``); a silent block
    (``blocks.silence``) is not looked at. The blocks fed are kept, not
    copied, until no piece needs them: do not change them."""

    def __init__(self, total_samples: int, *, max_frames: int = MAX_PIECE_FRAMES,
                 min_silent: int = MIN_SILENT_FRAMES,
                 min_gap: int = MIN_GAP_SLOTS) -> None:  # fmt: skip
        self.total = total_samples
        self.slots = -(-total_samples // FRAME_SAMPLES)
        self.max_frames = max_frames
        self.min_silent = min_silent
        self.min_gap = max(LEAD_IN_FRAMES, min_gap)
        self.chunks: deque[tuple[int, np.ndarray]] = deque()
        """The samples kept: ``(track sample of its first, samples)``, in order."""
        self.received = 0
        self.tail = np.zeros(0, dtype=np.float32)
        """Samples received after the last complete slot (fewer than a slot)."""
        self.zero = np.zeros(self.slots, dtype=bool)
        """Per slot: all its samples are zero (the first ``classified``)."""
        self.classified = 0
        self.start = 0
        """First frame of the piece being gathered."""
        self.next = 0
        """Next frame to look at."""
        self.in_silence = False
        self.done = False
        self.lacking: int | None = None
        """After a ``replay``: where the samples it would hold begin, not held."""

    def feed(self, block: np.ndarray) -> Iterator[Piece]:
        if self.lacking is not None:
            raise ValueError(f"the samples from {self.lacking} were replayed, not restored")
        silent = is_silence(block)
        if not silent:
            block = np.ascontiguousarray(block, dtype="<f4").reshape(-1)
        if block.size == 0:
            return
        self.chunks.append((self.received, block))
        self.received += block.size
        self._classify(block, silent)
        yield from self._advance(final=False)
        self._trim()

    def end(self) -> Iterator[Piece]:
        """The rest, once the whole mix was fed."""
        if self.received != self.total:
            raise ValueError(f"the mix gave {self.received} samples, expected {self.total}")
        if self.lacking is not None:
            raise ValueError(f"the samples from {self.lacking} were replayed, not restored")
        if self.tail.size:  # the last slot, partial: zero-padded
            self.zero[self.classified] = not self.tail.any()
            self.classified += 1
            self.tail = self.tail[:0]
        yield from self._advance(final=True)
        if self.in_silence:
            yield Piece(self.start, self.next, True)
            self.start, self.in_silence = self.next, False
        yield self._sound(self.start, None)
        self.done = True

    # -- stretches settled elsewhere ------------------------------------------

    def synced(self, at: int) -> bool:
        """Whether the cutter stands at sample ``at`` (a slot's start, all
        before it fed and nothing after) in a silence it has looked at up
        to there, away from the track's first and last frames (which the
        encoder's start and flush make its own)."""
        a, part = divmod(at, FRAME_SAMPLES)
        return (not part and self.in_silence and not self.done and self.received == at
                and self.classified == a and not self.tail.size and self.next == a - 1
                and a >= 4 and a <= self.slots - 3)  # fmt: skip

    def entry(self, at: int, window: int) -> tuple[int | None] | None:
        """How the cutter stands at sample ``at`` (everything before it fed,
        nothing after), if what it settles from there depends only on the
        samples from ``window`` (<= ``at``) on: ``(None,)`` in a silence
        (``synced``); ``(k,)`` with a sound piece begun at frame ``a + k``
        (``a``: ``at``'s slot) whose lead-in starts at or after ``window``,
        nothing settled beyond its start yet; None otherwise."""
        a, part = divmod(at, FRAME_SAMPLES)
        if part or self.received != at or self.classified != a or self.tail.size or self.done:
            return None
        if self.synced(at):
            return (None,)
        if self.in_silence or self.start != self.next or a > self.slots - 3:
            return None
        if self.received == 0:  # a fresh cutter, at the track's start: the same wherever
            return (0,)
        if self.start < 5 or (self.start - LEAD_IN_FRAMES) * FRAME_SAMPLES < window:
            return None
        return (self.start - a,)

    def recorded(self, at: int, enter: tuple[int | None], settled: Sequence[Piece],
                 keep_from: int) -> Cuts | None:  # fmt: skip
        """What was settled (``settled``) while the slots from sample ``at``
        to what is fed now were fed, the cutter at ``at`` as ``entry`` said
        (``enter``), if it now stands as a record may leave it: in a silence
        begun in the stretch (``synced``), or with a sound piece begun whose
        lead-in starts at or after ``keep_from`` (what follows the stretch
        holds those samples). None otherwise."""
        a = at // FRAME_SAMPLES
        z = self.classified
        if self.done:  # after ``end``: the pieces to the track's end
            return self._recorded_final(a, enter, settled)
        if self.tail.size or z > self.slots - 3:
            return None
        if self.synced(self.received):
            if not settled or settled[-1].stop != self.start:
                return None  # the silence it came in goes on
            silent = True
        elif not self.in_silence and self.start == self.next \
                and (self.start - LEAD_IN_FRAMES) * FRAME_SAMPLES >= keep_from:
            silent = False
        else:
            return None
        opened = _opening(a, enter, settled)
        if opened is None:
            return None
        opens, rest = opened
        if any(p.stop is None for p in rest):
            return None  # pragma: no cover - the last piece is settled at ``end`` only
        pieces = tuple((p.first - a, p.stop - a, p.silent, p.keep_first) for p in rest)  # type: ignore[operator]
        zero = np.packbits(self.zero[a:z]).tobytes()
        return Cuts(z - a, zero, enter[0], opens, pieces, silent, self.start - a)

    def _recorded_final(self, a: int, enter: tuple[int | None],
                        settled: Sequence[Piece]) -> Cuts | None:  # fmt: skip
        opened = _opening(a, enter, settled)
        if opened is None:
            return None
        opens, rest = opened
        if not rest or rest[-1].stop is not None or any(p.stop is None for p in rest[:-1]):
            return None  # pragma: no cover - ``end`` settles the last piece, to the end
        pieces = tuple((p.first - a, None if p.stop is None else p.stop - a, p.silent,
                        p.keep_first) for p in rest)  # fmt: skip
        zero = np.packbits(self.zero[a : self.slots]).tobytes()
        return Cuts(self.slots - a, zero, enter[0], opens, pieces, False, 0, final=True)

    def can_replay(self, at: int, cuts: Cuts) -> bool:
        """Whether ``replay`` can settle ``cuts`` from sample ``at``: the
        cutter stands there as it stood where they were recorded."""
        a = at // FRAME_SAMPLES
        end = self.slots if cuts.final else self.slots - 3
        if a + cuts.slots > end or (cuts.final and a + cuts.slots != end) \
                or self.entry(at, 0) is None:
            return False
        if cuts.enter is None:
            return self.synced(at)
        return not self.in_silence and self.start == self.next == a + cuts.enter

    def replay(self, at: int, cuts: Cuts) -> list[Piece]:
        """The pieces feeding the stretch from sample ``at`` would settle
        (``can_replay``), as ``cuts`` recorded them where the same samples
        stood: the sound pieces without samples (their keys are the
        record's). The cutter is then where feeding them leaves it; if that
        is in a sound piece, what it would hold of the samples before is
        missing (``lacking``) until ``restore`` gives it."""
        if not self.can_replay(at, cuts):
            raise ValueError(f"cannot replay a stretch at sample {at}")
        a = at // FRAME_SAMPLES
        z = a + cuts.slots
        out = [] if cuts.enter is not None else [Piece(self.start, a + cuts.opens, True)]
        out += [Piece(a + first, None if stop is None else a + stop, silent, keep_first=keep)
                for first, stop, silent, keep in cuts.pieces]  # fmt: skip
        flags = np.unpackbits(np.frombuffer(cuts.zero, dtype=np.uint8), count=cuts.slots)
        self.zero[a:z] = flags.astype(bool)
        self.classified = z
        if cuts.final:  # the track's last pieces: nothing more to settle
            self.received, self.done = self.total, True
            self.chunks, self.lacking = deque(), None
            return out
        self.received = z * FRAME_SAMPLES
        self.start, self.in_silence = a + cuts.rest, cuts.silent
        self.next = z - 1 if cuts.silent else self.start
        if cuts.silent:  # what a piece after it reads of it: zeros
            lead = (LEAD_IN_FRAMES + 1) * FRAME_SAMPLES
            self.chunks = deque([(self.received - lead, silence(lead))])
            self.lacking = None
        else:
            self.chunks = deque()
            self.lacking = (self.start - LEAD_IN_FRAMES) * FRAME_SAMPLES
        return out

    def restore(self, at: int, blocks: Iterable[np.ndarray]) -> None:
        """Give back the samples from ``at`` (at most ``lacking``) to what was
        fed, after a ``replay``: the same samples the replayed stretch had
        there (their zero flags are known)."""
        if self.lacking is None or at > self.lacking:
            raise ValueError(f"samples from {at} cannot make up for those from {self.lacking}")
        chunks: deque[tuple[int, np.ndarray]] = deque()
        pos = at
        for block in blocks:
            if not is_silence(block):
                block = np.ascontiguousarray(block, dtype="<f4").reshape(-1)
            if block.size:
                chunks.append((pos, block))
                pos += block.size
        if pos != self.received:
            raise ValueError(f"restored samples {at}..{pos}, expected up to {self.received}")
        self.chunks, self.lacking = chunks, None
        self._trim()

    # -- classifying frames ---------------------------------------------------

    def _classify(self, block: np.ndarray, silent: bool = False) -> None:
        """Zero flags for every slot the block completes (a ``silent`` one's
        without looking)."""
        rest = block
        if self.tail.size:
            need = FRAME_SAMPLES - self.tail.size
            self.tail = np.concatenate([self.tail, block[:need]])
            rest = block[need:]
            if self.tail.size < FRAME_SAMPLES:
                return
            self.zero[self.classified] = not self.tail.any()
            self.classified += 1
            self.tail = self.tail[:0]
        whole = rest.size // FRAME_SAMPLES
        if whole:
            flags = self.zero[self.classified : self.classified + whole]
            if silent:
                flags[:] = True
            else:
                flags[:] = ~rest[: whole * FRAME_SAMPLES].reshape(whole, FRAME_SAMPLES).any(axis=1)
            self.classified += whole
        if rest.size > whole * FRAME_SAMPLES:
            self.tail = rest[whole * FRAME_SAMPLES :].copy()

    def _silent(self, lo: int, hi: int) -> np.ndarray:
        """For frames ``lo..hi-1``: the encoder's silence (its slots k-2..k+1
        are zero); never the first three frames nor those near the end (the
        encoder's start and flush are its own)."""
        out = np.zeros(max(0, hi - lo), dtype=bool)
        a, b = max(lo, 3), min(hi, self.slots - 2)
        if b > a:
            z = self.zero
            out[a - lo : b - lo] = z[a - 2 : b - 2] & z[a - 1 : b - 1] & z[a:b] & z[a + 1 : b + 1]
        return out

    def _known(self, final: bool) -> int:
        """Frames that can be classified now (those below this)."""
        if final:
            return self.slots - 2
        return max(0, self.classified - 1)

    # -- settling pieces -------------------------------------------------------

    def _advance(self, final: bool) -> Iterator[Piece]:
        """Settle what the frames known so far settle: a silent run ends at
        its first sound frame; a sound stretch ends at an onset (``_onset``)
        or where ``min_silent`` silent frames begin, or is cut at its
        quietest once it is ``max_frames`` long."""
        known = self._known(final)
        while self.next < known:
            if self.in_silence:
                sound = np.flatnonzero(~self._silent(self.next, known))
                if not sound.size:
                    self.next = known
                    return
                k = self.next + int(sound[0])
                yield Piece(self.start, k, True)
                self.start, self.next, self.in_silence = k, k, False
                continue
            limit = self.start + self.max_frames
            testable = known - self.min_silent + 1
            # frames below ``testable`` have their ``min_silent`` frames all known
            end = max(self.next, min(testable, limit))
            run = self._silent_run(self.next, end)
            onset = self._onset(self.next, min(known, limit))
            if onset is not None and (run is None or onset < run):
                # a silent run before the onset would have been found: it
                # ends two frames before it, so it is testable
                yield self._sound(self.start, onset)
                self.start = self.next = onset
                continue
            if run is not None:
                if run > self.start:
                    yield self._sound(self.start, run)
                self.start, self.in_silence = run, True
                self.next = run + self.min_silent
                continue
            k = end
            if k >= known:  # (with min_silent 1) every frame known was looked at
                self.next = k
                return
            if k >= limit:
                yield from self._cut(k)
            elif not final:
                self.next = k  # wait for more frames
                return
            elif limit < known:
                yield from self._cut(limit)
            else:
                self.next = known
                return

    def _onset(self, lo: int, hi: int) -> int | None:
        """The first frame ``c`` in ``lo..hi-1`` (and at least ``min_gap``
        after the stretch's start) whose slot has sound after ``min_gap``
        slots of digital silence: a piece starting there has silence for
        its lead-in, so it does not depend on what came before."""
        g = self.min_gap
        lo = max(lo, self.start + g, 3)
        if hi <= lo:
            return None
        z = self.zero[lo - g : hi]
        counts = np.concatenate([[0], np.cumsum(z, dtype=np.int64)])
        before = counts[g : g + hi - lo] - counts[: hi - lo]  # zero slots in c-g..c-1
        found = np.flatnonzero((before == g) & ~z[g:])
        return None if not found.size else lo + int(found[0])

    def _silent_run(self, lo: int, hi: int) -> int | None:
        """The first frame in ``lo..hi-1`` that starts ``min_silent`` silent
        frames, if any."""
        if hi <= lo:
            return None
        flags = self._silent(lo, hi + self.min_silent - 1)
        counts = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
        runs = np.flatnonzero(counts[self.min_silent :] - counts[: hi - lo] == self.min_silent)
        return None if not runs.size else lo + int(runs[0])

    def _cut(self, k: int) -> Iterator[Piece]:
        """The stretch has grown to ``max_frames`` at frame ``k``: cut it at its
        quietest frame in the second half."""
        cut = self._quietest(self.start + self.max_frames // 2, k)
        yield self._sound(self.start, cut)
        self.start = self.next = cut

    def _quietest(self, lo: int, hi: int) -> int:
        """The frame in ``lo..hi`` whose slots (k-2..k+1) hold the least
        energy, the latest of equals: where a cut disturbs least."""
        slots = self._samples((lo - 2) * FRAME_SAMPLES, (hi + 2) * FRAME_SAMPLES)
        slots = slots.reshape(-1, FRAME_SAMPLES)
        e = np.einsum("ij,ij->i", slots, slots, dtype=np.float64)
        around = np.convolve(e, np.ones(4), mode="valid")  # around[i]: frame lo + i
        best = around.min()
        return lo + int(np.flatnonzero(around <= best)[-1])

    def _parts(self, lo: int, hi: int) -> list[np.ndarray]:
        """Track samples ``lo..hi-1`` as views of the blocks kept, in order."""
        hi = min(hi, self.received)
        parts = [chunk[max(0, lo - at) : hi - at] for at, chunk in self.chunks
                 if at < hi and at + chunk.size > lo]  # fmt: skip
        if not self.chunks or lo < self.chunks[0][0] or sum(p.size for p in parts) != hi - lo:
            raise AssertionError(f"samples {lo}..{hi} outside the buffer")  # pragma: no cover
        return parts

    def _samples(self, lo: int, hi: int) -> np.ndarray:
        """Track samples ``lo..hi-1`` (a copy)."""
        parts = self._parts(lo, hi)
        return np.concatenate(parts) if len(parts) != 1 else parts[0].copy()

    def _sound(self, first: int, stop: int | None) -> Piece:
        keep = min(first, LEAD_IN_FRAMES)
        lo = (first - keep) * FRAME_SAMPLES
        hi = self.total if stop is None else min(self.total, (stop + TAIL_FRAMES) * FRAME_SAMPLES)
        return Piece(first, stop, False, tuple(self._parts(lo, hi)), keep)

    def _trim(self) -> None:
        """Drop the blocks no piece will need again."""
        first = self.next if self.in_silence else self.start
        keep_from = max(0, first - LEAD_IN_FRAMES) * FRAME_SAMPLES
        while self.chunks and self.chunks[0][0] + self.chunks[0][1].size <= keep_from:
            self.chunks.popleft()


def _opening(a: int, enter: tuple[int | None],
             settled: Sequence[Piece]) -> tuple[int, list[Piece]] | None:  # fmt: skip
    """How a record from frame ``a`` opens: with the cutter in a silence
    there (``enter`` None), the silent piece settled first, which must
    reach at least frame ``a - 1``, ends ``opens`` frames after ``a`` and is
    not part of the record; otherwise nothing opens it (0). The pieces of
    the record, or None if it cannot open so."""
    rest = list(settled)
    if enter[0] is None:
        if not rest or not rest[0].silent or rest[0].stop is None or rest[0].stop < a - 1:
            return None
        return rest.pop(0).stop - a, rest  # type: ignore[operator]
    return 0, rest
