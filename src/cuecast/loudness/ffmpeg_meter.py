"""ffmpeg's meter: a mix or an encoded file measured by ffmpeg's ``ebur128``.

Takes the mix as float32 mono blocks and a gain, and gives ``Loudness``:
integrated loudness, true peak (4x oversampled) and loudness range as
ffmpeg prints them. The tests use it as the reference the numpy meter is
held to; the render measures the encoded track with the same ``ebur128``
(``ffmpeg.MEASURE_ENCODED``, read by ``parse_summary``), and, when its
true peak is over the ceiling, finds the 100 ms frames that are
(``peak_frames``, for ``guard``).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable

import numpy as np

from cuecast.errors import EncodeError
from cuecast.ffmpeg import (
    FfmpegRun,
    failure,
    ffmpeg_timeout_s,
    frame_peaks_args,
    meter_args,
    run,
    stream,
)
from cuecast.loudness.dips import FRAME_S
from cuecast.loudness.settings import Loudness
from cuecast.units import db_to_gain

UNCLIPPED = float(2**20)
"""The clip level of a plain measurement (a guard against garbage only)."""


def measure_loudness(blocks: Iterable[np.ndarray], *, gain_db: float = 0.0) -> Loudness:
    """EBU R128 loudness of the mix streamed through ffmpeg (nothing kept),
    after ``gain_db`` (then clipped at full scale, as the encoder does)."""
    args = meter_args("ebur128=peak=true:framelog=quiet")
    clip = 1.0 if gain_db else UNCLIPPED
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


PEAKS_TIMEOUTS = 5
"""Finding the peaks of a track decodes all of it: it may take this many
times ``ffmpeg_timeout_s()`` (an hour took 15 s on a loaded machine)."""

_FRAME = re.compile(r"t:\s*(\S+)\s.*?FTPK:\s*(\S+) dBFS")


def peak_frames(path: str, over_dbtp: float) -> list[tuple[int, float]]:
    """The ebur128 frames (index ``k``: ``k`` to ``k + 1`` times 100 ms) of
    the encoded file ``path`` whose true peak is over ``over_dbtp``, with
    that peak: the file decoded as a player would, as ``MEASURE_ENCODED``
    measured it."""
    limit_s = PEAKS_TIMEOUTS * ffmpeg_timeout_s()
    try:
        proc = run(frame_peaks_args(path), loglevel="info", timeout_s=limit_s)
    except subprocess.TimeoutExpired as exc:
        raise EncodeError(f"measuring the peaks of {path}: ffmpeg took over {limit_s:g} s",
                          hint="CUECAST_FFMPEG_TIMEOUT sets the limit (this is 5 times it).",
                          ) from exc
    except OSError as exc:
        raise EncodeError(f"measuring the peaks of {path}: ffmpeg cannot run: {exc}") from exc
    if proc.returncode != 0:
        raise failure(f"measuring the peaks of {path}", proc)
    found = []
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        match = _FRAME.search(line)
        if match is None:
            continue
        end_s, peak = float(match.group(1)), float(match.group(2))
        if peak > over_dbtp:  # ebur128 logs a frame at its last sample: 0.0999792 is frame 0
            found.append((max(0, round(end_s / FRAME_S) - 1), peak))
    return found
