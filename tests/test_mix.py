"""The streaming mixer: clips land on their samples, blocks add up, memory is freed."""

from __future__ import annotations

import numpy as np

from cuecast.blocks import is_silence
from cuecast.mix import Bed, mix
from cuecast.script.model import SoundRef, VoiceSpec
from cuecast.timeline import SAMPLE_RATE, Event, SoundPlay, Timeline, Utterance

SR = SAMPLE_RATE


def utt(text: str) -> Utterance:
    return Utterance(text, VoiceSpec())


def timeline(length: int, *events: Event) -> Timeline:
    return Timeline("t", length, tuple(sorted(events, key=lambda e: e.start)))


def speech(start: int, n: int, text: str) -> Event:
    return Event("speech", start, start + n, 1, text=text, source=utt(text))


def ramp_clips(source) -> np.ndarray:
    n = {"a": 1000, "b": 70000}[source.text]
    return np.linspace(0.1, 0.2, n, dtype=np.float32)


def render(tl: Timeline, clip_for=ramp_clips, block: int = 4096, **kw) -> np.ndarray:
    return np.concatenate(list(mix(tl, clip_for, block=block, **kw)))


def test_length_is_exact_and_clips_land_on_their_sample():
    tl = timeline(200_000, speech(12_345, 1000, "a"), speech(100_000, 70000, "b"))
    out = render(tl)
    assert len(out) == 200_000
    nz = np.flatnonzero(out)
    assert nz[0] == 12_345
    assert np.count_nonzero(out[12_345:13_345]) == 1000
    assert out[100_000] > 0 and out[99_999] == 0
    assert np.allclose(out[100_000:170_000], ramp_clips(utt("b")))


def test_block_size_does_not_change_the_samples():
    tl = timeline(200_000, speech(4095, 1000, "a"), speech(8191, 70000, "b"))
    assert np.array_equal(render(tl, block=4096), render(tl, block=SR))


def test_overlapping_clips_add():
    tl = timeline(10_000, speech(0, 1000, "a"), speech(500, 1000, "a"))
    out = render(tl)
    clip = ramp_clips(utt("a"))
    assert np.isclose(out[600], clip[600] + clip[100])


def test_clip_loaded_once_per_run_and_dropped_after_last_use():
    loads: list[str] = []

    def counting(source):
        loads.append(source.text)
        return ramp_clips(source)

    events = [speech(i * 20_000, 1000, "a") for i in range(5)]
    list(mix(timeline(120_000, *events), counting, block=4096))
    assert loads == ["a"]  # reused while it has uses left
    events = [speech(0, 1000, "a"), speech(50_000, 1000, "a")]
    loads.clear()
    list(mix(timeline(60_000, *events), counting, block=4096))
    assert loads == ["a"]


def test_a_clip_plays_at_its_own_level():
    # the mixer adds no gain: the loudness stage's gain is applied by the encoder
    ev = Event("sound", 0, 1000, 1, source=SoundPlay(SoundRef("x")))
    out = render(timeline(1000, ev), lambda s: np.full(1000, 0.5, np.float32))
    assert np.array_equal(out, np.full(1000, 0.5, np.float32))


class _Ones:
    def block(self, start: int, n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)


def test_bed_is_ducked_under_speech_and_faded():
    tl = timeline(10 * SR, speech(4 * SR, SR, "a"))
    bed = Bed(_Ones(), volume_db=0.0, duck_db=20.0, fade_s=1.0, attack_s=0.25, release_s=0.5)
    out = render(tl, lambda s: np.zeros(SR, np.float32), bed=bed)
    assert out[0] == 0.0  # fade in starts from nothing
    assert np.isclose(out[2 * SR], 1.0)  # full level between lines
    assert np.isclose(out[int(4.5 * SR)], 0.1, atol=1e-3)  # -20 dB under speech
    assert 0.1 < out[int(5.25 * SR)] < 1.0  # releasing
    assert np.isclose(out[6 * SR], 1.0)
    assert out[-1] < 0.01  # fade out to the end


def test_a_clip_not_needed_for_a_while_is_dropped_and_loaded_again():
    from cuecast.mix import KEEP_AHEAD

    loads: list[str] = []

    def counting(source):
        loads.append(source.text)
        return ramp_clips(source)

    far = KEEP_AHEAD + 5 * SR
    events = [speech(0, 1000, "a"), speech(far, 1000, "a"), speech(far + SR, 1000, "a")]
    out = np.concatenate(list(mix(timeline(far + 3 * SR, *events), counting)))
    assert loads == ["a", "a"]  # dropped over the long gap, kept over the short one
    assert np.count_nonzero(out) == 3000


def test_a_part_is_the_same_samples_as_the_whole_track():
    """``start``/``end``: a clip begun before the part, the bed's fades and
    ducking, all as in the whole mix, and only the clips still sounding are made."""
    tl = timeline(4 * SR, speech(1000, 70000, "b"), speech(3 * SR, 1000, "a"))
    bed = Bed(_Ones(), volume_db=-6.0, duck_db=10.0, fade_s=1.0)
    whole = render(tl, bed=bed)
    made: list[str] = []

    def counted(source) -> np.ndarray:
        made.append(source.text)
        return ramp_clips(source)

    for start, end in [(0, SR), (50_000, 3 * SR + 500), (3 * SR + 700, 9 * SR)]:
        made.clear()
        part = render(tl, counted, bed=bed, start=start, end=end)
        assert np.array_equal(part, whole[start:end]), (start, end)
    assert made == ["a"]  # the last part: "b" ended long before it


def test_a_block_where_nothing_sounds_is_silence_that_costs_nothing():
    tl = timeline(10 * SR, speech(3 * SR + 5, 1000, "a"))
    blocks = list(mix(tl, ramp_clips, block=SR))
    silent = [i for i, b in enumerate(blocks) if is_silence(b)]
    assert silent == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert np.flatnonzero(np.concatenate(blocks)).tolist() == list(range(3 * SR + 5, 3 * SR + 1005))


def test_under_a_bed_no_block_is_silence():
    class Hum:
        def block(self, start: int, n: int) -> np.ndarray:
            return np.full(n, 0.01, np.float32)

    tl = timeline(5 * SR, speech(SR, 1000, "a"))
    bed = Bed(Hum(), volume_db=-20.0, duck_db=0.0, fade_s=0.0)
    assert not any(is_silence(b) for b in mix(tl, ramp_clips, bed=bed, block=SR))
