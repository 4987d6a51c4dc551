"""Captions: the spoken lines of a timeline as WebVTT, SubRip or LRC files.

Takes a ``Timeline`` and the track's path; gives the text of ``NAME.vtt``,
``NAME.srt`` and/or ``NAME.lrc`` beside the track (``render`` writes them
with the track, atomically), one cue per ``speech`` event from its start to
its end. Times are rounded to the
millisecond (LRC: to the hundredth).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from cuecast.errors import InputError
from cuecast.timeline import Event, Timeline
from cuecast.units import SAMPLE_RATE, timestamp

CAPTION_KINDS = ("vtt", "srt", "lrc")

_AUDIO_EXTS = {".mp3", ".m4a", ".m4b", ".ogg", ".opus", ".flac", ".wav"}


def speech_cues(timeline: Timeline) -> list[Event]:
    """The ``speech`` events in time order."""
    cues = [e for e in timeline.events if e.kind == "speech" and e.text]
    return sorted(cues, key=lambda e: (e.start, e.end))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_vtt(timeline: Timeline) -> str:
    """WebVTT text: ``HH:MM:SS.mmm --> HH:MM:SS.mmm`` cues."""
    parts = ["WEBVTT", ""]
    for i, event in enumerate(speech_cues(timeline), start=1):
        text = _one_line(event.text or "").replace("&", "&amp;").replace("<", "&lt;")
        text = text.replace("-->", "--&gt;")
        parts += [str(i), f"{timestamp(event.start)} --> {timestamp(event.end)}", text, ""]
    return "\n".join(parts)


def render_srt(timeline: Timeline) -> str:
    """SubRip text: numbered ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` cues."""
    parts: list[str] = []
    for i, event in enumerate(speech_cues(timeline), start=1):
        times = f"{timestamp(event.start, ',')} --> {timestamp(event.end, ',')}"
        parts += [str(i), times, _one_line(event.text or ""), ""]
    return "\n".join(parts)


def lrc_time(samples: int) -> str:
    """``[mm:ss.xx]`` (minutes may pass 59), rounded to the hundredth."""
    centis = (samples * 100 + SAMPLE_RATE // 2) // SAMPLE_RATE
    minutes, rest = divmod(centis, 6000)
    seconds, hundredths = divmod(rest, 100)
    return f"[{minutes:02d}:{seconds:02d}.{hundredths:02d}]"


def render_lrc(timeline: Timeline) -> str:
    """LRC lyrics: ``[ti:title]``, then ``[mm:ss.xx]text`` per cue and an
    empty ``[mm:ss.xx]`` line where a cue ends before the next begins."""
    lines = [f"[ti:{_one_line(timeline.title)}]"]
    cues = speech_cues(timeline)
    for event, following in zip(cues, [*cues[1:], None], strict=True):
        lines.append(f"{lrc_time(event.start)}{_one_line(event.text or '')}")
        if following is None or following.start > event.end:
            lines.append(lrc_time(event.end))
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Timeline], str]] = {
    "vtt": render_vtt,
    "srt": render_srt,
    "lrc": render_lrc,
}


def caption_path(base_path: str, kind: str) -> str:
    """``NAME.KIND`` beside the track: an audio extension on ``base_path``
    is replaced, any other name is kept whole."""
    root, ext = os.path.splitext(base_path)
    if ext.lower() in _AUDIO_EXTS:
        base_path = root
    return f"{base_path}.{kind}"


def check_kinds(kinds: Iterable[str]) -> list[str]:
    """The kinds, lower-cased and de-duplicated; InputError for an unknown one."""
    out: list[str] = []
    for kind in kinds:
        k = kind.lower().lstrip(".")
        if k not in RENDERERS:
            valid = ", ".join(CAPTION_KINDS)
            raise InputError(f"unknown caption format {kind!r}; expected one of {valid}")
        if k not in out:
            out.append(k)
    return out


def caption_texts(
    timeline: Timeline, base_path: str, kinds: Iterable[str]
) -> list[tuple[str, str]]:
    """``(path, text)`` of each caption file to write beside the track."""
    return [(caption_path(base_path, k), RENDERERS[k](timeline)) for k in check_kinds(kinds)]

