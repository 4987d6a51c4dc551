"""Test helpers: decode audio files with ffmpeg to numbers, read chapters."""

from __future__ import annotations

import re
import subprocess

import numpy as np

from cuecast.ffmpeg import ffmpeg_exe
from cuecast.timeline import SAMPLE_RATE
from tests.audio import decode  # noqa: F401  (re-exported for the encoder tests)


def probe_text(path: str) -> str:
    """What ``ffmpeg -i`` prints about the file."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-i", path]
    return subprocess.run(cmd, capture_output=True, check=False).stderr.decode()


def ffmpeg_chapters(path: str) -> list[tuple[float, float, str]]:
    """(start_s, end_s, title) of each chapter ffmpeg finds."""
    text = probe_text(path)
    found = re.findall(
        r"Chapter #\d+:\d+: start (\S+), end (\S+)\n\s+Metadata:\n\s+title\s+: (.*)", text
    )
    return [(float(a), float(b), t.strip()) for a, b, t in found]


def click_track(length: int, at: int) -> np.ndarray:
    """Quiet tone with a 1 ms full-scale burst starting at sample ``at``."""
    t = np.arange(length) / SAMPLE_RATE
    x = (0.02 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    burst = 44
    x[at : at + burst] = 0.9 * np.sin(np.pi * np.arange(burst) / burst)
    return x


def blocks_of(x: np.ndarray, size: int = 4096):
    """``x`` as a stream of blocks, like the mixer gives."""
    for i in range(0, len(x), size):
        yield x[i : i + size]


def sine(length: int, freq_hz: float, amp: float) -> np.ndarray:
    t = np.arange(length) / SAMPLE_RATE
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
