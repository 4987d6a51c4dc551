"""Loudness: measure a mix (EBU R128) and choose the gain that normalises it.

Takes the mix as float32 mono blocks; gives integrated loudness (LUFS),
true peak (dBTP) and loudness range (LU), measured by ffmpeg's ``ebur128``
filter with ``peak=true`` (4x oversampled true peak). The renderer mixes
twice: pass 1 is measured, ``gain_for`` picks a gain, pass 2 is encoded with
that gain and, when the gain would push the true peak over the ceiling, with
the encoder's limiter switched on.

Gating (absolute -70 LUFS, relative -10 LU) keeps long silences between
cues from dragging the measurement down, so a session that is mostly quiet
still lands at the target while it speaks. Mono is measured as one channel
(no dual-mono +3 dB); pass a lower ``target_lufs`` for platforms that ask
for -19 LUFS mono.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cuecast.errors import EncodeError
from cuecast.ffmpeg import PCM_INPUT, FfmpegRun, stream

SILENT_LUFS = -70.0
"""At or below this integrated loudness the mix counts as silence (no gain)."""

MAX_GAIN_DB = 30.0
"""Never raise a quiet mix by more than this (it would only lift noise)."""


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    """Gated integrated loudness, LUFS (-70.0 for silence)."""
    true_peak_dbtp: float
    """Highest true (inter-sample) peak, dBTP (``-inf`` for silence)."""
    lra_lu: float
    """Loudness range, LU."""


def measure_loudness(blocks: Iterable[np.ndarray]) -> Loudness:
    """EBU R128 loudness of the mix, streamed through ffmpeg (nothing kept)."""
    args = [*PCM_INPUT, "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    with FfmpegRun(args, what="loudness measurement", loglevel="info") as run:
        stream(run, blocks, gain_lin=1.0, clip=float(2**20))
        text = run.finish()
    return parse_summary(text)


_SUMMARY = {
    "integrated_lufs": r"Integrated loudness:\s+I:\s+(\S+) LUFS",
    "lra_lu": r"Loudness range:\s+LRA:\s+(\S+) LU",
    "true_peak_dbtp": r"True peak:\s+Peak:\s+(\S+) dBFS",
}


def parse_summary(text: str) -> Loudness:
    """The numbers of an ``ebur128`` summary (the last one in ``text``)."""
    at = text.rfind("Summary:")
    if at < 0:
        raise EncodeError("loudness measurement: ffmpeg printed no ebur128 summary")
    summary = text[at:]
    values: dict[str, float] = {}
    for key, pattern in _SUMMARY.items():
        match = re.search(pattern, summary)
        if match is None:
            raise EncodeError(f"loudness measurement: no {key} in ffmpeg's summary")
        values[key] = float(match.group(1))
    return Loudness(**values)


def gain_for(
    loudness: Loudness, target_lufs: float = -16.0, max_true_peak_db: float = -1.0
) -> tuple[float, bool]:
    """Gain in dB that brings ``loudness`` to ``target_lufs``, and whether
    the limiter is needed to keep the true peak at or below
    ``max_true_peak_db`` after that gain. Silence gets ``(0.0, False)``."""
    if not math.isfinite(loudness.integrated_lufs) or loudness.integrated_lufs <= SILENT_LUFS:
        return 0.0, False
    gain_db = min(target_lufs - loudness.integrated_lufs, MAX_GAIN_DB)
    peak_after_db = loudness.true_peak_dbtp + gain_db
    return gain_db, bool(math.isfinite(peak_after_db) and peak_after_db > max_true_peak_db)
