"""Loudness and peaks of a mix, computed in numpy from its clips (no ffmpeg).

Takes what ``mix`` takes (a timeline, a clip source, an optional bed);
gives a ``Measure``: BS.1770 integrated loudness and loudness range of the
mix, its sample peak and its true peak (4x oversampled around the loudest
samples). K-weighting is linear and time-invariant, so without a bed each
distinct clip is K-weighted once (FFT convolution with the cached impulse
response of the two BS.1770 biquads) and the K-weighted clips are mixed by
the same mixer as the real ones; with a bed the real mix is K-weighted
block by block (overlap-save). Mono, channel weight 1.0, no dual-mono.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cuecast.mix import Bed, ClipFor, mix
from cuecast.timeline import SAMPLE_RATE, Source, Timeline

HOP = SAMPLE_RATE // 10
"""100 ms: the step of the momentary (400 ms) and short-term (3 s) blocks."""
IR_SAMPLES = 4096
"""Length of the K-weighting impulse response kept (the rest is below 1e-10)."""
FFT_SAMPLES = 16384
"""FFT size of the overlap-add convolution (segments of FFT - IR + 1 samples)."""
CHUNK_ROWS = 8
"""Segments transformed together."""
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_GATE_LU = -20.0
SILENT_LUFS = -70.0
TRUE_PEAK_HALF_TAPS = 12
"""Half the length of each phase of the 4x interpolation filter."""
CANDIDATE_DB = 2.0
"""Samples within this of the loudest so far are where a true peak is looked for."""


@dataclass(frozen=True)
class Measure:
    """One mix as measured: loudness (LUFS, LU) and peaks (linear, full scale 1.0)."""

    integrated_lufs: float
    lra_lu: float
    sample_peak: float
    true_peak: float

    @property
    def true_peak_dbtp(self) -> float:
        return to_db(self.true_peak)


def to_db(linear: float) -> float:
    return 20.0 * math.log10(linear) if linear > 0.0 else -math.inf


# -- K-weighting ------------------------------------------------------------------


def kweight_biquads(rate_hz: int = SAMPLE_RATE) -> list[tuple[np.ndarray, np.ndarray]]:
    """The BS.1770 pre-filter (high shelf) and RLB high-pass as ``(b, a)``
    for any rate, derived as libebur128 and ffmpeg's ``ebur128`` derive them
    (bilinear transform; at 48 kHz they are the coefficients of the
    standard). pyloudnorm's RBJ shelf read 0.26 dB low on a 1 kHz sine."""
    shelf_db, shelf_q, shelf_hz = 3.999843853973347, 0.7071752369554196, 1681.974450955533
    pass_q, pass_hz = 0.5003270373253953, 38.13547087613982
    k = math.tan(math.pi * shelf_hz / rate_hz)
    vh = 10.0 ** (shelf_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / shelf_q + k * k
    shelf_b = [(vh + vb * k / shelf_q + k * k) / a0, 2.0 * (k * k - vh) / a0,
               (vh - vb * k / shelf_q + k * k) / a0]  # fmt: skip
    shelf_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / shelf_q + k * k) / a0]
    k = math.tan(math.pi * pass_hz / rate_hz)
    a0 = 1.0 + k / pass_q + k * k
    pass_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / pass_q + k * k) / a0]
    return [(np.array(shelf_b), np.array(shelf_a)), (np.array([1.0, -2.0, 1.0]), np.array(pass_a))]


@functools.lru_cache(maxsize=4)
def kweight_ir(rate_hz: int = SAMPLE_RATE, n: int = IR_SAMPLES) -> np.ndarray:
    """Impulse response of the K-weighting cascade, ``n`` samples, float64."""
    x = np.zeros(n)
    x[0] = 1.0
    for b, a in kweight_biquads(rate_hz):
        x = _biquad(x, b, a)
    x.setflags(write=False)
    return x


def _biquad(x: np.ndarray, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = 0.0
    b0, b1, b2 = (float(v) for v in b)
    a1, a2 = float(a[1]), float(a[2])
    for i, xi in enumerate(x.tolist()):
        yi = b0 * xi + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        y[i] = yi
        x2, x1, y2, y1 = x1, xi, y1, yi
    return y


def _fft_size(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


@functools.lru_cache(maxsize=16)
def _ir_spectrum(nfft: int) -> np.ndarray:
    return np.fft.rfft(kweight_ir(), nfft)


def kweight(clip: np.ndarray) -> np.ndarray:
    """``clip`` K-weighted, with the filter's tail (``IR_SAMPLES - 1`` more),
    float32: overlap-add FFT convolution, all segments in one batch."""
    x = np.asarray(clip, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.float32)
    step, tail = FFT_SAMPLES - IR_SAMPLES + 1, IR_SAMPLES - 1
    rows = -(-x.size // step)
    segments = np.zeros((rows, step))
    segments.reshape(-1)[: x.size] = x
    y = np.empty((rows, FFT_SAMPLES))
    for at in range(0, rows, CHUNK_ROWS):  # a few segments at a time: memory stays small
        part = np.fft.rfft(segments[at : at + CHUNK_ROWS], FFT_SAMPLES, axis=1)
        part *= _ir_spectrum(FFT_SAMPLES)
        y[at : at + CHUNK_ROWS] = np.fft.irfft(part, FFT_SAMPLES, axis=1)
    out = np.zeros(rows * step + tail)
    body = out[: rows * step].reshape(rows, step)
    body += y[:, :step]
    body[1:, :tail] += y[:-1, step:]
    out[rows * step :] += y[-1, step:]
    return out[: x.size + tail].astype(np.float32)


class _OverlapSave:
    """K-weights a stream of blocks (overlap-save FFT convolution)."""

    def __init__(self) -> None:
        self.history = np.zeros(IR_SAMPLES - 1)

    def feed(self, block: np.ndarray) -> np.ndarray:
        x = np.concatenate([self.history, np.asarray(block, dtype=np.float64)])
        self.history = x[x.size - (IR_SAMPLES - 1):]
        nfft = _fft_size(x.size)
        y = np.fft.irfft(np.fft.rfft(x, nfft) * _ir_spectrum(nfft), nfft)
        return y[IR_SAMPLES - 1 : x.size]


# -- gating -----------------------------------------------------------------------


class _Hops:
    """Sums of squares per 100 ms hop of a stream of blocks."""

    def __init__(self) -> None:
        self.sums: list[np.ndarray] = []
        self.rest = np.zeros(0)

    def feed(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float64)
        if self.rest.size:
            x = np.concatenate([self.rest, x])
        whole = x.size - x.size % HOP
        if whole:
            head = x[:whole]
            if head.any():
                self.sums.append(np.einsum("ij,ij->i", *(head.reshape(-1, HOP),) * 2))
            else:
                self.sums.append(np.zeros(whole // HOP))
        self.rest = x[whole:]

    def energies(self) -> np.ndarray:
        return np.concatenate(self.sums) if self.sums else np.zeros(0)


def _block_means(hops: np.ndarray, span: int) -> np.ndarray:
    """Mean squares of blocks of ``span`` hops, one per hop (overlapping)."""
    if hops.size < span:
        return np.zeros(0)
    total = np.concatenate([[0.0], np.cumsum(hops)])
    return np.maximum(total[span:] - total[:-span], 0.0) / (span * HOP)


def _lufs(mean_square: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(mean_square)


def integrated_lufs(hops: np.ndarray) -> float:
    """Gated integrated loudness (BS.1770-4) from hop energies."""
    blocks = _block_means(hops, 4)
    loud = _lufs(blocks)
    kept = loud > ABSOLUTE_GATE_LUFS
    if not kept.any():
        return SILENT_LUFS
    gate = float(_lufs(blocks[kept].mean())) + RELATIVE_GATE_LU
    kept &= loud > gate
    return max(float(_lufs(blocks[kept].mean())), SILENT_LUFS)


def loudness_range(hops: np.ndarray) -> float:
    """EBU Tech 3342 loudness range from hop energies (3 s blocks)."""
    loud = _lufs(_block_means(hops, 30))
    loud = loud[loud > ABSOLUTE_GATE_LUFS]
    if loud.size == 0:
        return 0.0
    gate = float(_lufs(np.mean(10.0 ** ((loud + 0.691) / 10.0)))) + LRA_GATE_LU
    loud = loud[loud > gate]
    if loud.size == 0:
        return 0.0
    low, high = np.percentile(loud, [10.0, 95.0])
    return float(high - low)


# -- true peak --------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def quarter_phases() -> tuple[np.ndarray, np.ndarray]:
    """Offsets and taps (Hann-windowed sinc) for the points 1/4, 2/4, 3/4
    of the way from a sample to the next."""
    half = TRUE_PEAK_HALF_TAPS
    offsets = np.arange(-half + 1, half + 1)
    frac = np.array([0.25, 0.5, 0.75])
    t = frac[None, :] - offsets[:, None]
    window = 0.5 + 0.5 * np.cos(np.pi * t / (half + 1))
    return offsets, np.sinc(t) * window


def true_peak(x: np.ndarray, floor: float = 0.0, lo: int = 0, hi: int | None = None) -> float:
    """Largest 4x-oversampled magnitude of ``x`` (zeros beyond its ends)
    around its samples ``lo:hi`` within ``CANDIDATE_DB`` of their top (or of
    ``floor`` if higher); 0 if none."""
    a = np.abs(np.asarray(x, dtype=np.float64))[lo:hi]
    if a.size == 0:
        return 0.0
    top = float(a.max())
    level = max(top, floor) * 10.0 ** (-CANDIDATE_DB / 20.0)
    if top < level or top == 0.0:
        return top
    # an inter-sample peak lies next to a local peak of |x|: look on both sides
    full = np.abs(np.asarray(x, dtype=np.float64))
    inner = np.flatnonzero(a >= level) + lo
    left = full[np.maximum(inner - 1, 0)]
    right = full[np.minimum(inner + 1, full.size - 1)]
    peaks = inner[(full[inner] >= left) & (full[inner] >= right)]
    candidates = np.unique(np.concatenate([np.maximum(peaks - 1, 0), peaks]))
    offsets, taps = quarter_phases()
    padded = np.concatenate([np.zeros(TRUE_PEAK_HALF_TAPS), x, np.zeros(TRUE_PEAK_HALF_TAPS)])
    around = padded[candidates[:, None] + offsets[None, :] + TRUE_PEAK_HALF_TAPS]
    return max(top, float(np.abs(around @ taps).max()))


class _Peaks:
    """Sample and true peak of a stream of blocks."""

    def __init__(self) -> None:
        self.sample = 0.0
        self.true = 0.0
        self.context = np.zeros(0, dtype=np.float32)

    def feed(self, block: np.ndarray) -> None:
        """Samples of ``block`` but its last ``TRUE_PEAK_HALF_TAPS`` are
        judged now (with the previous block's end before them), those with
        the next block (or by ``finish``)."""
        half = TRUE_PEAK_HALF_TAPS
        top = float(np.max(np.abs(block))) if block.size else 0.0
        self.sample = max(self.sample, top)
        level = self.true * 10.0 ** (-CANDIDATE_DB / 20.0)
        before = float(np.max(np.abs(self.context))) if self.context.size else 0.0
        x = np.concatenate([self.context, block])
        if max(top, before) > 0.0 and max(top, before) >= level:
            lo = max(0, self.context.size - half)
            self.true = max(self.true, true_peak(x, self.true, lo, max(lo, x.size - half)))
        self.context = x[-2 * half :]

    def finish(self) -> None:
        half = TRUE_PEAK_HALF_TAPS
        lo = max(0, self.context.size - half)
        self.true = max(self.true, true_peak(self.context, self.true, lo))


# -- measuring a mix ----------------------------------------------------------------


def measure(timeline: Timeline, clip_for: ClipFor, bed: Bed | None = None) -> Measure:
    """Loudness and peaks of ``mix(timeline, clip_for, bed=bed)`` at 0 dB gain."""
    hops, peaks = _Hops(), _Peaks()
    for real, weighted in _streams(timeline, clip_for, bed):
        peaks.feed(real)
        hops.feed(weighted)
    peaks.finish()
    energies = hops.energies()
    return Measure(integrated_lufs(energies), loudness_range(energies), peaks.sample, peaks.true)


def _streams(timeline: Timeline, clip_for: ClipFor,
             bed: Bed | None) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """The real mix and the K-weighted mix, block by block."""
    real = mix(timeline, clip_for, bed=bed)
    if bed is not None:
        filt = _OverlapSave()
        return ((block, filt.feed(block)) for block in real)
    weighted = mix(timeline, _kweighted(clip_for))
    return zip(real, weighted, strict=True)


def _kweighted(clip_for: ClipFor) -> ClipFor:
    def clip(source: Source) -> np.ndarray:
        return kweight(clip_for(source))

    return clip
