"""The listener chooses a voice in a real browser (Debian's Chromium at a
phone's size, against ``cuecast serve`` on 127.0.0.1): the track offers
two voices, each with a sample that plays; the listener picks the second,
makes the session and downloads it, and the file is the bytes ``cuecast
render --voice`` gives with that voice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.conftest import CATALOGUE, ROUTINE
from tests.web.test_browser import (  # noqa: F401 - pytest-playwright's fixtures
    PHONE,
    browser_context_args,
    cli,
    serve,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VOICED = CATALOGUE.replace("  - script: tiny.yaml\n  - script",
                           "  - script: tiny.yaml\n    voices: [en-us, en-gb]\n  - script", 1)


@pytest.fixture
def served_voices(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    (tmp_path / "tiny.yaml").write_text(ROUTINE)
    (tmp_path / "catalogue.yaml").write_text(VOICED)
    yield from serve(tmp_path / "catalogue.yaml", tmp_path)


def test_the_listener_hears_the_voices_and_gets_the_one_chosen(page, served_voices,
                                                               output_path: str) -> None:
    url, folder = served_voices
    shots = Path(output_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.goto(url + "t/tiny")
    first, second = (page.get_by_role("radio", name=n, exact=True) for n in ("En-us", "En-gb"))
    expect(first).to_be_checked()
    expect(second).not_to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    samples = page.locator("fieldset.voices audio")
    expect(samples).to_have_count(2)
    sample = page.locator("audio[src$='/voice/en-gb.mp3']")
    sample.evaluate("a => a.play()")
    wait_until(lambda: sample.evaluate("a => a.currentTime") > 0.3, 60)
    assert sample.evaluate("a => a.duration") > 1.0  # the fixed sentence, not an error page
    page.screenshot(path=shots / "1-voices.png", full_page=True)

    second.check()
    page.get_by_role("button", name="Make my session").click()
    page.wait_for_url(re.compile(r"/s/[0-9a-f]{32}$"))
    page.wait_for_selector("#download", state="visible", timeout=300_000)
    with page.expect_download() as waiting:
        page.locator("#download").click()
    downloaded = folder / "downloaded.mp3"
    waiting.value.save_as(downloaded)
    cli("render", "tiny.yaml", "-o", "cli.mp3", "--voice", "en-gb", "--bitrate", "64", "-q",
        cwd=folder)
    assert downloaded.read_bytes() == (folder / "cli.mp3").read_bytes()
    cli("render", "tiny.yaml", "-o", "other.mp3", "--voice", "en-us", "--bitrate", "64", "-q",
        cwd=folder)
    assert downloaded.read_bytes() != (folder / "other.mp3").read_bytes()
