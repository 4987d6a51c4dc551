"""A recording's file made a clip.

Takes one file of the folder; gives its cache key (its bytes and the
processing) and its samples: decoded by ffmpeg (any format it reads, any
rate, mono or stereo) to float32 mono at ``SAMPLE_RATE``, then trimmed and
levelled exactly as synthesised clips are (``voices/clip.py``: peak
-3 dBFS, trimmed to the speech).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import numpy as np

from cuecast import ffmpeg
from cuecast.errors import InputError
from cuecast.units import SAMPLE_RATE
from cuecast.voices.clip import PEAK_DBFS, scale_to_peak, trim

RECORDING_FORMAT = 1
"""Part of every recorded clip's cache key: bump when processing changes."""
MAX_RECORDING_S = 60.0
"""A recording longer than this is refused (a line, not a session)."""
MAX_RECORDING_BYTES = 200_000_000
"""Read whole to hash it: a bound on memory for a mistaken file."""
DECODE_TIMEOUT_S = 60.0


def recording_key(content: bytes) -> str:
    """Cache key of a finished recording: its bytes and the processing."""
    obj = {"v": RECORDING_FORMAT, "recording": hashlib.sha256(content).hexdigest(),
           "rate": SAMPLE_RATE, "peak": PEAK_DBFS}
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return "rec-" + hashlib.sha256(canonical.encode()).hexdigest()[4:]


def read_recording(path: str, name: str) -> bytes:
    try:
        size = os.path.getsize(path)
        if size == 0:
            raise InputError(f"recording {name} is empty (0 bytes)", file=path)
        if size > MAX_RECORDING_BYTES:
            raise InputError(f"recording {name} is {size / 1e6:.0f} MB; a line's recording "
                             f"is at most {MAX_RECORDING_BYTES / 1e6:.0f} MB", file=path)
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"cannot read recording {name}: {exc.strerror}", file=path) from exc


def decode(path: str, name: str) -> np.ndarray:
    """The file as float32 mono at ``SAMPLE_RATE`` (ffmpeg, soxr), at most
    a little over ``MAX_RECORDING_S``."""
    args = ffmpeg.file_pcm_args(path, MAX_RECORDING_S, first_audio=True)
    try:
        proc = ffmpeg.run(args, timeout_s=DECODE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise InputError(f"recording {name} could not be decoded within "
                         f"{DECODE_TIMEOUT_S:g} s", file=path) from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else "ffmpeg failed"
        raise InputError(f"recording {name} is not audio ffmpeg can read ({why})", file=path)
    audio = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)
    if audio.size == 0:
        raise InputError(f"recording {name} holds no audio", file=path)
    if audio.size > MAX_RECORDING_S * SAMPLE_RATE:
        raise InputError(f"recording {name} is longer than {MAX_RECORDING_S:g} s; "
                         "record one line per file", file=path)
    return audio


def finish_recording(audio: np.ndarray, path: str, name: str) -> np.ndarray:
    """Trimmed and levelled as a synthesised clip is (``clip.finish``)."""
    out = trim(scale_to_peak(audio, PEAK_DBFS))
    if out.size == 0 or float(np.max(np.abs(audio))) < 10 ** (-60 / 20):
        raise InputError(f"recording {name} is silent", file=path)
    return out
