"""Levelling: the gain and per-clip peak limiting that bring a mix to a target.

Takes what ``mix`` takes and a target loudness; gives ``Levelled``: the
gain, a clip source whose clips are limited (in numpy, before mixing) so
that no sample of the mix exceeds ``CEILING_DBFS`` after the gain, and the
loudness before and after, all measured by ``kmeter`` (no ffmpeg pass).
Limiting takes loudness off the peaks it holds down, so the limited mix
is measured again and the gain raised by the shortfall (secant steps, each
a cheap numpy measurement). If clips that overlap (or the bed) still sum
over the ceiling after the clip ceiling has been lowered twice, or the
target cannot be reached (``MISS_LU``), it gives None and the renderer
falls back to ffmpeg's limiter.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from cuecast.kmeter import SILENT_LUFS, TRUE_PEAK_HALF_TAPS, Measure, measure, quarter_phases, to_db
from cuecast.loudness import MAX_GAIN_DB, Loudness, secant_slope
from cuecast.mix import Bed, ClipFor, db_to_gain
from cuecast.timeline import SAMPLE_RATE, Event, Source, Timeline

CEILING_DBFS = -2.0
"""Highest sample of the mix after the gain: 1 dB under the -1 dBTP target
leaves room for inter-sample peaks and lossy codec overshoot."""
CODEC_CEILING_DBFS = {"ogg": -2.5, "opus": -2.5}
"""Lower ceilings for codecs that overshoot more: Vorbis decoded the seed
1.1 dB over a -2 dBFS ceiling (mp3 0.5, AAC 0.6, Opus 0.8)."""
MAX_TRUE_PEAK_DBTP = -1.0
BOX_SAMPLES = 2 * (SAMPLE_RATE // 100) + 1
"""The limiter's gain is a moving average over this many samples (20 ms;
40 ms took 0.8 LU more off speech limited by 6 dB)..."""
MIN_SAMPLES = BOX_SAMPLES + 2 * (SAMPLE_RATE // 2000)
"""...of a running minimum of the gain each sample needs over this many
(1 ms longer), centred: the smoothed gain never exceeds what any sample
needs, and it starts coming down 10 ms before a peak (lookahead)."""
ISP_DB = 3.0
"""The limiter looks for inter-sample peaks over its threshold only next to
samples at most this far under it (speech's are within 1 dB; the measured
true peak checks the rest)."""
SETTLE_LU = 0.15
"""A limited mix within this of the target is on target."""
FIRST_SLOPE = 0.45
"""dLUFS/dgain of a limited mix before two measurements give it (espeak
sessions measured 0.45-0.5 with their peaks 17 dB over their loudness):
from it they land within ``SETTLE_LU`` on the second limited pass."""
MAX_PASSES = 5
MAX_TIGHTENINGS = 2
"""Times the clip ceiling may be lowered for clips that sum over it."""
MAX_CORRECTION_DB = 6.0
MAKEUP_PER_DB = 0.36
"""First guess of the gain limiting takes back, per dB the peaks would
exceed the ceiling: espeak sessions (peaks 17 dB over their loudness)
needed 0.28-0.38 with the 20 ms limiter, so the first limited pass often
lands on the target."""
MISS_LU = 0.5
"""A limited mix that cannot be brought within this of the target gives
None (the renderer then tries ffmpeg's limiter). It happens when limiting
lowers the loud blocks so far that quiet ones pass the relative gate and
loudness stops rising with the gain (the full studio example: -17.7 LUFS
at best here, -17.0 through ffmpeg)."""
SUM_OVER_DB = 0.5
"""How far the bed under a limited line may take the mix's samples over
``CEILING_DBFS``, its true peak staying 0.5 dB under the target's."""


@dataclass(frozen=True)
class Levelled:
    gain_db: float
    timeline: Timeline
    """The timeline to mix: clips that overlap are one ``Group`` source."""
    clip_for: ClipFor
    """The clips to mix, limited where they would exceed the ceiling."""
    before: Loudness
    after: Loudness


def loudness_of(m: Measure, gain_db: float = 0.0) -> Loudness:
    """``m`` after a plain gain, rounded as ffmpeg prints (silence stays silence)."""
    if m.integrated_lufs <= SILENT_LUFS:
        return Loudness(SILENT_LUFS, to_db(m.true_peak), round(m.lra_lu, 1))
    return Loudness(round(m.integrated_lufs + gain_db, 2),
                    round(to_db(m.true_peak) + gain_db, 2), round(m.lra_lu, 1))  # fmt: skip


def level(timeline: Timeline, clip_for: ClipFor, bed: Bed | None = None,
          target_lufs: float = -16.0,
          ceiling_dbfs: float = CEILING_DBFS) -> Levelled | None:
    """Gain and limited clips that put the mix at ``target_lufs`` with no
    sample over ``ceiling_dbfs``; None if only ffmpeg's limiter can."""
    plain = measure(timeline, clip_for, bed)
    before = loudness_of(plain)
    if plain.integrated_lufs <= SILENT_LUFS:
        return Levelled(0.0, timeline, clip_for, before, before)
    first_db = min(target_lufs - plain.integrated_lufs, MAX_GAIN_DB)
    if to_db(plain.sample_peak) + first_db <= ceiling_dbfs and _true_peak_ok(plain, first_db):
        return Levelled(first_db, timeline, clip_for, before, loudness_of(plain, first_db))
    timeline = grouped(timeline, clip_for)
    clip_for = group_source(clip_for)
    excess_db = to_db(plain.sample_peak) + first_db - ceiling_dbfs
    ceiling_db = ceiling_dbfs
    gain_db = first_db + min(MAKEUP_PER_DB * max(excess_db, 0.0), MAX_CORRECTION_DB)
    for _ in range(MAX_TIGHTENINGS + 1):
        gain_db, clips, after = _settle(timeline, clip_for, bed, target_lufs,
                                        (first_db, gain_db), ceiling_db)  # fmt: skip
        over_db = to_db(after.sample_peak) + gain_db - ceiling_dbfs
        if over_db <= SUM_OVER_DB and _true_peak_ok(after, gain_db):
            if abs(after.integrated_lufs + gain_db - target_lufs) > MISS_LU:
                return None  # limiting let quiet blocks through the gate: see MISS_LU
            return Levelled(gain_db, timeline, clips, before, loudness_of(after, gain_db))
        ceiling_db -= max(over_db - SUM_OVER_DB, 0.1) + 0.05
    return None


@dataclass(frozen=True)
class Group:
    """Clips that overlap, mixed as one: ``(offset, source)`` pairs."""

    members: tuple[tuple[int, Source], ...]


def grouped(timeline: Timeline, clip_for: ClipFor) -> Timeline:
    """``timeline`` with each run of overlapping clips played as one ``Group``
    (the members' events keep their place but lose their source)."""
    lengths: dict[Source, int] = {}
    playing = sorted((e for e in timeline.events if e.source is not None), key=lambda e: e.start)
    runs: list[list[Event]] = []
    run_end = -1
    for ev in playing:
        if ev.source not in lengths:
            lengths[ev.source] = len(clip_for(ev.source))
        end = ev.start + lengths[ev.source]
        if runs and ev.start < run_end:
            runs[-1].append(ev)
        else:
            runs.append([ev])
        run_end = max(run_end, end) if len(runs[-1]) > 1 else end
    events = [e for e in timeline.events]
    for run in (r for r in runs if len(r) > 1):
        start = run[0].start
        members = tuple((e.start - start, e.source) for e in run)
        end = max(e.start + lengths[e.source] for e in run)
        events.append(Event("group", start, end, run[0].line, source=Group(members)))
    grouped_ids = {id(e) for r in runs if len(r) > 1 for e in r}
    events = [replace(e, source=None) if id(e) in grouped_ids else e for e in events]
    events.sort(key=lambda e: e.start)
    return replace(timeline, events=tuple(events))


def group_source(clip_for: ClipFor) -> ClipFor:
    """``clip_for`` that also mixes a ``Group`` (float64 sum, float32 out)."""

    def clip(source: Source | Group) -> np.ndarray:
        if not isinstance(source, Group):
            return clip_for(source)
        parts = [(at, np.asarray(clip_for(s), dtype=np.float64)) for at, s in source.members]
        out = np.zeros(max(at + len(x) for at, x in parts))
        for at, x in parts:
            out[at : at + len(x)] += x
        return out.astype(np.float32)

    return clip  # type: ignore[return-value]


def _true_peak_ok(m: Measure, gain_db: float) -> bool:
    return to_db(m.true_peak) + gain_db <= MAX_TRUE_PEAK_DBTP - 0.5


def _settle(timeline: Timeline, clip_for: ClipFor, bed: Bed | None, target_lufs: float,
            gains_db: tuple[float, float],
            ceiling_db: float) -> tuple[float, ClipFor, Measure]:
    """Secant steps on the gain (from ``gains_db[1]``, never under the
    plain gain ``gains_db[0]``) until the limited mix is on target."""
    first, gain_db = gains_db
    points: list[tuple[float, float]] = []
    while True:
        clips = limited_source(clip_for, db_to_gain(ceiling_db - gain_db))
        after = measure(timeline, clips, bed)
        points.append((gain_db, after.integrated_lufs + gain_db))
        error = target_lufs - points[-1][1]
        nxt = gain_db + error / _slope(points)
        nxt = min(max(nxt, first), first + MAX_CORRECTION_DB, MAX_GAIN_DB)
        if abs(error) <= SETTLE_LU or abs(nxt - gain_db) < 1e-3 or len(points) == MAX_PASSES:
            return gain_db, clips, after
        gain_db = nxt


def _slope(points: list[tuple[float, float]]) -> float:
    return secant_slope(points, first=FIRST_SLOPE, floor=0.2)


def limited_source(clip_for: ClipFor, threshold: float, keep: int = 8) -> ClipFor:
    """``clip_for`` with every clip limited to ``threshold`` (full scale
    1.0); the last ``keep`` limited clips are remembered."""
    recent: OrderedDict[Source, np.ndarray] = OrderedDict()

    def clip(source: Source) -> np.ndarray:
        done = recent.get(source)
        if done is None:
            done = limit(clip_for(source), threshold)
            recent[source] = done
            if len(recent) > keep:
                recent.popitem(last=False)
        return done

    return clip


def limit(clip: np.ndarray, threshold: float) -> np.ndarray:
    """``clip`` with no sample over ``threshold``: each sample needs the gain
    ``min(1, threshold/|x|)``; the gain applied is a centred moving average
    of a centred running minimum of that need, so it is never above it,
    looks ahead, and changes smoothly. float64 inside, float32 out."""
    x = np.asarray(clip, dtype=np.float64)
    a = oversampled_magnitude(x, threshold)
    if a.size == 0 or float(a.max()) <= threshold:
        return np.asarray(clip, dtype=np.float32)
    need = np.minimum(1.0, threshold / np.maximum(a, 1e-30))
    pad = MIN_SAMPLES // 2 + BOX_SAMPLES // 2
    need_padded = np.concatenate([np.ones(pad), need, np.ones(pad)])
    floor = running_min(need_padded, MIN_SAMPLES)
    gain = moving_average(floor, BOX_SAMPLES)[pad:-pad]
    gain = np.minimum(gain, need)
    out = (x * gain).astype(np.float32)
    return np.clip(out, -threshold, threshold)


def oversampled_magnitude(x: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """``|x|``, raised next to each local peak within ``ISP_DB`` of ``floor``
    to the largest 4x-oversampled magnitude from a sample before it to one
    after (so a limit on it bounds the true peak there)."""
    a = np.abs(x)
    inner = a[1:-1]
    peaks = 1 + np.flatnonzero((inner >= floor * 10.0 ** (-ISP_DB / 20.0))
                               & (inner >= a[:-2]) & (inner >= a[2:]))  # fmt: skip
    if peaks.size == 0:
        return a
    offsets, taps = quarter_phases()
    half = TRUE_PEAK_HALF_TAPS
    padded = np.concatenate([np.zeros(half + 1), x, np.zeros(half + 1)])
    gather = offsets[None, :] + half + 1
    top = np.maximum(np.abs(padded[peaks[:, None] - 1 + gather] @ taps).max(axis=1),
                     np.abs(padded[peaks[:, None] + gather] @ taps).max(axis=1))  # fmt: skip
    for shift in (-1, 0, 1):
        np.maximum.at(a, peaks + shift, top)
    return a


def running_min(x: np.ndarray, width: int) -> np.ndarray:
    """Centred running minimum over ``width`` (odd) samples, same length as
    ``x`` (edges see +inf beyond the ends): van Herk/Gil-Werman, O(n)."""
    half = width // 2
    n = x.size
    length = -(-(n + 2 * half) // width) * width
    padded = np.full(length + width, np.inf)
    padded[half : half + n] = x
    rows = padded.reshape(-1, width)
    prefix = np.minimum.accumulate(rows, axis=1).reshape(-1)
    suffix = np.minimum.accumulate(rows[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    return np.minimum(suffix[:n], prefix[width - 1 : width - 1 + n])


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` (odd) samples, edges padded with
    the end values."""
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    total = np.concatenate([[0.0], np.cumsum(padded)])
    return (total[width:] - total[:-width]) / width
