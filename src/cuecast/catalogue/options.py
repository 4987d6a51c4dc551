"""A catalogue track -> the render ``Options`` that make it.

Takes the catalogue and one of its tracks; gives ``cuecast.pipeline.Options``
with the catalogue's defaults, the track's profile and ``set`` values, and
the tags that make the tracks one album: album = the series' title,
artist = the series' author, track number = the place in ``tracks``, the
series' cover when it has one, and the track's own title if it gives one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cuecast.catalogue.model import Catalogue, Track

if TYPE_CHECKING:
    from cuecast.pipeline import Options


def track_options(catalogue: Catalogue, track: Track, **overrides: Any) -> Options:
    """The render options for ``track``; ``overrides`` replace any field."""
    from cuecast.pipeline import Options  # the render stack loads only when a track is made

    return Options(**{**track_option_fields(catalogue, track), **overrides})


def track_option_fields(catalogue: Catalogue, track: Track) -> dict[str, Any]:
    """``track_options`` as the keyword arguments of ``Options``, without
    loading the render stack (a publish with nothing to render stays fast)."""
    d = catalogue.defaults
    number = catalogue.tracks.index(track) + 1
    meta: dict[str, str] = {
        "album": catalogue.series.title,
        "author": catalogue.series.author,
        "track": f"{number}/{len(catalogue.tracks)}",
    }
    if catalogue.series.cover is not None:
        meta["cover"] = str(catalogue.series.cover)
    if track.title is not None:
        meta["title"] = track.title
    return dict(
        profile=track.profile,
        sets=dict(track.sets),
        engine=_str(d.get("engine")),
        voice=_str(d.get("voice")),
        rate_wpm=_float(d.get("rate")),
        strict=bool(d.get("strict", False)),
        allow_outside=catalogue.allow_outside,
        fmt=str(d.get("format", "mp3")),
        bitrate_kbps=_int(d.get("bitrate")),
        loudness_lufs=_float(d["loudness"]) if "loudness" in d else -16.0,
        captions=tuple(str(c) for c in d.get("captions", ()) or ()),  # type: ignore[attr-defined]
        recordings=_str(d.get("recordings")),
        meta=meta,
    )


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
