"""The speech cache: keys, atomic WAV clips, header-only lengths."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from cuecast.script.model import VoiceSpec
from cuecast.timeline import SAMPLE_RATE
from cuecast.voices.cache import CACHE_FORMAT, Cache, cache_dir, cache_key

pytestmark = pytest.mark.slow  # many generated cases or timings: left out of make test-fast

VOICE = VoiceSpec(engine="pyttsx3", name="gmw/en-US", rate_wpm=150.0, pitch=50.0, volume=1.0)


def test_cache_dir_order(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("CUECAST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cuecast"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "cuecast"


def test_key_is_the_documented_canonical_json() -> None:
    import hashlib
    import json

    obj = {
        "v": CACHE_FORMAT,
        "engine": "pyttsx3",
        "engine_version": "x 1",
        "voice": {"name": "gmw/en-US", "rate": 150.0, "pitch": 50.0, "volume": 1.0},
        "text": "Breathe in — slowly.",
        "rate": 44100,
    }
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert cache_key("pyttsx3", "x 1", VOICE, "Breathe in — slowly.") == expected


def test_key_changes_with_every_input() -> None:
    base = cache_key("pyttsx3", "1", VOICE, "Hello.")
    assert base != cache_key("pyttsx3", "2", VOICE, "Hello.")
    assert base != cache_key("piper", "1", VOICE, "Hello.")
    assert base != cache_key("pyttsx3", "1", VOICE, "Hello")
    for change in ({"rate_wpm": 140.0}, {"pitch": 40.0}, {"volume": 0.5}, {"name": "gmw/en"}):
        voice = VoiceSpec(**{**VOICE.__dict__, **change})
        assert base != cache_key("pyttsx3", "1", voice, "Hello.")


def test_store_load_roundtrip_is_a_standard_wav() -> None:
    cache = Cache()
    clip = (np.sin(np.arange(5000) / 7) * 0.5).astype(np.float32)
    assert cache.store("ab" + "0" * 62, clip) == 5000
    path = cache.path("ab" + "0" * 62)
    assert path.parent.name == "ab"
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE)
        assert w.getnframes() == 5000
    loaded = cache.load("ab" + "0" * 62)
    assert loaded.dtype == np.float32
    assert np.max(np.abs(loaded - clip)) < 1 / 32768 + 1e-7
    assert cache.length("ab" + "0" * 62) == 5000
    assert not list(path.parent.glob(".tmp-*"))


def test_missing_key_is_a_miss() -> None:
    assert Cache().length("f" * 64) is None
    assert Cache().load("f" * 64) is None


@pytest.mark.parametrize("damage", ["truncate", "garbage", "header"])
def test_damaged_clip_is_deleted_and_missed(damage: str) -> None:
    cache = Cache()
    key = "cd" + "1" * 62
    cache.store(key, np.zeros(1000, dtype=np.float32))
    path = cache.path(key)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[:-7])
    elif damage == "garbage":
        path.write_bytes(b"not a wav")
    else:
        path.write_bytes(data[:24] + (8000).to_bytes(4, "little") + data[28:])  # wrong rate
    assert cache.length(key) is None
    assert not path.exists()
    cache.store(key, np.zeros(1000, dtype=np.float32))
    path.write_bytes(data[:-2])
    assert cache.load(key) is None
    assert not path.exists()


def test_info_and_clear() -> None:
    cache = Cache()
    assert cache.info()[0] == 0
    for i in range(3):
        cache.store(f"{i:02d}" + "a" * 62, np.zeros(100, dtype=np.float32))
    count, size, root = cache.info()
    assert (count, size, root) == (3, 3 * (44 + 200), cache.root)
    from cuecast import sounds

    sounds._kept("beep")  # a built-in kept beside the clips
    assert list((cache.root / "sounds").glob("beep-*.f32"))
    assert cache.clear() == 3
    assert cache.info()[0] == 0
    assert not list((cache.root / "sounds").iterdir())


def test_a_length_reads_the_header_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning asks every line's length: each answer reads the clip's
    header, never its samples (benchmarks/unit_timings.py times a thousand
    against a thousand loads)."""
    from cuecast.voices import cache as cache_module

    cache = Cache()
    keys = [cache_key("pyttsx3", "1", VOICE, f"line {i}") for i in range(50)]
    for key in keys:
        cache.store(key, np.zeros(2000, dtype=np.float32))
    asked: list[int] = []

    class Counted:
        def __init__(self, f):  # type: ignore[no-untyped-def]
            self.f = f

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def read(self, n: int = -1) -> bytes:
            data = self.f.read(n)
            asked.append(len(data))
            return data

        def fileno(self) -> int:
            return self.f.fileno()

    monkeypatch.setattr(cache_module, "open", lambda *a, **k: Counted(open(*a, **k)),
                        raising=False)  # fmt: skip
    assert all(cache.length(k) == 2000 for k in keys)
    assert len(asked) == len(keys) and set(asked) == {cache_module.HEADER_BYTES}
    assert cache_module.HEADER_BYTES < 2000 * 2  # the samples were there, and not read
