"""Levelling: the gain and the limiting that bring a mix to its target.

Takes a timeline, its clips, a way to make the mix (used only with a bed
or for the fallback), a target loudness and a sample ceiling; gives a
``LevelledMix``: the timeline and clips to mix (limited where they would
pass the ceiling), the gain in dB, whether the encoder must run ffmpeg's
limiter, and the loudness before and after.

1. Plays that sound together become one (``groups``); the mix is measured
   from its clips (``bs1770``: each distinct clip K-weighted once).
2. If the plain gain keeps every sample under the ceiling, that is all.
3. Else each clip over the ceiling is limited (``limiter``) and only those
   are measured again; ``settings.settle`` raises the gain by what the
   limiting took back (a first guess, then secant steps).
4. If a bed under limited clips still sums over the ceiling (after
   lowering the clip ceiling twice), or the target cannot be reached,
   ffmpeg's limiter does it (``ffmpeg_meter``), measured through ffmpeg.

The mix itself is made once, by the encoder, except with a bed under it
(measured as blocks) and in the fallback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from cuecast.loudness.bs1770 import (
    CELL,
    ClipEnergy,
    HopEnergies,
    Reading,
    clip_energy,
    measure_blocks,
)
from cuecast.loudness.ffmpeg_meter import gain_for, measure_loudness
from cuecast.loudness.groups import ClipFor, group_source, grouped
from cuecast.loudness.limiter import cell_gains, limit
from cuecast.loudness.settings import (
    CEILING_DBFS,
    MAX_TRUE_PEAK_DBTP,
    Loudness,
    is_silent,
    makeup_guess_db,
    plain_gain_db,
    settle,
    shifted,
)
from cuecast.timeline import Timeline
from cuecast.units import db_to_gain

MixOf = Callable[[Timeline, ClipFor], Iterable[np.ndarray]]
"""Makes the mix of a timeline from a clip source, as float32 blocks."""

TRUE_PEAK_MARGIN_DB = 0.5
"""A levelled mix's true peak stays this far under ``MAX_TRUE_PEAK_DBTP``
(lossy codecs overshoot it)."""
MEASURE_THREADS = 4
"""Clips measured at once (at most one per core)."""
MAX_TIGHTENINGS = 2
"""Times the clip ceiling may be lowered for a bed that sums over it."""
MISS_LU = 0.5
"""A limited mix that cannot be brought within this of the target goes to
ffmpeg's limiter. It happens when limiting lowers the loud blocks so far
that quiet ones pass the relative gate and loudness stops rising with the
gain (the full studio example: -17.7 LUFS at best here, -17.0 through ffmpeg)."""
SUM_OVER_DB = 0.5
"""How far the bed under a limited line may take the mix's samples over
the ceiling, its true peak staying ``TRUE_PEAK_MARGIN_DB`` under the target's."""


@dataclass(frozen=True)
class LevelledMix:
    """What to mix and how to encode it so the track lands on its target."""

    timeline: Timeline
    """The timeline to mix (plays that overlap may be one ``Group``)."""
    clip_for: ClipFor
    """The clips to mix, limited where they would pass the ceiling."""
    gain_db: float = 0.0
    ffmpeg_limiter: bool = False
    """The encoder runs ffmpeg's limiter (the fallback)."""
    before: Loudness | None = None
    """The mix as made (None when loudness is left alone)."""
    after: Loudness | None = None
    """The track as encoded: gain and limiting applied."""


def level(timeline: Timeline, clip_for: ClipFor, mix_of: MixOf, *, target_lufs: float | None,
          ceiling_dbfs: float = CEILING_DBFS, bed: bool = False) -> LevelledMix:
    """The levelled mix of ``timeline`` at ``target_lufs`` with no sample
    over ``ceiling_dbfs``; ``bed`` says a bed plays under it (then the mix
    is measured as made by ``mix_of``). ``target_lufs=None`` levels nothing."""
    if target_lufs is None or timeline.length == 0:
        return LevelledMix(timeline, clip_for)
    meter = _Meter(timeline, clip_for, mix_of if bed else None)
    plain = meter.reading(None)
    before = plain.loudness()
    gain_db = plain_gain_db(plain.integrated_lufs, target_lufs)
    if is_silent(plain.integrated_lufs) or _fits(plain, gain_db, ceiling_dbfs):
        return LevelledMix(timeline, clip_for, gain_db, False, before, plain.loudness(gain_db))
    start_db = gain_db + makeup_guess_db(plain.sample_peak_dbfs + gain_db - ceiling_dbfs)
    clip_ceiling_db = ceiling_dbfs
    for _ in range(MAX_TIGHTENINGS + 1):
        found = meter.settle(target_lufs, gain_db, start_db, clip_ceiling_db)
        over_db = found.reading.sample_peak_dbfs + found.gain_db - ceiling_dbfs
        if over_db <= SUM_OVER_DB and _true_peak_ok(found.reading, found.gain_db):
            if abs(found.reading.integrated_lufs + found.gain_db - target_lufs) > MISS_LU:
                break  # limiting let quiet blocks through the gate: see MISS_LU
            return LevelledMix(meter.timeline, found.clip_for, found.gain_db, False, before,
                               found.reading.loudness(found.gain_db))  # fmt: skip
        clip_ceiling_db -= max(over_db - SUM_OVER_DB, 0.1) + 0.05
        start_db = found.gain_db
    return _with_ffmpeg_limiter(timeline, clip_for, mix_of, before, target_lufs)


def measure(timeline: Timeline, clip_for: ClipFor, mix_of: MixOf | None = None) -> Reading:
    """The mix as made, measured from its clips; with ``mix_of`` (a bed
    plays under it) as the blocks ``mix_of`` makes."""
    return _Meter(timeline, clip_for, mix_of).reading(None)


def _fits(reading: Reading, gain_db: float, ceiling_dbfs: float) -> bool:
    return reading.sample_peak_dbfs + gain_db <= ceiling_dbfs and _true_peak_ok(reading, gain_db)


def _true_peak_ok(reading: Reading, gain_db: float) -> bool:
    return reading.true_peak_dbtp + gain_db <= MAX_TRUE_PEAK_DBTP - TRUE_PEAK_MARGIN_DB


@dataclass(frozen=True)
class _Settled:
    gain_db: float
    clip_for: ClipFor
    reading: Reading
    """The limited mix at 0 dB gain."""


class _Meter:
    """Measures the grouped mix, plain or with its clips limited."""

    def __init__(self, timeline: Timeline, clip_for: ClipFor, mix_of: MixOf | None) -> None:
        self.timeline = grouped(timeline, clip_for)
        self.clip_for = group_source(clip_for)
        self.mix_of = mix_of
        self.starts: dict[Hashable, list[int]] = {}
        for event in self.timeline.events:
            if event.source is not None:
                self.starts.setdefault(event.source, []).append(event.start)
        self.plain: dict[Hashable, ClipEnergy] = {}

    def reading(self, threshold: float | None) -> Reading:
        """The mix with every clip limited to ``threshold`` (None: as made)."""
        clips = self.clip_for if threshold is None else limited_source(self.clip_for, threshold)
        if self.mix_of is not None:
            return measure_blocks(self.mix_of(self.timeline, clips))
        if not self.plain:
            self._measure_clips()
        hops = HopEnergies(self.timeline.length)
        for source, starts in self.starts.items():
            hops.add(starts, self._energy(source, threshold))
        return hops.reading()

    def _measure_clips(self) -> None:
        """Every distinct clip K-weighted once, a few at a time: numpy's FFT
        lets go of the GIL, and nothing else runs before the encoder starts."""

        def energy(source: Hashable) -> ClipEnergy:
            return clip_energy(self.clip_for(source))

        distinct = list(self.starts)
        with ThreadPoolExecutor(max_workers=min(MEASURE_THREADS, os.cpu_count() or 1)) as pool:
            self.plain = dict(zip(distinct, pool.map(energy, distinct), strict=True))

    def _energy(self, source: Hashable, threshold: float | None) -> ClipEnergy:
        """A clip's energy as made, or as limited."""
        plain = self.plain[source]
        if threshold is None or plain.true_peak <= threshold:
            return plain
        return plain.scaled(cell_gains(plain.cell_peaks, CELL, threshold), threshold)

    def settle(self, target_lufs: float, plain_db: float, start_db: float,
               clip_ceiling_db: float) -> _Settled:
        """The gain that puts the limited mix on target, and that mix."""
        last: dict[float, Reading] = {}

        def loudness_at(gain_db: float) -> float:
            last.clear()
            last[gain_db] = self.reading(db_to_gain(clip_ceiling_db - gain_db))
            return last[gain_db].integrated_lufs + gain_db

        gain_db = settle(loudness_at, target_lufs, plain_db, start_db)
        threshold = db_to_gain(clip_ceiling_db - gain_db)
        return _Settled(gain_db, limited_source(self.clip_for, threshold), last[gain_db])


def limited_source(clip_for: ClipFor, threshold: float) -> ClipFor:
    """``clip_for`` with every clip limited to ``threshold`` (full scale
    1.0). Nothing is kept: the mixer keeps a clip while it will play again
    soon (``mix.KEEP_AHEAD``)."""

    def clip(source: Any) -> np.ndarray:
        return limit(clip_for(source), threshold)

    return clip


def _with_ffmpeg_limiter(timeline: Timeline, clip_for: ClipFor, mix_of: MixOf,
                         before: Loudness, target_lufs: float) -> LevelledMix:
    """The fallback: the gain for ffmpeg's limiter, settled by measuring
    the limited mix through ffmpeg (each pass makes the mix again)."""
    gain_db, needs_limiter = gain_for(before, target_lufs)
    if not needs_limiter:  # a plain gain shifts loudness and peaks by its dB
        return LevelledMix(timeline, clip_for, gain_db, False, before, shifted(before, gain_db))
    measured: dict[float, Loudness] = {}

    def loudness_at(gain: float) -> float:
        measured[gain] = measure_loudness(mix_of(timeline, clip_for), gain_db=gain, limiter=True)
        return measured[gain].integrated_lufs

    gain_db = settle(loudness_at, target_lufs, gain_db, gain_db)
    return LevelledMix(timeline, clip_for, gain_db, True, before, measured[gain_db])
