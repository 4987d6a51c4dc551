"""Two groups of speech made one loudness: recorded lines and synthesised ones.

Takes each distinct line's clip (before any group gain), which of them are
recorded, and optionally the render's timeline and loudness target; gives
``(recorded_db, synthesised_db)``, each at most 0: the louder group comes
down to the quieter one's loudness (K-weighted and gated as the mix is), so
the teacher and the engine sit level and no clip's peak is raised.

With a target, the render raises the speech to it and limits every clip at
the ceiling (``levelling.py``), which takes more from the peakier group, so
the groups are judged once more as that limiting will leave them, at the
gain the render will need. That is one correction, not a loop: the render's
own levelling (``settings.settle``) is what brings the whole to its target.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import numpy as np

from cuecast.loudness.bs1770 import HOP, integrated_lufs, kweight
from cuecast.loudness.levelling import measure
from cuecast.loudness.limiter import limit
from cuecast.loudness.settings import CEILING_DBFS
from cuecast.timeline import Timeline
from cuecast.units import SAMPLE_RATE

SAMPLE_S = 600.0
"""Seconds of each group's speech the limiter's effect is judged on (the
first lines, in order): enough to be typical, and a bounded cost however
long the session."""
LEVEL_LU = 0.1
"""Groups closer than this are level: no correction."""


def speech_lufs(clips: Iterable[np.ndarray]) -> float | None:
    """Integrated loudness (BS.1770, gated as the mix is) of the clips
    played one after another, or None if they are silent."""
    played = [np.asarray(c, dtype=np.float32) for c in clips if len(c)]
    if not played:
        return None
    weighted = kweight(np.concatenate(played)).astype(np.float64)
    whole = weighted[: weighted.size - weighted.size % HOP].reshape(-1, HOP)
    lufs = integrated_lufs(np.einsum("ij,ij->i", whole, whole))
    return lufs if np.isfinite(lufs) and lufs > -70.0 else None


def scaled(clip: np.ndarray, gain_db: float) -> np.ndarray:
    """``clip`` turned by ``gain_db`` (the same array at 0 dB)."""
    if gain_db == 0.0:
        return clip
    return (clip * np.float32(10 ** (gain_db / 20))).astype(np.float32)


Line = TypeVar("Line", bound=Hashable)
"""What names a line (the speaker's ``Utterance``; the timeline's speech sources)."""

Levels = tuple[float | None, float | None]
"""``(recorded, synthesised)`` loudness in LUFS; None for a silent group."""


@dataclass(frozen=True)
class SpeechGroups(Generic[Line]):
    """The distinct lines' clips (before any group gain) and which are recorded."""

    clips: Mapping[Line, np.ndarray]
    recorded: frozenset[Line]

    def scaled(self, line: Line, gains: tuple[float, float]) -> np.ndarray:
        return scaled(self.clips[line], gains[0] if line in self.recorded else gains[1])

    def lufs(self, gains: tuple[float, float], threshold: float | None = None,
             sample_s: float | None = None) -> Levels:
        """Each group's loudness at ``gains`` (limited at ``threshold``; on
        its first ``sample_s`` seconds only)."""
        out = []
        for recorded in (True, False):
            played, total = [], 0
            for line in self.clips:
                if (line in self.recorded) != recorded:
                    continue
                if sample_s is not None and total >= sample_s * SAMPLE_RATE:
                    break
                clip = self.scaled(line, gains)
                played.append(clip if threshold is None else limit(clip, threshold))
                total += len(clip)
            out.append(speech_lufs(played))
        return out[0], out[1]

    def power_mean(self, levels: Levels) -> float:
        """The loudness of both groups together, weighted by their speech time."""
        weights = [sum(len(c) for u, c in self.clips.items() if (u in self.recorded) == want)
                   for want in (True, False)]
        power = sum(w * 10 ** ((lv or -70.0) / 10) for w, lv in zip(weights, levels, strict=True))
        return float(10 * np.log10(max(power / max(sum(weights), 1), 1e-12)))


def matched_gains(groups: SpeechGroups[Line], timeline: Timeline | None,
                  target_lufs: float | None) -> tuple[float, float]:
    """``(recorded_db, synthesised_db)``, each at most 0, that give the two
    groups one loudness (see the module docstring); ``timeline`` is the
    render's, its speech events' sources keys of ``groups.clips``."""
    rec_lufs, syn_lufs = groups.lufs((0.0, 0.0))
    if rec_lufs is None or syn_lufs is None:
        return 0.0, 0.0
    gains = _level((0.0, 0.0), rec_lufs - syn_lufs)
    if target_lufs is None or timeline is None:
        return gains
    threshold = _render_threshold(groups, gains, timeline, target_lufs)
    if threshold is None:
        return gains
    rec_lim, syn_lim = groups.lufs(gains, threshold, sample_s=SAMPLE_S)
    if rec_lim is None or syn_lim is None or abs(rec_lim - syn_lim) < LEVEL_LU:
        return gains
    return _level(gains, rec_lim - syn_lim)


def _level(gains: tuple[float, float], gap_lu: float) -> tuple[float, float]:
    """``gains`` with the louder group (by ``gap_lu``, recorded minus
    synthesised) brought down; the louder one ends at 0 dB, none is raised."""
    both = (gains[0] - max(0.0, gap_lu), gains[1] - max(0.0, -gap_lu))
    lift = max(both)
    return both[0] - lift, both[1] - lift


def _render_threshold(groups: SpeechGroups[Line], gains: tuple[float, float], timeline: Timeline,
                      target_lufs: float) -> float | None:
    """The level each clip will be limited at: the render's gain is what
    brings the speech of ``timeline`` to the target, raised by what the
    limiting takes off (the render makes it up)."""
    speech = replace(timeline, events=tuple(e for e in timeline.events if e.kind == "speech"))

    def clip_for(source: Line) -> np.ndarray:
        return groups.scaled(source, gains)

    plain = groups.lufs(gains, sample_s=SAMPLE_S)
    gain_db = target_lufs - measure(speech, clip_for).integrated_lufs
    limited = groups.lufs(gains, 10 ** ((CEILING_DBFS - gain_db) / 20), sample_s=SAMPLE_S)
    if None in plain or None in limited:
        return None
    gain_db += groups.power_mean(plain) - groups.power_mean(limited)
    return float(10 ** ((CEILING_DBFS - gain_db) / 20))
