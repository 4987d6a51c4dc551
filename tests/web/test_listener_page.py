"""The listener's page in Debian's Chromium at a phone's size (390x844):
what the session is like (picture, chapters, total) following the values,
fitting to a length, the link that carries the values and the values this
device remembers, a session kept on the phone and played with the network
off, and an axe-core audit of every page with no serious or critical
finding. Screenshots of each page go to the test's folder, and to docs/
with ``CUECAST_DOCS_SCREENSHOTS=1`` (how docs/serve-*.png are made).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from cuecast.cli.listening import listen
from tests.audio import decode
from tests.web.test_browser import serve

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
PHONE = {"width": 390, "height": 844}
DOCS = ROOT / "docs"
CATALOGUE = """\
series:
  title: Desk Recovery
  author: Riverside Pilates
  description: Short routines for people who sit all day.
  link: https://example.com/desk-recovery/
  cover: studio-cover.png
defaults: {format: mp3, bitrate: 96, engine: pyttsx3}
tracks:
  - script: lower-back-relief.yaml
    lengths: [10m, 20m, 30m]
  - script: tiny.yaml
"""
SERIOUS = ("serious", "critical")
NAVIGATION_MS = 240_000
"""A track's page plans its values before it answers: on a cold speech cache
and a loaded machine the seed's first plan has taken over 30 s."""


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {"viewport": PHONE, "is_mobile": True, "has_touch": True,
            "device_scale_factor": 1, "accept_downloads": True}


@pytest.fixture(autouse=True)
def _patient(context) -> None:  # type: ignore[no-untyped-def]
    context.set_default_navigation_timeout(NAVIGATION_MS)


def new_context(browser, args: dict):  # type: ignore[no-untyped-def]
    context = browser.new_context(**args)
    context.set_default_navigation_timeout(NAVIGATION_MS)
    return context


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``cuecast serve`` of the seed (offering 10, 20 and 30 minutes) and the
    small routine of the in-process tests, with the studio's cover."""
    from tests.web.conftest import ROUTINE

    shutil.copy(SEED, tmp_path / SEED.name)
    shutil.copy(ROOT / "scripts" / "studio-cover.png", tmp_path / "studio-cover.png")
    (tmp_path / "tiny.yaml").write_text(ROUTINE)
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    yield from serve(tmp_path / "catalogue.yaml", tmp_path)


def shot(page: Page, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=artifacts / name, full_page=full_page)
    if os.environ.get("CUECAST_DOCS_SCREENSHOTS") == "1":
        shutil.copy(artifacts / name, DOCS / name)


def audit(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not bad, json.dumps([{k: v[k] for k in ("id", "impact", "help")}
                                | {"nodes": [n["html"][:120] for n in v["nodes"][:3]]}
                                for v in bad], indent=1)


def plan_s(folder: Path, *args: str) -> float:
    done = subprocess.run([sys.executable, "-m", "cuecast.cli", "plan", *args, "--engine",
                           "pyttsx3", "--json"], cwd=folder, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return float(json.loads(done.stdout)["duration"])


def values(page: Page) -> dict[str, str]:
    return page.evaluate("Object.fromEntries([...document.querySelectorAll(\"input[id^='v-']\")]"
                         ".map(i => [i.name, i.value]))")


def wait_until(ready, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_picture_and_total_follow_the_values(page, served, artifacts) -> None:
    url, _ = served
    page.goto(url + "t/tiny")
    picture = page.locator("#picture svg")
    expect(picture).to_be_visible()
    expect(page.locator("#chapters li")).to_have_text(["0:00 Stretch"])
    before_svg, before_total = picture.inner_html(), page.locator("#total").inner_text()
    before_text = page.locator("#picture-text").inner_text()
    assert "holds" not in before_text and "1 hold" in before_text
    page.get_by_label("Stretch hold").fill("18")
    expect(page.locator("#total")).not_to_have_text(before_total, timeout=60_000)
    wait_until(lambda: picture.inner_html() != before_svg, 10)
    assert page.locator("#picture-text").inner_text() != before_text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_fit_to_ten_minutes_and_make_it(page, served, artifacts) -> None:
    """A length asked: a plan within 5 s of it, and the made file has that
    plan's length to the sample."""
    url, folder = served
    page.goto(url + "t/lower-back-relief")
    page.get_by_role("button", name="10 min").click()
    expect(page.locator("#fit-status")).to_contain_text("Fitted to 10:00", timeout=240_000)
    chosen = values(page)
    page.evaluate("document.getElementById('shape-h').scrollIntoView()")
    shot(page, artifacts, "serve-track.png", full_page=False)  # as a phone shows it
    page.screenshot(path=artifacts / "track-whole-page.png", full_page=True)
    sets = [a for name, v in chosen.items() for a in ("--set", f"{name}={v}")]
    planned_s = plan_s(folder, SEED.name, *sets)
    assert abs(planned_s - 600) <= 5
    assert plan_s(folder, SEED.name, "--length", "10m") == planned_s  # the CLI fits the same
    audit(page)

    page.get_by_role("button", name="Make my session").click()
    page.wait_for_url(re.compile(r"/s/[0-9a-f]{32}$"))
    page.wait_for_selector("#download", state="visible", timeout=600_000)
    expect(page.get_by_role("button", name="Keep on this phone")).to_be_visible()
    shot(page, artifacts, "serve-session.png")
    audit(page)
    with page.expect_download() as waiting:
        page.locator("#download").click()
    downloaded = folder / "fitted.mp3"
    waiting.value.save_as(downloaded)
    samples = round(planned_s * 44100)
    # ffmpeg's MP3 decoder trims the encoder's end padding only inside the last
    # frame: when that frame holds fewer than 47 of the session's samples
    # (LAME's 1,105 samples of delay and padding), it gives back 47 - that many
    # more; cuecast render's own file decodes the same.
    assert len(decode(str(downloaded), 44100)) == samples + max(0, 47 - samples % 1152)


def test_the_share_link_and_this_device_restore_the_values(browser, browser_context_args,
                                                           served) -> None:
    url, _ = served
    mine = new_context(browser, browser_context_args)
    page = mine.new_page()
    page.goto(url + "t/tiny")
    before = page.locator("#total").inner_text()
    page.get_by_label("Strength").select_option("gentle")
    page.get_by_label("Stretch hold").fill("7")
    page.get_by_label("Sets").fill("3")
    expect(page.locator("#total")).not_to_have_text(before, timeout=60_000)
    expect(page.locator("#share")).to_have_attribute("href", re.compile(r"hold=7.*sets=3"))
    link = page.locator("#share").get_attribute("href")
    assert link is not None and "profile=gentle" in link

    page.goto(url + "t/tiny")  # no values in the address: this device remembers them
    expect(page.get_by_label("Stretch hold")).to_have_value("7")
    expect(page.get_by_label("Sets")).to_have_value("3")
    expect(page.get_by_label("Strength")).to_have_value("gentle")
    mine.close()

    other = new_context(browser, browser_context_args)  # someone the link was sent to
    page = other.new_page()
    page.goto(url.rstrip("/") + link)
    expect(page.get_by_label("Stretch hold")).to_have_value("7")
    expect(page.get_by_label("Sets")).to_have_value("3")
    expect(page.get_by_label("Strength")).to_have_value("gentle")
    other.close()


def test_a_kept_session_plays_with_the_network_off(browser, browser_context_args, served,
                                                   artifacts) -> None:
    url, _ = served
    context = new_context(browser, browser_context_args)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".card")).to_have_count(2)
    page.goto(url + "t/tiny")
    page.get_by_role("button", name="Make my session").click()
    page.wait_for_url(re.compile(r"/s/[0-9a-f]{32}$"))
    keep = page.get_by_role("button", name="Keep on this phone")
    expect(keep).to_be_visible(timeout=120_000)
    keep.click()
    expect(page.locator("#keep-status")).to_contain_text("Kept on this phone (", timeout=30_000)
    wait_until(lambda: page.evaluate("!!navigator.serviceWorker.controller"), 30)

    context.set_offline(True)
    page.goto(url + "kept")
    expect(page.locator("#kept-status")).to_contain_text("1 session is kept")
    player = page.locator("#kept-player-0")
    wait_until(lambda: page.evaluate("!!document.getElementById('kept-player-0').src"), 10)
    page.evaluate("document.getElementById('kept-player-0').play()")
    wait_until(lambda: page.evaluate(
        "document.getElementById('kept-player-0').currentTime") > 0.5, 30)
    assert player.get_attribute("src", timeout=1000).startswith("blob:")
    shot(page, artifacts, "serve-kept.png")
    audit(page)

    page.get_by_role("button", name=re.compile("Remove Tiny Stretch")).click()
    expect(page.locator("#kept-status")).to_have_text("Nothing is kept on this phone yet.")
    assert page.evaluate("caches.open('cuecast-kept').then(c => c.keys()).then(k => k.length)") == 0
    context.set_offline(False)
    context.close()


def test_every_page_passes_the_accessibility_audit(page, served, artifacts) -> None:
    url, _ = served
    page.goto(url + "t/lower-back-relief")  # planned once, so the home page has its picture
    expect(page.locator("#picture svg")).to_be_visible()
    page.goto(url)
    expect(page.locator(".card svg")).to_have_count(2, timeout=120_000)
    shot(page, artifacts, "serve-home.png")
    audit(page)
    for path in ("t/tiny", "t/tiny?hold=99", "t/tiny?length=nonsense", "kept", "t/nothing"):
        page.goto(url + path)
        audit(page)
    expect(page).to_have_title("Not found · Desk Recovery")  # the tab says what happened
    page.goto(url + "t/tiny")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible


@pytest.fixture
def busy(catalogue_path: Path, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The small catalogue served (uvicorn, in this process) with room for
    one session of real work, taken by a session whose render waits: the
    next session asked for is answered 503 (as in test_pages'
    test_queue_full_is_503_with_retry_after). The server's URL."""
    import threading

    import httpx
    import uvicorn

    from cuecast.catalogue import load_catalogue
    from cuecast.web import Settings, create_app
    from cuecast.web import sessions as sessions_module

    release = threading.Event()

    def waiting_render(*args: object, **kwargs: object) -> object:
        release.wait(60)
        raise RuntimeError("the test is over")  # its job fails: nothing rendered for nothing

    monkeypatch.setattr(sessions_module, "render", waiting_render)
    monkeypatch.setattr(sessions_module, "lines_to_speak", lambda *a, **k: 99)  # all real work
    app = create_app(load_catalogue(catalogue_path),
                     Settings(store_dir=tmp_path / "store", workers=1, queue_bound=1), warm=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    sock = listen("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        wait_until(lambda: server.started, 30)
        first = httpx.post(url + "t/tiny", data={"hold": "4"}, timeout=60)
        assert first.status_code == 303  # the one session the queue has room for
        yield url
    finally:
        release.set()
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_the_busy_page_passes_the_accessibility_audit(page, busy, artifacts) -> None:
    """The 503 page a listener gets when the render queue is full, in Chromium."""
    page.goto(busy + "t/tiny")
    page.get_by_label("Stretch hold").fill("6")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Make my session").click()
    assert answer.value.status == 503 and int(answer.value.headers["retry-after"]) >= 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Busy right now")
    # axe found nothing here; its title, which axe only checks is there, said
    # only the series: a screen reader's first words after the button now say why
    expect(page).to_have_title("Busy right now · Tiny Stretch · Test Series")
    page.screenshot(path=artifacts / "busy.png", full_page=True)
    audit(page)
