"""The loudness stage's settings and rules, each written once.

Takes and gives plain numbers: the target and ceilings every part of the
stage works to, the gain rule (how far a mix is raised or lowered to reach
its target), the secant step that corrects the gain when limiting takes
loudness back, and ``Loudness``, the reading a render reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

TARGET_LUFS = -16.0
"""Integrated loudness a render aims at unless told otherwise (spoken word
on earbuds: Apple and Spotify ask for -16 LUFS)."""

SILENT_LUFS = -70.0
"""At or below this integrated loudness a mix counts as silence (no gain);
it is also BS.1770's absolute gate."""

MAX_GAIN_DB = 30.0
"""Never raise a quiet mix by more than this (it would only lift noise)."""

GAIN_STEP_DB = 0.05
"""Gains are whole steps of this: a listener's change that moves the
measured loudness by a thousandth of a dB (a hold's silence shifts the
400 ms blocks) then keeps the same gain, so the encoded MP3 pieces of
everything it did not change are reused (``pieces/``). At most 0.025 LU
off the exact gain, well within ``SETTLE_LU``."""


ANCHOR_LU = 0.25
"""A customised session (other var values, a profile) is levelled with the
gain of its script's default session while that puts it within this of its
target (``levelling.Default``): a listener's changed hold moves the
session's loudness by a hair, and its own gain, one ``GAIN_STEP_DB`` away,
would make every encoded piece differ. Half the track's tolerance
(``guard.TOLERANCE_LU``), the same margin ``levelling.MISS_LU`` leaves the
codec."""


def on_gain_step(gain_db: float) -> float:
    """``gain_db`` to the nearest whole ``GAIN_STEP_DB`` (rounded, so
    ``5.95`` stays exactly what it says in the timeline and the tags)."""
    return round(round(gain_db / GAIN_STEP_DB) * GAIN_STEP_DB, 6)

MAX_TRUE_PEAK_DBTP = -1.0
"""Highest true peak of a levelled track."""

CEILING_DBFS = -2.0
"""Highest sample of a levelled mix: 1 dB under ``MAX_TRUE_PEAK_DBTP``
leaves room for inter-sample peaks and lossy codec overshoot."""

CODEC_CEILING_DBFS = {"mp3": -2.5, "ogg": -2.5, "opus": -2.5}
"""Lower ceilings for codecs that overshoot more: Vorbis decoded the seed
1.1 dB over a -2 dBFS ceiling (AAC 0.6, Opus 0.8; Opus 1.0 under an ocean
bed); MP3 made of pieces (CBR, no bit reservoir) 1.3 dB (-0.71 dBTP), so at
-2 every render of the seed was encoded twice (the guard's second take).
Where a codec still overshoots (an onset Opus puts 1.6 dB over the mix),
the guard (``guard.py``) lowers the mix there alone (``dips.py``)."""

SETTLE_LU = 0.1
"""A limited mix within this of the target is on target (the codec may move
it by a few tenths more, and the track must land within 0.5 LU)."""

MAX_LIMITED_PASSES = 8
"""Measurements of the limited mix at most before the gain is taken as it is."""

MAX_CORRECTION_DB = 10.0
"""The most gain added over the plain gain to make up for limiting: past it
a limiter would only squash a very peaky mix harder (and the render fails
rather than missing its target). A ducked bed under espeak needed 7.2 dB:
its quiet blocks pass the gate and pull the integrated loudness down, so
the voice is raised well over the target and its peaks limited."""

FIRST_SLOPE = 0.5
"""dLUFS per dB of gain of a limited mix before two measurements give it:
espeak and piper sessions with their peaks 17 dB over their loudness
measured 0.45-0.5 through the numpy limiter and 0.55-0.65 through ffmpeg's;
from 0.5 either lands within ``SETTLE_LU`` on the second limited pass."""

SLOPE_FLOOR = 0.25
"""The secant slope is kept at or above this, so one step stays bounded."""

MAKEUP_PER_DB = 0.36
"""First guess of the gain limiting takes back, per dB the peaks would
exceed the ceiling (espeak sessions needed 0.28-0.38 with the numpy
limiter), so the first limited pass often lands on the target."""


@dataclass(frozen=True)
class Loudness:
    """A mix's loudness as a render reports it (rounded as ffmpeg prints)."""

    integrated_lufs: float
    """Gated integrated loudness, LUFS (``SILENT_LUFS`` for silence)."""
    true_peak_dbtp: float
    """Highest true (inter-sample) peak, dBTP (``-inf`` for silence)."""
    lra_lu: float
    """Loudness range, LU."""


def is_silent(integrated_lufs: float) -> bool:
    return not math.isfinite(integrated_lufs) or integrated_lufs <= SILENT_LUFS


def plain_gain_db(integrated_lufs: float, target_lufs: float) -> float:
    """The gain rule: the dB that bring ``integrated_lufs`` to ``target_lufs``,
    at most ``MAX_GAIN_DB``; silence gets none."""
    if is_silent(integrated_lufs):
        return 0.0
    return on_gain_step(min(target_lufs - integrated_lufs, MAX_GAIN_DB))


def shifted(loudness: Loudness, gain_db: float) -> Loudness:
    """``loudness`` after a plain gain of ``gain_db`` (silence stays silence)."""
    if is_silent(loudness.integrated_lufs):
        return loudness
    return Loudness(round(loudness.integrated_lufs + gain_db, 2),
                    round(loudness.true_peak_dbtp + gain_db, 2), loudness.lra_lu)  # fmt: skip


def makeup_guess_db(peak_excess_db: float) -> float:
    """The gain to add to the plain gain before the first limited pass."""
    return min(MAKEUP_PER_DB * max(peak_excess_db, 0.0), MAX_CORRECTION_DB)


def settle(measure_at: Callable[[float], float], target_lufs: float, plain_db: float,
           start_db: float) -> float:
    """The one correcting loop: ``measure_at(gain_db)`` gives the integrated
    loudness of the limited mix at that gain (the gain included); secant
    steps from ``start_db``, kept within ``plain_db`` ..
    ``plain_db + MAX_CORRECTION_DB`` (and ``MAX_GAIN_DB``), until within
    ``SETTLE_LU`` of ``target_lufs``, stuck, or ``MAX_LIMITED_PASSES``. Gives
    the gain measured closest to the target (heavy limiting can make
    loudness fall as the gain rises: quiet blocks pass the gate). Every gain
    tried is a whole ``GAIN_STEP_DB``."""
    gain_db = on_gain_step(start_db)
    points: list[tuple[float, float]] = []
    while True:
        points.append((gain_db, measure_at(gain_db)))
        error = target_lufs - points[-1][1]
        nxt = gain_db + error / secant_slope(points)
        nxt = on_gain_step(min(max(nxt, plain_db), plain_db + MAX_CORRECTION_DB, MAX_GAIN_DB))
        if abs(error) <= SETTLE_LU or abs(nxt - gain_db) < 1e-3 \
                or len(points) == MAX_LIMITED_PASSES:
            return min(points, key=lambda p: abs(target_lufs - p[1]))[0]
        gain_db = nxt


def secant_slope(points: list[tuple[float, float]]) -> float:
    """dLUFS/dgain from the last two ``(gain_db, lufs)`` measurements
    (``FIRST_SLOPE`` until there are two), kept within ``SLOPE_FLOOR``..1
    (a limiter never gives more than 1)."""
    if len(points) < 2:
        return FIRST_SLOPE
    (g0, l0), (g1, l1) = points[-2], points[-1]
    if g1 == g0:
        return 1.0
    return min(max((l1 - l0) / (g1 - g0), SLOPE_FLOOR), 1.0)
