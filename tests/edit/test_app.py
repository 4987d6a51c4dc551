"""The editor's app in process: the token, path tricks, saves, the live check."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cuecast.edit.token import COOKIE
from tests.edit.conftest import TINY, TOKEN

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("path", [
    "/", "/api/files", "/api/file?name=tiny.yaml", "/static/edit.js", "/audio/line/x/1.wav",
    "/nowhere", "/?token=wrong", "/?token=", f"/?token={TOKEN}&token=x",
])  # fmt: skip
def test_everything_is_refused_without_the_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 403
    client.cookies.set(COOKIE, "wrong")
    assert client.get(path).status_code == 403
    assert client.post("/api/save", json={"name": "tiny.yaml", "text": "x"}).status_code == 403


def test_the_link_sets_a_strict_cookie_and_drops_the_token(client: TestClient) -> None:
    answer = client.get(f"/?token={TOKEN}&file=tiny.yaml", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?file=tiny.yaml"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "codemirror.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/codemirror/LICENSE").text.startswith("MIT License")


def test_changes_only_as_json_from_the_page(entered: TestClient, studio: Path) -> None:
    body = '{"name": "tiny.yaml", "text": "title: x\\n", "version": ""}'
    form = entered.post("/api/save", content=body,
                        headers={"content-type": "text/plain"})  # what a form can send
    assert form.status_code == 403
    other_site = entered.post("/api/save", content=body,
                              headers={**JSON, "origin": "http://evil.example"})
    assert other_site.status_code == 403
    assert (studio / "tiny.yaml").read_text() == TINY


@pytest.mark.parametrize("name", [
    "../secret.yaml", "/etc/passwd", "link-out.yaml", "%2e%2e/secret.yaml",
    "..%2fsecret.yaml", "studio/../../secret.yaml", "tiny.yaml/..", "x.py",
])  # fmt: skip
def test_path_tricks_are_refused_in_every_request(entered: TestClient, name: str,
                                                  studio: Path) -> None:
    from urllib.parse import quote

    assert entered.get(f"/api/file?name={quote(name, safe='')}").status_code in (403, 404)
    assert entered.get(f"/api/file?name={name}").status_code in (403, 404)
    for url, body in [("/api/save", {"name": name, "text": "title: x\n", "version": ""}),
                      ("/api/new", {"name": name}),
                      ("/api/duplicate", {"name": "tiny.yaml", "to": name}),
                      ("/api/rename", {"name": name, "to": "other.yaml"}),
                      ("/api/check", {"name": name, "text": TINY}),
                      ("/api/render", {"name": name})]:
        assert entered.post(url, json=body).status_code in (403, 404), (url, name)
    assert (studio.parent / "secret.yaml").read_text() == "title: not yours\n"
    assert sorted(p.name for p in studio.iterdir()) == ["link-out.yaml", "tiny.yaml"]


@pytest.mark.parametrize("url", [
    "/static/../files.py", "/static/%2e%2e/files.py", "/static/codemirror/..%2f..%2fapp.py",
    "/static//etc/passwd", "/static/edit.html/../../app.py", "/audio/line/../../x/1.wav",
])  # fmt: skip
def test_no_file_is_served_by_a_path_from_the_url(entered: TestClient, url: str) -> None:
    answer = entered.get(url)
    assert answer.status_code == 404
    assert "import" not in answer.text


def test_save_exact_conflict_and_undo(entered: TestClient, studio: Path) -> None:
    opened = entered.get("/api/file?name=tiny.yaml").json()
    assert opened["text"] == TINY
    typed = TINY.replace("Well done.", "Well done, rest now.") + "# trailing\r\n\tend"
    saved = entered.post("/api/save", json={"name": "tiny.yaml", "text": typed,
                                            "version": opened["version"]})
    assert saved.status_code == 200
    assert (studio / "tiny.yaml").read_bytes() == typed.encode()

    (studio / "tiny.yaml").write_text("title: changed meanwhile\n")
    refused = entered.post("/api/save", json={"name": "tiny.yaml", "text": "title: mine\n",
                                              "version": saved.json()["version"]})
    assert refused.status_code == 409
    assert refused.json()["conflict"]["text"] == "title: changed meanwhile\n"
    assert (studio / "tiny.yaml").read_text() == "title: changed meanwhile\n"

    (studio / "tiny.yaml").write_bytes(typed.encode())  # as the editor left it
    undone = entered.post("/api/undo", json={"name": "tiny.yaml"})
    assert undone.status_code == 200 and undone.json()["text"] == TINY
    assert (studio / "tiny.yaml").read_text() == TINY


def test_the_check_points_at_a_misspelled_key_with_a_suggestion(entered: TestClient) -> None:
    typed = TINY.replace("steps:", "stepz:")
    report = entered.post("/api/check", json={"name": "tiny.yaml", "text": typed}).json()
    assert report["ok"] is False
    (message,) = report["messages"]
    assert (message["line"], message["column"]) == (5, 1)
    assert "stepz" in message["message"] and message["hint"] == "Did you mean 'steps'?"
    assert message["file"] is None  # the script itself, not the hidden copy
    assert ".cuecast-edit-" not in str(report)


def test_another_host_only_when_asked_and_with_a_warning(studio: Path) -> None:
    import subprocess
    import sys

    server = subprocess.Popen(
        [sys.executable, "-m", "cuecast.cli", "edit", str(studio), "--host", "0.0.0.0",
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert server.stdout is not None and server.stderr is not None
        link = server.stdout.readline()
        warning = server.stderr.readline()
    finally:
        server.terminate()
        server.wait(15)
    assert "http://0.0.0.0:" in link and "?token=" in link
    assert "warning: listening on 0.0.0.0, not only this machine" in warning



def test_the_text_is_read_where_the_file_is_and_nothing_is_written(entered: TestClient,
                                                                    studio: Path) -> None:
    (studio / "part.yaml").write_text("steps:\n  - sey: Hi.\n")
    typed = TINY + "  - include: part.yaml\n"
    report = entered.post("/api/check", json={"name": "tiny.yaml", "text": typed}).json()
    (message,) = report["messages"]
    assert (message["file"], message["line"], message["column"]) == ("part.yaml", 2, 5)
    assert message["hint"] == "Did you mean 'say'?"
    assert sorted(p.name for p in studio.iterdir()) == ["link-out.yaml", "part.yaml", "tiny.yaml"]
    catalogue = "series: {title: S}\ntracks:\n  - script: tiny.yaml\n"
    report = entered.post("/api/check", json={"name": "tiny.yaml", "text": catalogue}).json()
    assert report["kind"] == "catalogue"
    assert "series has no 'author'" in report["messages"][0]["message"]


@pytest.mark.e2e
def test_playing_from_a_point_streams_the_kept_pieces_from_there(entered: TestClient) -> None:
    from cuecast.edit.hear import PIECE_S
    from cuecast.units import to_samples

    text = TINY.replace("value: 3s", "value: 20s")  # two pieces
    report = entered.post("/api/check", json={"name": "tiny.yaml", "text": text}).json()
    assert report["total_s"] > PIECE_S
    line = entered.get(f"/audio/line/{report['key']}/7.wav")  # - say: Hold for {hold}.
    assert line.headers["content-type"] == "audio/wav" and len(line.content) > 44 + 2 * 4410
    whole = entered.get(f"/audio/from/{report['key']}/0.wav").content
    frames = to_samples(report["total_s"])
    assert whole[:4] == b"RIFF" and int.from_bytes(whole[40:44], "little") == 2 * frames
    assert len(whole) == 44 + 2 * frames and any(whole[44:])
    for at_s in (5.25, 16.0):  # within the first piece, within the second
        later = entered.get(f"/audio/from/{report['key']}/{int(at_s * 1000)}.wav").content
        assert later[44:] == whole[44 + 2 * to_samples(at_s):]
    assert entered.get("/audio/from/0123456789abcdef0123456789abcdef/0.wav").status_code == 404
