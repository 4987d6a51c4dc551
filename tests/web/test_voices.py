"""The listener chooses the voice: a track that offers voices (the
catalogue's ``voices``) has a voice choice with a sample of each, and the
session is spoken by the chosen voice (the bytes ``cuecast render --voice``
gives)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cuecast.catalogue import load_catalogue
from cuecast.pipeline import render
from cuecast.web import Settings, create_app
from cuecast.web.library import serve_options
from tests.audio import decode
from tests.web.conftest import CATALOGUE, ROUTINE
from tests.web.test_pages import wait_done

pytestmark = pytest.mark.e2e  # real engines and ffmpeg

VOICED = CATALOGUE.replace("    title: Tiny Stretch (gentle)\n",
                           "    title: Tiny Stretch (gentle)\n    voices: [en-us, en-gb]\n")
TRACK = "/t/tiny-gentle"


@pytest.fixture
def voiced(tmp_path: Path):
    (tmp_path / "tiny.yaml").write_text(ROUTINE)
    path = tmp_path / "catalogue.yaml"
    path.write_text(textwrap.dedent(VOICED))
    app = create_app(load_catalogue(path), Settings(store_dir=tmp_path / "store", workers=1),
                     warm=False)  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, path


def test_the_page_offers_the_voices_each_with_a_sample(voiced) -> None:
    client, _ = voiced
    page = client.get(TRACK).text
    assert '<input type="radio" id="voice-1" name="voice" value="en-us" checked>' in page
    assert '<input type="radio" id="voice-2" name="voice" value="en-gb">' in page
    assert f'src="{TRACK}/voice/en-gb.mp3"' in page
    assert 'name="voice"' not in client.get("/t/tiny").text  # a track with no voices
    sample = client.get(f"{TRACK}/voice/en-gb.mp3")
    assert sample.status_code == 200 and sample.headers["content-type"] == "audio/mpeg"
    seconds = len(decode_bytes(sample.content, Path(client.app.state.web.catalogue.folder)))
    assert 1.5 < seconds / 44100 < 8  # one short sentence
    again = client.get(f"{TRACK}/voice/en-gb.mp3")
    assert again.content == sample.content  # made once, the same file
    assert client.get(f"{TRACK}/voice/en-au.mp3").status_code == 404  # not offered
    assert client.get("/t/tiny/voice/en-gb.mp3").status_code == 404


def decode_bytes(data: bytes, folder: Path):
    path = folder / "sample.mp3"
    path.write_bytes(data)
    return decode(str(path))


def test_the_session_is_spoken_by_the_chosen_voice(voiced, tmp_path: Path) -> None:
    client, path = voiced
    made = client.post(TRACK, data={"voice": "en-gb"}, follow_redirects=False)
    assert made.status_code == 303
    url = made.headers["location"].removeprefix("http://testserver")
    assert wait_done(client, url)["state"] == "done"
    download = client.get(url + "/download").content

    catalogue = load_catalogue(path)
    track = catalogue.track("tiny-gentle")
    options = serve_options(catalogue, track, "gentle", {}, "en-gb")
    assert (options.voice, options.engine) == ("en-gb", None)
    result = render(track.script, tmp_path / "cli.mp3", options)
    assert result.timeline.voice["voice"] == "gmw/en"
    assert download == Path(result.path).read_bytes()

    default = client.post(TRACK, data={"voice": ""}, follow_redirects=False).headers["location"]
    assert default != made.headers["location"]  # the first voice, en-us: another session
    wrong = client.post(TRACK, data={"voice": "nobody"}, follow_redirects=False)
    assert wrong.status_code == 400 and "no voice called" in wrong.text
