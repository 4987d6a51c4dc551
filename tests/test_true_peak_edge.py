"""The true peak of a stretch whose top rises into a larger sample just
outside it: no local peak lies inside, and the search found no candidate
(an empty array's maximum: every MP3 piece so cut failed to measure, and
the seed with a lunge hold of 68 s or 128 s did not render at all)."""

from __future__ import annotations

import numpy as np

from cuecast.loudness.bs1770 import true_peak


def test_a_stretch_rising_into_a_larger_sample_outside_it_has_a_true_peak() -> None:
    x = np.array([0.0, 0.1, 0.5, 1.0, 0.2, 0.0], dtype=np.float32)
    peak = true_peak(x, 0.0, 0, 3)  # samples 0..2: 0.5 is the top, 1.0 lies outside
    assert 0.5 <= peak < 1.1  # up the slope to the larger sample, oversampled
    whole = true_peak(x)  # the whole signal is unchanged by the stretch's rule
    assert whole >= 1.0
