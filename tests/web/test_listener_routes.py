"""The listener's page in process: what it shows of a track (cover, picture,
chapters, the description in words), the plan and fit JSON, a link with
values, fitting without JavaScript, one clock, and the files that make it
installable and usable offline (manifest, service worker, icons, covers)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cuecast.units import clock

pytestmark = pytest.mark.e2e  # real engines: left out of make test-fast

TRACK = "/t/tiny"
COVER = Path(__file__).resolve().parents[2] / "scripts" / "studio-cover.png"


def test_track_page_shows_picture_chapters_and_words(client: TestClient) -> None:
    page = client.get(TRACK)
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    assert root.get("role") == "img" and "Tiny Stretch:" in (root.get("aria-label") or "")
    assert re.search(r'<figcaption id="picture-text"[^>]*>Tiny Stretch: 0:\d\d in all; '
                     r"sections Stretch at 0:00; 1 hold", page.text)
    assert '<span class="at">0:00</span> Stretch' in page.text
    assert 'id="fit-form"' in page.text and 'for="length"' in page.text
    assert 'href="/t/tiny?profile=&amp;hold=3&amp;sets=2"' in page.text  # the share link


def test_length_json_has_the_picture_and_share_link(client: TestClient) -> None:
    short = client.get(f"{TRACK}/length", params={"hold": "2"}).json()
    long = client.get(f"{TRACK}/length", params={"hold": "20", "sets": "4"}).json()
    assert long["picture"] != short["picture"] and long["picture"].startswith("<svg")
    assert long["total"] == clock(long["total_s"])
    assert long["chapters"] == [["0:00", "Stretch"]]
    assert long["share"] == "/t/tiny?profile=&hold=20&sets=4"
    assert "1 hold (0:20 in all)" in long["description"]


def test_fit_json_within_five_seconds_or_the_nearest(client: TestClient) -> None:
    top = client.get(f"{TRACK}/length", params={"hold": "20", "sets": "4"}).json()["total_s"]
    asked = round(top) - 6
    fitted = client.get(f"{TRACK}/fit", params={"length": f"{asked}s"}).json()
    assert fitted["reached"] and abs(fitted["total_s"] - asked) <= 5, fitted
    assert fitted["message"].startswith(f"Fitted to {clock(asked)}")
    again = client.get(f"{TRACK}/length", params=fitted["values"]).json()
    assert again["total_s"] == fitted["total_s"]  # the values give what it said

    far = client.get(f"{TRACK}/fit", params={"length": "1h"}).json()
    assert not far["reached"] and far["values"] == {"hold": "20", "sets": "4"}
    assert "cannot be 1:00:00 long. The longest it can be is" in far["message"]


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"length": "soon"}, 400, "Length: 'soon' is not a duration"),
    ({"length": "0"}, 400, "more than 0"),
    ({"length": "10m", "hold": "4"}, 400, "a length and a profile only"),
    ({"length": "10m", "profile": "nope"}, 400, "no profile called 'nope'"),
])
def test_fit_json_refuses_bad_requests(client: TestClient, params, status, words) -> None:
    answer = client.get(f"{TRACK}/fit", params=params)
    assert answer.status_code == status and words in answer.json()["error"], answer.text


def test_a_link_with_values_fills_the_form(client: TestClient) -> None:
    page = client.get(TRACK, params={"profile": "gentle", "hold": "7", "sets": "3"})
    assert page.status_code == 200
    assert 'name="hold" value="7"' in page.text and 'name="sets" value="3"' in page.text
    assert '<option value="gentle" selected>' in page.text
    bad = client.get(TRACK, params={"hold": "99"})
    assert bad.status_code == 422 and "at most 20s" in bad.text


def test_fit_without_javascript(client: TestClient) -> None:
    page = client.get(TRACK, params={"length": "12s"})
    assert page.status_code == 200
    status = re.search(r'id="fit-status"[^>]*>([^<]*)<', page.text)
    assert status and ("Fitted to 0:12" in status.group(1) or "shortest" in status.group(1))
    button = client.get(f"{TRACK}?profile=&length=12s&length=")  # a button, the input empty
    assert 'id="fit-status"' in button.text and 'value="12s"' in button.text
    bad = client.get(TRACK, params={"length": "later"})
    assert bad.status_code == 400 and 'id="length"' in bad.text
    assert re.search(r'id="length"[^>]*aria-invalid="true"', bad.text, re.S)


def test_one_clock_on_home_and_track_pages(client: TestClient) -> None:
    total_s = client.get(f"{TRACK}/length").json()["total_s"]
    assert clock(total_s) in client.get(TRACK).text
    assert clock(total_s) in client.get("/").text  # planned now: the home page's card
    assert clock(59.5) == "1:00" and clock(332.5) == "5:33" and clock(333.5) == "5:34"


def test_installable_and_offline_files(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["name"] == "Test Series" and data["start_url"] == "/"
    assert data["display"] == "standalone"
    for icon in data["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    worker = client.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache" and "cuecast-kept" in worker.text
    page = client.get("/kept")
    assert page.status_code == 200 and 'id="kept-list"' in page.text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert "media-src 'self' blob:" in page.headers["content-security-policy"]


def test_a_cover_by_track_id(make_client, catalogue_path: Path) -> None:
    assert make_client().get(f"{TRACK}/cover").status_code == 404  # none in this catalogue
    (catalogue_path.parent / "cover.png").write_bytes(COVER.read_bytes())
    text = catalogue_path.read_text().replace("  link:", "  cover: cover.png\n  link:", 1)
    catalogue_path.write_text(text)
    client = make_client()
    cover = client.get(f"{TRACK}/cover")
    assert cover.status_code == 200 and cover.content == COVER.read_bytes()
    assert cover.headers["content-type"] == "image/png"
    assert f'src="{TRACK}/cover"' in client.get(TRACK).text
    assert client.get("/t/nothing/cover").status_code == 404
    json.dumps(client.get("/manifest.webmanifest").json())
