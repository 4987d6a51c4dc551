"""Each error page's title says what happened, then the series (as the busy
page's does): a screen reader's first words on it, and the browser tab's
name, were only the series' before, whatever went wrong. In process; no
engine speaks (the one 429 is counted before a refused form is checked)."""

from __future__ import annotations

import re
import threading

import pytest
from starlette.testclient import TestClient

from cuecast.web import sessions as sessions_module

TRACK = "/t/tiny"
SERIES = "Test Series"


def title_and_heading(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert title and heading, html[:500]
    return title.group(1), heading.group(1)


@pytest.mark.parametrize(("ask", "status", "what"), [
    (lambda c: c.get("/t/nope"), 404, "Not found"),
    (lambda c: c.get(TRACK + "/s/" + "0" * 32), 404, "Not found"),
    (lambda c: c.post("/t/nope", data={"hold": "3"}), 404, "Not found"),
    (lambda c: c.put(TRACK), 405, "Not allowed here"),
    (lambda c: c.post(TRACK, json={"hold": "3"}), 415, "Request not understood"),
    (lambda c: c.post(TRACK, files={"hold": ("x.txt", b"3")}), 400, "Request not understood"),
    (lambda c: c.get(TRACK, params={f"v{i}": "1" for i in range(100)}), 400,
     "Request not understood"),
], ids=["no-track", "no-session", "post-no-track", "put", "json", "files", "too-many-values"])
def test_an_error_page_is_titled_with_what_happened(client: TestClient, ask, status: int,
                                                    what: str) -> None:
    answer = ask(client)
    assert answer.status_code == status
    assert title_and_heading(answer.text) == (f"{what} · {SERIES}", what)


def test_too_many_requests_says_so(make_client) -> None:
    client = make_client(renders_per_minute=1)
    for _ in range(3):  # the sliding window may let one more in as the minute turns
        answer = client.post(TRACK, data={"hold": "99"})  # refused by its bounds: 422
        if answer.status_code == 429:
            break
    assert answer.status_code == 429
    assert title_and_heading(answer.text) == (f"Too many requests · {SERIES}",
                                              "Too many requests")


def test_a_session_still_being_made_says_so(make_client, monkeypatch) -> None:
    release = threading.Event()

    def waiting_render(*args: object, **kwargs: object) -> object:
        release.wait(60)
        raise RuntimeError("the test is over")  # its job fails: nothing made for nothing

    monkeypatch.setattr(sessions_module, "render", waiting_render)
    monkeypatch.setattr(sessions_module, "lines_to_speak", lambda *a, **k: 99)  # real work
    client = make_client()
    try:
        made = client.post(TRACK, data={"hold": "4"}, follow_redirects=False)
        assert made.status_code == 303
        answer = client.get(made.headers["location"] + "/download")
        assert answer.status_code == 409
        assert title_and_heading(answer.text) == (f"Still being made · {SERIES}",
                                                  "Still being made")
    finally:
        release.set()
