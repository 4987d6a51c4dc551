"""Dips: the mix lowered only where the codec put a peak over the ceiling.

Takes the frames of an encoded track whose true peak came too close to
``MAX_TRUE_PEAK_DBTP`` (ebur128's 100 ms frames, as ``ffmpeg_meter.peak_frames``
finds them in the encoded file) and how far over each was; gives ``Dips``:
a gain per frame that ``apply`` puts on the mix before the encoder, the
whole frame and ``PAD_S`` either side lowered, with ``RAMP_S`` ramps.

Why: a lossy codec can overshoot far more on one onset than anywhere else
(libopus at 64 kbit/s decoded 1.6 dB over the mix at 6.09 s of an hour over
an ocean bed, where the mix was 0.5 dB under its ceiling). Lowering the
whole mix's ceiling by that much would not touch that onset (it is under
the ceiling already) and would squash every other peak; a dip lowers that
onset alone, by what it was over plus ``ROOM_DB``. A codec is close to
linear over a dB or two (that onset came down 0.5 dB for a 0.6 dB dip), so
one correction lands it; a frame still over after one gets deeper by what
it is still over (depths add up, at most ``MAX_DIP_DB``), so each
correction lowers it by at least ``ROOM_DB`` more than it missed by.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from cuecast.blocks import is_silence
from cuecast.loudness.settings import MAX_TRUE_PEAK_DBTP
from cuecast.units import SAMPLE_RATE

FRAME_S = 0.1
"""ebur128's frame: a true peak is located to one of these."""
PAD_S = 0.03
"""How far either side of its frame a dip lowers the mix in full: a codec's
frame reaches that far (Opus 20 ms + 2.5 ms overlap, AAC 23 ms, MP3 26 ms)."""
RAMP_S = 0.01
"""How long a dip takes to come down and go back up (no click)."""
ROOM_DB = 0.5
"""A frame whose true peak is within this of ``MAX_TRUE_PEAK_DBTP`` is dipped
to this far under it (a frame the codec puts at -1.1 dBTP is not left to
pass the ceiling on the next take)."""
MAX_DIP_DB = 6.0
"""No frame is lowered by more (past it the guard fails rather than cut a
word out of the track)."""


def over_limit_db(frame_peak_dbtp: float) -> float:
    """How far a frame's true peak is over ``MAX_TRUE_PEAK_DBTP - ROOM_DB`` (0 if not)."""
    return max(0.0, frame_peak_dbtp - (MAX_TRUE_PEAK_DBTP - ROOM_DB))


@dataclass(frozen=True)
class Dips:
    """Depth in dB (> 0) per ebur128 frame of the track (index ``k``: from
    ``k * FRAME_S`` to ``(k + 1) * FRAME_S``)."""

    depth_db: Mapping[int, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.depth_db)

    def deepened(self, frames: Iterable[tuple[int, float]], raise_db: float = 0.0) -> Dips:
        """These dips with each of ``frames`` (index, true peak dBTP as
        encoded with these dips) lowered by what it is over the limit, plus
        ``raise_db`` (the gain the next take adds); depths add up."""
        depth = dict(self.depth_db)
        for index, peak_dbtp in frames:
            over = over_limit_db(peak_dbtp)
            if over > 0.0:
                total = depth.get(index, 0.0) + over + max(raise_db, 0.0)
                depth[index] = round(min(total, MAX_DIP_DB), 3)
        return Dips(dict(sorted(depth.items())))

    def gains(self, start: int, count: int) -> np.ndarray:
        """The linear gain of samples ``start`` .. ``start + count`` (1 outside every dip)."""
        gain = np.ones(count)
        if not self.depth_db or count == 0:
            return gain
        reach = _samples(PAD_S + RAMP_S)
        frames = list(self.depth_db)
        lo = bisect.bisect_left(frames, (start - reach) // _samples(FRAME_S) - 1)
        hi = bisect.bisect_right(frames, (start + count + reach) // _samples(FRAME_S) + 1)
        at = np.arange(start, start + count, dtype=np.float64)
        pad, ramp = _samples(PAD_S), _samples(RAMP_S)
        for index in frames[lo:hi]:
            a = index * FRAME_S * SAMPLE_RATE - pad
            b = (index + 1) * FRAME_S * SAMPLE_RATE + pad
            low = 10.0 ** (-self.depth_db[index] / 20.0)
            shape = np.interp(at, [a - ramp, a, b, b + ramp], [1.0, low, low, 1.0])
            np.minimum(gain, shape, out=gain)
        return gain

    def apply(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """The mix's float32 blocks with the dips on them (the same blocks
        where there are none, and silence as it is; block sizes do not
        change the result)."""
        done = 0
        for block in blocks:
            if self.depth_db and not is_silence(block):
                gain = self.gains(done, len(block))
                if float(gain.min()) < 1.0:
                    block = (block * gain).astype(np.float32)
            done += len(block)
            yield block


def _samples(seconds: float) -> int:
    return int(round(seconds * SAMPLE_RATE))
