"""memo.py: per-clip work kept in memory by content, bounded by bytes; with
it a clip that plays again is loaded, limited and measured once, in a
render and across renders, and what is made is what is made without it,
to the bit."""

from __future__ import annotations

import hashlib
from unittest import mock

import numpy as np
import pytest

from cuecast import mix as mix_mod
from cuecast.loudness import energies, level, levelling
from cuecast.memo import ClipMemo, digest, size_of
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Event, Timeline, Utterance
from cuecast.units import SAMPLE_RATE as SR
from cuecast.voices.cache import Cache
from tests.test_loudness import voice_like


def test_the_memo_keeps_to_its_bytes_dropping_the_least_recently_used():
    memo = ClipMemo(max_bytes=3000)
    a, b, c = (np.full(250, i, dtype=np.float32) for i in range(3))  # 1000 bytes each
    memo.put("a", a)
    memo.put("b", b)
    memo.put("c", c)
    assert memo.get("a") is a  # a is now the most recently used
    memo.put("d", np.zeros(250, dtype=np.float32))
    assert memo.get("b") is None and memo.get("a") is a and memo.get("c") is c
    assert memo.stats().bytes == 3000 and memo.stats().entries == 3
    memo.put("big", np.zeros(1000, dtype=np.float32))  # larger than the bound: not kept
    assert memo.get("big") is None and memo.stats().bytes == 3000
    memo.put("a", np.zeros(10, dtype=np.float32))  # replaced: its bytes counted once
    assert memo.stats().bytes == 2040


def test_what_the_memo_hands_out_cannot_be_changed():
    memo = ClipMemo()
    kept = memo.make("x", lambda: np.ones(10, dtype=np.float32))
    with pytest.raises(ValueError):
        kept[0] = 2.0
    assert memo.make("x", lambda: pytest.fail("made twice")) is kept


def test_the_digest_names_the_content():
    x = voice_like(SR, 0.5)
    assert digest(x) == digest(x.copy()) == digest(x[::-1][::-1])
    other = x.copy()
    other[7] += 1e-6
    assert digest(other) != digest(x)
    assert digest(x.astype(np.float64)) != digest(x)  # another dtype, other bytes
    assert size_of(x) == x.nbytes


def test_a_kept_clip_is_hashed_once_a_clip_that_can_change_each_time(monkeypatch):
    import cuecast.memo as memo_mod

    hashed = []
    real = memo_mod.digest
    monkeypatch.setattr(memo_mod, "digest", lambda x: hashed.append(x.size) or real(x))
    memo = ClipMemo()
    kept = memo.put("clip", voice_like(SR, 0.5))  # read-only now, its own data
    assert memo.content_key(kept) == memo.content_key(kept) == real(kept)
    assert hashed == [SR]
    loose = voice_like(SR, 0.5)  # writable: it may change between two keys
    assert memo.content_key(loose) == real(kept)
    loose[0] += 0.5
    assert memo.content_key(loose) != real(kept)
    assert memo.content_key(kept[10:]) == real(kept[10:])  # a view: not remembered
    assert len(hashed) == 4
    del kept  # forgotten with the array
    memo.clear()
    assert memo._digests == {}


def test_a_clip_loaded_again_is_the_same_array_until_its_file_changes(tmp_path):
    memo = ClipMemo()
    cache = Cache(tmp_path, memo=memo)
    x = voice_like(SR, 0.8)
    cache.store("k" * 64, x)
    first = cache.load("k" * 64)
    assert cache.load("k" * 64) is first
    assert np.array_equal(first, Cache(tmp_path).load("k" * 64))  # as without the memo
    cache.store("k" * 64, x * 0.5)  # rewritten (another file): read anew
    again = cache.load("k" * 64)
    assert again is not first and np.array_equal(again, Cache(tmp_path).load("k" * 64))


def test_loading_converts_every_sample_as_before(tmp_path):
    every = np.arange(-32768, 32768, dtype=np.int16)
    cache = Cache(tmp_path)
    path = cache.path("e" * 64)
    path.parent.mkdir(parents=True)
    from cuecast.voices.cache import wav_header

    path.write_bytes(wav_header(every.size) + every.astype("<i2").tobytes())
    loaded = cache.load("e" * 64)
    assert loaded is not None
    assert loaded.tobytes() == (every.astype(np.float32) / 32768.0).astype(np.float32).tobytes()


def test_a_clip_played_again_is_limited_once_and_the_same():
    calls = []
    real = levelling.limit

    def counted(x, threshold):
        calls.append(threshold)
        return real(x, threshold)

    x = voice_like(2 * SR, 0.95)
    same_content = {"a": x, "b": x.copy()}  # two sources, one content
    memo = ClipMemo()
    with mock.patch.object(levelling, "limit", counted):
        limited = levelling.limited_source(same_content.__getitem__, 0.5, memo)
        first = limited("a")
        assert limited("a") is first and limited("b") is first
        assert len(calls) == 1
        levelling.limited_source(same_content.__getitem__, 0.4, memo)("a")
        assert len(calls) == 2  # another threshold: another entry
    assert first.tobytes() == real(x, 0.5).tobytes()


SCRIPT_LINES = {"l0": voice_like(2 * SR, 0.95), "l1": voice_like(3 * SR, 0.4)}


def spread_session() -> Timeline:
    """``l0`` three times, far apart (the mixer drops a clip between plays
    when ``mix.KEEP_AHEAD`` is short), ``l1`` once."""
    events, at = [], SR // 2
    for i, name in enumerate(["l0", "l1", "l0", "l0"]):
        n = SCRIPT_LINES[name].size
        events.append(Event("speech", at, at + n, i + 1, text=name,
                            source=Utterance(name, VoiceSpec())))  # fmt: skip
        at += n + SR
    return Timeline("t", at, tuple(events))


def clip_for(source) -> np.ndarray:
    return SCRIPT_LINES[source.text]


def mixed(memo: ClipMemo | None, monkeypatch) -> tuple[str, float]:
    """The levelled mix's sha256 and gain, with the mixer dropping every
    clip between its plays."""
    monkeypatch.setattr(mix_mod, "KEEP_AHEAD", 0)
    levelled = level(spread_session(), clip_for, None, target_lufs=-16.0, memo=memo)
    blocks = mix_mod.mix(levelled.timeline, levelled.clip_for)
    h = hashlib.sha256()
    for block in levelled.finished(blocks):
        h.update(np.ascontiguousarray(block, dtype=np.float32).tobytes())
    return h.hexdigest(), levelled.gain_db


def test_a_render_limits_a_repeated_clip_once_and_mixes_the_same(monkeypatch):
    calls = []
    real = levelling.limit

    def counted(x, threshold):
        calls.append(x.size)
        return real(x, threshold)

    monkeypatch.setattr(levelling, "limit", counted)
    plain = mixed(None, monkeypatch)
    assert sorted(calls) == [2 * SR] * 3 + [3 * SR]  # l0 limited at each of its plays
    calls.clear()
    memo = ClipMemo()
    assert mixed(memo, monkeypatch) == plain
    assert sorted(calls) == [2 * SR, 3 * SR]  # each clip once
    calls.clear()
    with mock.patch.object(energies, "clip_energy", side_effect=AssertionError("measured")):
        assert mixed(memo, monkeypatch) == plain  # the next render: nothing measured...
    assert calls == []  # ...nor limited
    assert mixed(ClipMemo(max_bytes=0), monkeypatch) == plain  # nothing kept: the same


@pytest.mark.e2e
def test_renders_with_a_memo_are_the_bytes_of_renders_without(tmp_path, monkeypatch):
    """A real render (espeak-ng, ffmpeg) given a memo writes what one given
    none writes; the next render given the same memo limits and measures
    no clip."""
    from pathlib import Path

    from cuecast.pipeline import Options, render

    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "cache"))
    script = Path(__file__).parent / "e2e" / "scripts" / "short.yaml"
    options = Options(engine="pyttsx3", loudness_lufs=-14.0)
    calls = []
    real = levelling.limit
    monkeypatch.setattr(levelling, "limit", lambda x, t: calls.append(t) or real(x, t))
    render(script, tmp_path / "plain.mp3", options)
    limited = len(calls)
    assert limited > 0  # the clips are limited at this loudness
    memo = ClipMemo()
    render(script, tmp_path / "a.mp3", options, memo=memo)
    calls.clear()
    with mock.patch.object(energies, "clip_energy", side_effect=AssertionError("measured")):
        render(script, tmp_path / "b.mp3", options, memo=memo)
    assert calls == []
    plain = (tmp_path / "plain.mp3").read_bytes()
    assert (tmp_path / "a.mp3").read_bytes() == plain == (tmp_path / "b.mp3").read_bytes()


def test_the_next_render_with_the_memo_scales_no_clip_energy_again(monkeypatch):
    """Settling the gain measures each clip limited at each gain tried;
    sessions of a track try the same gains (whole steps): with the memo
    the limited measurements are the ones kept, the levelling the same."""
    calls = []
    real = levelling.cell_gains
    monkeypatch.setattr(levelling, "cell_gains", lambda *a: calls.append(a[2]) or real(*a))
    fresh = level(spread_session(), clip_for, None, target_lufs=-16.0)
    memo = ClipMemo()
    first = level(spread_session(), clip_for, None, target_lufs=-16.0, memo=memo)
    assert calls  # the clips are limited: the meter scaled them
    calls.clear()
    again = level(spread_session(), clip_for, None, target_lufs=-16.0, memo=memo)
    assert calls == []
    for made in (first, again):
        assert (made.gain_db, made.before, made.after) == (fresh.gain_db, fresh.before,
                                                          fresh.after)  # fmt: skip
