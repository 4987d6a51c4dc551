"""cuecast publish: every promise read back from the files it writes.

One small catalogue (three short pyttsx3 tracks) is published once for the
module; the tests parse the feed with feedparser and podcastparser, follow
every URL to a file, and re-run the publish to check what changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner

from cuecast.cli import main
from cuecast.publish import publish
from cuecast.publish.manifest import NAME as MANIFEST
from tests.publish_fixtures import LINK, make_catalogue

pytestmark = pytest.mark.e2e
PODCAST = "{https://podcastindex.org/namespace/1.0}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(catalogue path, output folder) after one publish."""
    folder = tmp_path_factory.mktemp("series")
    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("CUECAST_CACHE_DIR")
    os.environ["CUECAST_CACHE_DIR"] = str(cache)
    try:
        path = make_catalogue(folder)
        report = publish(path, jobs=2)
        assert report.failed == [] and sorted(report.rendered) == ["alpha", "alpha-gentle", "beta"]
        yield path, folder / "public"
    finally:
        if old is None:
            os.environ.pop("CUECAST_CACHE_DIR", None)
        else:
            os.environ["CUECAST_CACHE_DIR"] = old


def _copy(published, tmp_path) -> tuple[Path, Path]:
    """A private copy of the published series, to change and re-run."""
    path, _ = published
    shutil.copytree(path.parent, tmp_path / "series")
    return tmp_path / "series" / "catalogue.yaml", tmp_path / "series" / "public"


def _timeline(out: Path, track_id: str) -> dict:
    return json.loads((out / f"{track_id}.timeline.json").read_text())


def _local(out: Path, url: str) -> Path:
    assert url.startswith(LINK), url
    path = out / url[len(LINK):]
    assert path.is_file(), url
    return path


def test_feedparser_reads_every_promise(published):
    _, out = published
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Test Series" and feed.feed.link == LINK
    entries = {e.link.rsplit("#", 1)[1]: e for e in feed.entries}
    assert set(entries) == {"alpha", "alpha-gentle", "beta"}
    assert entries["alpha"].title == "Alpha" and entries["alpha-gentle"].title == "Alpha (gentle)"
    for track_id, entry in entries.items():
        (enclosure,) = entry.enclosures
        assert enclosure.href == f"{LINK}{track_id}.mp3"
        assert int(enclosure.length) == _local(out, enclosure.href).stat().st_size
        assert enclosure.type == "audio/mpeg"
        parts = reversed(entry.itunes_duration.split(":"))
        seconds = sum(int(p) * 60**i for i, p in enumerate(parts))
        assert seconds == round(_timeline(out, track_id)["duration"])
        assert entry.id and entry.guidislink is False


def test_podcastparser_agrees(published):
    _, out = published
    with open(out / "feed.xml", "rb") as f:
        parsed = podcastparser.parse(LINK + "feed.xml", f)
    assert parsed["title"] == "Test Series" and parsed["itunes_author"] == "Tester"
    assert parsed["itunes_categories"] == [["Health & Fitness", "Fitness"]]
    episodes = {e["link"].rsplit("#", 1)[1]: e for e in parsed["episodes"]}
    for track_id, episode in episodes.items():
        (enclosure,) = episode["enclosures"]
        path = _local(out, enclosure["url"])
        assert enclosure["file_size"] == path.stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert episode["total_time"] == round(_timeline(out, track_id)["duration"])
        assert episode["number"] == {"alpha": 1, "alpha-gentle": 2, "beta": 3}[track_id]
    assert episodes["alpha"]["published"] == 1793620800  # 2026-11-02 12:00 UTC, as catalogued


def test_chapters_and_transcripts_resolve_to_files_that_parse(published):
    _, out = published
    items = {i.findtext("link").rsplit("#", 1)[1]: i
             for i in ET.parse(out / "feed.xml").getroot().iter("item")}
    chapters = items["alpha"].find(PODCAST + "chapters")
    assert chapters.get("type") == "application/json+chapters"
    document = json.loads(_local(out, chapters.get("url")).read_text())
    assert document["version"] == "1.2.0"
    sections = [e for e in _timeline(out, "alpha")["events"] if e["kind"] == "section"]
    assert [(c["title"], c["startTime"]) for c in document["chapters"]] == [
        (e["text"], e["start"]) for e in sections]
    assert items["beta"].find(PODCAST + "chapters") is None  # no sections, no chapters
    for item in items.values():
        transcript = item.find(PODCAST + "transcript")
        assert transcript.get("type") == "text/vtt"
        text = _local(out, transcript.get("url")).read_text()
        assert text.startswith("WEBVTT") and "-->" in text


def test_guids_and_tokens_are_stable_across_runs(published, tmp_path):
    path, out = _copy(published, tmp_path)
    before = (out / "feed.xml").read_bytes()
    clients = sorted(p.name for p in (out / "clients").iterdir())
    result = CliRunner().invoke(main, ["publish", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 rendered, 3 up to date" in result.stderr
    assert (out / "feed.xml").read_bytes() == before  # same guids, dates, bytes
    assert sorted(p.name for p in (out / "clients").iterdir()) == clients


def test_a_changed_script_renders_only_its_tracks(published, tmp_path):
    path, out = _copy(published, tmp_path)
    alpha_mtime = (out / "alpha.mp3").stat().st_mtime_ns
    guid = feedparser.parse((out / "feed.xml").read_bytes()).entries[0].id
    (path.parent / "beta.yaml").write_text("title: Beta\nsteps:\n  - say: Another line.\n")
    result = CliRunner().invoke(main, ["publish", str(path), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "1 rendered, 2 up to date" in result.stderr
    assert "rendered beta" in result.stderr
    assert (out / "alpha.mp3").stat().st_mtime_ns == alpha_mtime
    assert guid in {e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries}


def test_playlist_lists_the_tracks_in_order(published):
    _, out = published
    lines = (out / "playlist.m3u8").read_text().splitlines()
    assert lines[0] == "#EXTM3U"
    for i, track_id in enumerate(["alpha", "alpha-gentle", "beta"]):
        info, name = lines[1 + 2 * i], lines[2 + 2 * i]
        title = {"alpha": "Alpha", "alpha-gentle": "Alpha (gentle)", "beta": "Beta"}[track_id]
        assert info == f"#EXTINF:{round(_timeline(out, track_id)['duration'])},Tester - {title}"
        assert name == f"{track_id}.mp3" and (out / name).is_file()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.audio: list[str] = []
        self.downloads: list[str] = []
        self.srcs: list[str] = []
        self.svgs = 0
        self.viewport = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "audio":
            self.audio.append(a["src"])
        if tag == "a" and "download" in a:
            self.downloads.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])
        self.svgs += tag == "svg"
        self.viewport |= tag == "meta" and a.get("name") == "viewport"


def test_page_players_and_downloads_point_at_real_files(published):
    _, out = published
    html = (out / "index.html").read_text()
    links = _Links()
    links.feed(html)
    assert links.audio == links.downloads == ["alpha.mp3", "alpha-gentle.mp3", "beta.mp3"]
    assert all((out / name).is_file() for name in links.audio)
    assert links.svgs == 3 and links.viewport
    assert not [s for s in links.srcs if re.match(r"^(https?:)?//", s)]  # nothing from elsewhere
    assert "<link rel=\"stylesheet\"" not in html and "<script" not in html
    assert html.count("<rect") > 6  # the pictures show the sections and holds


def test_client_feeds_are_private_locked_and_blocked(published):
    _, out = published
    tokens = json.loads((out / MANIFEST).read_text())["clients"]
    assert set(tokens) == {"anna", "ben"}
    for client, tracks in (("anna", {"alpha"}), ("ben", {"alpha", "alpha-gentle", "beta"})):
        token = tokens[client]["token"]
        assert len(token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", token)  # >= 128 bits
        channel = ET.parse(out / "clients" / token / "feed.xml").getroot().find("channel")
        assert channel.findtext(PODCAST + "locked") == "yes"
        assert channel.find(PODCAST + "locked").get("owner") == "studio@example.com"
        assert channel.findtext(ITUNES + "block").lower() == "yes"
        listed = {i.findtext("link").rsplit("#", 1)[1] for i in channel.iter("item")}
        assert listed == tracks
        parsed = feedparser.parse((out / "clients" / token / "feed.xml").read_bytes())
        assert not parsed.bozo and len(parsed.entries) == len(tracks)
    public = ET.parse(out / "feed.xml").getroot().find("channel")
    assert public.find(PODCAST + "locked") is None and public.find(ITUNES + "block") is None
    assert tokens["anna"]["token"] not in (out / "index.html").read_text()


def test_revoke_moves_the_feed_and_removes_the_old_one(published, tmp_path):
    path, out = _copy(published, tmp_path)
    old = json.loads((out / MANIFEST).read_text())["clients"]
    result = CliRunner().invoke(main, ["publish", str(path), "--revoke", "anna"])
    assert result.exit_code == 0, result.output
    new = json.loads((out / MANIFEST).read_text())["clients"]
    assert new["anna"] != old["anna"] and new["ben"] == old["ben"]
    assert not (out / "clients" / old["anna"]["token"]).exists()
    assert (out / "clients" / new["anna"]["token"] / "feed.xml").is_file()
    assert f"clients/{new['anna']['token']}/feed.xml" in result.stderr
    result = CliRunner().invoke(main, ["publish", str(path), "--revoke", "anan"])
    assert result.exit_code == 2 and "Did you mean 'anna'?" in result.stderr


def test_a_failing_track_is_reported_at_its_line_and_the_rest_finish(published, tmp_path):
    path, out = _copy(published, tmp_path)
    (path.parent / "beta.yaml").write_text(
        "title: Beta\nsteps:\n  - say: Hi.\n  - say: Bye.\n    voice: no-such-voice-anywhere\n")
    shutil.rmtree(out)
    result = CliRunner().invoke(main, ["publish", str(path)])
    assert result.exit_code == 1
    assert re.search(r"beta failed: .*beta\.yaml:4:\d+: .*no-such-voice", result.stderr), \
        result.stderr
    assert "2 rendered, 0 up to date, 1 failed" in result.stderr
    entries = feedparser.parse((out / "feed.xml").read_bytes()).entries
    assert sorted(e.link.rsplit("#", 1)[1] for e in entries) == ["alpha", "alpha-gentle"]
    assert not (out / "beta.mp3").exists()


def test_a_bad_catalogue_is_exit_2_before_anything_renders(tmp_path):
    path = make_catalogue(tmp_path)
    path.write_text(path.read_text().replace("profile: gentle", "profile: gentel"))
    result = CliRunner().invoke(main, ["publish", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "Did you mean 'gentle'?" in result.stderr
    assert not (tmp_path / "public").exists()


def test_the_lines_tracks_share_are_spoken_before_any_renders(tmp_path, monkeypatch):
    """A cold publish speaks every line of the tracks to render once, in
    the publishing process, before the render processes start: the two
    profiles of one script no longer speak their common lines each."""
    from cuecast.catalogue import load_catalogue, track_options
    from cuecast.pipeline import lines_to_speak
    from cuecast.publish import batch

    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "cache"))
    path = make_catalogue(tmp_path / "series")
    catalogue = load_catalogue(path)
    assert all(lines_to_speak(t.script, track_options(catalogue, t)) > 0
               for t in catalogue.tracks)  # a cold cache
    unspoken: list[int] = []
    real_run = batch.run

    def run(jobs, executor):
        unspoken.extend(lines_to_speak(t.script, track_options(catalogue, t))
                        for t in catalogue.tracks)
        return real_run(jobs, executor)

    monkeypatch.setattr(batch, "run", run)
    report = publish(path, jobs=2)
    assert report.failed == [] and len(report.rendered) == 3
    assert unspoken == [0, 0, 0]
