"""Fast loudness metering: the first pass's numbers at a fraction of its cost.

Takes a way to make the mix (float32 mono blocks at ``SAMPLE_RATE``); gives
the same ``Loudness`` as ``loudness.measure_loudness`` would, to the bit.
The plain measurement runs ffmpeg's ``ebur128`` with ``peak=true``, which
resamples the whole mix to 192 kHz to find the true peak: two thirds of
its cost. Here one ffmpeg measures integrated loudness and range without
peaks, while a second one, side by side on the other core, finds the true
peak from only the frames that can hold it.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterable

import numpy as np

from cuecast.errors import EncodeError
from cuecast.ffmpeg import PCM_INPUT, FfmpegRun, as_pcm
from cuecast.loudness import _SUMMARY, Loudness, measure_loudness
from cuecast.timeline import SAMPLE_RATE

UNCLIPPED = float(2**20)
"""The clip level ``measure_loudness`` uses at 0 dB gain (a guard only)."""


def measure_mix(make_blocks: Callable[[], Iterable[np.ndarray]]) -> Loudness:
    """``measure_loudness(make_blocks())``, the same numbers, at about a
    third of the cost: what the renderer's first pass calls.

    Two ffmpeg processes run side by side on the one mix: one measures
    integrated loudness and loudness range with ``peak=none`` (the gating
    and histograms do not depend on the peak mode), the other the true peak
    of only the 100 ms frames that can hold it (see ``_PeakScreen``). If
    the screen's assumption does not hold for this mix, the mix is made
    again and measured the plain way, so the result is always ffmpeg's.
    """
    peak_run: list[FfmpegRun] = []

    def start_peak_run() -> FfmpegRun:
        peak_run.append(_meter("true peak measurement", "ebur128=peak=true:framelog=quiet"))
        return peak_run[0]

    screen = _PeakScreen(start_peak_run)
    try:
        with _meter("loudness measurement", "ebur128=peak=none:framelog=quiet") as run:
            for block in make_blocks():
                pcm = as_pcm(block, 1.0, UNCLIPPED)
                if pcm.size:
                    run.write(pcm)
                    screen.feed(pcm)
            screen.finish()
            text = run.finish()
        peak_text = peak_run[0].finish() if peak_run else None
    finally:
        for started in peak_run:
            started.kill()
    true_peak = _summary_value(peak_text, "true_peak_dbtp") if peak_text else -math.inf
    if not screen.holds(true_peak):
        return measure_loudness(make_blocks())
    return Loudness(
        integrated_lufs=_summary_value(text, "integrated_lufs"),
        true_peak_dbtp=true_peak,
        lra_lu=_summary_value(text, "lra_lu"),
    )


def _meter(what: str, chain: str) -> FfmpegRun:
    return FfmpegRun([*PCM_INPUT, "-af", chain, "-f", "null", "-"], what=what, loglevel="info")


FRAME = SAMPLE_RATE // 10
"""ebur128's 100 ms step, in samples; a multiple of ``PHASE``."""
PHASE = 147
"""ebur128 finds the true peak by resampling 44100 -> 192000 Hz (ratio
640/147): its filter phases repeat every 147 input samples, so a stretch
of input placed at the same position modulo 147 gives the same values."""
L1_BOUND = 8.0
"""Bound on how far the resampler's output can exceed the largest input
sample near it (the sum of its filter taps' magnitudes: about 2.4 for
ffmpeg's 32-tap filter; 8 leaves a wide margin)."""
PEAK_FLOOR = 0.5
"""Assumed: the true peak is at least half the sample peak. Real audio is
far above that (the resampled signal passes through its samples); the
assumption is checked after measuring, and a mix that breaks it is
measured in full."""


class _PeakScreen:
    """Picks the 100 ms frames that could hold the mix's true peak.

    A frame is *hot* if ``L1_BOUND`` times its sample peak reaches
    ``PEAK_FLOOR`` times the sample peak so far; hot frames and their
    neighbours go to the true-peak meter, each at its own position modulo
    ``PHASE`` (zeros fill the gaps). Every resampled value computed from
    frames left out, or across a gap, is below ``PEAK_FLOOR`` times the
    final sample peak, so if the measured peak is at least that much
    (``holds``), it is the whole mix's true peak, to the bit.
    """

    def __init__(self, start: Callable[[], FfmpegRun]) -> None:
        self.start = start
        self.run: FfmpegRun | None = None
        self.peak = 0.0
        self.window: deque[tuple[int, np.ndarray, bool]] = deque()
        self.rest = np.zeros(0, dtype="<f4")
        self.pos = 0
        self.sent_end = 0
        self.sent = 0

    def feed(self, pcm: np.ndarray) -> None:
        data = np.concatenate([self.rest, pcm]) if self.rest.size else pcm
        whole = len(data) - len(data) % FRAME
        for at in range(0, whole, FRAME):
            self._frame(data[at : at + FRAME])
        self.rest = data[whole:].copy()

    def finish(self) -> None:
        if self.rest.size:
            self._frame(self.rest)
            self.rest = self.rest[:0]
        self.window.append((self.pos, self.rest, False))  # nothing after the end
        if len(self.window) == 3:
            self._decide()

    def holds(self, true_peak_dbtp: float) -> bool:
        if self.peak == 0.0:
            return True
        # ffmpeg prints the peak to 0.1 dB: allow for its rounding.
        return 20.0 * math.log10(PEAK_FLOOR * self.peak) <= true_peak_dbtp - 0.05

    def _frame(self, x: np.ndarray) -> None:
        top = float(np.max(np.abs(x)))
        self.peak = max(self.peak, top)
        hot = top > 0.0 and L1_BOUND * top >= PEAK_FLOOR * self.peak
        if not self.window:
            self.window.append((self.pos, x[:0], False))  # nothing before the start
        self.window.append((self.pos, x, hot))
        self.pos += len(x)
        if len(self.window) == 3:
            self._decide()

    def _decide(self) -> None:
        """Send the middle frame of the window if it or a neighbour is hot."""
        before, (at, x, hot), *after = self.window
        if before[2] or hot or (after and after[0][2]):
            self._send(at, x)
        self.window.popleft()

    def _send(self, at: int, x: np.ndarray) -> None:
        if self.run is None:
            self.run = self.start()
        if at != self.sent_end:
            gap = (at - self.sent) % PHASE
            self.run.write(np.zeros(gap, dtype="<f4"))
            self.sent += gap
        self.run.write(x)
        self.sent += len(x)
        self.sent_end = at + len(x)


def _summary_value(text: str, key: str) -> float:
    """One number of the last ``ebur128`` summary in ``text``."""
    at = text.rfind("Summary:")
    if at < 0:
        raise EncodeError("loudness measurement: ffmpeg printed no ebur128 summary")
    match = re.search(_SUMMARY[key], text[at:])
    if match is None:
        raise EncodeError(f"loudness measurement: no {key} in ffmpeg's summary")
    return float(match.group(1))
