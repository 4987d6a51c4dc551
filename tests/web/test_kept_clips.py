"""Per-clip work kept across the server's sessions (``Sessions.clips``, a
``cuecast.memo.ClipMemo``): a second session of a track does not read,
measure or limit again the clips the first one did; only its new line.
Counted in calls (how many clips are read from the speech cache, measured,
limited), and the files stay those ``cuecast render`` writes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cuecast.catalogue import load_catalogue
from cuecast.loudness import energies, levelling
from cuecast.memo import ClipMemo
from cuecast.pipeline import prepare, render
from cuecast.web.jobs import Job
from cuecast.web.library import Library, serve_options
from cuecast.web.sessions import Sessions, Settings

pytestmark = pytest.mark.e2e  # real engine, ffmpeg


def test_a_second_session_reads_measures_and_limits_only_its_new_clips(
        catalogue_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = Library(load_catalogue(catalogue_path))
    sessions = Sessions(library, Settings(store_dir=tmp_path / "store", workers=1))
    view = library.get("tiny")
    assert view is not None
    prepare(view.track.script, library.choose(view, {}).options)  # the track's lines spoken
    calls: Counter[str] = Counter()
    real_put, real_measure, real_limit = ClipMemo.put, energies.clip_energy, levelling.limit

    def put(self, key, value, nbytes=None):  # type: ignore[no-untyped-def]
        calls[key[0]] += 1  # "speech clip": read from the cache; "limited": limited
        return real_put(self, key, value, nbytes)

    def measure(clip):  # type: ignore[no-untyped-def]
        calls["measured"] += 1
        return real_measure(clip)

    def limit(clip, threshold):  # type: ignore[no-untyped-def]
        calls["limit"] += 1
        return real_limit(clip, threshold)

    monkeypatch.setattr(ClipMemo, "put", put)
    monkeypatch.setattr(energies, "clip_energy", measure)
    monkeypatch.setattr(levelling, "limit", limit)
    holds = ["11", "12"]
    done: list[Counter[str]] = []
    files = []
    try:
        for hold in holds:
            calls.clear()
            job = sessions.start(library.choose(view, {"hold": hold}))
            assert isinstance(job, Job)
            job.finished.wait(120)
            assert job.state == "done", job.error
            done.append(Counter(calls))
            files.append(sessions.finished(job.key))
    finally:
        sessions.close()
    first, second = done
    lines = [{e.source for e in prepare(view.track.script, library.choose(view, {"hold": h})
                                        .options).timeline.events if e.kind == "speech"}
             for h in holds]
    new = len(lines[1] - lines[0])  # "Hold for 12 seconds."
    # the first also reads the script's default session's own line ("Hold for 3 seconds."):
    # a customised session keeps that session's gain when near enough (levelling, rule 6)
    default = {e.source for e in prepare(view.track.script, library.choose(view, {}).options)
               .timeline.events if e.kind == "speech"}  # fmt: skip
    read = len(lines[0] | default)
    assert first["speech clip"] == read and first["measured"] >= read, first
    assert second["speech clip"] == new >= 1, second  # read from the speech cache
    # measured: the new line, and the group it sounds in if it overlaps a chime
    assert 1 <= second["measured"] <= 2 * new < first["measured"], done
    # limited again: the new clips, or all of them where the gain moved a step
    # (a limit before another gain is another clip)
    assert second["limit"] <= first["limit"], done
    catalogue = load_catalogue(catalogue_path)
    for hold, stored in zip(holds, files, strict=True):
        options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": hold})
        local = render(catalogue.tracks[0].script, tmp_path / f"local-{hold}.mp3", options)
        assert stored is not None and stored.read_bytes() == Path(local.path).read_bytes()
