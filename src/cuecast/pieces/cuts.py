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
stands (what ``planner`` puts on the grid after a hold, a rest or a pause):

- a run of at least ``MIN_SILENT_FRAMES`` silent frames is a silent piece,
  written as the encoder's silent frames with no encoding at all;
- the sound between is a sound piece, at most ``MAX_PIECE_FRAMES`` long:
  a longer stretch is cut at its quietest frame in the second half of that
  length (a pause between words; under a bed, the bed alone), counted
  from the stretch's start, so the cuts too follow the content.

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

import hashlib
import json
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from cuecast.mp3frames import FRAME_SAMPLES

LEAD_IN_FRAMES = 2
"""Frames of preceding audio each piece is encoded with, then dropped."""

TAIL_FRAMES = 2
"""Frames of following audio each piece is encoded with (slots k + 1 and
one more for safety: the frames before the cut depend on them)."""

MIN_SILENT_FRAMES = 150
"""Silence shorter than this (3.9 s) stays inside a sound piece: cutting
there makes another piece, and starting an encoder costs about what
encoding 3 s of audio does (measured on a 10-minute session of lines and
holds: at 8 frames 143 pieces and 1.90 s of encoder CPU, at 100 61 pieces
and 1.35 s, at 400 50 pieces and 1.44 s)."""

MAX_PIECE_FRAMES = 766
"""A sound piece is at most 766 frames (20 s): short enough that both
cores have work on a track of a few minutes and that the pieces in flight
stay small (3.5 MB of float32 each), long enough that starting the
encoder (about 20 ms of CPU each) costs little."""

PIECE_FORMAT = 1
"""Part of every piece's key: bump it when the cutting or encoding changes."""


@dataclass(frozen=True)
class Piece:
    """Frames ``[first, stop)`` of the track (``stop`` None: to the end).

    A silent piece has no ``pcm``; a sound piece carries the mix samples it
    is encoded from (``pcm``, float32 little-endian bytes, starting at frame
    ``first - keep_first``) and keeps the encoded frames from ``keep_first``
    on, ``stop - first`` of them (all, for the last piece)."""

    first: int
    stop: int | None
    silent: bool
    pcm: bytes = b""
    keep_first: int = 0

    @property
    def frames(self) -> int | None:
        return None if self.stop is None else self.stop - self.first


def piece_key(piece: Piece, settings: Sequence[str]) -> str:
    """The cache key of a sound piece: the sha256 of the canonical JSON of
    ``{"v", "settings", "keep"}`` (``settings``: the encoder and its
    arguments), a newline, and the samples it encodes. Changing this layout
    changes every key; bump ``PIECE_FORMAT`` when the cutting changes."""
    head = {"v": PIECE_FORMAT, "settings": list(settings),
            "keep": [piece.keep_first, piece.frames]}  # fmt: skip
    h = hashlib.sha256(json.dumps(head, sort_keys=True, separators=(",", ":")).encode())
    h.update(b"\n")
    h.update(piece.pcm)
    return h.hexdigest()


class Cutter:
    """Feed the mix with ``feed`` and ``end``; each gives the pieces settled."""

    def __init__(self, total_samples: int, *, max_frames: int = MAX_PIECE_FRAMES,
                 min_silent: int = MIN_SILENT_FRAMES) -> None:  # fmt: skip
        self.total = total_samples
        self.slots = -(-total_samples // FRAME_SAMPLES)
        self.max_frames = max_frames
        self.min_silent = min_silent
        self.buf = np.zeros(0, dtype=np.float32)
        self.buf_start = 0
        """Track sample of ``buf[0]``."""
        self.received = 0
        self.zero = bytearray()
        """Per complete slot: 1 if all its samples are zero."""
        self.energy = array("d")
        """Per complete slot: the sum of its squared samples."""
        self.start = 0
        """First frame of the piece being gathered."""
        self.next = 0
        """Next frame to look at."""
        self.in_silence = False
        self.done = False

    def feed(self, block: np.ndarray) -> Iterator[Piece]:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if block.size == 0:
            return
        self.buf = np.concatenate([self.buf, block]) if self.buf.size else block.copy()
        self.received += block.size
        self._classify()
        yield from self._advance(final=False)
        self._trim()

    def end(self) -> Iterator[Piece]:
        """The rest, once the whole mix was fed."""
        if self.received != self.total:
            raise ValueError(f"the mix gave {self.received} samples, expected {self.total}")
        self._classify()
        yield from self._advance(final=True)
        if self.in_silence:
            yield Piece(self.start, self.next, True)
            self.start, self.in_silence = self.next, False
        yield self._sound(self.start, None)
        self.done = True

    # -- classifying frames ---------------------------------------------------

    def _classify(self) -> None:
        """Zero flags for every complete slot received (the last, partial
        slot too once everything is in)."""
        have = len(self.zero)
        full = self.received // FRAME_SAMPLES
        if self.received == self.total:
            full = self.slots
        if full <= have:
            return
        lo = have * FRAME_SAMPLES - self.buf_start
        hi = min(full * FRAME_SAMPLES, self.received) - self.buf_start
        part = self.buf[lo:hi]
        pad = (-part.size) % FRAME_SAMPLES
        if pad:
            part = np.concatenate([part, np.zeros(pad, dtype=np.float32)])
        slots = part.reshape(-1, FRAME_SAMPLES)
        self.zero += (~slots.any(axis=1)).astype(np.uint8).tobytes()
        self.energy.extend(np.einsum("ij,ij->i", slots, slots, dtype=np.float64).tolist())

    def _silent(self, k: int) -> bool:
        """Frame k is the encoder's silence (its slots k-2..k+1 are zero);
        never the first three frames nor those near the end (the encoder's
        start and flush are its own)."""
        if k < 3 or k > self.slots - 3:
            return False
        return all(self.zero[k - 2 : k + 2])

    def _known(self, final: bool) -> int:
        """Frames that can be classified now (those below this)."""
        if final:
            return self.slots - 2
        return max(0, len(self.zero) - 1)

    # -- settling pieces -------------------------------------------------------

    def _advance(self, final: bool) -> Iterator[Piece]:
        known = self._known(final)
        while self.next < known:
            k = self.next
            if self.in_silence:
                if self._silent(k):
                    self.next += 1
                    continue
                yield Piece(self.start, k, True)
                self.start, self.in_silence = k, False
                continue
            if k - self.start >= self.max_frames:
                cut = self._quietest(self.start + self.max_frames // 2, k)
                yield self._sound(self.start, cut)
                self.start = self.next = cut
                continue
            if k + self.min_silent > known and not final:
                return
            if all(self._silent(j) for j in range(k, min(k + self.min_silent, known))) and \
                    k + self.min_silent <= known:
                if k > self.start:
                    yield self._sound(self.start, k)
                self.start, self.in_silence = k, True
                self.next = k + self.min_silent
                continue
            self.next += 1

    def _quietest(self, lo: int, hi: int) -> int:
        """The frame in ``lo..hi`` whose slots (k-2..k+1) hold the least
        energy, the latest of equals: where a cut disturbs least."""
        e = np.frombuffer(self.energy, dtype=np.float64)[lo - 2 : hi + 2]
        around = np.convolve(e, np.ones(4), mode="valid")  # around[i]: frame lo + i
        best = around.min()
        return lo + int(np.flatnonzero(around <= best)[-1])

    def _sound(self, first: int, stop: int | None) -> Piece:
        keep = min(first, LEAD_IN_FRAMES)
        lo = (first - keep) * FRAME_SAMPLES
        hi = self.total if stop is None else min(self.total, (stop + TAIL_FRAMES) * FRAME_SAMPLES)
        pcm = self.buf[lo - self.buf_start : hi - self.buf_start]
        if lo < self.buf_start or hi - self.buf_start > self.buf.size:
            raise AssertionError(f"piece {first}..{stop} outside the buffer")  # pragma: no cover
        return Piece(first, stop, False, np.ascontiguousarray(pcm, dtype="<f4").tobytes(), keep)

    def _trim(self) -> None:
        """Drop the samples no piece will need again."""
        first = self.next if self.in_silence else self.start
        keep_from = max(0, first - LEAD_IN_FRAMES) * FRAME_SAMPLES
        drop = keep_from - self.buf_start
        if drop > 0:
            self.buf = self.buf[drop:]
            self.buf_start = keep_from
