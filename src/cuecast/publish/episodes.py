"""What the feeds, the playlist and the page list: complete tracks only.

An ``Episode`` is a published track as the listing files describe it: its
file, size, type and length as they are on disk, its guid and date, and
its chapters and transcripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from cuecast.units import clock

MIME_TYPES = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "m4b": "audio/mp4",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "wav": "audio/wav",
}
TRANSCRIPT_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}
"""Captions a podcast player reads as transcripts (LRC is not one of them)."""


@dataclass(frozen=True)
class Episode:
    id: str
    number: int
    """Its place in the catalogue's ``tracks`` (1-based)."""
    title: str
    description: str | None
    subtitle: str | None
    file: str
    """The track's file name in the output folder."""
    bytes: int
    mime: str
    duration_s: float
    guid: str
    published: date
    chapters: str | None
    """The chapters file's name, if the track has sections."""
    transcripts: tuple[tuple[str, str], ...]
    """(file name, MIME type) of each transcript."""
    timeline: dict[str, Any]
    """The timeline's JSON form (for the page's picture)."""

__all__ = ["MIME_TYPES", "TRANSCRIPT_TYPES", "Episode", "clock"]
