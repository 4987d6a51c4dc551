"""Loudness: the one stage that brings a mix to its target, before it is made.

Takes a timeline and its clips (and a way to make the mix); gives a
``LevelledMix``: what to mix, the gain, and the loudness before and after.

    settings.py      the target, ceilings and limits; the gain rule and the
                     correcting loop (``settle``), each written once
    bs1770.py        numpy BS.1770: K-weighting, gating, true peak; a mix
                     measured from its clips, or as blocks
    groups.py        plays that sound together made one
    limiter.py       a clip (or the streamed mix) held under a ceiling, true
                     peak included
    levelling.py     the levelling: measure once, limit, settle the gain (or
                     keep the default session's, for a customised one)
    energies.py      a clip's measurement kept by its content (a re-render
                     or a changed hold measures no clip again)
    guard.py         the encoded track held to its target: on it, or corrected
                     (levelled again, its peaks dipped), or a ``LoudnessError``
    dips.py          the mix lowered only in the 100 ms frames where the codec
                     put a peak over the ceiling
    ffmpeg_meter.py  ffmpeg's ebur128 as a meter: the reference the tests hold
                     the numpy meter to, and the frames of an encoded file
                     over the ceiling
    match.py         recorded and synthesised lines made one loudness
"""

from __future__ import annotations

from cuecast.loudness.bs1770 import Reading
from cuecast.loudness.ffmpeg_meter import measure_loudness, parse_summary
from cuecast.loudness.levelling import (
    Anchor,
    Default,
    KeptAnchors,
    LevelledMix,
    level,
    measure,
)
from cuecast.loudness.settings import (
    CEILING_DBFS,
    CODEC_CEILING_DBFS,
    TARGET_LUFS,
    Loudness,
)

__all__ = [
    "CEILING_DBFS", "CODEC_CEILING_DBFS", "TARGET_LUFS", "Anchor", "Default", "KeptAnchors",
    "LevelledMix", "Loudness",
    "Reading",
    "level", "measure", "measure_loudness", "parse_summary",
]
