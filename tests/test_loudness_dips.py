"""loudness/dips.py and guard.Correction: the mix lowered only in the frames
the codec put over the ceiling, by what they were over; the frames found
in a real encoded file by ffmpeg's ebur128 (``ffmpeg_meter.peak_frames``)."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast.blocks import silence
from cuecast.encode import EncodeSettings, encode
from cuecast.loudness import Loudness, guard
from cuecast.loudness.dips import MAX_DIP_DB, PAD_S, RAMP_S, ROOM_DB, Dips
from cuecast.loudness.ffmpeg_meter import peak_frames
from cuecast.units import SAMPLE_RATE, gain_to_db
from tests.audio_check import blocks_of, sine

SR = SAMPLE_RATE


def test_a_frame_over_is_dipped_by_what_it_is_over_plus_room():
    dips = Dips().deepened([(60, -0.9), (70, -1.6), (80, -1.2)])
    assert dips.depth_db == {60: pytest.approx(0.1 + ROOM_DB), 80: pytest.approx(0.3)}
    again = dips.deepened([(60, -1.3)], raise_db=0.2)  # still 0.2 over the limit, 0.2 louder
    assert again.depth_db[60] == pytest.approx(0.6 + 0.2 + 0.2)  # depths add up
    assert again.depth_db[80] == pytest.approx(0.3)
    assert Dips().deepened([(1, 20.0)]).depth_db[1] == MAX_DIP_DB
    assert not Dips().deepened([(5, -3.0)])  # nothing near the ceiling: no dip


def test_the_gain_is_full_depth_over_the_frame_and_ramps_back_to_one():
    dips = Dips({60: 6.0206})  # half the amplitude over 6.0 .. 6.1 s
    gain = dips.gains(0, 8 * SR)
    assert gain[: int(5.9 * SR)].min() == 1.0 and gain[int(6.2 * SR) :].min() == 1.0
    full = gain[int((6.0 - PAD_S) * SR) + 1 : int((6.1 + PAD_S) * SR)]
    assert full.max() == pytest.approx(0.5, abs=1e-4)
    ramp = gain[int((6.0 - PAD_S - RAMP_S) * SR) : int((6.0 - PAD_S) * SR)]
    steps = np.abs(np.diff(ramp))
    assert np.all(np.diff(ramp) <= 0) and steps.max() < 1.01 * 0.5 / (RAMP_S * SR)  # no click


def test_dips_do_not_depend_on_how_the_mix_is_cut():
    x = sine(10 * SR, 440, 0.5)
    dips = Dips({12: 1.0, 13: 2.0, 60: 0.5})
    whole = np.concatenate(list(dips.apply([x])))
    for size in (997, 4096, 44100):
        assert np.array_equal(np.concatenate(list(dips.apply(blocks_of(x, size)))), whole)
    untouched = [*blocks_of(x, 4096), silence(4096)]
    assert all(a is b for a, b in zip(Dips().apply(untouched), untouched, strict=True))
    quiet = silence(4096)
    assert next(iter(Dips({0: 3.0}).apply([quiet]))) is quiet  # silence stays free
    at = int(1.3 * SR)  # between frames 12 and 13: the deeper one's depth
    assert gain_to_db(float(np.abs(whole[at - 100 : at + 100]).max()) / 0.5) == pytest.approx(
        -2.0, abs=0.01)


def test_a_correction_recentres_only_a_real_miss_and_dips_the_peaks():
    measured = Loudness(-20.2, -0.9, 9.0)
    peak_only = guard.Miss(measured, -20.0, -0.2 + 0.05, 0.1, ((60, -0.9),))
    after = guard.Correction(-20.0).after(peak_only)
    assert after.aim_lufs == -20.0  # within RECENTRE_LU: not levelled again
    assert after.dips.depth_db == {60: pytest.approx(0.1 + ROOM_DB)}
    quiet = guard.Miss(Loudness(-20.8, -0.9, 9.0), -20.0, -0.8, 0.1, ((60, -0.9),))
    after = guard.Correction(-20.0).after(quiet)
    assert after.aim_lufs == pytest.approx(-19.2)  # as far the other way
    assert after.dips.depth_db[60] == pytest.approx(0.1 + ROOM_DB + 0.8)  # and the peak kept down


@pytest.mark.e2e
def test_the_frames_over_are_found_in_the_encoded_file(tmp_path):
    x = sine(5 * SR, 220, 0.1)
    burst = int(3.25 * SR)
    x[burst : burst + 441] = sine(441, 1000, 0.95)  # -0.4 dBFS in frame 32 (3.2 .. 3.3 s)
    out = tmp_path / "peak.wav"
    encode(blocks_of(x), str(out), EncodeSettings(fmt="wav"), meta=None, chapters=[],
           total_samples=len(x))  # fmt: skip
    found = peak_frames(str(out), over_dbtp=-1.5)
    assert [index for index, _ in found] == [32]
    assert found[0][1] == pytest.approx(-0.4, abs=0.2)
    assert peak_frames(str(out), over_dbtp=0.0) == []
