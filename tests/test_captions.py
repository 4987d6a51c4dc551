"""captions.py: VTT, SRT and LRC files beside the track."""

from __future__ import annotations

import pytest

from cuecast.captions import (
    caption_path,
    caption_texts,
    lrc_time,
    render_lrc,
    render_srt,
    render_vtt,
)
from cuecast.errors import InputError
from cuecast.timeline import SAMPLE_RATE, Event, Timeline

SR = SAMPLE_RATE


def timeline() -> Timeline:
    events = (
        Event("section", 0, 10 * SR, line=2, text="Warm up"),
        Event("speech", 0, int(2.5 * SR), line=3, text="Lie on your belly."),
        Event("hold", 3 * SR, 8 * SR, line=4),
        Event(
            "speech", int(3723.4567 * SR), int(3725 * SR), line=5, text="Five <seconds> & -->\nleft"
        ),
        Event("speech", 3 * SR, 4 * SR, line=6, text="Hold."),
        Event("speech", 4 * SR, 5 * SR, line=7, text="Breathe."),
    )
    return Timeline(title="Lower Back Relief", length=3730 * SR, events=events)


def test_vtt():
    assert render_vtt(timeline()) == (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:00:02.500\nLie on your belly.\n\n"
        "2\n00:00:03.000 --> 00:00:04.000\nHold.\n\n"
        "3\n00:00:04.000 --> 00:00:05.000\nBreathe.\n\n"
        "4\n01:02:03.457 --> 01:02:05.000\nFive &lt;seconds> &amp; --&gt; left\n"
    )


def test_srt():
    assert render_srt(timeline()) == (
        "1\n00:00:00,000 --> 00:00:02,500\nLie on your belly.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nHold.\n\n"
        "3\n00:00:04,000 --> 00:00:05,000\nBreathe.\n\n"
        "4\n01:02:03,457 --> 01:02:05,000\nFive <seconds> & --> left\n"
    )


def test_lrc():
    assert render_lrc(timeline()) == (
        "[ti:Lower Back Relief]\n"
        "[00:00.00]Lie on your belly.\n[00:02.50]\n"
        "[00:03.00]Hold.\n"
        "[00:04.00]Breathe.\n[00:05.00]\n"
        "[62:03.46]Five <seconds> & --> left\n[62:05.00]\n"
    )
    assert lrc_time(int(59.999 * SR)) == "[01:00.00]"


def test_caption_paths():
    assert caption_path("out/s.mp3", "vtt") == "out/s.vtt"
    assert caption_path("out/s", "srt") == "out/s.srt"
    assert caption_path("out/my.session", "lrc") == "out/my.session.lrc"


def test_caption_texts_beside_the_track(tmp_path):
    track = tmp_path / "session.m4b"
    texts = caption_texts(timeline(), str(track), ["vtt", "SRT", "lrc", "vtt"])
    names = [p.rsplit("/", 1)[1] for p, _ in texts]
    assert names == ["session.vtt", "session.srt", "session.lrc"]
    assert texts[0][1].startswith("WEBVTT\n")
    assert caption_texts(timeline(), str(track), []) == []


def test_unknown_kind_lists_the_valid_ones(tmp_path):
    with pytest.raises(InputError) as err:
        caption_texts(timeline(), str(tmp_path / "s.mp3"), ["vtt", "ass"])
    assert "vtt, srt, lrc" in str(err.value)
    assert err.value.exit_code == 2
