"""``kill -9`` at any moment of a publish: no half file in the output and no
bad entry in the cache (speech clips, and whatever else renders keep there),
so the next publish gives exactly the bytes of one never interrupted."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cuecast.publish.manifest import NAME as MANIFEST
from cuecast.voices.cache import HEADER_BYTES
from tests.publish_fixtures import make_catalogue

BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def publish(path: Path, cache: Path, *, kill_after_s: float | None = None) -> int | None:
    """Run ``cuecast publish``; killed with SIGKILL (it and its render
    processes) after ``kill_after_s``, if it is still running then."""
    env = {**os.environ, "CUECAST_CACHE_DIR": str(cache)}
    process = subprocess.Popen([str(BIN / "cuecast"), "publish", str(path), "--jobs", "2"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        process.wait(timeout=kill_after_s if kill_after_s is not None else 300)
    except subprocess.TimeoutExpired:
        if kill_after_s is None:
            raise
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return None
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    return process.returncode


def output_is_whole(out: Path) -> None:
    """Every file the manifest lists is there with its size and hash, and
    nothing else but the listings and finished files is."""
    if not out.exists():
        return
    assert not [p.name for p in out.rglob("*") if ".cuecast-tmp-" in p.name]
    try:
        tracks = json.loads((out / MANIFEST).read_text())["tracks"]
    except FileNotFoundError:
        return
    for track in tracks.values():
        for entry in track["files"]:
            data = (out / entry["name"]).read_bytes()
            assert len(data) == entry["bytes"], entry["name"]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]


def cache_is_sound(cache: Path) -> None:
    """Every speech clip's header agrees with its size (a cut clip would
    not); temporary files are never taken for entries (their names)."""
    for clip in cache.glob("??/*.wav"):
        if clip.name.startswith(".tmp-"):
            continue
        data = clip.read_bytes()
        assert data[:4] == b"RIFF" and len(data) >= HEADER_BYTES, clip
        assert int.from_bytes(data[40:44], "little") == len(data) - HEADER_BYTES, clip


def tracks_of(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())
            if p.suffix in (".mp3", ".vtt", ".json") and not p.name.startswith(".")}


def test_kill_9_at_any_moment_leaves_no_half_file_and_no_bad_cache_entry(tmp_path):
    path = make_catalogue(tmp_path / "series")
    out, cache = path.parent / "public", tmp_path / "cache"
    kills = 0
    for kill_after_s in (1.5, 3.0, 5.0, 8.0):  # speech, encoding, between tracks
        finished = publish(path, cache, kill_after_s=kill_after_s) is not None
        output_is_whole(out)
        cache_is_sound(cache)
        if finished:
            break
        kills += 1
    assert kills >= 1
    publish(path, cache)
    output_is_whole(out)
    clean = make_catalogue(tmp_path / "clean")
    publish(clean, tmp_path / "clean-cache")
    got, expected = tracks_of(out), tracks_of(clean.parent / "public")
    assert sorted(got) == sorted(expected) and len([n for n in got if n.endswith(".mp3")]) == 3
    for name, data in expected.items():
        assert got[name] == data, name
