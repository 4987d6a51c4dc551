"""A catalogue track -> the render ``Options`` that make it.

Takes the catalogue and one of its tracks; gives the track's options named
as on the command line (``track_settings``) and, through the one parser
(``cuecast.request``), ``Options``: the catalogue's defaults, the track's
profile and ``set`` values, and the tags that make the tracks one album:
album = the series' title, artist = the series' author, track number = the
place in ``tracks``, the series' cover when it has one, and the track's own
title if it gives one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cuecast.catalogue.model import Catalogue, Track
from cuecast.request import Options, parse_options


def track_options(catalogue: Catalogue, track: Track, **overrides: Any) -> Options:
    """The render options for ``track``; ``overrides`` replace any field."""
    return replace(parse_options(track_settings(catalogue, track), check_voice=False),
                   **overrides)  # fmt: skip


def track_option_fields(catalogue: Catalogue, track: Track) -> dict[str, Any]:
    """``track_options`` as plain data: the keyword arguments of ``Options``."""
    return track_options(catalogue, track).as_dict()


def track_settings(catalogue: Catalogue, track: Track) -> dict[str, object]:
    """The track's render options as the command line names them (the
    catalogue's engine names were checked when it was loaded; a voice is
    checked when the track renders)."""
    d = catalogue.defaults
    number = catalogue.tracks.index(track) + 1
    raw: dict[str, object] = {
        "profile": track.profile,
        "set": dict(track.sets),
        # a track's own voice (per_voice) brings its engine, as --voice does
        "engine": None if track.voice else d.get("engine"),
        "voice": track.voice or d.get("voice"),
        "rate": d.get("rate"),
        "strict": d.get("strict"),
        "allow_outside": catalogue.allow_outside,
        "format": d.get("format", "mp3"),
        "bitrate": d.get("bitrate"),
        "captions": d.get("captions"),
        "recordings": d.get("recordings"),
        "album": catalogue.series.title,
        "author": catalogue.series.author,
        "track": f"{number}/{len(catalogue.tracks)}",
        "cover": catalogue.series.cover,
        "title": track.title,
    }
    out = {name: value for name, value in raw.items() if value is not None}
    if "loudness" in d:
        out["loudness"] = d["loudness"]  # None: off
    return out
