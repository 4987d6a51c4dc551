"""The limiter: a clip held under a ceiling, true peak included, in numpy.

Takes one clip (float32 samples) and a threshold (linear, full scale 1.0);
gives the clip with no sample and no 4x-oversampled point over the
threshold. The gain each sample needs is smoothed so it looks ahead and
changes slowly (no clicks), and it is never above what any sample needs.
A clip that needs nothing comes back as the very same array.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from cuecast.loudness.bs1770 import TRUE_PEAK_HALF_TAPS, quarter_phases
from cuecast.units import SAMPLE_RATE

BOX_SAMPLES = 2 * (SAMPLE_RATE // 100) + 1
"""The gain is a moving average over this many samples (20 ms; 40 ms took
0.8 LU more off speech limited by 6 dB)..."""
MIN_SAMPLES = BOX_SAMPLES + 2 * (SAMPLE_RATE // 2000)
"""...of a running minimum of the gain each sample needs over this many
(1 ms longer), centred: the smoothed gain never exceeds what any sample
needs, and it starts coming down 10 ms before a peak (lookahead)."""
CONVOLVE_OVER = 32
"""With more than one local peak to interpolate per this many samples, the
whole clip is interpolated (three 24-tap convolutions) rather than each peak."""
PEAKS_AT_ONCE = 2048
"""Local peaks interpolated together (each takes 2 x 24 taps of float64)."""
ISP_DB = 3.0
"""Inter-sample peaks over the threshold are looked for only next to
samples at most this far under it (speech's are within 1 dB; the measured
true peak checks the rest)."""


def limit(clip: np.ndarray, threshold: float) -> np.ndarray:
    """``clip`` with no sample over ``threshold``: each sample needs the gain
    ``min(1, threshold/|x|)``; the gain applied is a centred moving average
    of a centred running minimum of that need, so it is never above it,
    looks ahead, and changes smoothly. Only the stretches around samples
    over the threshold are worked on (elsewhere the gain is exactly 1).
    float32 samples, the gain in float64; ``clip`` itself if nothing is over."""
    x = np.asarray(clip, dtype=np.float32)
    a = oversampled_magnitude(x, threshold)
    over = np.flatnonzero(a > threshold)
    if over.size == 0:
        return clip
    reach = MIN_SAMPLES // 2 + BOX_SAMPLES // 2  # how far a sample's need is felt
    gaps = np.flatnonzero(np.diff(over) > 2 * reach)
    out = x.copy()
    for first, last in zip(over[np.r_[0, gaps + 1]], over[np.r_[gaps, over.size - 1]], strict=True):
        lo, hi = max(0, first - reach), min(x.size, last + reach + 1)
        need = np.minimum(1.0, threshold / np.maximum(a[lo:hi], 1e-30))
        out[lo:hi] = x[lo:hi] * _smoothed(need, reach)
    return np.clip(out, -threshold, threshold)


def _smoothed(need: np.ndarray, reach: int) -> np.ndarray:
    """The gain for a stretch whose need is 1 beyond its ends."""
    padded = np.concatenate([np.ones(reach), need, np.ones(reach)])
    gain = moving_average(running_min(padded, MIN_SAMPLES), BOX_SAMPLES)[reach:-reach]
    return np.minimum(gain, need)


def cell_gains(cell_peaks: np.ndarray, cell: int, threshold: float) -> np.ndarray:
    """The gain ``limit`` would apply, per cell of ``cell`` samples, from the
    largest ``|sample|`` of each cell: the same running minimum and moving
    average at the cells' resolution (what the meter needs to measure a
    limited clip without limiting it)."""
    if cell_peaks.size == 0 or float(cell_peaks.max()) <= threshold:
        return np.ones(cell_peaks.size)
    need = np.minimum(1.0, threshold / np.maximum(cell_peaks.astype(np.float64), 1e-30))
    box, width = _odd(BOX_SAMPLES // cell), _odd(-(-MIN_SAMPLES // cell))
    pad = width // 2 + box // 2
    need_padded = np.concatenate([np.ones(pad), need, np.ones(pad)])
    gain = moving_average(running_min(need_padded, width), box)[pad:-pad]
    return np.minimum(gain, need)


def _odd(n: int) -> int:
    return n if n % 2 else n + 1


def oversampled_magnitude(x: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """``|x|``, raised next to each local peak within ``ISP_DB`` of ``floor``
    to the largest 4x-oversampled magnitude from a sample before it to one
    after (so a limit on it bounds the true peak there)."""
    a = np.abs(x)
    inner = a[1:-1]
    peaks = 1 + np.flatnonzero((inner >= floor * 10.0 ** (-ISP_DB / 20.0))
                               & (inner >= a[:-2]) & (inner >= a[2:]))  # fmt: skip
    if peaks.size == 0:
        return a
    if peaks.size * CONVOLVE_OVER > x.size:  # many peaks: interpolate the whole clip
        between = _between_samples(x)
        top = np.maximum(between[peaks], between[peaks + 1])
    else:
        half = TRUE_PEAK_HALF_TAPS + 1
        padded = np.concatenate([np.zeros(half, dtype=x.dtype), x, np.zeros(half, dtype=x.dtype)])
        top = np.concatenate([_between_peaks(padded, peaks[at : at + PEAKS_AT_ONCE])
                              for at in range(0, peaks.size, PEAKS_AT_ONCE)])  # fmt: skip
    for shift in (-1, 0, 1):  # the peaks are distinct: no index twice in one step
        at_shift = peaks + shift
        a[at_shift] = np.maximum(a[at_shift], top)
    return a


def _between_samples(x: np.ndarray) -> np.ndarray:
    """``[k]``: the largest magnitude at 1/4, 2/4, 3/4 from ``x[k-1]`` to
    ``x[k]`` (zeros beyond the ends), ``k`` = 0 .. len(x)."""
    offsets, taps = quarter_phases()
    half = TRUE_PEAK_HALF_TAPS
    padded = np.concatenate([np.zeros(half, dtype=x.dtype), x, np.zeros(half, dtype=x.dtype)])
    out = np.zeros(x.size + 1, dtype=x.dtype)
    for phase in range(taps.shape[1]):
        phase_taps = taps[::-1, phase].astype(x.dtype)
        np.maximum(out, np.abs(np.convolve(padded, phase_taps, mode="valid")), out=out)
    return out


def _between_peaks(padded: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """The largest 4x-oversampled magnitude from ``x[p-1]`` to ``x[p+1]``
    for each peak ``p``; ``padded`` is ``x`` with ``TRUE_PEAK_HALF_TAPS + 1``
    zeros either side, in its own dtype: padded once per clip, not as a
    float64 copy of the whole clip per ``PEAKS_AT_ONCE`` peaks (the hour's
    levelling made one of each long clip for every 2048 of its peaks); only
    the samples around the peaks go to float64, the same values."""
    offsets, taps = quarter_phases()
    gather = offsets[None, :] + TRUE_PEAK_HALF_TAPS + 1
    before = padded[peaks[:, None] - 1 + gather].astype(np.float64)
    at = padded[peaks[:, None] + gather].astype(np.float64)
    return np.maximum(np.abs(before @ taps).max(axis=1), np.abs(at @ taps).max(axis=1))


def running_min(x: np.ndarray, width: int) -> np.ndarray:
    """Centred running minimum over ``width`` (odd) samples, same length as
    ``x`` (edges see +inf beyond the ends): minima of spans doubling up to
    the largest power of two in ``width``, then two of those overlapped."""
    half = width // 2
    n = x.size
    spans = np.concatenate([np.full(half, np.inf), x, np.full(half, np.inf)])
    span = 1
    while 2 * span <= width:  # spans[i] becomes the minimum of 2*span samples from i
        np.minimum(spans[:-span], spans[span:], out=spans[:-span])
        span *= 2
    return np.minimum(spans[:n], spans[width - span : width - span + n])


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` (odd) samples, edges padded with
    the end values."""
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    total = np.concatenate([[0.0], np.cumsum(padded)])
    return (total[width:] - total[:-width]) / width


CONTEXT_SAMPLES = MIN_SAMPLES // 2 + BOX_SAMPLES // 2 + TRUE_PEAK_HALF_TAPS + 2
"""How far ``limit``'s gain at a sample depends on the samples around it
(its need's running minimum and moving average, and the 4x interpolation
beside a peak): the delay of ``limit_stream``."""


def limit_stream(blocks: Iterable[np.ndarray], threshold: float) -> Iterator[np.ndarray]:
    """``limit`` over a stream of float32 blocks: the same samples out
    (``CONTEXT_SAMPLES`` later, so the last block is longer and the first
    shorter), each limited with the samples around it as ``limit`` of the
    whole would see them. What the loudness stage puts on the mix itself
    when clips and a bed sum over the ceiling (``levelling``)."""
    history = np.zeros(0, dtype=np.float32)  # raw samples already given, kept for context
    pending = np.zeros(0, dtype=np.float32)  # raw samples not given yet
    for block in blocks:
        pending = np.concatenate([pending, np.asarray(block, dtype=np.float32).reshape(-1)])
        ready = pending.size - CONTEXT_SAMPLES
        if ready <= 0:
            continue
        window = np.concatenate([history, pending])
        yield np.asarray(limit(window, threshold)[history.size : history.size + ready])
        given = history.size + ready
        history = window[max(0, given - CONTEXT_SAMPLES) : given]
        pending = pending[ready:]
    if pending.size:
        window = np.concatenate([history, pending])
        yield np.asarray(limit(window, threshold)[history.size :])
