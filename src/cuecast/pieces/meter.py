"""The loudness of an MP3 made of pieces, from what each piece measured.

Takes, per piece, its frames decoded as a player decodes them; gives per
frame the K-weighted energy and the true peak (``FrameLevels``), kept with
the piece in the cache. The track's loudness is then put together from
the frames of its pieces (``track_loudness``: BS.1770 gating on 100 ms
hops, each frame's energy spread over its 1152 samples), so a re-render
or a listener's session whose pieces are cached is measured without
decoding anything, and a new piece is measured once, decoded in this
process by libmpg123 (``decode``: libsndfile through ``soundfile``, on
the worker that encoded it: ``batch.encode_batch``). The guard
(``loudness/guard.py``) holds the result to its target as it holds
ffmpeg's ``ebur128`` reading of a single encode (the numpy meter is within
0.1 LU of it: ``loudness/bs1770.py``).
"""

from __future__ import annotations

import functools
import io
import struct
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from cuecast import ffmpeg
from cuecast.errors import EncodeError
from cuecast.loudness.bs1770 import (
    FFT_SAMPLES,
    HOP,
    IR_SAMPLES,
    integrated_lufs,
    ir_spectrum,
    loudness_range,
    true_peak,
)
from cuecast.loudness.settings import SILENT_LUFS, Loudness, is_silent
from cuecast.mp3frames import FRAME_SAMPLES
from cuecast.units import gain_to_db

LEVEL_FRAMES = 64
"""Frames K-weighted at a time (``piece_levels``): 73,728 samples, within
6 of six FFT segments (``STEP``)."""
STEP = FFT_SAMPLES - IR_SAMPLES + 1
"""Samples K-weighted by one FFT segment (overlap-save)."""
DECODER_DELAY = 1105
"""Samples a decoder gives before the first sample of the input (LAME's
576 and the decoder's 529), which an Info frame tells a player to skip."""


@dataclass(frozen=True)
class FrameLevels:
    """Per frame of a piece: K-weighted energy (float64) and true peak (float32)."""

    energy: np.ndarray
    peak: np.ndarray

    def to_bytes(self) -> bytes:
        n = self.energy.size
        return (struct.pack("<I", n) + self.energy.astype("<f8").tobytes()
                + self.peak.astype("<f4").tobytes())  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> tuple[FrameLevels, int]:
        """The levels at the start of ``data`` and how many bytes they took.
        Copied out (12 bytes a frame): a view would keep all of ``data``,
        a cached piece's frames with them, alive as long as the levels
        (a render keeps every piece's levels to the end: ``track_loudness``;
        the hour with one hold changed held 11.6 MB of frames so)."""
        (n,) = struct.unpack_from("<I", data)
        end = 4 + 12 * n
        if len(data) < end:
            raise EncodeError("a cached piece's levels are cut short")
        energy = np.frombuffer(data, dtype="<f8", count=n, offset=4).copy()
        peak = np.frombuffer(data, dtype="<f4", count=n, offset=4 + 8 * n).copy()
        return cls(energy, peak), end

    @classmethod
    def silence(cls, frames: int) -> FrameLevels:
        return cls(np.zeros(frames), np.zeros(frames, dtype=np.float32))


def measure_piece(encoded: bytes, keep_first: int, keep: int, exe: str) -> FrameLevels:
    """Decode a piece's whole encode on its own (its lead-in too, so the
    frames kept decode as they do in the joined file) and measure the
    ``keep`` frames from ``keep_first``: what a piece's levels are. The
    pieces are measured as their batch is encoded (``batch.encode_batch``,
    decoding each encode from its memory file), which gives the same
    samples, hence the same levels (``tests/test_pieces_batch.py``)."""
    return piece_levels(decode(encoded, exe), keep_first, keep)


@functools.lru_cache(maxsize=1)
def _soundfile() -> ModuleType | None:
    """``soundfile`` if its libsndfile decodes MP3 (1.1 and later: the
    soundfile wheels bundle 1.2 with libmpg123), else None. Imported on
    first use (8 ms, 3.5 MB resident): only a render that measures new pieces
    needs it."""
    try:
        import soundfile
    except (ImportError, OSError):  # no soundfile, or no libsndfile for it
        return None
    return soundfile if "MP3" in soundfile.available_formats() else None


def decode(encoded: bytes, exe: str, path: str | None = None) -> np.ndarray:
    """Every sample an MP3 piece decodes to, float32 mono from the first
    (no Info frame: the decoder's delay is not skipped), as a player
    decodes it: libmpg123 in this process, reading ``path`` if given (a
    file or ``/dev/fd/N`` holding ``encoded``), else ``encoded``. The same
    samples as ffmpeg's ``mp3float`` decoder to within 4e-6 of full scale
    (``tests/test_pieces_batch.py``), for an eighth of the CPU: ffmpeg's
    threads hand each 1152-sample frame on (``benchmarks/README.md``).
    Where libsndfile cannot decode MP3, ffmpeg decodes (a process)."""
    sf = _soundfile()
    if sf is None:
        return _ffmpeg_decode(encoded, exe)
    try:
        samples, _ = sf.read(path if path is not None else io.BytesIO(encoded), dtype="float32",
                             always_2d=True)  # fmt: skip
    except RuntimeError as exc:  # soundfile.LibsndfileError among them
        raise EncodeError(f"decoding a piece of the mp3 to measure it: {exc}") from exc
    return np.ascontiguousarray(samples[:, 0]) if samples.shape[1] != 1 else samples.reshape(-1)


def _ffmpeg_decode(encoded: bytes, exe: str) -> np.ndarray:
    proc = ffmpeg.run(ffmpeg.decode_mp3_args(), input_bytes=encoded, exe=exe,
                      timeout_s=ffmpeg.ffmpeg_timeout_s())  # fmt: skip
    if proc.returncode != 0:
        raise ffmpeg.failure("measuring a piece of the mp3", proc)
    return np.frombuffer(proc.stdout, dtype="<f4")


def piece_levels(decoded: np.ndarray, keep_first: int, keep: int) -> FrameLevels:
    """The levels of frames ``keep_first .. keep_first + keep`` of a piece
    from every sample its encode decodes to (float32, from the first).
    K-weighted ``LEVEL_FRAMES`` at a time by overlap-save FFT convolution
    (within 1e-7 of K-weighting the piece at once, relative to its loudest
    frame), each FFT segment with the ``IR_SAMPLES - 1`` samples before it
    that the filter reaches back to; a block of frames is six segments.
    In double precision, into arrays made once per piece (numpy 2.4's
    ``rfft`` of float32 takes 4x as long as of float64, and a fresh array
    per block costs its page faults: 19 -> 9 ns a sample); a worker's
    arrays stay under 3 MB however long the piece."""
    x = decoded
    lo, hi = keep_first * FRAME_SAMPLES, (keep_first + keep) * FRAME_SAMPLES
    if x.size < hi:
        x = np.concatenate([x, np.zeros(hi - x.size, dtype=np.float32)])
    reach = IR_SAMPLES - 1
    spectrum = ir_spectrum(FFT_SAMPLES)
    rows_max = -(-LEVEL_FRAMES * FRAME_SAMPLES // STEP)
    window = np.empty(reach + rows_max * STEP)
    """The samples a block's segments read: window[i] is x[at - reach + i] (zeros outside x)."""
    spectra = np.empty((rows_max, FFT_SAMPLES // 2 + 1), dtype=np.complex128)
    segments_out = np.empty((rows_max, FFT_SAMPLES))
    weighted = np.empty(rows_max * STEP)
    energy = np.empty(keep)
    peak = np.empty(keep, dtype=np.float32)
    for first in range(0, keep, LEVEL_FRAMES):
        n = min(LEVEL_FRAMES, keep - first)
        at = lo + first * FRAME_SAMPLES
        rows = -(-n * FRAME_SAMPLES // STEP)
        size = reach + rows * STEP
        start, stop = max(0, at - reach), min(x.size, at - reach + size)
        window[: start - (at - reach)] = 0.0
        window[start - (at - reach) : stop - (at - reach)] = x[start:stop]
        window[stop - (at - reach) : size] = 0.0
        segments = np.lib.stride_tricks.as_strided(window, shape=(rows, FFT_SAMPLES),
                                                   strides=(STEP * 8, 8), writeable=False)
        f = np.fft.rfft(segments, axis=1, out=spectra[:rows])
        f *= spectrum
        y = np.fft.irfft(f, FFT_SAMPLES, axis=1, out=segments_out[:rows])
        np.copyto(weighted[: rows * STEP].reshape(rows, STEP), y[:, reach:])
        frames = weighted[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)
        energy[first : first + n] = np.einsum("ij,ij->i", frames, frames)
        # sample peaks per frame
        peak[first : first + n] = np.abs(x[at : at + n * FRAME_SAMPLES]).reshape(n, -1).max(axis=1)
    if peak.size and peak.max() > 0:  # the piece's true peak (one search) where the top is
        top = int(np.argmax(peak))
        peak[top] = max(float(peak[top]), true_peak(x, 0.0, lo, hi))
    return FrameLevels(energy, peak)


def track_loudness(levels: list[FrameLevels], total_samples: int) -> Loudness:
    """The joined track's loudness: frame k holds decoded samples
    ``1152 k - 1105`` on (the delay a player skips)."""
    energy = np.concatenate([lv.energy for lv in levels]) if levels else np.zeros(0)
    peak = max((float(lv.peak.max()) for lv in levels if lv.peak.size), default=0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(energy)])
    bounds = np.arange(total_samples // HOP + 1) * HOP + DECODER_DELAY
    at = np.interp(bounds, np.arange(cumulative.size) * FRAME_SAMPLES, cumulative)
    hops = np.diff(at)
    lufs = integrated_lufs(hops)
    tp = gain_to_db(peak)
    if is_silent(lufs):
        return Loudness(SILENT_LUFS, round(tp, 2), 0.0)
    return Loudness(round(lufs, 2), round(tp, 2), round(loudness_range(hops), 1))
