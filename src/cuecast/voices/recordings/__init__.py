"""Recorded lines: a teacher's own voice where a recording exists.

    ids.py      the line id (a contract studios name their files by)
    folder.py   which lines a folder of recordings has, nothing outside it read
    decode.py   a recording decoded, trimmed and levelled as a synthesised clip
    speaker.py  the ``Speaker`` that plays them and synthesises the rest

The two groups (recorded, synthesised) are made one loudness by
``cuecast.loudness.match``.
"""

from __future__ import annotations

import os

from cuecast.timeline import Timeline
from cuecast.voices.recordings.decode import decode
from cuecast.voices.recordings.folder import Folder, Recording
from cuecast.voices.recordings.ids import digest, line_id, number_pieces, words
from cuecast.voices.recordings.speaker import PIECE_GAP_S, Origin, RecordedSpeaker
from cuecast.voices.speaker import Speaker

__all__ = [
    "PIECE_GAP_S", "Folder", "Origin", "RecordedSpeaker", "Recording", "decode", "digest",
    "line_id", "make_speaker", "mark_origins", "number_pieces", "words",
]


def make_speaker(recordings: str | os.PathLike[str] | None, *, strict: bool = False,
                 target_lufs: float | None = None, **kwargs: object) -> Speaker:
    """A plain ``Speaker``, or one reading ``recordings`` when a folder is given."""
    if recordings is None:
        return Speaker(**kwargs)  # type: ignore[arg-type]
    language = str(kwargs.get("language") or "en")
    return RecordedSpeaker(Folder(recordings, language), strict=strict,
                           target_lufs=target_lufs, **kwargs)


def mark_origins(timeline: Timeline, speaker: Speaker) -> Timeline:
    """Each speech event says whether a recording or the engine spoke it
    (only when recordings are in use: other timelines are unchanged)."""
    return speaker.with_origins(timeline)
