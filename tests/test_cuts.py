"""pieces/cuts.py: the Cutter, which reads whole blocks at once, settles the
very pieces a frame-by-frame reading of its rules does (so every key, and
the piece cache, stays what it was), whatever the blocks' sizes."""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np
import pytest

from cuecast.blocks import is_silence, silence
from cuecast.ffmpeg import as_pcm
from cuecast.mp3frames import FRAME_SAMPLES
from cuecast.pieces.cuts import LEAD_IN_FRAMES, TAIL_FRAMES, Cutter, Piece


class FrameByFrame:
    """The rules read one frame at a time (the Cutter as first written)."""

    def __init__(self, total: int, max_frames: int, min_silent: int) -> None:
        self.total, self.max_frames, self.min_silent = total, max_frames, min_silent
        self.slots = -(-total // FRAME_SAMPLES)
        self.buf = np.zeros(0, dtype=np.float32)
        self.buf_start = self.received = self.start = self.next = 0
        self.zero, self.energy = bytearray(), array("d")
        self.in_silence = False

    def feed(self, block: np.ndarray) -> Iterator[Piece]:
        self.buf = np.concatenate([self.buf, block.astype(np.float32)])
        self.received += block.size
        self._classify()
        yield from self._advance(final=False)
        first = self.next if self.in_silence else self.start
        keep_from = max(0, first - LEAD_IN_FRAMES) * FRAME_SAMPLES
        if keep_from > self.buf_start:
            self.buf = self.buf[keep_from - self.buf_start :]
            self.buf_start = keep_from

    def end(self) -> Iterator[Piece]:
        self._classify()
        yield from self._advance(final=True)
        if self.in_silence:
            yield Piece(self.start, self.next, True)
            self.start = self.next
        yield self._sound(self.start, None)

    def _classify(self) -> None:
        have, full = len(self.zero), self.received // FRAME_SAMPLES
        if self.received == self.total:
            full = self.slots
        if full <= have:
            return
        part = self.buf[have * FRAME_SAMPLES - self.buf_start :
                        min(full * FRAME_SAMPLES, self.received) - self.buf_start]
        part = np.concatenate([part, np.zeros((-part.size) % FRAME_SAMPLES, np.float32)])
        slots = part.reshape(-1, FRAME_SAMPLES)
        self.zero += (~slots.any(axis=1)).astype(np.uint8).tobytes()
        self.energy.extend(np.einsum("ij,ij->i", slots, slots, dtype=np.float64).tolist())

    def _silent(self, k: int) -> bool:
        return 3 <= k <= self.slots - 3 and all(self.zero[k - 2 : k + 2])

    def _advance(self, final: bool) -> Iterator[Piece]:
        known = self.slots - 2 if final else max(0, len(self.zero) - 1)
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
                lo = self.start + self.max_frames // 2
                e = np.frombuffer(self.energy, dtype=np.float64)[lo - 2 : k + 2]
                around = np.convolve(e, np.ones(4), mode="valid")
                cut = lo + int(np.flatnonzero(around <= around.min())[-1])
                yield self._sound(self.start, cut)
                self.start = self.next = cut
                continue
            if k + self.min_silent > known and not final:
                return
            if k + self.min_silent <= known and all(
                self._silent(j) for j in range(k, k + self.min_silent)
            ):
                if k > self.start:
                    yield self._sound(self.start, k)
                self.start, self.in_silence = k, True
                self.next = k + self.min_silent
                continue
            self.next += 1

    def _sound(self, first: int, stop: int | None) -> Piece:
        keep = min(first, LEAD_IN_FRAMES)
        lo = (first - keep) * FRAME_SAMPLES
        hi = self.total if stop is None else min(self.total, (stop + TAIL_FRAMES) * FRAME_SAMPLES)
        pcm = self.buf[lo - self.buf_start : hi - self.buf_start]
        return Piece(first, stop, False, (pcm.astype("<f4"),), keep)


def mixed(seed: int, seconds: float) -> np.ndarray:
    """Sound and digital silence in runs of every length, from a frame's
    few samples to a minute; here and there one sample alone, or a run of
    the very same sound (ties for the quietest frame)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 44100)
    out = np.zeros(n, dtype=np.float32)
    at = int(rng.integers(0, 3000))
    while at < n:
        length = int(rng.choice([30, 1152, 5000, 40_000, 200_000, 900_000]) * rng.uniform(0.5, 1.5))
        kind = rng.integers(0, 5)
        if kind == 0:
            out[at] = 0.25
        elif kind == 1:
            out[at : at + length] = 0.1
        elif kind == 2:
            out[at : at + length] = rng.standard_normal(out[at : at + length].size) * 0.1
        at += length + int(rng.choice([10, 2000, 100_000, 200_000, 600_000]) * rng.uniform(0.5, 2))
    return out


def pieces_of(cutter, x: np.ndarray, blocks: list[int]) -> list[tuple]:
    out: list[Piece] = []
    at, i = 0, 0
    while at < x.size:
        n = blocks[i % len(blocks)]
        out += cutter.feed(x[at : at + n])
        at += n
        i += 1
    out += cutter.end()
    return [(p.first, p.stop, p.silent, p.keep_first, p.pcm) for p in out]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("rules", [(766, 150), (40, 8), (20, 1)], ids=["default", "small", "tiny"])
def test_the_cuts_are_those_of_a_frame_by_frame_reading(seed, rules):
    x = mixed(seed, 200 if rules[0] > 100 else 40)
    max_frames, min_silent = rules
    blocks = [[44100], [7777, 1, 100_000, 1152], [x.size]][seed % 3]
    want = pieces_of(FrameByFrame(x.size, max_frames, min_silent), x, [44100])
    got = pieces_of(Cutter(x.size, max_frames=max_frames, min_silent=min_silent), x, blocks)
    assert [p[:4] for p in got] == [p[:4] for p in want]
    assert got == want
    assert sum(1 for p in got if p[2]) > 0 and sum(1 for p in got if not p[2]) > 1


def test_a_track_of_silence_or_of_sound_only():
    for x in (np.zeros(300 * FRAME_SAMPLES + 17, np.float32),
              np.full(2000 * FRAME_SAMPLES, 0.1, np.float32),
              np.zeros(5, np.float32)):  # fmt: skip
        want = pieces_of(FrameByFrame(x.size, 766, 150), x, [44100])
        assert pieces_of(Cutter(x.size), x, [44100]) == want


def test_a_mix_of_the_wrong_length_is_refused():
    cutter = Cutter(10_000)
    list(cutter.feed(np.zeros(9_999, np.float32)))
    with pytest.raises(ValueError, match="9999 samples, expected 10000"):
        list(cutter.end())


def test_silent_blocks_cut_as_their_zeros_do():
    """``blocks.silence`` (what the mixer gives where nothing sounds) is not
    looked at, and cuts as the zeros it stands for."""
    x = mixed(5, 200)
    zeros_given = pieces_of(Cutter(x.size), x, [44100])
    cutter, got, blocks = Cutter(x.size), [], 0
    for at in range(0, x.size, 44100):
        part = x[at : at + 44100]
        if not part.any():
            part = silence(part.size)
            blocks += 1
        got += cutter.feed(part)
    got += cutter.end()
    assert blocks > 20
    assert [(p.first, p.stop, p.silent, p.keep_first, p.pcm) for p in got] == zeros_given


def test_silence_is_one_zero_repeated():
    s = silence(44100)
    assert is_silence(s) and s.nbytes == 44100 * 4 and not s.flags.writeable
    assert np.array_equal(np.asarray(s), np.zeros(44100, np.float32))
    assert not is_silence(np.zeros(44100, np.float32))  # mixed zeros are looked at
    assert as_pcm(s, 1.5, 0.8) is s
    with pytest.raises(ValueError):
        s[0] = 1.0
