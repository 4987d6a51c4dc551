"""mp3frames.frame_offsets finds the frames frame_spans finds, read at once
(numpy), for CBR streams padded from any phase; anything else is walked
frame by frame, with the same errors."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast.mp3frames import Mp3FormatError, frame_offsets, frame_spans

RATES = {44100: 0, 48000: 1, 32000: 2}
BITRATES = {32: 1, 64: 5, 96: 7, 128: 9, 320: 14}


def header(kbps: int, rate: int, padded: bool, mono: bool = True) -> bytes:
    h = (0x7FF << 21) | (3 << 19) | (1 << 17) | (1 << 16)  # MPEG-1, layer III, no CRC
    h |= BITRATES[kbps] << 12 | RATES[rate] << 10 | int(padded) << 9 | (3 if mono else 0) << 6
    return h.to_bytes(4, "big")


def stream(kbps: int, rate: int, pads: list[bool], seed: int = 0) -> bytes:
    """Frames with these paddings, their bodies noise (a sync word may
    appear in them, as in real frames)."""
    rng = np.random.default_rng(seed)
    plain = 144 * kbps * 1000 // rate
    return b"".join(header(kbps, rate, p) + rng.integers(0, 256, plain + p - 4, np.uint8).tobytes()
                    for p in pads)  # fmt: skip


def cbr_pads(kbps: int, rate: int, n: int, phase: int) -> list[bool]:
    step = 144 * kbps * 1000 % rate
    return [(i + 1 + phase) * step // rate > (i + phase) * step // rate for i in range(n)]


def spans(data: bytes) -> list[int]:
    return [o for o, _ in frame_spans(data)]


@pytest.mark.parametrize("kbps", sorted(BITRATES))
@pytest.mark.parametrize("rate", sorted(RATES))
def test_cbr_frames_from_any_phase_are_found_at_once(kbps, rate):
    for n in (1, 2, 48, 49, 50, 766):
        for phase in (0, 1, 16, 18, 33):
            data = stream(kbps, rate, cbr_pads(kbps, rate, n, phase), seed=n + phase)
            offsets, found = frame_offsets(data)
            assert offsets.tolist() == spans(data)
            again, _ = frame_offsets(data, [found])
            assert again.tolist() == spans(data)


def test_padding_of_no_pattern_is_walked_frame_by_frame():
    rng = np.random.default_rng(3)
    data = stream(96, 44100, [bool(b) for b in rng.integers(0, 2, 300)])
    assert frame_offsets(data)[0].tolist() == spans(data)


def test_two_encoders_or_bit_rates_in_one_run_are_walked():
    a = stream(96, 44100, cbr_pads(96, 44100, 30, 5))
    b = stream(128, 44100, cbr_pads(128, 44100, 30, 5))
    assert frame_offsets(a + b)[0].tolist() == spans(a + b)


@pytest.mark.parametrize("cut", [1, 7, 400])
def test_broken_data_fails_as_frame_spans_does(cut):
    data = stream(96, 44100, cbr_pads(96, 44100, 100, 18))
    at = spans(data)[cut % 90]  # a frame's sync byte
    bad = [data[:-cut], data[:at] + b"\0" + data[at + 1 :], b"\xff\xfb", b"junk" + data]
    for b in bad:
        with pytest.raises(Mp3FormatError):
            spans(b)
        with pytest.raises(Mp3FormatError):
            frame_offsets(b)


def test_nothing_is_no_frames():
    assert frame_offsets(b"")[0].tolist() == []
