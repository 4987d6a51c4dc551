"""The parts of publish that need no audio: input hashes, the manifest,
the feed with our podcast: extension, chapters, playlist, page and picture.
Fast; the end-to-end promises are in test_publish.py."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import date

import feedparser
import podcastparser

from cuecast.catalogue import Series, load_catalogue
from cuecast.picture import timeline_svg
from cuecast.publish import manifest as mf
from cuecast.publish.chapters import chapters_json
from cuecast.publish.episodes import Episode, clock
from cuecast.publish.feed import feed_xml
from cuecast.publish.inputs import make_job
from cuecast.publish.page import page_html
from cuecast.publish.playlist import playlist_m3u8
from tests.publish_fixtures import LINK, make_catalogue

PODCAST = "{https://podcastindex.org/namespace/1.0}"
TIMELINE = {
    "title": "Alpha", "duration": 75.5,
    "events": [
        {"kind": "section", "start": 0.0, "end": 30.0, "text": "Warm up"},
        {"kind": "speech", "start": 0.0, "end": 2.0, "text": "Hello."},
        {"kind": "hold", "start": 2.0, "end": 30.0},
        {"kind": "breath", "phase": "inhale", "start": 2.0, "end": 6.0},
        {"kind": "breath", "phase": "hold", "start": 6.0, "end": 8.0},
        {"kind": "breath", "phase": "exhale", "start": 8.0, "end": 14.0},
        {"kind": "section", "start": 30.0, "end": 75.5, "text": "Rest & <close>"},
        {"kind": "rest", "start": 30.0, "end": 75.5},
    ],
}
SERIES = Series("Desk <Recovery>", "Studio & Co", "Short routines.", LINK,
                owner_name="Studio", owner_email="s@example.com", category="Health & Fitness")


def _episode(track_id: str = "alpha", number: int = 1, **kw: object) -> Episode:
    fields: dict = dict(
        id=track_id, number=number, title="Alpha & Omega", description="About it.",
        subtitle=None, file=f"{track_id}.mp3", bytes=12345, mime="audio/mpeg",
        duration_s=75.5, guid=mf.item_guid(LINK, track_id), published=date(2026, 12, 1),
        chapters=f"{track_id}.chapters.json", transcripts=((f"{track_id}.vtt", "text/vtt"),),
        timeline=TIMELINE,
    )
    fields.update(kw)
    return Episode(**fields)


def test_feed_has_every_element_both_parsers_read():
    episodes = [_episode(), _episode("beta", 2, chapters=None, transcripts=())]
    xml = feed_xml(SERIES, episodes, self_url=LINK + "feed.xml", guid=mf.channel_guid(LINK),
                   cover_name="cover.png")
    parsed = feedparser.parse(xml)
    assert not parsed.bozo and parsed.feed.title == "Desk <Recovery>"
    entry = next(e for e in parsed.entries if e.link.endswith("#alpha"))
    assert entry.enclosures[0].href == LINK + "alpha.mp3" and entry.enclosures[0].length == "12345"
    assert entry.itunes_duration == "1:16" and entry.id == mf.item_guid(LINK, "alpha")
    pp = podcastparser.parse(LINK + "feed.xml", io.BytesIO(xml))
    assert {e["total_time"] for e in pp["episodes"]} == {76}
    assert pp["cover_url"] == LINK + "cover.png"
    channel = ET.fromstring(xml).find("channel")
    assert channel.findtext(PODCAST + "guid") == mf.channel_guid(LINK)
    assert channel.find(PODCAST + "locked") is None
    item = next(i for i in channel.iter("item") if i.findtext("link").endswith("#alpha"))
    assert item.find(PODCAST + "chapters").get("url") == LINK + "alpha.chapters.json"
    assert item.find(PODCAST + "transcript").attrib == {
        "url": LINK + "alpha.vtt", "type": "text/vtt", "language": "en", "rel": "captions"}


def test_feed_bytes_depend_only_on_the_episodes():
    args = dict(self_url=LINK + "feed.xml", guid="g", cover_name=None)
    assert feed_xml(SERIES, [_episode()], **args) == feed_xml(SERIES, [_episode()], **args)


def test_private_feed_is_locked_and_blocked():
    xml = feed_xml(SERIES, [_episode()], self_url=LINK + "clients/t/feed.xml", guid="g",
                   cover_name=None, private=True)
    channel = ET.fromstring(xml).find("channel")
    assert channel.findtext(PODCAST + "locked") == "yes"
    assert channel.find(PODCAST + "locked").get("owner") == "s@example.com"
    assert channel.findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}block") == "yes"


def test_chapters_are_the_sections():
    document = json.loads(chapters_json(TIMELINE, "Alpha", "Desk"))
    assert document["version"] == "1.2.0"
    assert document["chapters"] == [
        {"startTime": 0.0, "endTime": 30.0, "title": "Warm up"},
        {"startTime": 30.0, "endTime": 75.5, "title": "Rest & <close>"},
    ]


def test_playlist_and_clock():
    text = playlist_m3u8("Studio", [_episode("b", 2), _episode("a", 1)])
    assert text == "#EXTM3U\n#EXTINF:76,Studio - Alpha & Omega\na.mp3\n" \
                   "#EXTINF:76,Studio - Alpha & Omega\nb.mp3\n"
    assert clock(3725.4) == "1:02:05" and clock(59.6) == "1:00"


def test_picture_shows_sections_holds_and_breathing_and_escapes_text():
    svg = timeline_svg(TIMELINE, "Timeline of <Alpha>")
    root = ET.fromstring(svg)  # well-formed, names escaped
    assert root.get("aria-label") == "Timeline of <Alpha>"
    assert "Warm up" in svg and "<close>" not in svg
    fills = [r.get("fill") for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert "#d98b2b" in fills and "#9aa5ad" in fills  # a hold and a rest
    wave = root.find("{http://www.w3.org/2000/svg}polyline").get("points").split()
    assert len(wave) == 6  # inhale up, hold level, exhale down


def test_page_escapes_and_links(tmp_path):
    html = page_html(SERIES, [_episode()], ("cover.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10))
    assert "Desk &lt;Recovery&gt;" in html and "Studio &amp; Co" in html
    assert 'src="data:image/png;base64,' in html  # a small cover is inlined
    assert 'src="alpha.mp3"' in html and 'href="alpha.vtt"' in html
    big = page_html(SERIES, [], ("cover.jpg", b"\xff\xd8\xff" + b"0" * 500_000))
    assert 'src="cover.jpg"' in big


def test_manifest_round_trip(tmp_path):
    state = mf.Manifest()
    data = b"audio"
    (tmp_path / "a.mp3").write_bytes(data)
    state.tracks["a"] = mf.TrackEntry("h", (mf.file_entry("a.mp3", data),), 1.5, "g", "2026-12-01")
    token, new = state.token("anna")
    assert new and len(token) >= 22 and state.token("anna") == (token, False)
    mf.write(tmp_path, state)
    again = mf.read(tmp_path)
    assert again.tracks == state.tracks and again.tokens == state.tokens
    assert again.up_to_date(tmp_path, "a", "h") and not again.up_to_date(tmp_path, "a", "x")
    (tmp_path / "a.mp3").write_bytes(b"AUDIO")  # same size, other bytes
    assert not again.up_to_date(tmp_path, "a", "h")


def test_input_hash_follows_every_input(tmp_path):
    path = make_catalogue(tmp_path)
    (tmp_path / "part.yaml").write_text("steps:\n  - say: From the part.\n")
    with open(tmp_path / "alpha.yaml", "a") as f:
        f.write("  - include: part.yaml\n")

    def hashes() -> dict[str, str]:
        cat = load_catalogue(path)
        return {t.id: make_job(cat, t)[0].input_hash for t in cat.tracks}

    first = hashes()
    assert len(set(first.values())) == 3 and hashes() == first
    job, info = make_job(load_catalogue(path), load_catalogue(path).tracks[0])
    assert {name for name, _ in job.files} == {"alpha.yaml", "part.yaml", "cover.png"}
    assert job.options["meta"]["cover"] == "cover.png" and info.title == "Alpha"
    (tmp_path / "part.yaml").write_text("steps:\n  - say: Changed.\n")
    second = hashes()
    assert second["alpha"] != first["alpha"] and second["beta"] == first["beta"]
    path.write_text(path.read_text().replace("captions: [vtt]", "captions: [vtt, srt]"))
    assert all(h != second[k] for k, h in hashes().items())


def test_a_catalogue_recordings_folder_travels_and_is_hashed(tmp_path):
    """The teacher's folder named in the catalogue's defaults goes to the
    worker with the job (relative to its root), and a re-recorded line
    renders the track again."""
    path = make_catalogue(tmp_path)
    (tmp_path / "teacher").mkdir()
    take = tmp_path / "teacher" / "hello-0123456789.wav"
    take.write_bytes(b"first take")
    text = path.read_text()
    assert "defaults: {engine" in text
    path.write_text(text.replace("defaults: {engine", "defaults: {recordings: teacher, engine"))

    def job():
        cat = load_catalogue(path)
        return make_job(cat, cat.tracks[0])[0]

    first = job()
    assert ("teacher/hello-0123456789.wav", b"first take") in first.files
    assert first.options["recordings"] == "teacher"
    take.write_bytes(b"second take")
    assert job().input_hash != first.input_hash
