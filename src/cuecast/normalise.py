"""Normalising: the gain (and limiter) that brings a measured mix to a target.

Takes the mix's loudness as measured (``loudness.measure_loudness``) and a
way to measure it again through the limiter; gives ``Levels``: the gain,
whether the limiter is on, and the loudness before and after. The renderer
measures once, and only when the limiter is needed measures the limited
mix again (a limiter takes loudness off the peaks it holds down: about
1 LU on espeak speech brought to -16 LUFS) and raises the gain by the
shortfall, so the track lands on the target rather than under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cuecast.loudness import MAX_GAIN_DB, SILENT_LUFS, Loudness, gain_for, secant_slope

SETTLE_LU = 0.15
"""A limited mix within this of the target is on target (ebur128 prints tenths)."""

MAX_LIMITED_PASSES = 3
"""Measurements of the limited mix at most (each one streams the whole mix)."""

MAX_CORRECTION_DB = 6.0
"""The most gain added over ``gain_for``'s to make up for limiting: past it
the limiter would only squash a very peaky mix harder."""


@dataclass(frozen=True)
class Levels:
    """How a mix is normalised, and its loudness before and after."""

    gain_db: float
    limiter: bool
    before: Loudness
    """The mix as made."""
    after: Loudness
    """The mix as the encoder gets it (gain and limiter applied)."""


def normalise(
    before: Loudness,
    measure_limited: Callable[[float], Loudness],
    target_lufs: float = -16.0,
    max_true_peak_db: float = -1.0,
) -> Levels:
    """The gain (and limiter) that brings a mix measured ``before`` to
    ``target_lufs``; ``measure_limited(gain_db)`` measures the whole mix
    with that gain through the limiter.

    Without the limiter nothing more is measured: a plain gain shifts
    loudness and true peak by exactly its dB, so ``after`` is computed.
    A limiter takes loudness off the peaks it holds down (1 LU on espeak
    speech at -16), so then the limited mix is measured and the gain raised
    by the shortfall (secant steps) until within ``SETTLE_LU``; ``after`` is
    the last measurement, i.e. what the encoder gets.
    """
    gain_db, limiter = gain_for(before, target_lufs, max_true_peak_db)
    if not limiter:
        return Levels(gain_db, False, before, shifted(before, gain_db))
    first = gain_db
    points: list[tuple[float, float]] = []
    after = before
    for _ in range(MAX_LIMITED_PASSES):
        after = measure_limited(gain_db)
        points.append((gain_db, after.integrated_lufs))
        error = target_lufs - after.integrated_lufs
        step = error / _slope(points)
        nxt = min(max(gain_db + step, first), first + MAX_CORRECTION_DB, MAX_GAIN_DB)
        if abs(error) <= SETTLE_LU or nxt == gain_db or len(points) == MAX_LIMITED_PASSES:
            break
        gain_db = nxt
    return Levels(gain_db, True, before, after)


def shifted(loudness: Loudness, gain_db: float) -> Loudness:
    """``loudness`` after a plain gain of ``gain_db`` (silence stays silence)."""
    if loudness.integrated_lufs <= SILENT_LUFS:
        return loudness
    return Loudness(
        integrated_lufs=round(loudness.integrated_lufs + gain_db, 2),
        true_peak_dbtp=round(loudness.true_peak_dbtp + gain_db, 2),
        lra_lu=loudness.lra_lu,
    )


FIRST_SLOPE = 0.6
"""dLUFS/dgain of a limited mix before two measurements give it: espeak and
piper sessions brought to -16 LUFS measured 0.55-0.65 (their peaks sit
17 dB over their loudness, so the limiter works 2-3 dB); starting from it,
they land within ``SETTLE_LU`` on the second limited pass (from 1.0: the
third)."""


def _slope(points: list[tuple[float, float]]) -> float:
    return secant_slope(points, first=FIRST_SLOPE, floor=0.3)
