"""pieces/meter.py and the levels in a piece's cache entry: a piece's
levels are the K-weighted energy of each of its frames and its peaks,
measured a block of frames at a time as at once; entries whose levels were
measured the piece at once keep their frames, not their levels. Numpy only
(no ffmpeg)."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast.errors import EncodeError
from cuecast.loudness.bs1770 import kweight, true_peak
from cuecast.mp3frames import FRAME_SAMPLES
from cuecast.pieces import PieceStore
from cuecast.pieces.meter import LEVEL_FRAMES, FrameLevels, piece_levels
from cuecast.pieces.mp3 import LEVELS, _cached, entry, from_entry
from tests.test_loudness import voice_like

FRAMES = 2 * LEVEL_FRAMES + 9
"""Kept frames: three blocks, the last one short."""


@pytest.fixture(scope="module")
def decoded() -> np.ndarray:
    """A piece as decoded: two frames of lead-in, the kept frames, and
    less than the last kept frame's samples (the caller pads with zeros)."""
    x = voice_like((FRAMES + 2) * FRAME_SAMPLES, 0.8)
    return x[: x.size - 300]


def at_once(decoded: np.ndarray, first: int, n: int) -> np.ndarray:
    """Each frame's energy, the piece K-weighted at once (the meter before)."""
    padded = np.concatenate([decoded, np.zeros(300, dtype=np.float32)])
    frames = kweight(padded)[first * FRAME_SAMPLES : (first + n) * FRAME_SAMPLES]
    frames = frames.reshape(n, FRAME_SAMPLES)
    return np.einsum("ij,ij->i", frames, frames, dtype=np.float64)


def test_levels_are_each_frames_k_weighted_energy_and_peak(decoded):
    levels = piece_levels(decoded, 2, FRAMES)
    want = at_once(decoded, 2, FRAMES)
    assert levels.energy.dtype == np.float64 and levels.energy.size == FRAMES
    assert np.max(np.abs(levels.energy - want)) < 1e-6 * want.max()
    padded = np.concatenate([decoded, np.zeros(300, dtype=np.float32)])
    sample_peaks = np.abs(padded[2 * FRAME_SAMPLES :]).reshape(FRAMES, FRAME_SAMPLES).max(axis=1)
    top = int(np.argmax(sample_peaks))
    assert np.array_equal(np.delete(levels.peak, top), np.delete(sample_peaks, top))
    tp = true_peak(padded, 0.0, 2 * FRAME_SAMPLES, padded.size)
    assert levels.peak[top] == np.float32(max(sample_peaks[top], tp))


def test_levels_do_not_depend_on_where_the_blocks_fall(decoded):
    """Measured from another first frame (the blocks fall elsewhere), the
    frames both keep get the same energies: each block sees the samples
    before it that the filter reaches back to."""
    a = piece_levels(decoded, 2, FRAMES)
    for shift in (1, 5, LEVEL_FRAMES - 1):
        b = piece_levels(decoded, 2 + shift, FRAMES - shift)
        assert np.max(np.abs(a.energy[shift:] - b.energy)) < 1e-6 * a.energy.max()


def test_an_entry_keeps_levels_and_frames():
    levels = FrameLevels(np.arange(3.0), np.array([0.1, 0.2, 0.3], dtype=np.float32))
    data = entry(b"frames", levels)
    assert data[:1] == LEVELS
    frames, got = from_entry(data)
    assert frames == b"frames" and got is not None
    assert np.array_equal(got.energy, levels.energy) and np.array_equal(got.peak, levels.peak)
    assert from_entry(entry(b"frames", None)) == (b"frames", None)
    with pytest.raises(EncodeError, match="unknown layout"):
        from_entry(b"?frames")


def test_levels_read_from_an_entry_do_not_keep_its_frames():
    """A render keeps every piece's levels to its end: views of the entry
    would keep each cached piece's frames alive with them (issue 19's peak)."""
    levels = FrameLevels(np.arange(3.0), np.array([0.1, 0.2, 0.3], dtype=np.float32))
    _, got = from_entry(entry(b"x" * 100_000, levels))
    assert got is not None
    assert got.energy.base is None and got.peak.base is None
    assert got.energy.nbytes + got.peak.nbytes == 36


@pytest.mark.parametrize("tag", [b"L", b"K"])
def test_an_entry_of_an_older_meter_is_measured_again(tmp_path, tag):
    """An entry of the meters before (``b"L"``: K-weighted at once; ``b"K"``:
    decoded by ffmpeg, K-weighted in float32): its frames serve a render
    that does not measure; one that does encodes and measures it again."""
    levels = FrameLevels(np.arange(3.0), np.zeros(3, dtype=np.float32))
    store = PieceStore(tmp_path / "pieces")
    store.save("k" * 64, tag + levels.to_bytes() + b"frames")
    assert _cached(store, "k" * 64, measured=False) == (b"frames", None)
    assert _cached(store, "k" * 64, measured=True) is None
    store.save("m" * 64, LEVELS + levels.to_bytes() + b"frames")
    assert _cached(store, "m" * 64, measured=True) is not None
