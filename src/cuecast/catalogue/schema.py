"""A JSON Schema (draft 2020-12) of the catalogue format, for editors.

Takes nothing and gives the schema as a dict (``cuecast schema
--catalogue`` prints it). Key names and value lists come from ``keys.py``,
the loader's own; the loader stays the judge of files, scripts and ids.
"""

from __future__ import annotations

from cuecast import limits
from cuecast.catalogue import keys
from cuecast.engine_names import ALIASES, BEST, ENGINE_NAMES
from cuecast.request import OFF_WORDS
from cuecast.script.schema import object_schema


def _categories() -> list[str]:
    out = []
    for top, subs in keys.APPLE_CATEGORIES.items():
        out.append(top)
        out.extend(f"{top}/{sub}" for sub in subs)
    return out


def _series() -> dict:
    text = {"type": "string", "minLength": 1}
    props = {
        "title": text,
        "author": text,
        "description": text,
        "link": {"type": "string", "pattern": r"^https?://", "format": "uri",
                 "description": "public URL of the published folder"},  # fmt: skip
        "cover": {"type": "string", "description": "square JPEG or PNG beside the catalogue"},
        "language": {"type": "string", "pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"},
        "category": {"enum": _categories()},
        "explicit": {"type": "boolean"},
        "owner": object_schema({"name": text, "email": {"type": "string", "format": "email"}}),
        "copyright": text,
    }
    assert tuple(props) == keys.SERIES_KEYS
    return object_schema(props, keys.SERIES_REQUIRED)


def _defaults() -> dict:
    from cuecast.captions import CAPTION_KINDS

    loudness, bitrate, rate = limits.LOUDNESS_LUFS, limits.BITRATE_KBPS, limits.RATE_WPM
    caption = {"enum": list(CAPTION_KINDS)}
    props = {
        "format": {"enum": list(keys.FORMATS)},
        "bitrate": {"type": "integer", "minimum": int(bitrate.low), "maximum": int(bitrate.high)},
        "engine": {"enum": [*ENGINE_NAMES, BEST, *ALIASES]},
        "voice": {"type": "string"},
        "rate": {"type": "number", "minimum": rate.low, "maximum": rate.high},
        "loudness": {"anyOf": [{"type": "number", "minimum": loudness.low,
                                "maximum": loudness.high},
                               {"enum": [*OFF_WORDS, False]}]},  # fmt: skip
        "captions": {"anyOf": [{"type": "array", "items": caption}, {"type": "string"}]},
        "strict": {"type": "boolean"},
        "recordings": {"type": "string",
                       "description": "folder of the teacher's recorded lines"},
    }
    assert tuple(props) == keys.DEFAULTS_KEYS
    return object_schema(props, doc="render options for every track (the command line's names)")


def _track() -> dict:
    props = {
        "script": {"type": "string", "description": "routine file, relative to the catalogue"},
        "id": {"type": "string", "pattern": keys.ID_PATTERN},
        "profile": {"type": "string"},
        "title": {"type": "string", "minLength": 1},
        "set": {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                "additionalProperties": {"type": ["string", "number"]}},  # fmt: skip
        "published": {"type": "string", "format": "date"},
        "lengths": {"type": "array", "maxItems": keys.MAX_LENGTHS,
                    "items": {"type": ["string", "number"]},
                    "description": "lengths the listener's page offers (durations: 10m)"},
        "voices": {"type": "array", "minItems": 1, "maxItems": keys.MAX_VOICES,
                   "items": {"type": "string", "minLength": 1},
                   "description": "voices the listener may choose on the track's page"},
        "per_voice": {"type": "boolean",
                      "description": "publish one track per voice (ID-VOICE)"},
    }
    assert tuple(props) == keys.TRACK_KEYS
    return object_schema(props, ("script",))


def _client() -> dict:
    props = {
        "id": {"type": "string", "pattern": keys.ID_PATTERN},
        "name": {"type": "string", "minLength": 1},
        "tracks": {"type": "array", "items": {"type": "string"}},
    }
    return object_schema(props, ("id",))


def schema() -> dict:
    """The JSON Schema of a catalogue file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cuecast catalogue (format 1)",
        "type": "object",
        "required": ["series", "tracks"],
        "properties": {
            "series": _series(),
            "defaults": _defaults(),
            "tracks": {"type": "array", "minItems": 1, "maxItems": keys.MAX_TRACKS,
                       "items": _track()},  # fmt: skip
            "clients": {"type": ["array", "null"], "maxItems": keys.MAX_CLIENTS,
                        "items": _client()},  # fmt: skip
        },
        "additionalProperties": False,
    }
