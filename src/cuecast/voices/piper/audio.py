"""Piper's sentences made one clip.

Takes the float sentences Piper speaks for a line (peak-normalised to 1.0)
and gives one int16 clip: each sentence trimmed to its speech (plus
``EDGE_KEEP_S``), sentences joined by a pause, so a clip has no long
silence at either end.
"""

from __future__ import annotations

import numpy as np

SENTENCE_PAUSE_S = 0.35
"""Silence between sentences of one line at the default rate (150 wpm); it
scales with the rate (0.24 s at 220 wpm)."""

EDGE_KEEP_S = 0.02
"""Silence kept before and after each sentence's speech."""

SILENCE_DBFS = -60.0
"""10 ms frames quieter than this (RMS, after Piper's peak normalisation)
count as silence when trimming; fricatives sit near -30 dBFS."""

_FRAME_S = 0.01


def trim(audio: np.ndarray, rate: int) -> np.ndarray:
    """``audio`` cut to its speech, keeping ``EDGE_KEEP_S`` either side."""
    frame = max(1, int(rate * _FRAME_S))
    count = len(audio) // frame
    if count == 0:
        return audio[:0]
    frames = audio[: count * frame].reshape(count, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = np.nonzero(rms > 10 ** (SILENCE_DBFS / 20))[0]
    if len(loud) == 0:
        return audio[:0]
    keep = int(rate * EDGE_KEEP_S)
    start = max(0, loud[0] * frame - keep)
    end = min(len(audio), (loud[-1] + 1) * frame + keep)
    return audio[start:end]


def join(sentences: list[np.ndarray], rate: int, pause_s: float) -> np.ndarray:
    """The trimmed sentences with ``pause_s`` of silence between them."""
    parts = [t for t in (trim(s, rate) for s in sentences) if len(t)]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    pause = np.zeros(int(round(pause_s * rate)), dtype=np.float32)
    joined: list[np.ndarray] = [parts[0]]
    for part in parts[1:]:
        joined += [pause, part]
    return np.concatenate(joined)


def to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32767.0), -32767, 32767).astype(np.int16)
