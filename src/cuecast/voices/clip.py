"""Engine output to a mix-ready speech clip.

Takes an engine's ``Synthesis`` (int16 at its own rate) and gives float32
samples at ``SAMPLE_RATE``: resampled, peak-normalised, trimmed to the
speech (the format promises that a ``say`` lasts exactly its trimmed
speech) and scaled by the voice's volume. Pure and deterministic.
"""

from __future__ import annotations

import functools

import numpy as np

from cuecast import ffmpeg
from cuecast.errors import EngineError
from cuecast.units import SAMPLE_RATE, db_to_gain
from cuecast.voices.base import Synthesis

PEAK_DBFS = -3.0
"""Every clip's peak before the voice volume: engines and voices sit level."""
THRESHOLD_DBFS = -50.0
"""Speech starts at the first sample above this (after normalising)."""
PRE_ROLL_S = 0.002
POST_ROLL_S = 0.010
HALF_TAPS = 32
"""Half the length of the 2x interpolation filter (64 taps)."""


def finish(synthesis: Synthesis, volume: float | None = 1.0) -> np.ndarray:
    """The trimmed, levelled clip at ``SAMPLE_RATE`` as float32."""
    audio = synthesis.samples.astype(np.float32) / 32768.0
    audio = resample(audio, synthesis.rate)
    audio = scale_to_peak(audio, PEAK_DBFS)
    audio = trim(audio)
    gain = 1.0 if volume is None else float(volume)
    return (audio * np.float32(gain)).astype(np.float32)


def scale_to_peak(audio: np.ndarray, peak_dbfs: float) -> np.ndarray:
    """``audio`` scaled so its sample peak is ``peak_dbfs`` (silence as is)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 0.0:
        return audio
    return (audio * np.float32(db_to_gain(peak_dbfs) / peak)).astype(np.float32)


def trim(audio: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """From ``PRE_ROLL_S`` before the first sample above the threshold to
    ``POST_ROLL_S`` after the last, with the rolls faded so the cut does not
    click. Silence gives an empty clip."""
    loud = np.flatnonzero(np.abs(audio) > db_to_gain(THRESHOLD_DBFS))
    if loud.size == 0:
        return audio[:0].copy()
    pre, post = int(round(PRE_ROLL_S * rate)), int(round(POST_ROLL_S * rate))
    start, end = max(0, int(loud[0]) - pre), min(audio.size, int(loud[-1]) + 1 + post)
    out = audio[start:end].copy()
    head, tail = int(loud[0]) - start, end - int(loud[-1]) - 1
    if head:
        out[:head] *= _ramp(head)
    if tail:
        out[out.size - tail :] *= _ramp(tail)[::-1]
    return out


def _ramp(n: int) -> np.ndarray:
    """Raised-cosine rise over ``n`` samples, ending just below 1."""
    return (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / (n + 0.5))).astype(np.float32)


# --- resampling ----------------------------------------------------------------


def resample(audio: np.ndarray, rate: int) -> np.ndarray:
    """``audio`` at ``rate`` Hz to ``SAMPLE_RATE``: a numpy 2x interpolator
    for half the mix rate, ffmpeg's soxr for anything else."""
    if rate == SAMPLE_RATE:
        return audio.astype(np.float32)
    if rate * 2 == SAMPLE_RATE:
        return upsample_2x(audio)
    return _ffmpeg_resample(audio, rate)


@functools.lru_cache(maxsize=1)
def _odd_phase_taps() -> np.ndarray:
    """Kaiser-windowed sinc taps giving the samples halfway between inputs."""
    k = np.arange(-HALF_TAPS, HALF_TAPS) + 0.5
    window = np.kaiser(2 * HALF_TAPS, 9.0)
    taps = np.sinc(k) * window
    return (taps / taps.sum()).astype(np.float64)


def upsample_2x(audio: np.ndarray) -> np.ndarray:
    """Twice the rate: even outputs are the inputs, odd outputs are
    interpolated by a 64-tap windowed sinc (flat to ~0.9 of Nyquist)."""
    x = audio.astype(np.float64)
    if x.size == 0:
        return audio.astype(np.float32)
    taps = _odd_phase_taps()
    # mid[i] sits between x[i] and x[i+1]: sum_j x[i+j] * sinc(j - 0.5)
    padded = np.concatenate([np.zeros(HALF_TAPS), x, np.zeros(HALF_TAPS)])
    mid = np.convolve(padded, taps[::-1], mode="valid")[1 : x.size + 1]
    out = np.empty(2 * x.size, dtype=np.float64)
    out[0::2] = x
    out[1::2] = mid
    return out.astype(np.float32)


def _ffmpeg_resample(audio: np.ndarray, rate: int) -> np.ndarray:
    proc = ffmpeg.run(ffmpeg.resample_args(rate), input_bytes=audio.astype("<f4").tobytes())
    if proc.returncode != 0:
        message = ffmpeg.last_line(proc.stderr, "")
        raise EngineError(f"resampling {rate} Hz speech failed: {message}")
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)
