"""The listener's page levels a customised session as ``cuecast render``
does: with the gain of the script's default session (its declared values,
not the catalogue's) while near enough, so its download is the command
line's file byte for byte, for a hold whose own gain is another step. The
server keeps how the default session was levelled: a later session reads
its script once and neither loads, plans nor levels the default session,
and still gives the command line's bytes."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast import pipeline
from cuecast.catalogue import load_catalogue
from cuecast.cli.base import main
from cuecast.loudness import Anchor, levelling
from cuecast.script.load import load_with_vars
from cuecast.web.jobs import Job
from cuecast.web.library import Library
from cuecast.web.sessions import Sessions, Settings
from tests.e2e.test_default_gain_render import CHANGED, script

pytestmark = pytest.mark.e2e

CATALOGUE = """\
series: {title: Anchors, author: Test Studio, description: For the tests.,
         link: 'https://example.com/a/'}
defaults: {format: mp3, bitrate: 64, engine: pyttsx3}
tracks:
  - script: anchored-40s.yaml
    set: {hold: 10s}
"""


def test_the_page_gives_the_command_lines_bytes_for_a_changed_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anchored = script(tmp_path)  # declares 40 s; the catalogue's own default is 10 s,
    # whose own gain is another step: anchored to it, the page would give other bytes
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    library = Library(load_catalogue(tmp_path / "catalogue.yaml"))
    sessions = Sessions(library, Settings(store_dir=tmp_path / "store", workers=1))
    view = library.get("anchored-40s")
    assert view is not None
    loader = sys.modules[load_with_vars.__module__]  # the module (the package names a function so)
    calls: Counter[str] = Counter()
    real_read, real_default, real_level = loader.compose, pipeline._default_plan, levelling.level

    def read(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["script read"] += 1  # its YAML parsed, by the page or the render
        return real_read(*args, **kwargs)

    def default_plan(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["default session loaded"] += 1
        return real_default(*args, **kwargs)

    def level(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["anchor kept" if isinstance(kwargs.get("default"), Anchor) else "levelled"] += 1
        return real_level(*args, **kwargs)

    monkeypatch.setattr(loader, "compose", read)
    monkeypatch.setattr(pipeline, "_default_plan", default_plan)
    monkeypatch.setattr(pipeline, "level", level)
    stored, counted = {}, []
    try:
        for hold in (CHANGED, "12s"):
            calls.clear()
            job = sessions.start(library.choose(view, {"hold": hold.removesuffix("s")}))
            assert isinstance(job, Job)
            job.finished.wait(180)
            assert job.state == "done", job.error
            stored[hold] = sessions.finished(job.key)
            counted.append(dict(calls))
    finally:
        sessions.close()
    assert counted[0] == {"script read": 2, "default session loaded": 1, "levelled": 1}
    assert counted[1] == {"script read": 1, "anchor kept": 1}  # read once, the default not
    for hold, path in stored.items():
        out = tmp_path / f"cli-{hold}.mp3"
        done = CliRunner().invoke(main, ["render", str(anchored), "--engine", "pyttsx3",
                                         "--bitrate", "64", "--set", f"hold={hold}", "-o",
                                         str(out)])  # fmt: skip
        assert done.exit_code == 0, done.output
        assert path is not None and path.read_bytes() == out.read_bytes(), hold
