"""The listener's page levels a customised session as ``cuecast render``
does: with the gain of the script's default session (its declared values,
not the catalogue's) while near enough, so its download is the command
line's file byte for byte, for a hold whose own gain is another step."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cuecast.catalogue import load_catalogue
from cuecast.cli.base import main
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


def test_the_page_gives_the_command_lines_bytes_for_a_changed_hold(tmp_path: Path) -> None:
    anchored = script(tmp_path)  # declares 40 s; the catalogue's own default is 10 s,
    # whose own gain is another step: anchored to it, the page would give other bytes
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    library = Library(load_catalogue(tmp_path / "catalogue.yaml"))
    sessions = Sessions(library, Settings(store_dir=tmp_path / "store", workers=1))
    view = library.get("anchored-40s")
    assert view is not None
    try:
        job = sessions.start(library.choose(view, {"hold": CHANGED.removesuffix("s")}))
        assert isinstance(job, Job)
        job.finished.wait(180)
        assert job.state == "done", job.error
        stored = sessions.finished(job.key)
    finally:
        sessions.close()
    out = tmp_path / "cli.mp3"
    done = CliRunner().invoke(main, ["render", str(anchored), "--engine", "pyttsx3", "--bitrate",
                                     "64", "--set", f"hold={CHANGED}", "-o", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert stored is not None and stored.read_bytes() == out.read_bytes()
