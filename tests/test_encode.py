"""encode.py: timing, determinism, tags, chapters and atomicity, checked by
decoding the output with ffmpeg and reading it back with mutagen."""

from __future__ import annotations

import errno
import os
import re
import stat
import time

import mutagen
import numpy as np
import pytest

from cuecast import atomic, ffmpeg
from cuecast.atomic import atomic_write_text
from cuecast.encode import (
    FORMATS,
    EncodeSettings,
    encode,
    format_for,
)
from cuecast.errors import EncodeError, InputError
from cuecast.ffmpeg import ffmpeg_exe
from cuecast.script.model import Meta
from cuecast.timeline import SAMPLE_RATE, Chapter
from tests.audio_check import blocks_of, click_track, decode, ffmpeg_chapters, sine

pytestmark = pytest.mark.e2e  # real engines or ffmpeg: left out of make test-fast

SR = SAMPLE_RATE
LENGTH = 3 * SR
CLICK_AT = 66_150  # 1.5 s
TIMING_TOLERANCE = 220  # 5 ms
LENGTH_TOLERANCE = 2205  # 50 ms
ALL = sorted(FORMATS)
TAGGED = [f for f in ALL if f != "wav"]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
CHAPTERS = [Chapter("Warm up", 0, SR), Chapter("Hold = still; #1", SR, 2 * SR)]
CHAPTERS.append(Chapter("Release", 2 * SR, LENGTH))


@pytest.fixture
def meta(tmp_path) -> Meta:
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    return Meta(
        title="Lower Back Relief",
        subtitle="Ten minutes",
        author="Ana Example",
        album="Mobility",
        description="A gentle routine.",
        year="2024",
        genre="Fitness",
        cover=str(cover),
        track="3/12",
    )


def run_encode(path, fmt=None, x=None, meta=None, chapters=CHAPTERS, **settings):
    x = click_track(LENGTH, CLICK_AT) if x is None else x
    fmt = fmt or format_for(str(path), None)
    encode(
        blocks_of(x),
        str(path),
        EncodeSettings(fmt=fmt, **settings),
        meta=meta,
        chapters=chapters,
        total_samples=len(x),
    )


def leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if atomic.TEMP_MARK in p.name]


# --- formats ----------------------------------------------------------------


def test_format_from_extension_and_option():
    assert format_for("a/b.MP3", None) == "mp3"
    assert format_for("session.m4b", None) == "m4b"
    assert format_for("session.out", "opus") == "opus"
    assert format_for("session.ogg", "OGG") == "ogg"


@pytest.mark.parametrize(
    ("path", "fmt"), [("x.aiff", None), ("noext", None), ("x.mp3", "ogg"), ("x", "mp4")]
)
def test_format_errors(path, fmt):
    with pytest.raises(InputError) as err:
        format_for(path, fmt)
    assert err.value.exit_code == 2


def test_bitrate_on_lossless_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        run_encode(tmp_path / "a.flac", bitrate_kbps=128)
    assert list(tmp_path.iterdir()) == []


# --- timing -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ALL)
def test_click_lands_on_its_sample_and_length_holds(tmp_path, fmt):
    out = tmp_path / f"t.{fmt}"
    run_encode(out)
    y = decode(str(out))
    assert abs(len(y) - LENGTH) <= LENGTH_TOLERANCE
    found = int(np.argmax(np.abs(y)))
    expected = int(np.argmax(np.abs(click_track(LENGTH, CLICK_AT))))
    assert abs(found - expected) <= TIMING_TOLERANCE, f"{fmt}: click off by {found - expected}"


def test_gain_is_applied_and_clipped(tmp_path):
    out = tmp_path / "g.wav"
    x = sine(SR, 440, 0.25)
    run_encode(out, x=x, chapters=[], gain_db=6.0206)
    y = decode(str(out))
    assert np.max(np.abs(y)) == pytest.approx(0.5, abs=0.002)
    run_encode(out, x=x, chapters=[], gain_db=20.0)
    assert np.max(np.abs(decode(str(out)))) <= 1.0


# --- determinism --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ALL)
def test_same_input_gives_same_bytes(tmp_path, meta, fmt):
    a, b = tmp_path / f"a.{fmt}", tmp_path / "sub" / f"b.{fmt}"
    b.parent.mkdir()
    run_encode(a, meta=meta)
    run_encode(b, meta=meta)
    assert a.read_bytes() == b.read_bytes()
    head = a.read_bytes()[:65536]
    assert re.search(rb"Lav[fc]\d", head) is None  # no ffmpeg version strings
    assert b"libVorbis I 2" not in head and b"creation_time" not in head


# --- tags and chapters ----------------------------------------------------------


def test_mp3_id3_tags_and_chapters(tmp_path, meta):
    from mutagen.id3 import ID3

    out = tmp_path / "t.mp3"
    run_encode(out, meta=meta)
    tags = ID3(str(out))
    assert tags.version == (2, 4, 0)
    assert str(tags["TIT2"]) == meta.title
    assert str(tags["TIT3"]) == meta.subtitle
    assert str(tags["TPE1"]) == meta.author
    assert str(tags["TALB"]) == meta.album
    assert str(tags["TDRC"]) == "2024"
    assert str(tags["TCON"]) == "Fitness"
    assert str(tags["TRCK"]) == "3/12"
    assert tags.getall("COMM")[0].text == [meta.description]
    apic = tags.getall("APIC")[0]
    assert (apic.mime, apic.type, apic.data) == ("image/png", 3, PNG)
    chaps = [tags[f"CHAP:ch{i}"] for i in range(3)]
    assert [(c.start_time, c.end_time) for c in chaps] == [(0, 1000), (1000, 2000), (2000, 3000)]
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c.title for c in CHAPTERS]
    toc = tags["CTOC:toc"]
    assert toc.child_element_ids == ["ch0", "ch1", "ch2"]
    assert toc.flags == 3  # top level, ordered
    got = ffmpeg_chapters(str(out))
    assert [(s, e, t) for s, e, t in got] == [
        (0.0, 1.0, "Warm up"),
        (1.0, 2.0, CHAPTERS[1].title),
        (2.0, 3.0, "Release"),
    ]


@pytest.mark.parametrize("fmt", ["m4a", "m4b"])
def test_mp4_tags_and_chapters(tmp_path, meta, fmt):
    from mutagen.mp4 import MP4

    out = tmp_path / f"t.{fmt}"
    run_encode(out, meta=meta)
    f = MP4(str(out))
    assert f.tags["\xa9nam"] == [meta.title]
    assert f.tags["\xa9ART"] == [meta.author]
    assert f.tags["\xa9alb"] == [meta.album]
    assert f.tags["\xa9day"] == ["2024"]
    assert f.tags["\xa9gen"] == ["Fitness"]
    assert f.tags["desc"] == [meta.description]
    assert f.tags["\xa9cmt"] == [meta.description]
    assert f.tags["trkn"] == [(3, 12)]
    assert bytes(f.tags["covr"][0]) == PNG
    assert ("stik" in f.tags) == (fmt == "m4b")
    assert [(c.start, c.title) for c in f.chapters] == [
        (0.0, "Warm up"),
        (1.0, CHAPTERS[1].title),
        (2.0, "Release"),
    ]
    assert [t for _, _, t in ffmpeg_chapters(str(out))] == [c.title for c in CHAPTERS]
    assert len(decode(str(out))) == LENGTH  # tagging left the audio readable


@pytest.mark.parametrize("fmt", ["ogg", "opus", "flac"])
def test_vorbis_comments_cover_and_chapters(tmp_path, meta, fmt):
    import base64

    from mutagen.flac import Picture

    out = tmp_path / f"t.{fmt}"
    run_encode(out, meta=meta)
    f = mutagen.File(str(out))
    want = {
        "title": meta.title,
        "artist": meta.author,
        "album": meta.album,
        "date": "2024",
        "genre": "Fitness",
        "description": meta.description,
        "tracknumber": "3",
        "chapter001": "00:00:00.000",
        "chapter001name": "Warm up",
        "chapter002": "00:00:01.000",
        "chapter003": "00:00:02.000",
        "chapter003name": "Release",
    }
    for key, value in want.items():
        assert f.tags[key] == [value], key
    assert f.tags.vendor == "cuecast"
    if fmt == "flac":
        pic = f.pictures[0]
    else:
        pic = Picture(base64.b64decode(f.tags["metadata_block_picture"][0]))
    assert (pic.mime, pic.type, pic.data) == ("image/png", 3, PNG)
    assert [t for _, _, t in ffmpeg_chapters(str(out))] == [c.title for c in CHAPTERS]


def test_no_meta_no_chapters_is_fine(tmp_path):
    for fmt in ALL:
        out = tmp_path / f"plain.{fmt}"
        run_encode(out, meta=None, chapters=[])
        assert len(decode(str(out))) > 0


def test_cover_that_is_not_an_image_is_an_input_error(tmp_path):
    bad = tmp_path / "cover.png"
    bad.write_text("not an image")
    with pytest.raises(InputError) as err:
        run_encode(tmp_path / "t.mp3", meta=Meta(title="x", cover=str(bad)))
    assert str(bad) in str(err.value)
    missing = Meta(title="x", cover=str(tmp_path / "missing.jpg"))
    with pytest.raises(InputError):
        run_encode(tmp_path / "t.mp3", meta=missing)
    assert not (tmp_path / "t.mp3").exists()


def test_bad_track_number_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        run_encode(tmp_path / "t.ogg", meta=Meta(title="x", track="three"))


# --- atomicity ----------------------------------------------------------------


@pytest.fixture
def previous(tmp_path):
    target = tmp_path / "session.mp3"
    target.write_bytes(b"previous render")
    return target


def fake_ffmpeg(tmp_path, body: str) -> str:
    script = tmp_path / "fake-ffmpeg"
    version = 'if [ "$2" = "-version" ]; then echo "ffmpeg version fake"; exit 0; fi\n'
    script.write_text("#!/bin/sh\n" + version + body)
    script.chmod(0o755)
    ffmpeg._check_runs.cache_clear()
    return str(script)


def assert_untouched(target):
    assert target.read_bytes() == b"previous render"
    assert leftovers(target.parent) == []


def test_ffmpeg_failing_leaves_previous_file(tmp_path, previous, monkeypatch):
    body = 'head -c 100000 >/dev/null; echo "Error: codec exploded" >&2; exit 1\n'
    monkeypatch.setenv("CUECAST_FFMPEG", fake_ffmpeg(tmp_path, body))
    with pytest.raises(EncodeError) as err:
        run_encode(previous)
    assert "codec exploded" in str(err.value)
    assert_untouched(previous)


def test_broken_ffmpeg_binary_is_an_encode_error(tmp_path, previous, monkeypatch):
    ffmpeg._check_runs.cache_clear()
    monkeypatch.setenv("CUECAST_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(EncodeError, match="ffmpeg"):
        ffmpeg_exe()
    script = tmp_path / "exits-1"
    script.write_text("#!/bin/sh\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("CUECAST_FFMPEG", str(script))
    with pytest.raises(EncodeError, match="ffmpeg"):
        run_encode(previous)
    assert_untouched(previous)


def test_disk_full_from_ffmpeg(tmp_path, previous, monkeypatch):
    body = 'head -c 1000 >/dev/null; echo "Error writing: No space left on device" >&2; exit 1\n'
    monkeypatch.setenv("CUECAST_FFMPEG", fake_ffmpeg(tmp_path, body))
    with pytest.raises(EncodeError, match="disk is full"):
        run_encode(previous)
    assert_untouched(previous)


def test_disk_full_on_fsync(previous, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(EncodeError, match="disk is full"):
        run_encode(previous)
    assert_untouched(previous)


def test_generator_raising_midway_leaves_previous_file(previous):
    def blocks():
        yield np.zeros(SR, np.float32)
        raise RuntimeError("mixer bug")

    with pytest.raises(RuntimeError, match="mixer bug"):
        encode(
            blocks(), str(previous), EncodeSettings(), meta=None, chapters=[], total_samples=2 * SR
        )
    assert_untouched(previous)


def test_ctrl_c_midway_leaves_previous_file(previous):
    def blocks():
        yield np.zeros(SR, np.float32)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        encode(
            blocks(),
            str(previous),
            EncodeSettings(fmt="m4a"),
            meta=None,
            chapters=CHAPTERS,
            total_samples=2 * SR,
        )
    assert_untouched(previous)


def test_short_mix_is_an_error(previous):
    with pytest.raises(EncodeError, match="samples"):
        encode(
            [np.zeros(SR, np.float32)],
            str(previous),
            EncodeSettings(),
            meta=None,
            chapters=[],
            total_samples=2 * SR,
        )
    assert_untouched(previous)


def test_missing_or_unwritable_folder(tmp_path):
    with pytest.raises(EncodeError, match="folder"):
        run_encode(tmp_path / "no" / "such" / "t.mp3")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EncodeError):
        run_encode(blocker / "t.mp3")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(EncodeError, match="permission denied"):
            run_encode(folder / "t.mp3")
    finally:
        folder.chmod(0o755)


def test_success_replaces_previous_and_leaves_no_temp(previous):
    run_encode(previous)
    assert previous.read_bytes()[:3] == b"ID3"
    assert leftovers(previous.parent) == []


def test_stale_temps_are_cleaned(tmp_path):
    old = tmp_path / ".session.cuecast-tmp-123-abcd1234.mp3"
    fresh = tmp_path / ".session.cuecast-tmp-124-abcd1235.mp3"
    other = tmp_path / ".keep-me"
    for p in (old, fresh, other):
        p.write_text("x")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    run_encode(tmp_path / "session.mp3")
    assert not old.exists()
    assert fresh.exists() and other.exists()


def test_atomic_write_text(tmp_path):
    target = tmp_path / "t.timeline.json"
    atomic_write_text(str(target), "{}\n")
    atomic_write_text(str(target), "é\n")
    assert target.read_bytes() == "é\n".encode()
    assert leftovers(tmp_path) == []
    with pytest.raises(EncodeError):
        atomic_write_text(str(tmp_path / "missing" / "x.json"), "{}")
