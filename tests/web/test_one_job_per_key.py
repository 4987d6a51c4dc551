"""One session key, one job, whichever queue a request is routed to.

A request goes to the assembly queue or the render queue by how much new
speech it needs, which changes as lines are spoken: the same key can be
routed to both. Before, ``Sessions.job`` looked in the assembly queue
first and took an ended job there for the key's job, so a request could
start a second job for a key the render queue was still rendering, both
writing one work folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cuecast.catalogue import load_catalogue
from cuecast.errors import CuecastError
from cuecast.pipeline import prepare, render, speak
from cuecast.web import sessions as sessions_module
from cuecast.web.jobs import Job
from cuecast.web.library import Library, serve_options
from cuecast.web.sessions import Sessions, Settings


def make_sessions(catalogue_path: Path, store: Path) -> tuple[Sessions, Library]:
    library = Library(load_catalogue(catalogue_path))
    return Sessions(library, Settings(store_dir=store, workers=2)), library


def test_an_ended_job_in_one_queue_never_hides_a_running_one_in_the_other(
        catalogue_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions, library = make_sessions(catalogue_path, tmp_path / "store")
    lanes = iter([1, 99, 1])  # new lines: assembly, then render, then assembly
    monkeypatch.setattr(Sessions, "_new_lines", lambda self, choice, loaded=None: next(lanes))
    release = threading.Event()
    calls: list[str] = []

    def fake_render(script, out, options, progress=None, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(str(out))
        if len(calls) == 1:
            raise CuecastError("the engine stopped")
        release.wait(30)
        Path(out).write_bytes(b"the session")

    monkeypatch.setattr(sessions_module, "render", fake_render)
    try:
        choice = library.choose(library.get("tiny"), {"hold": "6"})  # type: ignore[arg-type]
        failed = sessions.start(choice)
        assert isinstance(failed, Job)
        failed.finished.wait(30)
        assert failed.state == "failed"
        running = sessions.start(choice)  # the render queue this time
        assert isinstance(running, Job) and running is not failed
        again = sessions.start(choice)  # routed to the assembly queue, where the failed one is
        assert again is running
        assert sessions.job(choice.key) is running  # the status page follows the running one
        release.set()
        running.finished.wait(30)
        assert running.state == "done"
        assert len(calls) == 2
        stored = sessions.finished(choice.key)
        assert stored is not None and stored.read_bytes() == b"the session"
        assert sessions.job(choice.key) is running
    finally:
        release.set()
        sessions.close()


@pytest.mark.e2e
def test_two_requests_at_once_for_one_key_share_one_job_and_get_renders_bytes(
        catalogue_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two listeners ask for the same values at the same moment, one routed
    to each queue: one job, one render, and both are given the file
    ``cuecast render`` writes for those values."""
    sessions, library = make_sessions(catalogue_path, tmp_path / "store")
    routed = iter([1, 99])  # new lines: assembly, render
    monkeypatch.setattr(Sessions, "_new_lines", lambda self, choice, loaded=None: next(routed))
    renders: list[str] = []
    real = sessions_module.render

    def counted(script, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        renders.append(str(out))
        return real(script, out, *args, **kwargs)

    monkeypatch.setattr(sessions_module, "render", counted)
    view = library.get("tiny")
    assert view is not None
    both = threading.Barrier(2)
    got: list[Job | Path] = []

    def listener() -> None:
        choice = library.choose(view, {"hold": "7", "sets": "3"})
        both.wait(10)
        got.append(sessions.start(choice))

    try:
        threads = [threading.Thread(target=listener) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(got) == 2 and isinstance(got[0], Job) and got[0] is got[1]
        got[0].finished.wait(120)
        assert got[0].state == "done", got[0].error
        key = got[0].key
        stored = sessions.finished(key)
        assert stored is not None
        assert len(renders) == 1
    finally:
        sessions.close()
    catalogue = load_catalogue(catalogue_path)
    options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": "7", "sets": "3"})
    local = render(catalogue.tracks[0].script, tmp_path / "local.mp3", options)
    assert stored.read_bytes() == Path(local.path).read_bytes()


@pytest.mark.e2e
def test_the_new_lines_of_sessions_waiting_are_spoken_in_one_batch(
        catalogue_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four listeners ask for holds no one asked for (a new line each) while
    the one worker renders a fifth: their four lines are spoken by one run
    of the engine's workers, not four, and each file is ``cuecast render``'s."""
    from cuecast.voices import speaker as speaker_module

    sessions, library = make_sessions(catalogue_path, tmp_path / "store")
    sessions.assembly = type(sessions.assembly)(workers=1, bound=64, name="assemble")
    view = library.get("tiny")
    assert view is not None
    prepare(view.track.script, library.choose(view, {}).options)  # the track warm
    spoken: list[int] = []
    real_run = speaker_module.run_jobs

    def counted_run(jobs, *args, **kwargs):  # type: ignore[no-untyped-def]
        spoken.append(len(jobs))
        return real_run(jobs, *args, **kwargs)

    monkeypatch.setattr(speaker_module, "run_jobs", counted_run)
    release = threading.Event()
    real = sessions_module.render

    def held(script, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        release.wait(60)  # the first session holds the one worker
        return real(script, out, *args, **kwargs)

    monkeypatch.setattr(sessions_module, "render", held)
    holds = ["11", "12", "13", "14", "15"]
    try:
        jobs = [sessions.start(library.choose(view, {"hold": h})) for h in holds]
        assert all(isinstance(j, Job) for j in jobs)
        release.set()
        for job in jobs:
            assert isinstance(job, Job)
            job.finished.wait(120)
            assert job.state == "done", job.error
        files = [sessions.finished(j.key) for j in jobs if isinstance(j, Job)]
    finally:
        release.set()
        sessions.close()
    # the first alone (or with the second, if it came in time), then the rest together:
    # two runs of the engine's workers for five sessions (each render then finds its
    # lines in the cache), not five
    assert len(spoken) == sessions.speech.batches == 2, spoken
    catalogue = load_catalogue(catalogue_path)
    for hold, stored in zip(holds, files, strict=True):
        options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": hold})
        local = render(catalogue.tracks[0].script, tmp_path / f"local-{hold}.mp3", options)
        assert stored is not None and stored.read_bytes() == Path(local.path).read_bytes()


@pytest.mark.e2e
def test_a_session_with_every_line_cached_waits_for_no_batch(
        catalogue_path: Path, tmp_path: Path) -> None:
    sessions, library = make_sessions(catalogue_path, tmp_path / "store")
    view = library.get("tiny")
    assert view is not None
    choice = library.choose(view, {"hold": "9"})
    # every line its render needs spoken: these values' and those of the script's default
    # session, whose gain it keeps (``Options.default_session``)
    assert speak([choice.request]) == []
    try:
        job = sessions.start(choice)
        assert isinstance(job, Job) and sessions.speech.waiting() == 0
        job.finished.wait(120)
        assert job.state == "done", job.error
        assert sessions.speech.batches == 0
    finally:
        sessions.close()
