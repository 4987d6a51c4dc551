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
    levelling.py     the levelling: measure once, limit, settle the gain
    guard.py         the encoded track held to its target: on it, or level once
                     more, or a ``LoudnessError``
    ffmpeg_meter.py  ffmpeg's ebur128 as a meter (and its limiter), the
                     reference the tests hold the numpy meter to
    match.py         recorded and synthesised lines made one loudness
"""

from __future__ import annotations

from cuecast.loudness.bs1770 import Reading
from cuecast.loudness.ffmpeg_meter import gain_for, measure_loudness, parse_summary
from cuecast.loudness.levelling import LevelledMix, level, measure
from cuecast.loudness.settings import (
    CEILING_DBFS,
    CODEC_CEILING_DBFS,
    TARGET_LUFS,
    Loudness,
)

__all__ = [
    "CEILING_DBFS", "CODEC_CEILING_DBFS", "TARGET_LUFS", "LevelledMix", "Loudness", "Reading",
    "gain_for", "level", "measure", "measure_loudness", "parse_summary",
]
