"""``cuecast edit`` in a real browser: Debian's Chromium driven by pytest-playwright
against the command's own server on 127.0.0.1.

Two sessions: every shipped script (and one with Windows line ends and a
byte order mark) opens with the total and the picture ``cuecast plan``
gives and saves back byte for byte; and a routine is
written: refused without the token, a misspelled key shown at its line
with a suggestion, fixed, the picture and total following the text, a
line and the timeline heard, saved exactly, a file changed on disk not
overwritten, path tricks refused, rendered as ``cuecast render`` renders,
and the layout at a tablet's width. Screenshots are kept (the folder is
printed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.edit.conftest import TINY
from tests.web.test_browser import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name for p in (ROOT / "scripts").glob("*.yaml") if p.name != "catalogue.yaml")
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
CM = "document.querySelector('.CodeMirror').CodeMirror"


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {"viewport": LAPTOP, "device_scale_factor": 1, "accept_downloads": True}


@pytest.fixture
def edited(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``cuecast edit FOLDER --port 0`` on a copy of scripts/ and the tiny
    routine: (the link it prints, the folder)."""
    folder = tmp_path / "studio"
    shutil.copytree(ROOT / "scripts", folder, ignore=shutil.ignore_patterns("dev"))
    (folder / "tiny.yaml").write_text(TINY)
    (folder / "windows.yaml").write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode())
    (tmp_path / "secret.yaml").write_text("title: not yours\n")
    (folder / "link-out.yaml").symlink_to(tmp_path / "secret.yaml")
    log = tmp_path / "edit.log"
    with log.open("w") as errors:
        server = subprocess.Popen(
            [sys.executable, "-m", "cuecast.cli", "edit", str(folder), "--port", "0",
             "--engine", "pyttsx3"],
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )  # fmt: skip
    try:
        line = server.stdout.readline() if server.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
        if not match:
            server.kill()
            raise AssertionError(f"cuecast edit printed no link: {line!r} {log.read_text()}")
        yield match.group(0), folder
    finally:
        server.terminate()
        server.wait(15)


def cli(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "cuecast.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def plan_total(script: str, cwd: Path) -> str:
    """The total ``cuecast plan`` prints (its last line)."""
    last = cli("plan", script, "--engine", "pyttsx3", cwd=cwd).strip().splitlines()[-1]
    return last.split()[0]


def plan_wave(script: str, cwd: Path) -> str:
    """The breathing wave's points in the picture drawn from ``plan --json``."""
    import json

    from cuecast.picture import timeline_svg

    svg = timeline_svg(json.loads(cli("plan", script, "--engine", "pyttsx3", "--json",
                                      cwd=cwd)), "x")  # fmt: skip
    found = re.search(r'<polyline points="([^"]*)"', svg)
    return found.group(1) if found else ""


def open_file(page: Page, name: str) -> None:
    page.locator("#file").select_option(name)
    expect(page.locator("#status")).to_have_text(f"Opened {name}")


def select_text(page: Page, text: str) -> None:
    """Put the editor's selection on the first ``text`` (then the keyboard types over it)."""
    page.evaluate(f"""(text) => {{ const cm = {CM}; const at = cm.getValue().indexOf(text);
        cm.focus(); cm.setSelection(cm.posFromIndex(at), cm.posFromIndex(at + text.length)); }}""",
                  text)  # fmt: skip


def test_every_shipped_script_opens_as_planned_and_saves_back_unchanged(
        page: Page, edited: tuple[str, Path], artifacts: Path) -> None:
    link, folder = edited
    page.goto(link)
    for name in [*SHIPPED, "windows.yaml"]:  # and a file with CRLF line ends and a BOM
        before = (folder / name).read_bytes()
        open_file(page, name)
        total = plan_total(name, folder)
        expect(page.locator("#total")).to_have_text(total, timeout=180_000)
        assert page.locator("#picture svg").count() == 1
        wave = page.locator("#picture polyline")
        assert (wave.get_attribute("points") if wave.count() else "") == plan_wave(name, folder)
        assert page.locator("#messages li").first.inner_text() == "No problems."
        page.screenshot(path=artifacts / f"{name}.png")
        page.locator("#save").click()
        expect(page.locator("#status")).to_have_text("Saved")
        assert (folder / name).read_bytes() == before, name
        assert not list(folder.glob(".*cuecast-edit-*")), "the check's copy was left behind"


def test_writing_a_routine(page: Page, edited: tuple[str, Path], artifacts: Path) -> None:
    link, folder = edited
    base = link.split("?")[0]
    assert page.goto(base).status == 403
    assert page.goto(base + "?token=guessed").status == 403
    page.goto(link + "&file=tiny.yaml")
    expect(page.locator("#total")).to_have_text(plan_total("tiny.yaml", folder), timeout=60_000)
    picture = page.locator("#picture").inner_html()

    # a misspelled key: the error at its line, with the suggestion; a click goes there
    select_text(page, "steps")
    page.keyboard.type("stepz")
    error = page.locator("#messages li.error")
    expect(error).to_contain_text("line 5:1 error: unknown key 'stepz'")
    expect(error).to_contain_text("Did you mean 'steps'?")
    assert "stepz" in page.locator(".CodeMirror-code > div", has=page.locator(
        ".cm-problem-line")).inner_text()  # fmt: skip
    page.evaluate(f"{CM}.setCursor({{line: 0, ch: 0}})")
    error.click()
    assert page.evaluate(f"{CM}.getCursor().line") == 4
    page.screenshot(path=artifacts / "1-misspelled.png")

    # fixed, and a longer hold: the total and the picture follow
    select_text(page, "stepz")
    page.keyboard.type("steps")
    expect(page.locator("#messages li")).to_have_text("No problems.")
    select_text(page, "3s")
    page.keyboard.type("9s")
    typed = TINY.replace("value: 3s", "value: 9s")
    (folder.parent / "expected").mkdir()
    (folder.parent / "expected" / "tiny.yaml").write_text(typed)
    longer = plan_total("tiny.yaml", folder.parent / "expected")
    expect(page.locator("#total")).to_have_text(longer, timeout=60_000)
    assert page.locator("#picture").inner_html() != picture
    expect(page.locator("#vars tbody")).to_contain_text("Stretch hold9s2s to 20s")

    # hear the line under the cursor, then the timeline from its middle
    page.evaluate(f"{CM}.setCursor({{line: 8, ch: 4}})")  # - say: Well done.
    page.locator("#play-line").click()
    audio = "document.getElementById('player')"
    wait_until(lambda: page.evaluate(f"{audio}.currentTime > 0 && {audio}.duration > 0.3"), 30)
    assert "/audio/line/" in page.evaluate(f"{audio}.src")
    box = page.locator("#picture-box").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_until(lambda: "/audio/from/" in page.evaluate(f"{audio}.src")
               and page.evaluate(f"{audio}.currentTime") > 2, 60)  # fmt: skip
    assert not page.evaluate(f"{audio}.paused") or page.evaluate(f"{audio}.ended")
    page.locator("#stop").click()

    # find, then save: the file is exactly the text typed
    page.locator(".CodeMirror textarea").focus()
    page.keyboard.press("Control+f")
    expect(page.locator(".CodeMirror-dialog input")).to_be_visible()
    page.keyboard.type("Well")
    page.keyboard.press("Enter")
    assert page.evaluate(f"{CM}.getSelection()") == "Well"
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_have_text("Saved")
    assert (folder / "tiny.yaml").read_bytes() == typed.encode()
    assert page.evaluate(f"{CM}.getValue()") == typed

    # changed on disk meanwhile: not overwritten, both shown
    (folder / "tiny.yaml").write_text("title: Changed on disk\nsteps: [{say: Hi.}]\n")
    select_text(page, "Well done.")
    page.keyboard.type("Well done, rest.")
    page.keyboard.press("Control+s")
    expect(page.locator("#conflict")).to_be_visible()
    expect(page.locator("#disk-text")).to_have_text("title: Changed on disk\nsteps: [{say: Hi.}]\n")
    assert "Well done, rest." in page.evaluate(f"{CM}.getValue()")
    assert (folder / "tiny.yaml").read_text() == "title: Changed on disk\nsteps: [{say: Hi.}]\n"
    page.screenshot(path=artifacts / "2-conflict.png")
    page.locator("#keep-mine").click()
    expect(page.locator("#status")).to_have_text("Saved")
    assert "Well done, rest." in (folder / "tiny.yaml").read_text()

    # path tricks with the page's own cookie
    for url in ["api/file?name=..%2Fsecret.yaml", "api/file?name=%2Fetc%2Fpasswd",
                "api/file?name=link-out.yaml", "api/file?name=%252e%252e%252fsecret.yaml",
                "static/..%2F..%2Fedit%2Fapp.py"]:
        assert page.request.get(base + url).status in (403, 404), url
    for name in ["../secret.yaml", "link-out.yaml", str(folder.parent / "secret.yaml")]:
        answer = page.request.post(base + "api/save", data={"name": name, "text": "x",
                                                             "version": ""})  # fmt: skip
        assert answer.status == 403, name
    assert (folder.parent / "secret.yaml").read_text() == "title: not yours\n"

    # Render: the file cuecast render writes
    page.locator("#render").click()
    expect(page.locator("#render-state")).to_contain_text("Wrote tiny.mp3", timeout=180_000)
    cli("render", "tiny.yaml", "-o", str(folder.parent / "cli.mp3"), "--engine", "pyttsx3",
        "-q", cwd=folder)  # fmt: skip
    assert (folder / "tiny.mp3").read_bytes() == (folder.parent / "cli.mp3").read_bytes()

    # a new routine from the template, then renamed
    page.locator(".manage summary").click()
    page.locator("#new-name").fill("second")
    page.locator("#new").click()
    expect(page.locator("#file")).to_have_value("second.yaml")
    expect(page.locator("#messages li")).to_have_text("No problems.", timeout=60_000)
    page.locator("#new-name").fill("third.yaml")
    page.locator("#rename").click()
    expect(page.locator("#file")).to_have_value("third.yaml")
    assert not (folder / "second.yaml").exists()
    assert (folder / "third.yaml").read_text().startswith("# A new routine")

    # a tablet held upright: the panel under the editor, nothing off the side
    page.set_viewport_size(TABLET)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    editor = page.locator(".CodeMirror").bounding_box()
    panel = page.locator(".panel").bounding_box()
    assert editor and panel and panel["y"] >= editor["y"] + editor["height"] - 1
    page.screenshot(path=artifacts / "3-tablet.png", full_page=True)


def marked_lines(page: Page) -> list[int]:
    """The lines (from 1) with a marker in the editor's problems gutter."""
    return page.evaluate(f"""() => {{ const cm = {CM}, lines = [];
        cm.eachLine(h => {{ if ((h.gutterMarkers || {{}})["cm-problems"])
            lines.push(cm.getLineNumber(h) + 1); }});
        return lines; }}""")  # fmt: skip


def test_problems_are_marked_in_the_gutter_by_shape_and_name(
        page: Page, edited: tuple[str, Path], artifacts: Path) -> None:
    """Each line a message is about gets a marker beside its number: a cross
    for an error, a triangle for a warning (not told apart by colour alone),
    named with the messages (a screen reader's name, a tooltip); a click on
    it focuses its message; a fixed line loses it. axe finds nothing serious."""
    from axe_playwright_python.sync_playwright import Axe

    link, _ = edited
    page.goto(link + "&file=tiny.yaml")
    expect(page.locator("#messages li")).to_have_text("No problems.", timeout=60_000)
    markers = page.locator(".CodeMirror .cm-problem-marker")
    assert markers.count() == 0

    late = TINY.replace("  - say: Well done.\n", "  - hold: 3s\n    cues:\n      - {at: 2s, "
                        "say: This sentence is long and it will run well past the end of the "
                        "hold.}\n")  # a cue that runs past its hold's end: a warning, line 11
    page.evaluate(f"(text) => {CM}.setValue(text)", late.replace("steps:", "stepz:"))
    expect(page.locator("#messages li.error")).to_contain_text("line 5:1 error: unknown key")
    expect(markers).to_have_count(1)  # the loader stops at the first error
    assert marked_lines(page) == [5]
    expect(markers).to_have_text("\u2716")
    expect(markers).to_have_attribute("role", "img")
    expect(markers).to_have_attribute("aria-label",
                                      re.compile(r"^line 5 error: unknown key 'stepz'"))
    expect(markers).to_have_attribute("title", re.compile(r"^line 5 error: unknown key"))
    page.screenshot(path=artifacts / "gutter-error.png")
    # axe on the whole editor with the marker showing: no moderate, serious or critical
    # finding (CodeMirror's own input had no name: screenReaderLabel gives it the
    # textarea's; the page had no level-one heading: the bar names the editor)
    found = Axe().run(page).response["violations"]
    assert not [v for v in found if v["impact"] in ("moderate", "serious", "critical")], found
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^cuecast edit\b"))

    page.evaluate(f"{CM}.setCursor({{line: 0, ch: 0}})")
    markers.first.click()
    expect(page.locator("#messages li.error")).to_be_focused()

    select_text(page, "stepz")
    page.keyboard.type("steps")
    warning = page.locator("#messages li.warning")
    expect(warning).to_contain_text("line 11:9 warning: cue 'This sentence is long",
                                    timeout=60_000)  # fmt: skip
    expect(markers).to_have_count(1)
    expect(markers).to_have_text("\u25B2")
    expect(markers).to_have_class(re.compile(r"\bwarning\b"))
    expect(markers).to_have_attribute("aria-label", re.compile(r"^line 11 warning: cue "))
    assert marked_lines(page) == [11]
    page.screenshot(path=artifacts / "gutter-warning.png")
