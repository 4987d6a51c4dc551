"""loudness/energies.py: a clip measured once is not measured again, in this
render or the next (through a store), and levelling with kept energies
gives what measuring afresh gives, to the bit; a hold moved changes where
they add up, not them."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from cuecast.loudness import energies, level
from cuecast.loudness.bs1770 import clip_energy
from cuecast.pieces import PieceStore
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Event, Timeline, Utterance
from cuecast.units import SAMPLE_RATE as SR
from tests.test_loudness import voice_like


def same(a, b) -> bool:
    return (a.length == b.length and a.sample_peak == b.sample_peak
            and a.true_peak == b.true_peak and a.cells.tobytes() == b.cells.tobytes()
            and a.cell_peaks.tobytes() == b.cell_peaks.tobytes())  # fmt: skip


def test_a_clip_is_measured_once_and_kept_exactly(tmp_path):
    store = PieceStore(tmp_path)
    x = voice_like(3 * SR, 0.9)
    first = energies.energy_of(x, store)
    assert same(first, clip_energy(x))
    with mock.patch.object(energies, "clip_energy", side_effect=AssertionError("measured")):
        assert same(energies.energy_of(x, store), first)
        assert same(energies.energy_of(x.astype(np.float64), store), first)  # the same samples
    other = x.copy()
    other[100] += 1e-3
    assert energies.energy_key(other) != energies.energy_key(x)


def test_a_bad_entry_is_measured_again(tmp_path):
    class Garbled(dict):
        def load(self, key):
            return self.get(key)

        def save(self, key, data):
            self[key] = data[:-4]

    store = Garbled()
    x = voice_like(SR, 0.5)
    energies.energy_of(x, store)
    assert same(energies.energy_of(x, store), clip_energy(x))
    assert energies.from_bytes(b"nonsense") is None


def session(hold_s: float) -> Timeline:
    """Three lines, the middle after a hold of ``hold_s`` seconds."""
    events, at = [], SR // 2
    for i, gap in enumerate([2.0, hold_s, 3.0]):
        n = (2 + i) * SR
        line = Utterance(f"l{i}", VoiceSpec())
        events.append(Event("speech", at, at + n, i + 1, text=f"l{i}", source=line))
        at += n + int(gap * SR)
    return Timeline("t", at, tuple(events))


CLIPS = {f"l{i}": voice_like((2 + i) * SR, [0.3, 0.9, 0.6][i]) for i in range(3)}


def clip_for(source) -> np.ndarray:
    return CLIPS[source.text]


@pytest.mark.parametrize("hold_s", [20.0, 13.0])
def test_levelling_with_kept_energies_is_levelling_afresh(tmp_path, hold_s):
    store = PieceStore(tmp_path)
    level(session(20.0), clip_for, None, target_lufs=-16.0, energies=store)  # measures, keeps
    with mock.patch.object(energies, "clip_energy", side_effect=AssertionError("measured")):
        kept = level(session(hold_s), clip_for, None, target_lufs=-16.0, energies=store)
    fresh = level(session(hold_s), clip_for, None, target_lufs=-16.0)
    assert (kept.gain_db, kept.before, kept.after) == (fresh.gain_db, fresh.before, fresh.after)
    assert kept.after is not None and kept.after.integrated_lufs == pytest.approx(-16.0, abs=0.25)
