"""The store's disk budget, the queue's bound, audio sent while it is made, rate limits."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cuecast.encode import EncodeSettings, encode
from cuecast.script.model import Meta
from cuecast.units import SAMPLE_RATE
from cuecast.web.guard import RateLimits
from cuecast.web.jobs import Job, JobQueue, QueueFull
from cuecast.web.live import LiveAudio
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
    assert store.use(KEYS[0]) is not None  # now the most recently used
    store.put(KEYS[2], made(tmp_path, 100))
    assert store.keys() == [KEYS[0], KEYS[2]] and store.used_bytes() == 200
    assert store.get(KEYS[1]) is None and not (tmp_path / "store/files" / f"{KEYS[1]}.mp3").exists()
    reopened = Store(tmp_path / "store", budget_bytes=250)  # the order survives a restart
    assert reopened.keys() == [KEYS[0], KEYS[2]]


def test_looking_a_file_up_writes_nothing_and_a_use_rewrites_its_time_once_a_minute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store", budget_bytes=1000)
    for key in KEYS[:2]:
        store.put(key, made(tmp_path, 100))
    files = [tmp_path / "store/files" / f"{key}.mp3" for key in KEYS[:2]]
    for i, path in enumerate(files):
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # long ago, in order
    assert store.get(KEYS[0]) == files[0]
    assert files[0].stat().st_mtime == 1_000_000 and store.keys() == KEYS[:2]  # as it was
    now = time.monotonic()
    clock = iter([now + 61, now + 62, now + 122])  # the uses' times
    monkeypatch.setattr("cuecast.web.store.time.monotonic", lambda: next(clock))
    assert store.use(KEYS[0]) == files[0]
    assert files[0].stat().st_mtime > 1_000_001 and store.keys() == [KEYS[1], KEYS[0]]
    os.utime(files[0], (1_000_002, 1_000_002))
    assert store.use(KEYS[0]) == files[0]  # a second later: its time is not written again
    assert files[0].stat().st_mtime == 1_000_002
    assert store.use(KEYS[0]) == files[0]  # a minute after the first: it is
    assert files[0].stat().st_mtime > 1_000_002
    files[1].unlink()  # deleted by hand: gone from the store too
    assert store.get(KEYS[1]) is None and store.keys() == [KEYS[0]]


def test_a_finished_sessions_status_page_and_polls_leave_its_file_alone(client: Any,
                                                                        tmp_path: Path) -> None:
    """Listeners poll the status once a second: reading it writes nothing;
    the download is a use (the file's place in the store's order)."""
    store = client.app.state.web.sessions.store
    path = store.put(KEYS[0], made(tmp_path, 2000))
    store.put(KEYS[1], made(tmp_path, 10))
    os.utime(path, (1_000_000, 1_000_000))
    session = f"/t/tiny/s/{KEYS[0]}"
    for _ in range(3):
        assert client.get(f"{session}/status").json()["state"] == "done"
    assert client.get(session).status_code == 200
    assert path.stat().st_mtime == 1_000_000 and store.keys() == KEYS[:2]
    assert client.get(f"{session}/download").content == b"x" * 2000
    assert store.keys() == [KEYS[1], KEYS[0]]  # now the most recently used


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


def tone_blocks(seconds: float = 5.0) -> list[np.ndarray]:
    t = np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return [samples[at:at + 8192] for at in range(0, len(samples), 8192)]


def test_the_encoders_own_output_is_the_finished_files_audio(tmp_path: Path) -> None:
    """What the encoder hands the live listener is the file's audio frames
    exactly (the file only adds its tag and Info frame in front), and
    tapping it changes no byte of the file."""
    blocks = tone_blocks()
    total = sum(len(b) for b in blocks)
    meta = Meta(title="Tone")
    plain, tapped = tmp_path / "plain.mp3", tmp_path / "odd [1]:a|b'c" / "tapped.mp3"
    tapped.parent.mkdir()
    encode(blocks, str(plain), EncodeSettings("mp3", 96), meta=meta, chapters=[],
           total_samples=total)
    heard: list[bytes] = []
    encode(blocks, str(tapped), EncodeSettings("mp3", 96), meta=meta, chapters=[],
           total_samples=total, audio_out=heard.append)
    audio = b"".join(heard)
    assert tapped.read_bytes() == plain.read_bytes()
    assert len(audio) > 50_000 and plain.read_bytes().endswith(audio)
    assert audio[:2] == b"\xff\xfb"  # starts on an MPEG-1 Layer III frame, no tag, no Info


def test_live_audio_gives_every_reader_every_byte_as_it_comes(tmp_path: Path) -> None:
    live = LiveAudio(tmp_path)
    parts = [bytes([i]) * 5000 for i in range(40)]
    first_seen = threading.Event()

    def encoder() -> None:
        for part in parts[:20]:
            live.write(part)
        first_seen.wait(10)  # the early reader has had bytes before the encode ends
        for part in parts[20:]:
            live.write(part)
        live.close()

    early: list[bytes] = []
    writer = threading.Thread(target=encoder)
    writer.start()
    for chunk in live.follow(timeout_s=30):
        early.append(chunk)
        first_seen.set()
    writer.join()
    late = b"".join(live.follow(timeout_s=5))  # opened after the end: still from the start
    assert b"".join(early) == late == b"".join(parts)
    assert live.closed and live.length == 200_000
    live.write(b"after the end")  # ignored
    assert b"".join(live.follow(timeout_s=5)) == late


def test_live_audio_of_a_render_that_gave_none_ends_empty(tmp_path: Path) -> None:
    live = LiveAudio(tmp_path)
    live.close()
    assert list(live.follow(timeout_s=5)) == []


def test_the_rate_limit_of_a_busy_listener_survives_a_crowd() -> None:
    """The hand-written limiter forgot the oldest address once 10,000 were
    seen, so a crowd reset a busy listener's count; the library's windows
    are forgotten only when they expire."""
    limits = RateLimits({"renders": 2})
    busy = "203.0.113.7"

    async def crowd() -> None:
        assert await limits.allow("renders", busy) == 0
        assert await limits.allow("renders", busy) == 0
        assert await limits.allow("renders", busy) >= 1
        for i in range(12_000):
            assert await limits.allow("renders", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}") == 0
        assert 1 <= await limits.allow("renders", busy) <= 60
        assert await limits.allow("renders", "198.51.100.1") == 0  # per listener
        assert await limits.allow("requests", busy) == 0  # no such limit: never refused

    _run_on_own_loop(crowd())


def test_counting_a_request_starts_no_thread() -> None:
    """The library's threaded storage started a timer thread to expire its
    entries after almost every request counted (a quarter of a status
    poll's CPU with a hundred listeners); the server counts on its loop."""
    limits = RateLimits({"requests": 1200, "renders": 30})

    async def listeners() -> list[str]:
        import asyncio

        before = {t.ident for t in threading.enumerate()}
        started: set[str] = set()
        for i in range(40):
            assert await limits.allow("requests", f"192.0.2.{i}") == 0
            assert await limits.allow("renders", f"192.0.2.{i}") == 0
            started |= {t.name for t in threading.enumerate() if t.ident not in before}
            await asyncio.sleep(0.015)  # past the threaded storage's 10 ms timer
        return sorted(started)

    assert _run_on_own_loop(listeners()) == []


def _run_on_own_loop(coroutine: Any) -> Any:
    """``asyncio.run`` on a thread of its own: a browser test run earlier in the
    same worker (playwright's sync API) may leave this thread's loop running."""
    import asyncio

    results: list[Any] = []
    runner = threading.Thread(target=lambda: results.append(asyncio.run(coroutine)))
    runner.start()
    runner.join(60)
    assert results, "the coroutine did not finish"
    return results[0]


def test_a_reader_on_the_event_loop_gets_every_byte_without_a_thread(tmp_path: Path) -> None:
    """The server's readers wait on its event loop, woken by the encoder's
    thread; they get the same bytes, in order, and end when it closes."""

    live = LiveAudio(tmp_path)
    parts = [bytes([i]) * 3000 for i in range(30)]

    def encoder() -> None:
        for part in parts:
            live.write(part)
            time.sleep(0.002)
        live.close()

    async def read() -> bytes:
        threading.Thread(target=encoder).start()
        return b"".join([chunk async for chunk in live.follow_async(timeout_s=30)])

    assert _run_on_own_loop(read()) == b"".join(parts)

    async def idle() -> list[bytes]:
        return [chunk async for chunk in LiveAudio(tmp_path).follow_async(timeout_s=0.2)]

    assert _run_on_own_loop(idle()) == []  # nothing written, never closed: the timeout ends it


def test_the_spool_is_freed_when_the_job_and_its_last_reader_are_done(tmp_path: Path) -> None:
    live = LiveAudio(tmp_path)
    data = bytes(range(256)) * 1000
    live.write(data)
    reader = live.follow(timeout_s=5)
    first = next(reader)  # a listener part way through
    open_fds = len(os.listdir("/proc/self/fd"))
    live.release()  # the job is over: its file is in the store
    assert first + b"".join(reader) == data  # the listener still gets every byte
    assert len(os.listdir("/proc/self/fd")) == open_fds - 1  # then the spool is closed
    assert list(live.follow(timeout_s=1)) == []  # a new reader gets the stored file instead


def test_a_finished_job_keeps_no_spool_open(tmp_path: Path) -> None:
    queue = JobQueue(workers=1, bound=2)
    before = len(os.listdir("/proc/self/fd"))

    def work(job: Job) -> Path:
        job.live.write(b"\xff\xfb" * 1000)
        return tmp_path

    jobs = [queue.submit(key, lambda: tmp_path, work) for key in KEYS[:2]]
    for job in jobs:
        assert job.finished.wait(10) and job.state == "done"
    time.sleep(0.1)
    assert len(os.listdir("/proc/self/fd")) <= before
    queue.close()


@pytest.mark.e2e
def test_a_second_loudness_take_keeps_the_page_on_the_files_bytes(tmp_path: Path,
                                                                 monkeypatch) -> None:
    """When the encoded first take misses its loudness, the render levels
    once more: with a listener following the encoder too, the listener keeps
    the first take (heard whole) and the file is the second take, the very
    bytes ``cuecast render`` writes, instead of the session failing."""
    from cuecast.loudness import guard
    from cuecast.pipeline import Options, render
    from tests.audio import decode
    from tests.web.conftest import ROUTINE

    real_check = guard.check
    calls = {"n": 0}

    def first_take_misses(measured, target_lufs):
        calls["n"] += 1
        if calls["n"] % 2 == 1:
            return guard.Miss(measured, target_lufs, measured.integrated_lufs - target_lufs, 0.0)
        return real_check(measured, target_lufs)

    monkeypatch.setattr(guard, "check", first_take_misses)
    script = tmp_path / "tiny.yaml"
    script.write_text(ROUTINE)
    options = Options(engine="pyttsx3", fmt="mp3", bitrate_kbps=64)
    plain = render(script, tmp_path / "plain.mp3", options)
    heard: list[bytes] = []
    followed = render(script, tmp_path / "followed.mp3", options, audio_out=heard.append)
    assert calls["n"] == 4  # each render: a missed take, then a kept one
    data = Path(followed.path).read_bytes()
    assert data == Path(plain.path).read_bytes()
    first_take = tmp_path / "first-take.mp3"
    first_take.write_bytes(b"".join(heard))
    assert len(decode(str(first_take))) > 0.9 * followed.timeline.length  # the whole first take
