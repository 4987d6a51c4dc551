"""The guard: a track as encoded, held to its target.

Takes the loudness of the encoded stream (``encode`` measures it as it is
made: ffmpeg decodes its own output and runs ``ebur128``), the target and
the ceiling the mix was levelled to; gives ``None`` if the track is on
target, else a ``Miss``: by how much, and the target and ceiling to level
to once more (the codec's shift made up). The render corrects once; a
second miss is a ``LoudnessError``, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cuecast.errors import LoudnessError
from cuecast.loudness.settings import MAX_TRUE_PEAK_DBTP, Loudness, is_silent

TOLERANCE_LU = 0.5
"""A track within this of its target is on target (issue 17: platforms ask
for +/- 1; a studio expects what it asked for)."""

PEAK_ROOM_DB = 0.2
"""How much further under the ceiling a corrected mix goes than the codec overshot."""


@dataclass(frozen=True)
class Miss:
    """An encoded track off its target (``off_lu``: measured minus target)
    or over the true-peak ceiling (``over_db``)."""

    measured: Loudness
    target_lufs: float
    off_lu: float
    over_db: float

    def retarget(self, target_lufs: float, ceiling_dbfs: float) -> tuple[float, float]:
        """The target and sample ceiling to level to so this codec lands on
        ``target_lufs`` under the true-peak ceiling: the mix aimed as far the
        other way as the codec moved it, the ceiling lowered by the overshoot."""
        lower = self.over_db + PEAK_ROOM_DB if self.over_db > 0 else 0.0
        return target_lufs - self.off_lu, ceiling_dbfs - lower

    def error(self, what: str) -> LoudnessError:
        m = self.measured
        return LoudnessError(
            f"{what} measured {m.integrated_lufs:.1f} LUFS / {m.true_peak_dbtp:.1f} dBTP once "
            f"encoded, not {self.target_lufs:g} LUFS (within {TOLERANCE_LU:g} LU) with its true "
            f"peak at or under {MAX_TRUE_PEAK_DBTP:g} dBTP, after one correction; "
            "nothing was written",
            hint="Try another --format or --bitrate, or another --loudness.",
        )


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
    (nothing is written); the render levels again once."""

    def __init__(self, miss: Miss) -> None:
        super().__init__(f"{miss.measured} off {miss.target_lufs:g} LUFS")
        self.miss = miss


def accept(target_lufs: float) -> Callable[[Loudness], None]:
    """The encoder's ``accept`` for ``target_lufs``: raises ``Missed``."""

    def accepting(measured: Loudness) -> None:
        miss = check(measured, target_lufs)
        if miss is not None:
            raise Missed(miss)

    return accepting
