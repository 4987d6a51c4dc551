"""Listening with numbers: decode a track with ffmpeg and find where sound is."""

from __future__ import annotations

import os
import subprocess

import numpy as np

from cuecast.timeline import SAMPLE_RATE


def ffmpeg() -> str:
    import imageio_ffmpeg

    return os.environ.get("CUECAST_FFMPEG") or imageio_ffmpeg.get_ffmpeg_exe()


def decode(path: str, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The whole file as float32 mono samples at ``rate``."""
    raw = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32)


def onset(samples: np.ndarray, near: int, *, window: int = SAMPLE_RATE // 10,
          threshold: float = 0.02) -> int | None:
    """First sample at or after ``near - window`` whose level passes
    ``threshold`` (linear), or ``None`` within two windows."""
    lo = max(0, near - window)
    hi = min(len(samples), near + window)
    hits = np.flatnonzero(np.abs(samples[lo:hi]) > threshold)
    return None if len(hits) == 0 else lo + int(hits[0])


def rms(samples: np.ndarray, start: int, end: int) -> float:
    part = samples[max(0, start):max(0, end)]
    return float(np.sqrt(np.mean(part.astype(np.float64) ** 2))) if len(part) else 0.0


def peak(samples: np.ndarray, start: int, end: int) -> float:
    part = samples[max(0, start):max(0, end)]
    return float(np.max(np.abs(part))) if len(part) else 0.0
