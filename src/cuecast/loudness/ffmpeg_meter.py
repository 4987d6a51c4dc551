"""ffmpeg's meter: a mix measured by ffmpeg's ``ebur128``, limiter optional.

Takes the mix as float32 mono blocks, a gain and whether ffmpeg's limiter
(``alimiter``, the one the encoder then runs) is on; gives ``Loudness``:
integrated loudness, true peak (4x oversampled) and loudness range as
ffmpeg prints them. The tests use it as the reference the numpy meter is
held to; the render measures the encoded track with the same ``ebur128``
(``ffmpeg.MEASURE_ENCODED``, read by ``parse_summary``). Levelling no
longer falls back to ffmpeg's limiter: the numpy one limits the mix itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

from cuecast.errors import EncodeError
from cuecast.ffmpeg import LIMITER_HEADROOM, FfmpegRun, limiter_filter, meter_args, stream
from cuecast.loudness.settings import (
    CODEC_MARGIN_DB,
    MAX_TRUE_PEAK_DBTP,
    TARGET_LUFS,
    Loudness,
    is_silent,
    plain_gain_db,
)
from cuecast.units import db_to_gain

UNCLIPPED = float(2**20)
"""The clip level of a plain measurement (a guard against garbage only)."""


def measure_loudness(blocks: Iterable[np.ndarray], *, gain_db: float = 0.0,
                     limiter: bool = False) -> Loudness:
    """EBU R128 loudness of the mix streamed through ffmpeg (nothing kept),
    after ``gain_db`` and, with ``limiter``, the encoder's limiter."""
    chain = "ebur128=peak=true:framelog=quiet"
    if limiter:
        chain = f"{limiter_filter()},{chain}"
    args = meter_args(chain)
    clip = LIMITER_HEADROOM if limiter else (1.0 if gain_db else UNCLIPPED)
    with FfmpegRun(args, what="loudness measurement", loglevel="info") as run:
        stream(run, blocks, gain_lin=db_to_gain(gain_db), clip=clip)
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


def gain_for(loudness: Loudness, target_lufs: float = TARGET_LUFS,
             max_true_peak_dbtp: float = MAX_TRUE_PEAK_DBTP) -> tuple[float, bool]:
    """The plain gain for ``loudness`` (``settings.plain_gain_db``) and
    whether ffmpeg's limiter must then run to keep the true peak under
    ``max_true_peak_dbtp`` less a lossy codec's overshoot (``CODEC_MARGIN_DB``)."""
    if is_silent(loudness.integrated_lufs):
        return 0.0, False
    gain_db = plain_gain_db(loudness.integrated_lufs, target_lufs)
    peak_after_db = loudness.true_peak_dbtp + gain_db
    ceiling_db = max_true_peak_dbtp - CODEC_MARGIN_DB
    return gain_db, bool(math.isfinite(peak_after_db) and peak_after_db > ceiling_db)
