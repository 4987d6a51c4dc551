"""atomic.py: temporary files of dead runs are cleaned, sidecars appear
with their track or not at all."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from cuecast import atomic
from cuecast.atomic import Batch, TempFile, clean_stale_temps, host_tag
from cuecast.encode import EncodeSettings, encode
from cuecast.errors import EncodeError
from cuecast.timeline import SAMPLE_RATE


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def temps(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if atomic.TEMP_MARK in p.name)


def test_temp_names_carry_pid_and_host(tmp_path):
    with TempFile(str(tmp_path / "t.mp3"), ".mp3") as tmp:
        name = os.path.basename(tmp.path)
    assert name.startswith(f".t.cuecast-tmp-{os.getpid()}-{host_tag()}")
    assert name.endswith(".mp3") and atomic._TEMP_RE.match(name)


def test_temp_of_a_dead_run_here_is_cleaned_at_once(tmp_path):
    dead = tmp_path / f".t.cuecast-tmp-{dead_pid()}-{host_tag()}0a0b0c0d.mp3"
    alive = tmp_path / f".t.cuecast-tmp-{os.getppid()}-{host_tag()}0a0b0c0e.mp3"
    mine = tmp_path / f".t.cuecast-tmp-{os.getpid()}-{host_tag()}0a0b0c0f.mp3"
    elsewhere = tmp_path / f".t.cuecast-tmp-{dead_pid()}-{'f' * 12}.mp3"
    if host_tag() == "ffff":  # pragma: no cover - one host in 65536
        pytest.skip("this host's tag is the other host's")
    output = tmp_path / "t.mp3"
    for p in (dead, alive, mine, elsewhere, output):
        p.write_text("x")
    assert clean_stale_temps(str(tmp_path)) == [str(dead)]
    assert alive.exists() and mine.exists() and elsewhere.exists() and output.exists()
    hours_ago = time.time() - 2 * atomic.STALE_AFTER_S
    os.utime(elsewhere, (hours_ago, hours_ago))
    assert clean_stale_temps(str(tmp_path)) == [str(elsewhere)]


def test_batch_renames_only_on_commit(tmp_path):
    a, b = tmp_path / "x.timeline.json", tmp_path / "x.vtt"
    a.write_text("old a")
    with Batch() as batch:
        batch.write_text(str(a), "new a")
        batch.write_text(str(b), "new b")
        assert a.read_text() == "old a" and not b.exists()
        assert len(temps(tmp_path)) == 2
        batch.commit()
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert temps(tmp_path) == []
    with pytest.raises(RuntimeError), Batch() as batch:
        batch.write_text(str(a), "newer a")
        raise RuntimeError("the encode failed")
    assert a.read_text() == "new a" and temps(tmp_path) == []


def one_second() -> list[np.ndarray]:
    return [np.zeros(SAMPLE_RATE, np.float32)]


def test_sidecars_and_track_appear_together(tmp_path):
    track, side = tmp_path / "s.wav", tmp_path / "s.timeline.json"
    track.write_bytes(b"old track")
    side.write_text("old timeline")

    def failing_blocks():
        yield np.zeros(100, np.float32)
        raise KeyboardInterrupt

    for blocks, total in ((failing_blocks(), 200), (one_second(), 2 * SAMPLE_RATE)):
        with pytest.raises((KeyboardInterrupt, EncodeError)), Batch() as batch:
            batch.write_text(str(side), "new timeline")
            encode(blocks, str(track), EncodeSettings(fmt="wav"), meta=None, chapters=[],
                   total_samples=total, before_commit=batch.commit)
        assert track.read_bytes() == b"old track" and side.read_text() == "old timeline"
        assert temps(tmp_path) == []
    with Batch() as batch:
        batch.write_text(str(side), "new timeline")
        encode(one_second(), str(track), EncodeSettings(fmt="wav"), meta=None, chapters=[],
               total_samples=SAMPLE_RATE, before_commit=batch.commit)
    assert track.read_bytes()[:4] == b"RIFF" and side.read_text() == "new timeline"
    assert temps(tmp_path) == []
