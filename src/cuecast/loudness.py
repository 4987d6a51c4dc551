"""Loudness: measure a mix (EBU R128) and choose the gain that normalises it.

Takes the mix as float32 mono blocks; gives integrated loudness (LUFS),
true peak (dBTP) and loudness range (LU), measured by ffmpeg's ``ebur128``
filter with ``peak=true`` (4x oversampled true peak). The renderer measures
and limits in numpy (``kmeter``, ``level``) and uses this ffmpeg path only as
its fallback: when clips that overlap (or the bed) still sum over the
ceiling, pass 1 is measured here, ``gain_for`` picks a gain, and the encode
runs with that gain and, when needed, the encoder's limiter switched on.

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
from cuecast.ffmpeg import LIMITER_HEADROOM, PCM_INPUT, FfmpegRun, limiter_filter, stream

SILENT_LUFS = -70.0
"""At or below this integrated loudness the mix counts as silence (no gain)."""

MAX_GAIN_DB = 30.0
"""Never raise a quiet mix by more than this (it would only lift noise)."""

CODEC_MARGIN_DB = 1.0
"""Lossy codecs overshoot the true peak of their input by up to 0.7 dB on
speech (AAC, Vorbis, Opus at their default rates); the limiter is switched
on once the peak after gain comes this close to the ceiling (and limits to
ceiling minus this margin, see ``ffmpeg.LIMIT_DBFS``)."""


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    """Gated integrated loudness, LUFS (-70.0 for silence)."""
    true_peak_dbtp: float
    """Highest true (inter-sample) peak, dBTP (``-inf`` for silence)."""
    lra_lu: float
    """Loudness range, LU."""

    @property
    def true_peak_db(self) -> float:
        """Alias of ``true_peak_dbtp``."""
        return self.true_peak_dbtp


def measure_loudness(
    blocks: Iterable[np.ndarray], *, gain_db: float = 0.0, limiter: bool = False
) -> Loudness:
    """EBU R128 loudness of the mix, streamed through ffmpeg (nothing kept).

    With ``gain_db``/``limiter`` it measures the mix as the encoder will
    process it: a heavily limited mix loses loudness, and a renderer may
    measure again this way and add the shortfall to its gain.
    """
    chain = "ebur128=peak=true:framelog=quiet"
    if limiter:
        chain = f"{limiter_filter()},{chain}"
    args = [*PCM_INPUT, "-af", chain, "-f", "null", "-"]
    clip = LIMITER_HEADROOM if limiter else (1.0 if gain_db else float(2**20))
    with FfmpegRun(args, what="loudness measurement", loglevel="info") as run:
        stream(run, blocks, gain_lin=10.0 ** (gain_db / 20.0), clip=clip)
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
    ``max_true_peak_db`` after that gain and a lossy codec's overshoot
    (``CODEC_MARGIN_DB``). Silence gets ``(0.0, False)``."""
    if not math.isfinite(loudness.integrated_lufs) or loudness.integrated_lufs <= SILENT_LUFS:
        return 0.0, False
    gain_db = min(target_lufs - loudness.integrated_lufs, MAX_GAIN_DB)
    peak_after_db = loudness.true_peak_dbtp + gain_db
    ceiling_db = max_true_peak_db - CODEC_MARGIN_DB
    return gain_db, bool(math.isfinite(peak_after_db) and peak_after_db > ceiling_db)


def secant_slope(points: list[tuple[float, float]], *, first: float, floor: float) -> float:
    """dLUFS/dgain from the last two ``(gain_db, lufs)`` measurements (``first``
    until there are two), kept within ``floor``..1 (a limiter never gives
    more than 1) so a correcting step stays bounded."""
    if len(points) < 2:
        return first
    (g0, l0), (g1, l1) = points[-2], points[-1]
    if g1 == g0:
        return 1.0
    return min(max((l1 - l0) / (g1 - g0), floor), 1.0)
