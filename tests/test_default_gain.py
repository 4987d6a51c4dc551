"""levelling.py rule 6: a customised session keeps its default session's
gain while within ``ANCHOR_LU`` of the target, else it gets its own; and
``Options.default_session``, the session it is anchored to. Numpy only."""

from __future__ import annotations

import numpy as np
import pytest

from cuecast.loudness import Default, level
from cuecast.loudness.settings import ANCHOR_LU, GAIN_STEP_DB
from cuecast.request import Options, parse_options
from cuecast.timeline import Event, Timeline, Tone
from cuecast.units import SAMPLE_RATE as SR
from tests.test_loudness import voice_like

TARGET = -16.0


def session(*clips: np.ndarray, gap_s: float = 1.0) -> tuple[Timeline, dict[Tone, np.ndarray]]:
    """The clips one after the other with ``gap_s`` of silence between (a hold)."""
    events, sources, at = [], {}, 0
    for i, x in enumerate(clips):
        source = Tone(f"clip{i}-{x.size}-{float(np.abs(x).max()):.6f}", x.size)
        sources[source] = x
        events.append(Event("tone", at, at + x.size, 1, source=source))
        at += x.size + int(gap_s * SR)
    return Timeline("t", at, tuple(events)), sources


def levelled(timeline: Timeline, sources: dict[Tone, np.ndarray],
             default: tuple[Timeline, dict[Tone, np.ndarray]] | None = None):  # fmt: skip
    anchor = None
    if default is not None:
        anchor = Default(default[0], {**sources, **default[1]}.__getitem__)
    return level(timeline, sources.__getitem__, None, target_lufs=TARGET, default=anchor)


def scaled_to_move(base: list[np.ndarray], lu: float) -> np.ndarray:
    """The last clip of ``base`` scaled so the session moves by about ``lu``."""
    return (base[-1] * np.float32(10 ** (lu * len(base) / 20))).astype(np.float32)


SPEECH = [voice_like(3 * SR, 0.3), voice_like(4 * SR, 0.25), voice_like(3 * SR, 0.28)]


def test_a_session_a_hair_off_keeps_the_default_sessions_gain():
    default = session(*SPEECH)
    mine = session(*SPEECH[:-1], scaled_to_move(SPEECH, 0.12), gap_s=7.0)
    anchor_gain = levelled(*default).gain_db
    own = levelled(*mine)
    assert abs(own.gain_db - anchor_gain) >= GAIN_STEP_DB - 1e-9  # its own would be another
    kept = levelled(*mine, default=default)
    assert kept.gain_db == anchor_gain
    assert kept.after is not None
    assert abs(kept.after.integrated_lufs - TARGET) <= ANCHOR_LU
    assert kept.timeline is mine[0] and kept.mix_limit is None  # played as made, as its default


def test_a_session_further_off_gets_its_own_gain():
    default = session(*SPEECH)
    mine = session(*SPEECH[:-1], scaled_to_move(SPEECH, -0.6))
    anchor_gain = levelled(*default).gain_db
    own = levelled(*mine).gain_db
    kept = levelled(*mine, default=default)
    assert kept.gain_db == own != anchor_gain
    assert kept.after is not None and abs(kept.after.integrated_lufs - TARGET) < 0.05


def chimed(x: np.ndarray) -> np.ndarray:
    """``x`` with a loud short burst: levelled, its clip must be limited."""
    y = x.copy()
    n = 441
    burst = np.sin(np.pi * np.arange(n) / n) * np.sin(2 * np.pi * 1000 * np.arange(n) / SR)
    y[SR : SR + n] += (0.95 * burst).astype(np.float32)
    return y


def test_a_limited_session_keeps_the_gain_and_the_limited_clips():
    loud = chimed(SPEECH[0])
    default = session(loud, *SPEECH[1:])
    mine = session(loud, *SPEECH[1:-1], scaled_to_move(SPEECH, 0.1), gap_s=5.0)
    anchor = levelled(*default)
    assert anchor.mix_limit is None and anchor.gain_db > 0
    assert levelled(*mine).gain_db != anchor.gain_db  # its own would be another
    kept = levelled(*mine, default=default)
    assert kept.gain_db == anchor.gain_db
    assert kept.after is not None and abs(kept.after.integrated_lufs - TARGET) <= ANCHOR_LU
    # the chimed clip limited exactly as in the default session: its pieces are the same
    (first,) = [e.source for e in anchor.timeline.events if e.start == 0 and e.source]
    (mine_first,) = [e.source for e in kept.timeline.events if e.start == 0 and e.source]
    assert np.array_equal(anchor.clip_for(first), kept.clip_for(mine_first))
    assert float(np.abs(kept.clip_for(mine_first)).max()) < float(np.abs(loud).max())


def test_the_default_session_itself_and_loudness_off_level_as_before():
    mine = session(*SPEECH)
    assert levelled(*mine).gain_db == levelled(*mine, default=session(*SPEECH)).gain_db
    other = session(*SPEECH[:1])
    off = level(mine[0], mine[1].__getitem__, None, target_lufs=None,
                default=Default(other[0], other[1].__getitem__))  # fmt: skip
    assert off.gain_db == 0.0 and off.after is None


@pytest.mark.parametrize("raw, default", [
    ({}, None),
    ({"loudness": "off", "set": ["hold=45s"]}, None),
    ({"set": ["hold=45s"]}, {}),
    ({"profile": "gentle", "engine": "pyttsx3", "bitrate": 64}, {"engine": "pyttsx3",
                                                                 "bitrate": 64}),
])  # fmt: skip
def test_the_default_session_is_the_script_with_its_declared_values(raw, default):
    options = parse_options(raw, check_voice=False)
    found = options.default_session()
    if default is None:
        assert found is None
        return
    assert found == parse_options(default, check_voice=False)
    assert found.profile is None and not found.sets
    assert found.loudness_lufs == options.loudness_lufs


def test_options_default_session_keeps_everything_but_the_values():
    options = Options(sets={"hold": "45s"}, profile="strong", voice="v", rate_wpm=150.0,
                      loudness_lufs=-19.0, fmt="mp3", bitrate_kbps=64)  # fmt: skip
    assert options.default_session() == Options(voice="v", rate_wpm=150.0, loudness_lufs=-19.0,
                                                fmt="mp3", bitrate_kbps=64)  # fmt: skip


class Hum:
    """A bed: a quiet 100 Hz hum (-32 dBFS), ducked under the clips."""

    def block(self, start: int, n: int) -> np.ndarray:
        t = np.arange(start, start + n) / SR
        return (0.025 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)


def test_a_session_over_a_bed_keeps_the_default_sessions_gain_and_mix_limit():
    from cuecast.mix import Bed, mix

    bed = Bed(Hum(), volume_db=0.0, duck_db=6.0, fade_s=0.2)

    def mix_of(timeline, clip_for):  # type: ignore[no-untyped-def]
        return mix(timeline, clip_for, bed=bed)

    default = session(*SPEECH)
    mine = session(*SPEECH[:-1], scaled_to_move(SPEECH, 0.12), gap_s=1.5)
    anchor = level(default[0], default[1].__getitem__, mix_of, target_lufs=TARGET, bed=True)
    own = level(mine[0], mine[1].__getitem__, mix_of, target_lufs=TARGET, bed=True)
    assert own.gain_db != anchor.gain_db  # its own would be another
    kept = level(mine[0], mine[1].__getitem__, mix_of, target_lufs=TARGET, bed=True,
                 default=Default(default[0], {**mine[1], **default[1]}.__getitem__, mix_of))
    assert kept.gain_db == anchor.gain_db and kept.mix_limit == anchor.mix_limit
    assert kept.after is not None and abs(kept.after.integrated_lufs - TARGET) <= ANCHOR_LU
