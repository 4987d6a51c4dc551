"""Every route in process: the pages, the live total, making a session, and
every kind of bad request answered with a clear 4xx while the server goes on."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cuecast.pipeline import render
from cuecast.web import sessions as sessions_module
from cuecast.web.library import serve_options
from tests.audio import decode
from tests.web.test_error_pages import SERIES, title_and_heading

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

TRACK = "/t/tiny"


def wait_done(client: TestClient, session_url: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(session_url + "/status").json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"{session_url} did not finish")


def still_serving(client: TestClient) -> None:
    assert client.get("/").status_code == 200


def test_home_lists_the_tracks(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/t/tiny"' in page.text and 'href="/t/tiny-gentle"' in page.text
    assert "Tiny Stretch (gentle)" in page.text and "Two holds" in page.text
    assert "content-security-policy" in page.headers


def test_track_page_has_a_labelled_bounded_input_per_value(client: TestClient) -> None:
    page = client.get(TRACK)
    assert page.status_code == 200
    ids = re.findall(r'<input id="(v-[^"]+)"', page.text)
    assert ids == ["v-hold", "v-sets"]  # the text var is not customisable
    for input_id in ids:
        assert f'<label for="{input_id}">' in page.text
    assert '<label for="v-hold">Stretch hold</label>' in page.text
    assert 'type="number"' in page.text and 'min="1" max="4"' in page.text
    assert "from 2 s to 20 s" in page.text
    assert '<option value="gentle">Gentle</option>' in page.text
    assert "Make my session" in page.text
    assert re.search(r'<output id="total"[^>]*>0:\d\d|<output id="total"[^>]*>\d+ s', page.text)


def test_the_total_follows_the_values(client: TestClient) -> None:
    short = client.get(TRACK + "/length", params={"hold": "2", "sets": "1"}).json()
    long = client.get(TRACK + "/length", params={"hold": "0:15", "sets": "3"}).json()
    assert long["total_s"] - short["total_s"] > 13 + 2  # 13 s more hold, two more sets
    same = client.get(TRACK + "/length", params={"hold": "15s", "sets": "3"}).json()
    assert same["total_s"] == long["total_s"]


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"hold": "21s"}, 422, "at most 20s"),
    ({"hold": "1s"}, 422, "at least 2s"),
    ({"hold": "soon"}, 422, "is a duration"),
    ({"hold": "-3"}, 400, "not a value"),
    ({"sets": "2.5"}, 400, "whole number"),
    ({"sets": "9"}, 422, "at most 4"),
    ({"hold": "x" * 100}, 400, "not a value"),
    ({"hold": "3s;rm"}, 400, "not a value"),
    ({"colour": "red"}, 400, "no setting called 'colour'"),
    ({"profile": "brutal"}, 400, "no profile called"),
])
def test_bad_values_get_the_loaders_message(client: TestClient, params: dict, status: int,
                                            words: str) -> None:
    answer = client.get(TRACK + "/length", params=params)
    assert answer.status_code == status
    assert words in answer.json()["error"]
    page = client.post(TRACK, data=params, follow_redirects=False)
    assert page.status_code == status
    assert words in page.text.replace("&#39;", "'")
    assert "Traceback" not in page.text
    still_serving(client)


def test_a_bad_value_is_marked_on_its_input(client: TestClient) -> None:
    page = client.post(TRACK, data={"hold": "40s", "sets": "2"})
    assert page.status_code == 422
    assert re.search(r'id="v-hold" name="hold" value="40s"[^>]*\s+[^>]*aria-invalid="true"',
                     page.text)
    assert 'id="e-hold" role="alert">Stretch hold:' in page.text


def test_making_a_session_gives_the_bytes_render_gives(client: TestClient,
                                                       catalogue_path: Path,
                                                       tmp_path: Path) -> None:
    made = client.post(TRACK, data={"hold": "5", "sets": "3"}, follow_redirects=False)
    assert made.status_code == 303
    url = made.headers["location"].removeprefix("http://testserver")
    assert wait_done(client, url)["state"] == "done"
    page = client.get(url)
    assert '<audio id="player" controls' in page.text and "Download the MP3" in page.text
    download = client.get(url + "/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "audio/mpeg"
    assert "attachment" in download.headers["content-disposition"]

    from cuecast.catalogue import load_catalogue

    catalogue = load_catalogue(catalogue_path)
    options = serve_options(catalogue, catalogue.tracks[0], "", {"hold": "5s", "sets": "3"})
    result = render(catalogue.tracks[0].script, tmp_path / "cli.mp3", options)
    assert download.content == Path(result.path).read_bytes()
    assert len(decode(result.path)) == result.timeline.length

    again = client.post(TRACK, data={"hold": "5s", "sets": "3"}, follow_redirects=False)
    assert again.headers["location"] == made.headers["location"]  # same values, same file
    assert client.get(url + "/status").json()["state"] == "done"  # from disk: no job
    player = client.get(url + "/session.mp3", headers={"Range": "bytes=0-99"})
    assert player.status_code == 206 and player.content == download.content[:100]


def test_profile_choice_without_javascript(client: TestClient) -> None:
    """Choosing another profile and leaving the values as shown takes that
    profile's values; a value the listener changed still wins."""
    plain = client.get(TRACK + "/length", params={"profile": "gentle"}).json()
    moved = client.get(TRACK + "/length", params={
        "profile": "gentle", "shown_profile": "", "hold": "3", "sets": "2"}).json()
    assert moved["values"] == {"hold": "2", "sets": "1"} and moved["total_s"] == plain["total_s"]
    mine = client.get(TRACK + "/length", params={
        "profile": "gentle", "shown_profile": "", "hold": "7", "sets": "2"}).json()
    assert mine["values"] == {"hold": "7", "sets": "1"}


@pytest.mark.parametrize("path", [
    "/t/nope", "/t/..%2F..%2Fetc%2Fpasswd", "/t/tiny/../../etc/passwd", "/t/%2e%2e",
    "/t/tiny/s/" + "0" * 32, "/t/tiny/s/..%2F..%2Fcatalogue.yaml", "/t/tiny/s/ZZZ/download",
    "/t/tiny/s/" + "a" * 32 + "/live.mp3", "/tiny.yaml", "/catalogue.yaml", "/app.js/../tiny.yaml",
    "/templates/base.html", "/%00",
])
def test_paths_from_urls_never_reach_files(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "Routines for tests" not in answer.text and "steps:" not in answer.text
    still_serving(client)


def test_unknown_track_is_404_for_post_too(client: TestClient) -> None:
    assert client.post("/t/nope", data={"hold": "3"}).status_code == 404
    still_serving(client)


def test_huge_and_odd_bodies(client: TestClient) -> None:
    huge = client.post(TRACK, data={"hold": "3" * 100_000})
    assert huge.status_code == 413
    streamed = client.post(TRACK, content=iter([b"hold=3&" * 5000]),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    assert client.post(TRACK, json={"hold": "3"}).status_code == 415
    assert client.post(TRACK, files={"hold": ("x.txt", b"3")}).status_code == 400
    garbled = client.post(TRACK, content=b"\xff\xfe=%%%&&=",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert garbled.status_code == 400
    assert client.put(TRACK).status_code == 405
    still_serving(client)


def test_queue_full_is_503_with_retry_after(make_client, monkeypatch) -> None:
    release = threading.Event()
    real = sessions_module.render

    def slow_render(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(sessions_module, "render", slow_render)
    monkeypatch.setattr(sessions_module, "lines_to_speak", lambda *a, **k: 99)  # all real work
    client = make_client(queue_bound=1)
    first = client.post(TRACK, data={"hold": "4"}, follow_redirects=False)
    assert first.status_code == 303
    waiting = client.get(first.headers["location"])
    assert waiting.status_code == 200 and '<progress id="progress"' in waiting.text
    assert 'http-equiv="refresh"' in waiting.text  # it refreshes itself without JavaScript
    busy = client.post(TRACK, data={"hold": "6"}, follow_redirects=False)
    assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
    assert client.post(TRACK, data={"hold": "4"}, follow_redirects=False).status_code == 303
    release.set()
    url = first.headers["location"].removeprefix("http://testserver")
    assert wait_done(client, url)["state"] == "done"


def test_sessions_needing_no_new_speech_pass_a_full_render_queue(make_client,
                                                                  monkeypatch) -> None:
    """The 503 is for real rendering work: a session that needs a few new
    lines at most (only holds, rests or counts changed) has its own, larger
    bound."""
    release = threading.Event()
    real = sessions_module.render
    new_speech = {"4"}

    def slow_render(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    def new_lines(path, options, **kwargs):
        return 99 if options.sets.get("hold") in new_speech else 1

    monkeypatch.setattr(sessions_module, "render", slow_render)
    monkeypatch.setattr(sessions_module, "lines_to_speak", new_lines)
    client = make_client(queue_bound=1, assembly_bound=2, assembling=1)
    assert client.post(TRACK, data={"hold": "4"}, follow_redirects=False).status_code == 303
    new_speech.add("5")
    assert client.post(TRACK, data={"hold": "5"}, follow_redirects=False).status_code == 503
    made = [client.post(TRACK, data={"hold": h}, follow_redirects=False) for h in ("6", "7")]
    assert [m.status_code for m in made] == [303, 303]
    assert client.post(TRACK, data={"hold": "8"}, follow_redirects=False).status_code == 503
    release.set()
    for m in made:
        assert wait_done(client, m.headers["location"].removeprefix("http://testserver"))[
            "state"] == "done"


def test_rate_limits(make_client) -> None:
    client = make_client(renders_per_minute=2)
    for _ in range(2):
        assert client.post(TRACK, data={"hold": "99"}).status_code == 422
    limited = client.post(TRACK, data={"hold": "3"})
    if limited.status_code != 429:  # the minute turned: the window weighs the last one's count
        assert limited.status_code == 303  # by what it still covers, so one more gets in
        limited = client.post(TRACK, data={"hold": "4"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    still_serving(client)


def test_a_bug_is_a_plain_500_and_the_server_goes_on(client: TestClient, monkeypatch) -> None:
    library = client.app.state.web.sessions.library  # type: ignore[attr-defined]

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(library, "choose", broken)
    answer = client.get(TRACK + "/length")
    assert answer.status_code == 500
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert title_and_heading(answer.text) == (f"Something went wrong · {SERIES}",
                                              "Something went wrong")
    monkeypatch.undo()
    assert client.get(TRACK + "/length").status_code == 200


def test_assets_are_local(client: TestClient) -> None:
    page = client.get(TRACK).text
    assert "http" not in re.sub(r'https?://example\.com[^"]*', "", page.split("<main")[0])
    assert client.get("/app.js").headers["content-type"].startswith("text/javascript")
    assert "max-width" in client.get("/app.css").text


def test_serve_refuses_a_bad_catalogue_and_a_busy_port(tmp_path: Path,
                                                       catalogue_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from cuecast.cli import main

    missing = CliRunner().invoke(main, ["serve", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        busy = CliRunner().invoke(main, ["serve", str(catalogue_path), "--port", port,
                                         "--store", str(tmp_path / "store")])
    assert busy.exit_code == 2 and "cannot listen on 127.0.0.1" in busy.stderr


def test_the_session_key_follows_the_script_values_and_options(catalogue_path: Path) -> None:
    from cuecast.catalogue import load_catalogue
    from cuecast.web.library import Library

    library = Library(load_catalogue(catalogue_path))
    view = library.tracks["tiny"]
    key = library.choose(view, {"hold": "5"}).key
    assert library.choose(view, {"hold": "5s", "sets": "2"}).key == key  # same values
    assert library.choose(view, {"hold": "0:05"}).key == key
    assert library.choose(view, {"hold": "6"}).key != key
    assert library.choose(library.tracks["tiny-gentle"], {"hold": "5", "sets": "2"}).key != key
    script = catalogue_path.parent / "tiny.yaml"
    script.write_text(script.read_text().replace("Hold for", "Now hold for"))
    assert library.choose(view, {"hold": "5"}).key != key


def test_a_re_recorded_line_is_a_new_session(catalogue_path: Path) -> None:
    """The teacher's folder named in the catalogue is part of what a stored
    session was made from: a new take of a line never serves the old file."""
    import os

    from cuecast.catalogue import load_catalogue
    from cuecast.web.library import Library

    folder = catalogue_path.parent / "teacher"
    folder.mkdir()
    take = folder / "hold-0123456789.wav"
    take.write_bytes(b"first take")
    catalogue_path.write_text(catalogue_path.read_text().replace(
        "  engine: pyttsx3\n", "  engine: pyttsx3\n  recordings: teacher\n"))

    def key() -> str:
        library = Library(load_catalogue(catalogue_path))
        return library.choose(library.tracks["tiny"], {"hold": "5"}).key

    first = key()
    assert key() == first
    stat = take.stat()
    take.write_bytes(b"other take")  # the same size and time: only the content tells
    os.utime(take, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert take.stat().st_size == stat.st_size and take.stat().st_mtime_ns == stat.st_mtime_ns
    assert key() != first
