"""The listener's path in a real browser: Debian's Chromium at a phone's size,
driven by pytest-playwright against ``cuecast serve`` on 127.0.0.1.

Open the catalogue, open the seed, set the lunge hold to 45 s and the
bridge sets to 2, watch the total change, make the session, play it while
it is made, download it; the download has the length ``cuecast plan``
gives and the bytes ``cuecast render`` gives for those values. A
screenshot of each page is kept (the folder is printed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cuecast.web.library import clock
from tests.audio import decode

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
PHONE = {"width": 360, "height": 740}
SETS = ["--set", "lunge_hold=45s", "--set", "bridge_sets=2"]
CATALOGUE = """\
series:
  title: Desk Recovery
  author: Riverside Pilates
  description: Short routines for people who sit all day.
  link: https://example.com/desk-recovery/
defaults: {format: mp3, bitrate: 96, engine: pyttsx3}
tracks:
  - script: lower-back-relief.yaml
"""


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {"viewport": PHONE, "is_mobile": True, "has_touch": True,
            "device_scale_factor": 1, "accept_downloads": True}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``cuecast serve`` of the seed on a free loopback port: (its URL, its folder)."""
    shutil.copy(SEED, tmp_path / SEED.name)
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    yield from serve(tmp_path / "catalogue.yaml", tmp_path)


@pytest.fixture
def served_tiny(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The same with the in-process tests' small catalogue."""
    from tests.web.conftest import CATALOGUE as TINY_CATALOGUE
    from tests.web.conftest import ROUTINE

    (tmp_path / "tiny.yaml").write_text(ROUTINE)
    (tmp_path / "catalogue.yaml").write_text(TINY_CATALOGUE)
    yield from serve(tmp_path / "catalogue.yaml", tmp_path)


def serve(catalogue: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``cuecast serve CATALOGUE --port 0``: the URL it prints, until the test ends."""
    log = tmp_path / "serve.log"
    with log.open("w") as errors:
        server = subprocess.Popen(
            [sys.executable, "-m", "cuecast.cli", "serve", str(catalogue), "--port", "0",
             "--store", str(tmp_path / "store")],
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )
    try:
        line = server.stdout.readline() if server.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not match:
            server.kill()
            raise AssertionError(f"cuecast serve printed no URL: {line!r} {log.read_text()}")
        yield match.group(0), tmp_path
    finally:
        server.terminate()
        server.wait(15)


def wait_until(ready, timeout_s: float) -> None:
    """Poll from here: the page's policy forbids the eval that wait_for_function uses."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def cli(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "cuecast.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_listener_customises_plays_and_downloads_the_seed(page, served, artifacts) -> None:
    url, folder = served
    page.goto(url)
    page.screenshot(path=artifacts / "1-catalogue.png", full_page=True)
    page.get_by_role("link", name="Lower Back Pain Relief").click()

    page.wait_for_selector("#total")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    before = page.locator("#total").inner_text()
    page.get_by_label("Kneeling lunge hold each side").fill("45")
    page.get_by_label("Glute bridge sets").fill("2")
    plan = json.loads(cli("plan", SEED.name, *SETS, "--engine", "pyttsx3", "--json",
                          cwd=folder))
    total_s, rate = plan["duration"], plan["sample_rate"]
    expected = clock(total_s)  # the page shows whole seconds
    expect(page.locator("#total")).to_have_text(expected, timeout=60_000)
    assert expected != before
    page.screenshot(path=artifacts / "2-track.png", full_page=True)

    page.get_by_role("button", name="Make my session").click()
    page.wait_for_url(re.compile(r"/s/[0-9a-f]{32}$"))
    page.wait_for_selector("#player[src]", state="attached", timeout=120_000)
    page.evaluate("document.getElementById('player').play()")
    wait_until(lambda: page.evaluate("document.getElementById('player').currentTime") > 1, 60)
    page.screenshot(path=artifacts / "3-session-playing.png", full_page=True)

    page.wait_for_selector("#download", state="visible", timeout=300_000)
    page.screenshot(path=artifacts / "4-session-ready.png", full_page=True)
    with page.expect_download() as waiting:
        page.locator("#download").click()
    downloaded = folder / "downloaded.mp3"
    waiting.value.save_as(downloaded)

    samples = decode(str(downloaded), rate)
    assert len(samples) == round(total_s * rate)  # the plan's length, to the sample
    cli("render", SEED.name, "-o", "cli.mp3", *SETS, "--engine", "pyttsx3", "--bitrate", "96",
        "-q", cwd=folder)
    assert downloaded.read_bytes() == (folder / "cli.mp3").read_bytes()


def test_without_javascript_by_keyboard_alone(browser, browser_context_args, served_tiny,
                                              artifacts) -> None:
    """The form posts and redirects, the progress page refreshes itself, and
    the finished page has the player and the download; all by keyboard."""
    url, folder = served_tiny
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "t/tiny")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    focused = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if focused[-1] == "v-hold":
            break
    assert "profile" in focused and focused[-1] == "v-hold", focused
    page.keyboard.press("Control+A")
    page.keyboard.type("99")
    page.keyboard.press("Enter")
    expect(page.locator("#e-hold")).to_contain_text("at most 20s")
    assert page.locator("#v-hold").get_attribute("aria-invalid") == "true"
    page.screenshot(path=artifacts / "1-no-js-bad-value.png", full_page=True)

    page.locator("#v-hold").fill("4")
    page.locator("#v-hold").press("Enter")
    page.wait_for_url(re.compile(r"/s/[0-9a-f]{32}$"))
    expect(page.get_by_role("link", name="Download the MP3")).to_be_visible(timeout=120_000)
    page.screenshot(path=artifacts / "2-no-js-ready.png", full_page=True)
    assert page.locator("audio#player").get_attribute("src", timeout=1000).endswith("session.mp3")
    context.close()
