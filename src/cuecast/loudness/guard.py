"""The guard: a track as encoded, held to its target.

Takes the loudness of the encoded stream (``encode`` measures it as it is
made: ffmpeg decodes its own output and runs ``ebur128``) and the encoded
file, and the target; gives ``None`` if the track is on target, else a
``Miss``: by how much, and, when its true peak is over the ceiling, the
100 ms frames the codec put over it (located in the file:
``ffmpeg_meter.peak_frames``). ``Correction`` is what the next take does
about it: level to a target moved as far the other way as the codec moved
it (only when that is more than ``RECENTRE_LU``), and lower the mix only
in the frames that were over (``dips``), by what they were over. The render
corrects at most ``MAX_CORRECTIONS`` times; a track that still misses is a
``LoudnessError``, and nothing is written.

Why at most two: a dip lowers its frame by ``dips.ROOM_DB`` more than it was
over, and the codec follows a dip within a tenth of a dB or so, so one
correction lands the peaks; the second is for a track whose loudness the
first correction's dips moved (a track with many frames over).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from cuecast.errors import LoudnessError
from cuecast.loudness.dips import ROOM_DB, Dips
from cuecast.loudness.ffmpeg_meter import peak_frames
from cuecast.loudness.settings import MAX_TRUE_PEAK_DBTP, Loudness, is_silent

TOLERANCE_LU = 0.5
"""A track within this of its target is on target (issue 17: platforms ask
for +/- 1; a studio expects what it asked for)."""

RECENTRE_LU = 0.2
"""A take this far off its target (or further) is levelled again, aimed as
far the other way; nearer, only its peaks are corrected (levelling again
makes an hour's bed again)."""

MAX_CORRECTIONS = 2
"""Takes after the first, at most."""


@dataclass(frozen=True)
class Miss:
    """An encoded track off its target (``off_lu``: measured minus target)
    or over the true-peak ceiling (``over_db``); ``peaks``: the frames over
    ``MAX_TRUE_PEAK_DBTP - dips.ROOM_DB`` (index, true peak dBTP)."""

    measured: Loudness
    target_lufs: float
    off_lu: float
    over_db: float
    peaks: tuple[tuple[int, float], ...] = ()

    def error(self, what: str) -> LoudnessError:
        m = self.measured
        return LoudnessError(
            f"{what} measured {m.integrated_lufs:.1f} LUFS / {m.true_peak_dbtp:.1f} dBTP once "
            f"encoded, not {self.target_lufs:g} LUFS (within {TOLERANCE_LU:g} LU) with its true "
            f"peak at or under {MAX_TRUE_PEAK_DBTP:g} dBTP, after {MAX_CORRECTIONS} corrections; "
            "nothing was written",
            hint="Try another --format or --bitrate, or another --loudness.",
        )


@dataclass(frozen=True)
class Correction:
    """What a take does so the encoded track lands: the loudness the mix is
    levelled to (``aim_lufs``) and the dips put on it."""

    aim_lufs: float
    dips: Dips = field(default_factory=Dips)

    def after(self, miss: Miss) -> Correction:
        """The next take's correction, from this take's miss: aimed as far
        the other way as the codec moved it (if ``RECENTRE_LU`` or more),
        the frames over the ceiling dipped by what they were over (and by
        the gain the new aim adds)."""
        shift = -miss.off_lu if abs(miss.off_lu) >= RECENTRE_LU else 0.0
        aim = round(self.aim_lufs + shift, 2)
        return Correction(aim, self.dips.deepened(miss.peaks, raise_db=shift))


def check(measured: Loudness, target_lufs: float) -> Miss | None:
    """``None`` if ``measured`` is within ``TOLERANCE_LU`` of ``target_lufs``
    with its true peak at or under ``MAX_TRUE_PEAK_DBTP`` (silence is on
    any target: it has nothing to raise)."""
    if is_silent(measured.integrated_lufs):
        return None
    off = measured.integrated_lufs - target_lufs
    over = measured.true_peak_dbtp - MAX_TRUE_PEAK_DBTP
    if abs(off) <= TOLERANCE_LU and over <= 0.0:
        return None
    return Miss(measured, target_lufs, off, over)


class Missed(Exception):
    """Raised from the encoder's ``accept`` to stop a track that missed
    (nothing is written); the render corrects it (``Correction.after``)."""

    def __init__(self, miss: Miss) -> None:
        super().__init__(f"{miss.measured} off {miss.target_lufs:g} LUFS")
        self.miss = miss


def accept(target_lufs: float) -> Callable[[Loudness, str], None]:
    """The encoder's ``accept`` for ``target_lufs``: given the encoded
    stream's loudness and the encoded file (complete, not yet in place),
    raises ``Missed``, with the frames over the ceiling if its peak is."""

    def accepting(measured: Loudness, path: str) -> None:
        miss = check(measured, target_lufs)
        if miss is None:
            return
        if miss.over_db > 0.0:
            peaks = peak_frames(path, over_dbtp=MAX_TRUE_PEAK_DBTP - ROOM_DB)
            miss = replace(miss, peaks=tuple(peaks))
        raise Missed(miss)

    return accepting
