"""``cuecast serve`` as a real process: whose address the rate limits count
(behind a trusted proxy, the one it reports in X-Forwarded-For), and
sessions rendered on a real Dask cluster (a scheduler and a worker on
127.0.0.1) with the bytes of a local render."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
import pytest

from cuecast.catalogue import load_catalogue
from cuecast.pipeline import render
from cuecast.web.library import serve_options

BIN = Path(sys.executable).parent
TRACK = "/t/tiny"


@contextmanager
def serving(catalogue: Path, store: Path, *args: str, env: dict[str, str] | None = None,
            stderr: Path | None = None) -> Iterator[str]:
    """``cuecast serve`` on 127.0.0.1 (any free port); its base URL. Its
    stderr goes to the file ``stderr`` if given (read it after the block)."""
    with open(stderr, "w") if stderr else nullcontext(subprocess.PIPE) as err:
        process = subprocess.Popen([str(BIN / "cuecast"), "serve", str(catalogue), "--port",
                                    "0", "--store", str(store), *args], stdout=subprocess.PIPE,
                                   stderr=err, text=True, start_new_session=True,
                                   env={**os.environ, **(env or {})})
    try:
        line = process.stdout.readline() if process.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            said = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"no URL: {line!r} {said}")
        yield found.group(0)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def post_as(client: httpx.Client, address: str) -> int:
    """A form the page refuses (400, nothing rendered), counted as a render."""
    return client.post(TRACK, data={"nothing": "1"},
                       headers={"X-Forwarded-For": address}).status_code


def within_a_turn(codes: Iterable[int]) -> bool:
    """Refused (429) at once, or after one more request let in (400 here):
    the sliding window weighs the last minute's count by how much of it
    the window still covers, so as the minute turns one more gets in."""
    first, second = codes
    return first == 429 or (first == 400 and second == 429)


@pytest.mark.slow  # starts two servers as processes (18 s under load): not for test-fast
def test_rate_limits_count_the_address_a_trusted_proxy_reports(catalogue_path: Path,
                                                               tmp_path: Path) -> None:
    with serving(catalogue_path, tmp_path / "store1") as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert [post_as(client, "203.0.113.1") for _ in range(30)] == [400] * 30
        assert within_a_turn(post_as(client, "203.0.113.1") for _ in range(2))  # its 30 a minute
        assert post_as(client, "203.0.113.2") == 400  # another listener behind the proxy
        # the listener is the first address the proxy (127.0.0.1, trusted) did not add
        assert post_as(client, "203.0.113.9, 203.0.113.1") == 429
    with serving(catalogue_path, tmp_path / "store2", "--forwarded-allow-ips", "") as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        codes = [post_as(client, f"203.0.113.{i}") for i in range(30)]
        assert codes == [400] * 30  # a proxy not trusted: its header is ignored
        assert within_a_turn(post_as(client, f"203.0.113.{i}") for i in range(30, 32))


def _dask(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "dask"), *args], stdout=subprocess.DEVNULL,
                            stderr=open(log, "wb"), start_new_session=True, cwd=log.parent)


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.cluster
def test_serve_on_a_dask_cluster_gives_the_bytes_of_a_local_render(catalogue_path: Path,
                                                                   tmp_path: Path) -> None:
    """The server speaks, mixes and joins; the pieces it has not cached (its
    own cache is empty) are encoded by the cluster's worker; the session
    plays while it is made and is byte for byte a local render."""
    pytest.importorskip("distributed")
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    processes = [_dask(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log")]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        processes.append(_dask(["worker", address, "--nthreads", "1", "--nworkers", "1",
                                "--no-dashboard", "--host", "127.0.0.1",
                                "--local-directory", str(tmp_path / "w")],
                               tmp_path / "worker.log"))
        with Client(address, timeout="30s") as dask_client:
            dask_client.wait_for_workers(1, timeout=60)
        cold = {"CUECAST_CACHE_DIR": str(tmp_path / "server-cache")}
        with serving(catalogue_path, tmp_path / "store", "--cluster", address,
                     env=cold) as base, httpx.Client(base_url=base, timeout=60) as client:
            made = client.post(TRACK, data={"hold": "7", "sets": "3"})
            session = made.headers["location"].removeprefix(base)
            assert made.status_code == 303 and session.startswith(f"{TRACK}/s/")
            live = client.get(session + "/live.mp3")  # the joined pieces as they come
            deadline = time.monotonic() + 240
            while client.get(session + "/status").json()["state"] not in ("done", "failed"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            download = client.get(session + "/download")
        with Client(address, timeout="30s") as dask_client:
            # the tasks the scheduler has seen, by their function's name (a
            # lambda: sent by value, the scheduler cannot import the tests)
            ran = dask_client.run_on_scheduler(lambda dask_scheduler: {
                name: sum(prefix.state_counts.values())
                for name, prefix in dask_scheduler.task_prefixes.items()})
    finally:
        for process in reversed(processes):
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    assert download.status_code == 200
    assert ran.get("encode_batch", 0) >= 1, ran  # the pieces went to the cluster
    assert "render_job" not in ran  # not whole tracks
    catalogue = load_catalogue(catalogue_path)
    options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": "7", "sets": "3"})
    local = render(catalogue.tracks[0].script, tmp_path / "local.mp3", options)
    assert download.content == Path(local.path).read_bytes()
    # the encoder's frames as they were joined (or the file, if it was done first)
    assert live.status_code == 200 and len(live.content) > 10_000
    assert download.content.endswith(live.content)


@pytest.mark.e2e
def test_a_crowd_of_small_changes_all_get_their_files(catalogue_path: Path,
                                                      tmp_path: Path) -> None:
    """Listeners behind a proxy, each asking for another hold at once, with
    room for one session of real rendering work: none is refused (no 503,
    no 429), and each download is ``cuecast render``'s bytes for its values."""
    holds = [str(h) for h in range(4, 10)]
    with serving(catalogue_path, tmp_path / "store", "--queue", "1", "--workers", "2") as base:
        with httpx.Client(base_url=base, timeout=120) as client:  # the track made warm
            warm = client.post(TRACK, data={"hold": "3"}).headers["location"].removeprefix(base)
            wait_for(client, warm)
        got: dict[str, bytes] = {}

        def listener(i: int, hold: str) -> None:
            headers = {"X-Forwarded-For": f"198.51.100.{i + 1}"}
            with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
                made = client.post(TRACK, data={"hold": hold})
                assert made.status_code == 303, made.status_code
                session = made.headers["location"].removeprefix(base)
                wait_for(client, session)
                got[hold] = client.get(session + "/download").content

        threads = [threading.Thread(target=listener, args=(i, h)) for i, h in enumerate(holds)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(got) == sorted(holds)
    catalogue = load_catalogue(catalogue_path)
    for hold, body in got.items():
        options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": hold})
        local = render(catalogue.tracks[0].script, tmp_path / f"local-{hold}.mp3", options)
        assert body == Path(local.path).read_bytes(), hold


def wait_for(client: httpx.Client, session: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while (state := client.get(session + "/status").json()["state"]) not in ("done", "failed"):
        assert time.monotonic() < deadline, f"{session} not done"
        time.sleep(0.1)
    assert state == "done"
