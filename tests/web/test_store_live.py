"""The store's disk budget, the queue's bound, and audio sent while it is made."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from cuecast.ffmpeg import ffmpeg_exe
from cuecast.web.jobs import Job, JobQueue, QueueFull
from cuecast.web.live import frame_length, id3_length, live_bytes
from cuecast.web.store import Store

KEYS = [f"{i:032x}" for i in range(5)]


def made(tmp_path: Path, size: int) -> Path:
    path = tmp_path / f"made-{time.monotonic_ns()}.mp3"
    path.write_bytes(b"x" * size)
    return path


def test_store_keeps_the_recently_used_within_the_budget(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", budget_bytes=250)
    for key in KEYS[:2]:
        store.put(key, made(tmp_path, 100))
    assert store.get(KEYS[0]) is not None  # now the most recently used
    store.put(KEYS[2], made(tmp_path, 100))
    assert store.keys() == [KEYS[0], KEYS[2]] and store.used_bytes() == 200
    assert store.get(KEYS[1]) is None and not (tmp_path / "store/files" / f"{KEYS[1]}.mp3").exists()
    reopened = Store(tmp_path / "store", budget_bytes=250)  # the order survives a restart
    assert reopened.keys() == [KEYS[0], KEYS[2]]


def test_store_never_builds_a_path_from_a_foreign_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", budget_bytes=1000)
    for bad in ("../../etc/passwd", "A" * 32, "0" * 31, ""):
        assert store.get(bad) is None
        with pytest.raises(ValueError):
            store.work_dir(bad)


def test_store_drops_what_it_did_not_make(tmp_path: Path) -> None:
    files = tmp_path / "store/files"
    files.mkdir(parents=True)
    (files / "notes.txt").write_text("?")
    (files / f"{KEYS[0]}.mp3").write_bytes(b"x")
    store = Store(tmp_path / "store", budget_bytes=1000)
    assert store.keys() == [KEYS[0]] and not (files / "notes.txt").exists()


def test_queue_is_bounded_and_shares_a_running_key(tmp_path: Path) -> None:
    release = threading.Event()

    def work(job: Job) -> Path:
        release.wait(10)
        return tmp_path

    queue = JobQueue(workers=1, bound=2)
    first = queue.submit(KEYS[0], lambda: tmp_path, work)
    assert queue.submit(KEYS[0], lambda: tmp_path, work) is first
    queue.submit(KEYS[1], lambda: tmp_path, work)
    with pytest.raises(QueueFull) as full:
        queue.submit(KEYS[2], lambda: tmp_path, work)
    assert full.value.retry_after_s >= 5
    release.set()
    assert first.finished.wait(10) and first.state == "done"
    queue.close()


def test_a_failing_render_fails_its_job_only(tmp_path: Path) -> None:
    def broken(job: Job) -> Path:
        raise RuntimeError("boom")

    queue = JobQueue(workers=1, bound=2)
    job = queue.submit(KEYS[0], lambda: tmp_path, broken)
    assert job.finished.wait(10) and job.state == "failed" and "boom" not in (job.error or "")
    ok = queue.submit(KEYS[1], lambda: tmp_path, lambda j: tmp_path)
    assert ok.finished.wait(10) and ok.state == "done"
    queue.close()


def encoded(tmp_path: Path) -> bytes:
    """Five seconds of tone as the encoder writes it (ID3 header, Info frame, audio)."""
    out = tmp_path / "tone.mp3"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=5",
                    "-fflags", "+bitexact", "-flags:a", "+bitexact", "-ac", "1", "-c:a",
                    "libmp3lame", "-b:a", "96k", "-write_xing", "1", "-f", "mp3", "-y", str(out)],
                   check=True)
    return out.read_bytes()


def test_live_audio_is_the_finished_files_audio(tmp_path: Path) -> None:
    raw = encoded(tmp_path)
    head = id3_length(raw)
    assert head is not None and frame_length(raw[head:head + 4]) == 313  # 96k at 44.1 kHz
    tagged = b"ID3\x04\x00\x00\x00\x00\x07\x76" + b"\x00" * 1014 + raw[head:]
    job = Job(KEYS[0], tmp_path / "work")
    job.work_dir.mkdir()
    growing = job.work_dir / ".session.cuecast-tmp-1-abcd.mp3"

    def encoder() -> None:
        with growing.open("wb") as f:
            for at in range(0, len(raw), 4000):
                f.write(raw[at:at + 4000])
                f.flush()
                time.sleep(0.01)
        job.audio_complete = True
        growing.write_bytes(b"garbage while the tags are written" * 100)
        final = tmp_path / "final.mp3"
        final.write_bytes(tagged)
        job.result, job.state = final, "done"
        job.finished.set()

    started = time.monotonic()
    threading.Thread(target=encoder).start()
    chunks = []
    first_s = None
    for chunk in live_bytes(job, timeout_s=30):
        first_s = first_s if first_s is not None else time.monotonic() - started
        chunks.append(chunk)
    assert b"".join(chunks) == tagged[1024 + 313:]
    assert first_s is not None and first_s < 0.5  # long before the encode ended
