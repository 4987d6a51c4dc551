"""cuecast publish as real processes: killed with SIGKILL mid-publish and
run again, and rendering on a real Dask cluster (a scheduler and two
workers on 127.0.0.1) with the same bytes as a local publish."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from cuecast.publish.manifest import NAME as MANIFEST
from tests.publish_fixtures import LINK, make_catalogue

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _publish(path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "cuecast"), "publish", str(path), *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CUECAST_CACHE_DIR": str(tmp_path / "cache")}


def _manifest_tracks(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text())["tracks"]
    except (OSError, ValueError, KeyError):
        return {}


def test_kill_9_mid_publish_then_rerun_finishes_without_rendering_twice(tmp_path):
    path = make_catalogue(tmp_path / "series")
    out = path.parent / "public"
    env = _env(tmp_path)
    process = subprocess.Popen([str(BIN / "cuecast"), "publish", str(path), "--jobs", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not _manifest_tracks(out) and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the publisher and its render processes
    finally:
        process.wait(timeout=30)
    done = _manifest_tracks(out)
    assert 1 <= len(done) < 3, "the kill came too late to test anything"
    assert not (out / "feed.xml").exists()  # the listings are written last
    mtimes = {t: (out / f"{t}.mp3").stat().st_mtime_ns for t in done}
    result = _publish(path, "--jobs", "1", env=env)
    assert result.returncode == 0, result.stderr
    assert f"{3 - len(done)} rendered, {len(done)} up to date" in result.stderr
    assert {t: (out / f"{t}.mp3").stat().st_mtime_ns for t in done} == mtimes
    entries = feedparser.parse((out / "feed.xml").read_bytes()).entries
    assert len(entries) == 3
    for entry in entries:  # every listed file is there, whole
        (enclosure,) = entry.enclosures
        assert (out / enclosure.href[len(LINK):]).stat().st_size == int(enclosure.length)
    assert not [p for p in out.iterdir() if ".cuecast-tmp-" in p.name]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "dask"), *args], stdout=subprocess.DEVNULL,
                            stderr=open(log, "wb"), start_new_session=True, cwd=log.parent)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.cluster
def test_a_dask_cluster_gives_the_same_bytes_as_local_processes(tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client

    env = _env(tmp_path)
    local = make_catalogue(tmp_path / "local")
    remote = make_catalogue(tmp_path / "remote")
    local_out, remote_out = local.parent / "public", remote.parent / "public"
    scheduler_file = tmp_path / "scheduler.json"
    processes = [_start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                         "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log")]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            processes.append(_start(["worker", address, "--nthreads", "1", "--nworkers", "1",
                                     "--no-dashboard", "--host", "127.0.0.1",
                                     "--local-directory", str(tmp_path / f"w{i}")],
                                    tmp_path / f"worker{i}.log"))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        result = _publish(remote, "--cluster", address, env=env)
        assert result.returncode == 0, result.stderr
        assert "3 rendered, 0 up to date" in result.stderr
    finally:
        _stop(processes)
    result = _publish(local, "--jobs", "2", env=env)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in local_out.iterdir() if p.is_file() and p.name != MANIFEST)
    assert names == sorted(p.name for p in remote_out.iterdir()
                           if p.is_file() and p.name != MANIFEST)
    assert len([n for n in names if n.endswith(".mp3")]) == 3
    for name in names:  # tracks, timelines, chapters, captions, feed, playlist, page
        assert (local_out / name).read_bytes() == (remote_out / name).read_bytes(), name
