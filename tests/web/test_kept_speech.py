"""The server's speech workers, kept between sessions (issue 19, item 3).

A listener who changes a hold needs one new line spoken ("11 seconds");
the server speaks it in an engine worker it started for an earlier
session, not in a new interpreter. What is checked: two sessions' lines,
one worker process, the files ``cuecast render`` writes; the worker
stopped with the server; a worker that crashed on a line fails that
session with a clear error, and the next session is made."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cuecast.catalogue import load_catalogue
from cuecast.fingerprint import digest
from cuecast.pipeline import prepare, render
from cuecast.request import RenderRequest
from cuecast.web.jobs import Job
from cuecast.web.library import Choice, Library, serve_options
from cuecast.web.sessions import Sessions, Settings
from tests.test_kept_workers import gone

pytestmark = pytest.mark.e2e  # real engine, ffmpeg


def made(sessions: Sessions, choice: Choice) -> Job:
    job = sessions.start(choice)
    assert isinstance(job, Job)
    job.finished.wait(120)
    return job


def test_one_kept_worker_speaks_two_sessions_and_stops_with_the_server(
        catalogue_path: Path, tmp_path: Path) -> None:
    library = Library(load_catalogue(catalogue_path))
    sessions = Sessions(library, Settings(store_dir=tmp_path / "store", workers=1))
    view = library.get("tiny")
    assert view is not None
    prepare(view.track.script, library.choose(view, {}).options)  # the track warm
    holds = ["11", "12"]
    try:
        first = made(sessions, library.choose(view, {"hold": holds[0]}))
        started, pids = sessions.speakers.started, sessions.speakers.idle()
        assert started >= 1 and sorted(pids) and len(pids) == started
        second = made(sessions, library.choose(view, {"hold": holds[1]}))  # new lines too
        assert sessions.speakers.started == started  # spoken by the workers kept
        assert sorted(sessions.speakers.idle()) == sorted(pids)
        jobs = [first, second]
        assert [j.state for j in jobs] == ["done", "done"], [j.error for j in jobs]
        files = [sessions.finished(j.key) for j in jobs]
    finally:
        sessions.close()
    assert all(gone(pid) for pid in pids)
    catalogue = load_catalogue(catalogue_path)
    for hold, stored in zip(holds, files, strict=True):
        options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": hold})
        local = render(catalogue.tracks[0].script, tmp_path / f"local-{hold}.mp3", options)
        assert stored is not None and stored.read_bytes() == Path(local.path).read_bytes()


def test_a_worker_that_crashes_fails_its_session_clearly_and_the_next_is_made(
        catalogue_path: Path, tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text((tmp_path / "tiny.yaml").read_text().replace(
        "say: Hold for {hold}.", "say: '{word}: hold for {hold}.'"))
    catalogue = load_catalogue(catalogue_path)
    library = Library(catalogue)
    sessions = Sessions(library, Settings(store_dir=tmp_path / "store", workers=1))
    view = library.get("tiny")
    assert view is not None

    def choice(sets: dict[str, str]) -> Choice:
        """A session whose speech a crashing engine makes (no catalogue may name one)."""
        options = replace(serve_options(catalogue, view.track, "", sets),
                          engine="tests.fault_engines:CrashOnLine")
        key = digest({"crash": dict(sets)})[:32]
        return Choice(view, "", sets, RenderRequest(str(view.track.script), options), key)

    try:
        crashed = made(sessions, choice({"hold": "5", "word": "CRASH"}))
        assert crashed.state == "failed"
        assert crashed.error is not None
        assert "stopped while speaking 'CRASH: hold for five seconds.'" in crashed.error
        assert "vocal tract" in crashed.error  # the worker's last words
        assert sessions.speakers.idle() == []
        after = made(sessions, choice({"hold": "6"}))
        assert after.state == "done", after.error
        assert sessions.speakers.idle()
    finally:
        sessions.close()
