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

    def __init__(self, total: int, max_frames: int, min_silent: int, min_gap: int = 16) -> None:
        self.total, self.max_frames, self.min_silent = total, max_frames, min_silent
        self.min_gap = min_gap
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

    def _onset(self, k: int) -> bool:
        g = self.min_gap
        return (k >= max(self.start + g, 3) and not self.zero[k]
                and all(self.zero[k - g : k]))  # fmt: skip

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
            if self._onset(k):
                yield self._sound(self.start, k)
                self.start = self.next = k
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
@pytest.mark.parametrize("rules", [(766, 150, 16), (40, 8, 4), (20, 1, 2), (766, 150, 500)],
                         ids=["default", "small", "tiny", "no-onsets"])
def test_the_cuts_are_those_of_a_frame_by_frame_reading(seed, rules):
    x = mixed(seed, 200 if rules[0] > 100 else 40)
    max_frames, min_silent, min_gap = rules
    blocks = [[44100], [7777, 1, 100_000, 1152], [x.size]][seed % 3]
    want = pieces_of(FrameByFrame(x.size, max_frames, min_silent, min_gap), x, [44100])
    got = pieces_of(Cutter(x.size, max_frames=max_frames, min_silent=min_silent,
                           min_gap=min_gap), x, blocks)  # fmt: skip
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


def _hold_mix(line_samples: int, gap_samples: int, seed: int = 1) -> tuple[np.ndarray, int]:
    """A line (noise of ``line_samples``), its gap, then a hold on the grid:
    a chime at its start, a word 10 s in, another at 20 s, a chime at 30 s
    (the same samples whatever the line). The mix, and the hold's first slot."""
    rng = np.random.default_rng(seed)
    hold = -(-(line_samples + gap_samples) // FRAME_SAMPLES)
    at = hold * FRAME_SAMPLES
    x = np.zeros(at + 40 * 44100, np.float32)
    x[:line_samples] = np.random.default_rng(line_samples).standard_normal(line_samples) * 0.1
    chime = (np.sin(np.arange(3 * 44100) * 0.05) * np.exp(-np.arange(3 * 44100) / 30000)) * 0.3
    word = rng.standard_normal(20_000).astype(np.float32) * 0.1
    for offset, sound in ((0, chime), (10 * 44100, word), (20 * 44100, word),
                          (30 * 44100, chime)):  # fmt: skip
        x[at + offset : at + offset + sound.size] += sound
    return x, hold


@pytest.mark.parametrize("line_s", [1.0, 2.37, 4.001])
def test_a_piece_starts_at_a_holds_start_after_a_lines_gap(line_s):
    x, hold = _hold_mix(int(line_s * 44100), 22050)  # a line, its 0.5 s gap
    pieces = pieces_of(Cutter(x.size), x, [44100])
    firsts = [p[0] for p in pieces]
    assert hold in firsts
    (at,) = [p for p in pieces if p[0] == hold]
    assert at[2] is False and at[3] == LEAD_IN_FRAMES
    assert not np.frombuffer(at[4], "<f4")[: LEAD_IN_FRAMES * FRAME_SAMPLES].any()  # lead-in silent


def test_the_same_hold_at_the_same_phase_is_the_same_pieces():
    """Whatever precedes the hold (lines of other lengths, read in blocks of
    other sizes), its pieces are the same: positions relative to its start,
    lead-ins and samples. Only the track's last piece (the encoder's flush)
    differs in where the track ends."""
    held = []
    for line_s, blocks in ((1.0, [44100]), (2.37, [7777, 1, 100_000]), (4.001, [1152 * 7])):
        x, hold = _hold_mix(int(line_s * 44100), 30_000)
        pieces = pieces_of(Cutter(x.size), x, blocks)
        inside = [(p[0] - hold, None if p[1] is None else p[1] - hold, p[2], p[3], p[4])
                  for p in pieces if p[0] >= hold]  # fmt: skip
        assert len(inside) >= 5  # the chime, the words and the silences between
        assert inside[0][:4] == (0, inside[0][1], False, LEAD_IN_FRAMES)  # cut at its start
        held.append(inside)
    assert held[1] == held[0] and held[2] == held[0]


def test_a_gap_shorter_than_min_gap_is_not_cut():
    x = np.zeros(200 * FRAME_SAMPLES, np.float32)
    x[: 50 * FRAME_SAMPLES] = 0.1
    x[60 * FRAME_SAMPLES : 120 * FRAME_SAMPLES] = 0.1  # 10 silent slots: inside one piece
    x[140 * FRAME_SAMPLES :] = 0.1  # 20 silent slots: a piece from slot 140
    firsts = [p[0] for p in pieces_of(Cutter(x.size, min_gap=16), x, [44100])]
    assert firsts == [0, 140]


def _cut_from(x: np.ndarray, at: int, stop: int, blocks: int = 44100):
    """Feed ``x`` up to ``at``; then the stretch ``[at, stop)``: what the
    cutter settled in it, how it stood at ``at`` and what it records."""
    cutter = Cutter(x.size)
    for lo in range(0, at, blocks):
        list(cutter.feed(x[lo : min(at, lo + blocks)]))
    enter = cutter.entry(at, at - 40 * FRAME_SAMPLES)
    settled = []
    for lo in range(at, stop, blocks):
        settled += cutter.feed(x[lo : min(stop, lo + blocks)])
    cuts = None if enter is None else cutter.recorded(at, enter, settled, stop)
    return cutter, enter, settled, cuts


@pytest.mark.parametrize("gap_s", [0.6, 5.0], ids=["after-an-onset", "after-a-silence"])
def test_a_stretch_replayed_elsewhere_settles_what_feeding_it_does(gap_s):
    """The same stretch (a hold on the grid) after lines of other lengths:
    recorded where it first stood, replayed where it stands next, it gives
    the pieces feeding it gives there (frames, lead-ins; the keys are the
    record's) and leaves the cutter as feeding it does."""
    rng = np.random.default_rng(3)
    hold = (rng.standard_normal(30 * 44100) * 0.1).astype(np.float32)
    hold[10 * 44100 : 12 * 44100] = 0.0
    made = []
    for line_s in (1.0, 3.3):
        line = (rng.standard_normal(int(line_s * 44100)) * 0.1).astype(np.float32)
        at = -(-(line.size + int(gap_s * 44100)) // FRAME_SAMPLES) * FRAME_SAMPLES
        x = np.zeros(at + hold.size + 20 * 44100, np.float32)
        x[: line.size] = line
        x[at : at + hold.size] = hold
        # the stretch starts a few slots into the hold after an onset, a few before it
        # after a long silence, and ends in the silence after it
        start = at + 8 * FRAME_SAMPLES if gap_s < 1 else at - 4 * FRAME_SAMPLES
        stop = (-(-(at + hold.size) // FRAME_SAMPLES) + 160) * FRAME_SAMPLES
        made.append((x, start, stop, _cut_from(x, start, stop)))
    (_, _, _, (_, enter, _, cuts)), (x, start, stop, (fed, _, settled, _)) = made
    assert enter is not None and cuts is not None
    assert (enter[0] is None) == (gap_s > 1)
    cutter = Cutter(x.size)
    for lo in range(0, start, 7777):
        list(cutter.feed(x[lo : min(start, lo + 7777)]))
    assert cutter.can_replay(start, cuts)
    replayed = cutter.replay(start, cuts)
    assert [(p.first, p.stop, p.silent, p.keep_first) for p in replayed] == \
        [(p.first, p.stop, p.silent, p.keep_first) for p in settled]  # fmt: skip
    assert (cutter.start, cutter.next, cutter.in_silence, cutter.received) == \
        (fed.start, fed.next, fed.in_silence, fed.received)  # fmt: skip
    assert np.array_equal(cutter.zero[: cutter.classified], fed.zero[: fed.classified])
    # and what follows is cut the same, whatever was replayed
    rest = list(cutter.feed(x[stop:])) + list(cutter.end())
    want = list(fed.feed(x[stop:])) + list(fed.end())
    assert [(p.first, p.stop, p.silent, p.pcm) for p in rest] == \
        [(p.first, p.stop, p.silent, p.pcm) for p in want]  # fmt: skip


def test_a_cutter_in_the_middle_of_a_piece_is_not_where_a_record_starts():
    x = (np.random.default_rng(1).standard_normal(60 * 44100) * 0.1).astype(np.float32)
    cutter = Cutter(x.size)
    list(cutter.feed(x[: 200 * FRAME_SAMPLES]))
    assert cutter.entry(200 * FRAME_SAMPLES, 0) is None  # a piece begun at 0 goes on
    assert Cutter(x.size).entry(0, 0) == (0,)  # a fresh cutter, at the track's start
