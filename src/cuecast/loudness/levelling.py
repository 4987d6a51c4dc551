"""Levelling: the gain and the limiting that bring a mix to its target.

Takes a timeline, its clips, a way to make the mix (used only to make a bed
alone, once), a target loudness and a sample ceiling; gives a
``LevelledMix``: the timeline and clips to mix (limited where they would
pass the ceiling), the gain in dB, the limit the mix itself goes through
(with a bed), and the loudness before and after.

1. Plays that sound together become one (``groups``); the mix is measured
   from its clips (``bs1770``: each distinct clip K-weighted once), and a
   bed's energy, measured once from the bed made alone (ducked as it plays),
   is added hop by hop (the bed and the voice are not correlated).
2. If the plain gain keeps every sample under the ceiling, that is all.
3. Else each clip over the ceiling is limited (``limiter``) and only those
   are measured again; ``settings.settle`` raises the gain by what the
   limiting took back (a first guess, then secant steps, milliseconds each).
4. With a bed, the mix itself also goes through the limiter at the ceiling
   (``limiter.limit_stream``): a chime over the bed, not ducked, cannot sum
   past it. Before, the bed was added after the clips were limited; where
   they summed over the ceiling the clips' ceiling was lowered, loudness fell
   away, and ffmpeg's limiter (the fallback then), capped, left a ducked
   ocean bed at -17 LUFS against -16.
5. A mix that cannot be settled within ``MISS_LU`` of its target is a
   ``LoudnessError`` (nothing is written), not a track that misses; the
   encoded track is held to its target by ``guard``.
6. A customised session (``Default``: its script's default session given)
   keeps the default session's gain, levelled the same way (plain or its
   clips limited at the same threshold), while that puts it within
   ``ANCHOR_LU`` of its target; else it gets its own. A listener's changed
   hold moves the loudness by a hair, and a gain one step away would make
   every encoded MP3 piece differ from the default session's. What a
   customised session keeps of its default is an ``Anchor`` (its gain,
   and whether its clips were limited): a server keeps it per default
   session (``KeptAnchors``), so its listeners' sessions do not level the
   default session again.

The mix itself is made once, by the encoder (and a bed alone once before).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cuecast.errors import LoudnessError
from cuecast.loudness.bs1770 import (
    CELL,
    ClipEnergy,
    HopEnergies,
    Reading,
    clip_energy,
    hop_energies,
    integrated_lufs,
    measure_blocks,
)
from cuecast.loudness.energies import EnergyStore, energy_named, energy_of
from cuecast.loudness.groups import ClipFor, clip_identity, group_source, grouped
from cuecast.loudness.limiter import cell_gains, limit, limit_stream
from cuecast.loudness.settings import (
    ANCHOR_LU,
    CEILING_DBFS,
    MAX_TRUE_PEAK_DBTP,
    Loudness,
    is_silent,
    makeup_guess_db,
    on_gain_step,
    plain_gain_db,
    settle,
)
from cuecast.memo import ClipMemo, size_of
from cuecast.timeline import Timeline
from cuecast.units import db_to_gain

MixOf = Callable[[Timeline, ClipFor], Iterable[np.ndarray]]
"""Makes the mix of a timeline from a clip source, as float32 blocks."""

TRUE_PEAK_MARGIN_DB = 0.5
"""A levelled mix's true peak stays this far under ``MAX_TRUE_PEAK_DBTP``
(lossy codecs overshoot it)."""
MEASURE_THREADS = 4
"""Clips measured at once (at most one per core)."""
MISS_LU = 0.25
"""A levelled mix further than this from its target is an error: the
codec may move it another 0.25 (LAME's level loss varies with the sound),
and the track must land within 0.5 LU."""


@dataclass(frozen=True)
class LevelledMix:
    """What to mix and how to encode it so the track lands on its target."""

    timeline: Timeline
    """The timeline to mix (plays that overlap may be one ``Group``)."""
    clip_for: ClipFor
    """The clips to mix, limited where they would pass the ceiling."""
    gain_db: float = 0.0
    before: Loudness | None = None
    """The mix as made (None when loudness is left alone)."""
    after: Loudness | None = None
    """The track as encoded: gain and limiting applied."""
    mix_limit: float | None = None
    """The limit (linear, before the gain) the mix itself goes through, or
    None: ``finished`` applies it."""
    bed_db: float = 0.0
    """What the bed is lowered by (dB, <= 0): the loudness the limiting took
    from the clips, so the bed stays as far under the voice as asked."""
    anchor: Anchor | None = None
    """How the default session was levelled, for a customised session
    (rule 6; None when there is none, or it could not be levelled): kept
    by a server (``KeptAnchors``), it is the next session's ``default``."""
    clip_limit: float | None = None
    """The threshold ``clip_for`` limits every clip to (``limited_source``,
    its plays grouped: ``groups``), or None: the clips as made. What names
    a clip as mixed: its own name and this."""

    def finished(self, blocks: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
        """The mix's blocks as they must reach the encoder (before the gain)."""
        return blocks if self.mix_limit is None else limit_stream(blocks, self.mix_limit)


@dataclass(frozen=True)
class Default:
    """The default session of a customised one (its script with the vars'
    declared values and no profile: ``request.Options.default_session``),
    planned: the session whose gain a customised session keeps (rule 6)."""

    timeline: Timeline
    clip_for: ClipFor
    """Its clips; when it is the session's own clip source, the clips both
    play are measured once."""
    mix_of: MixOf | None = None
    """Makes its mix, when a bed plays under it (None: no bed)."""


def level(timeline: Timeline, clip_for: ClipFor, mix_of: MixOf, *, target_lufs: float | None,
          ceiling_dbfs: float = CEILING_DBFS, bed: bool = False,
          energies: EnergyStore | None = None, memo: ClipMemo | None = None,
          default: Default | Anchor | None = None) -> LevelledMix:  # fmt: skip
    """The levelled mix of ``timeline`` at ``target_lufs`` with no sample
    over ``ceiling_dbfs``; ``bed`` says a bed plays under it (``mix_of``
    then makes the bed alone once, to measure it). ``target_lufs=None``
    levels nothing. ``LoudnessError`` if the target cannot be reached.
    ``energies`` keeps each clip's measurement by its content
    (``energies.py``): a clip measured by an earlier render is not
    measured again; the result is the same. ``memo`` keeps clips'
    energies and limited forms in memory (``cuecast.memo``): a clip that
    plays again, in this render or a later one, is limited once. With
    ``default`` (the session is a customised one), the default session's
    gain if it puts this one within ``ANCHOR_LU`` of the target (rule 6);
    ``default`` may be that session's ``Anchor`` kept from an earlier
    render at the same target and ceiling (the result's ``anchor``)."""
    if target_lufs is None or timeline.length == 0:
        return LevelledMix(timeline, clip_for)
    meter = _Meter(timeline, clip_for, mix_of if bed else None, energies, memo)
    how = default if isinstance(default, Anchor) else None
    if isinstance(default, Default) and default.timeline.length:
        meter.reading(None)  # its clips measured: the default's shared ones are not again
        shared = meter.plain if default.clip_for is clip_for else None
        anchor = _Meter(default.timeline, default.clip_for, default.mix_of, energies, memo,
                        shared)  # fmt: skip
        try:
            how = _levelled(anchor, target_lufs, ceiling_dbfs)[1]
        except LoudnessError:
            how = None  # the default session cannot be levelled: nothing to keep
    kept = None if how is None else _held(meter, how, target_lufs, ceiling_dbfs)
    levelled = kept if kept is not None else _levelled(meter, target_lufs, ceiling_dbfs)[0]
    return levelled if how is None else replace(levelled, anchor=how)


@dataclass(frozen=True)
class Anchor:
    """How a mix was levelled: what levelling another the same way needs
    (a customised session, its default session's: rule 6)."""

    gain_db: float
    limited: bool
    """Its clips were limited (at ``_limit(ceiling, gain_db)``), grouped."""
    bed_under_voice: bool = True


ANCHORS_KEPT = 256
"""Default sessions' anchors a server keeps (a few dozen bytes each)."""


class KeptAnchors:
    """The ``Anchor`` of each default session levelled, kept across renders
    (a server's; thread-safe, the least recently used dropped past
    ``most``): by a key its caller gives the default session (what names
    its inputs: the script, the files it reads, the options, the
    versions), the target and the ceiling."""

    def __init__(self, most: int = ANCHORS_KEPT) -> None:
        self.most = max(1, most)
        self._kept: OrderedDict[tuple[str, float, float], Anchor] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, target_lufs: float, ceiling_dbfs: float) -> Anchor | None:
        with self._lock:
            anchor = self._kept.get((key, target_lufs, ceiling_dbfs))
            if anchor is not None:
                self._kept.move_to_end((key, target_lufs, ceiling_dbfs))
            return anchor

    def put(self, key: str, target_lufs: float, ceiling_dbfs: float, anchor: Anchor) -> None:
        with self._lock:
            self._kept[(key, target_lufs, ceiling_dbfs)] = anchor
            self._kept.move_to_end((key, target_lufs, ceiling_dbfs))
            while len(self._kept) > self.most:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)


def _levelled(meter: _Meter, target_lufs: float, ceiling_dbfs: float) -> tuple[LevelledMix, Anchor]:
    """Rules 1-5: the mix's own gain, and how it was levelled."""
    timeline, clip_for, bed = meter.source_timeline, meter.source_clip_for, meter.has_bed
    plain = meter.reading(None)
    before = plain.loudness()
    gain_db = plain_gain_db(plain.integrated_lufs, target_lufs)
    if is_silent(plain.integrated_lufs) or _fits(plain, gain_db, ceiling_dbfs):
        return LevelledMix(timeline, clip_for, gain_db, before, plain.loudness(gain_db),
                           _limit(ceiling_dbfs, gain_db) if bed else None), \
            Anchor(gain_db, limited=False)  # fmt: skip
    start_db = gain_db + makeup_guess_db(plain.sample_peak_dbfs + gain_db - ceiling_dbfs)
    found = meter.settle(target_lufs, gain_db, start_db, ceiling_dbfs)
    if bed and not _landed(found, target_lufs, ceiling_dbfs):
        meter.bed_under_voice = False  # a loud bed: it carries the track to its target
        other = meter.settle(target_lufs, gain_db, start_db, ceiling_dbfs)
        found = min(found, other, key=lambda f: abs(f.reading.integrated_lufs + f.gain_db
                                                    - target_lufs))  # fmt: skip
        meter.bed_under_voice = found is not other
    after = found.reading.loudness(found.gain_db)
    if not _landed(found, target_lufs, ceiling_dbfs):
        raise LoudnessError(
            f"cannot bring this mix to {target_lufs:g} LUFS with its true peak at or under "
            f"{MAX_TRUE_PEAK_DBTP:g} dBTP: limited, it reaches {after.integrated_lufs:.1f} "
            f"LUFS ({before.integrated_lufs:.1f} LUFS as mixed, true peak "
            f"{before.true_peak_dbtp:.1f} dBTP)",
            hint="Ask for a lower --loudness.",
        )
    return LevelledMix(meter.timeline, found.clip_for, found.gain_db, before, after,
                       _limit(ceiling_dbfs, found.gain_db) if bed else None,
                       found.bed_db, clip_limit=found.threshold), \
        Anchor(found.gain_db, limited=True, bed_under_voice=meter.bed_under_voice)  # fmt: skip


def _held(meter: _Meter, how: Anchor, target_lufs: float,
          ceiling_dbfs: float) -> LevelledMix | None:  # fmt: skip
    """The mix levelled as ``how`` says (another session's gain, plain or
    limited at the same threshold), if that puts it within ``ANCHOR_LU``
    of the target under the ceiling; else None."""
    plain = meter.reading(None)
    if is_silent(plain.integrated_lufs):
        return None
    before, gain_db, bed = plain.loudness(), how.gain_db, meter.has_bed
    mix_limit = _limit(ceiling_dbfs, gain_db) if bed else None
    if not how.limited:
        if not _fits(plain, gain_db, ceiling_dbfs) \
                or abs(plain.integrated_lufs + gain_db - target_lufs) > ANCHOR_LU:
            return None
        return LevelledMix(meter.source_timeline, meter.source_clip_for, gain_db, before,
                           plain.loudness(gain_db), mix_limit)  # fmt: skip
    meter.bed_under_voice = how.bed_under_voice
    threshold = _limit(ceiling_dbfs, gain_db)
    found = _Settled(gain_db, limited_source(meter.clip_for, threshold, meter.memo),
                     meter.reading(threshold), meter.bed_db(threshold), threshold)  # fmt: skip
    meter.bed_under_voice = True
    if not _landed(found, target_lufs, ceiling_dbfs, ANCHOR_LU):
        return None
    return LevelledMix(meter.timeline, found.clip_for, gain_db, before,
                       found.reading.loudness(gain_db), mix_limit, found.bed_db,
                       clip_limit=threshold)


def measure(timeline: Timeline, clip_for: ClipFor, mix_of: MixOf | None = None) -> Reading:
    """The mix as made, measured from its clips; with ``mix_of`` (a bed
    plays under it) as the blocks ``mix_of`` makes."""
    if mix_of is not None:
        return measure_blocks(mix_of(timeline, clip_for))
    return _Meter(timeline, clip_for, None).reading(None)


def _landed(found: _Settled, target_lufs: float, ceiling_dbfs: float,
            within_lu: float = MISS_LU) -> bool:  # fmt: skip
    return (abs(found.reading.integrated_lufs + found.gain_db - target_lufs) <= within_lu
            and _fits(found.reading, found.gain_db, ceiling_dbfs))  # fmt: skip


def _fits(reading: Reading, gain_db: float, ceiling_dbfs: float) -> bool:
    return (reading.sample_peak_dbfs + gain_db <= ceiling_dbfs + 0.01
            and _true_peak_ok(reading, gain_db))  # fmt: skip


def _true_peak_ok(reading: Reading, gain_db: float) -> bool:
    return reading.true_peak_dbtp + gain_db <= MAX_TRUE_PEAK_DBTP - TRUE_PEAK_MARGIN_DB


@dataclass(frozen=True)
class _Settled:
    gain_db: float
    clip_for: ClipFor
    reading: Reading
    """The limited mix at 0 dB gain."""
    bed_db: float
    """The bed lowered by what the limiting took from the clips."""
    threshold: float
    """What ``clip_for`` limits the clips to."""


class _Meter:
    """Measures the grouped mix, plain or with its clips limited, from its
    clips (and the bed's energies, measured once)."""

    def __init__(self, timeline: Timeline, clip_for: ClipFor, mix_of: MixOf | None,
                 energies: EnergyStore | None = None, memo: ClipMemo | None = None,
                 known: dict[Hashable, ClipEnergy] | None = None) -> None:  # fmt: skip
        self.source_timeline, self.source_clip_for = timeline, clip_for
        self.has_bed = mix_of is not None
        self.known = known or {}
        """Energies measured already, by source (another meter's, same clips)."""
        self.timeline = grouped(timeline, clip_for)
        self.clip_for = group_source(clip_for)
        self.mix_of = mix_of
        self.energies = energies
        self.memo = memo
        self.starts: dict[Hashable, list[int]] = {}
        for event in self.timeline.events:
            if event.source is not None:
                self.starts.setdefault(event.source, []).append(event.start)
        self.plain: dict[Hashable, ClipEnergy] = {}
        self.bed_hops = None if mix_of is None else hop_energies(mix_of(self.timeline, _silent))
        self.voice_lufs: float | None = None
        """The clips' loudness as made, without the bed."""
        self.bed_dbs: dict[float, float] = {}
        self.bed_under_voice = True
        """The bed is lowered with the limited voice (else it follows the gain)."""

    def reading(self, threshold: float | None) -> Reading:
        """The mix with every clip limited to ``threshold`` (None: as made),
        the bed's energy added hop by hop (lowered by ``bed_db``); its peaks
        are the clips' (the mix's own limit holds the sum:
        ``LevelledMix.mix_limit``)."""
        if not self.plain:
            self._measure_clips()
        hops = HopEnergies(self.timeline.length)
        for source, starts in self.starts.items():
            hops.add(starts, self._energy(source, threshold))
        if self.bed_hops is not None and self.voice_lufs is None:
            self.voice_lufs = integrated_lufs(hops.hops)
        if self.bed_hops is not None:
            hops.add_hops(self.bed_hops * db_to_gain(2.0 * self.bed_db(threshold, hops.hops)))
        return hops.reading()

    def bed_db(self, threshold: float | None, clip_hops: np.ndarray | None = None) -> float:
        """The bed's gain at ``threshold``: what the limiting took from the
        clips' loudness (0 as made), so the bed stays ``volume`` under the
        voice. Raising the bed with the gain while the voice is limited let
        it pass the relative gate, and loudness then fell as the gain rose
        (a bed 20 LU under espeak, mostly bed: -17.8 LUFS at best for -16).
        A bed loud enough to count anyway (12 LU under a voice that is
        mostly silent) is what reaches the target: ``level`` then lets it
        follow the gain (``bed_under_voice``)."""
        if threshold is None or self.bed_hops is None or not self.bed_under_voice:
            return 0.0
        if threshold not in self.bed_dbs:
            assert clip_hops is not None and self.voice_lufs is not None
            taken = min(0.0, integrated_lufs(clip_hops) - self.voice_lufs)
            self.bed_dbs[threshold] = on_gain_step(taken)  # whole steps, as the gain
        return self.bed_dbs[threshold]

    def _measure_clips(self) -> None:
        """Every distinct clip K-weighted once, a few at a time: numpy's FFT
        lets go of the GIL, and nothing else runs before the encoder starts."""

        def energy(source: Hashable) -> ClipEnergy:
            if self.energies is None and self.memo is None:
                return clip_energy(self.clip_for(source))
            name = clip_identity(self.source_clip_for, source) if self.memo is None else None
            if name is not None and self.energies is not None:  # found without reading the clip
                return energy_named(name, lambda: self.clip_for(source), self.energies)
            return energy_of(self.clip_for(source), self.energies, self.memo)

        distinct = [source for source in self.starts if source not in self.known]
        with ThreadPoolExecutor(max_workers=min(MEASURE_THREADS, os.cpu_count() or 1)) as pool:
            measured = dict(zip(distinct, pool.map(energy, distinct), strict=True))
        self.plain = {source: self.known[source] if source in self.known else measured[source]
                      for source in self.starts}  # fmt: skip

    def _energy(self, source: Hashable, threshold: float | None) -> ClipEnergy:
        """A clip's energy as made, or as limited."""
        plain = self.plain[source]
        if threshold is None or plain.true_peak <= threshold:
            return plain
        if self.memo is None:
            return plain.scaled(cell_gains(plain.cell_peaks, CELL, threshold), threshold)
        # the gains tried are whole steps: sessions of a track try the same
        # thresholds; the entry holds ``plain``, so no other object has its id
        key = ("limited energy", id(plain), threshold)
        kept = self.memo.get(key)
        if kept is None or kept[0] is not plain:
            limited = plain.scaled(cell_gains(plain.cell_peaks, CELL, threshold), threshold)
            kept = self.memo.put(key, (plain, limited), size_of(limited))
        return kept[1]

    def settle(self, target_lufs: float, plain_db: float, start_db: float,
               clip_ceiling_db: float) -> _Settled:
        """The gain that puts the limited mix on target, and that mix."""
        readings: dict[float, Reading] = {}

        def loudness_at(gain_db: float) -> float:
            readings[gain_db] = self.reading(_limit(clip_ceiling_db, gain_db))
            return readings[gain_db].integrated_lufs + gain_db

        gain_db = settle(loudness_at, target_lufs, plain_db, start_db)
        threshold = _limit(clip_ceiling_db, gain_db)
        return _Settled(gain_db, limited_source(self.clip_for, threshold, self.memo),
                        readings[gain_db], self.bed_db(threshold), threshold)  # fmt: skip


def limited_source(clip_for: ClipFor, threshold: float,
                   memo: ClipMemo | None = None) -> ClipFor:  # fmt: skip
    """``clip_for`` with every clip limited to ``threshold`` (full scale
    1.0). The mixer keeps a clip while it will play again soon
    (``mix.KEEP_AHEAD``); ``memo`` keeps each limited clip by its content
    and the threshold, so a clip that plays again later (or in another
    render) is limited once."""

    def clip(source: Any) -> np.ndarray:
        x = clip_for(source)
        if memo is None:
            return limit(x, threshold)
        key = ("limited", memo.content_key(np.asarray(x, dtype=np.float32)), threshold)
        kept = memo.get(key)
        if kept is not None:
            return kept
        limited = limit(x, threshold)
        return memo.put(key, limited)

    return clip


def _silent(source: Any) -> np.ndarray:
    """No clip: what ``mix_of`` plays to make the bed alone (ducked as under the clips)."""
    return np.zeros(0, dtype=np.float32)


def _limit(ceiling_dbfs: float, gain_db: float) -> float:
    """The linear limit before a gain of ``gain_db`` that is ``ceiling_dbfs`` after it."""
    return db_to_gain(ceiling_dbfs - gain_db)
