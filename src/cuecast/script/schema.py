"""A JSON Schema (draft 2020-12) of the routine format, for editors.

Takes nothing and gives the schema as a dict (``cuecast schema`` prints
it). Key names come from ``keys.py``, the loader's own lists. The schema
helps an editor complete and flag keys; the loader stays the judge (it
checks files, vars and ranges the schema cannot).
"""

from __future__ import annotations

from cuecast.language import PHRASE_KEYS
from cuecast.script.keys import (
    AMBIENCES,
    META_KEYS,
    PATTERN_KEYS,
    PROMPT_KEYS,
    STEP_OPTIONS,
    STEP_SOUNDS,
    VOICE_KEYS,
)
from cuecast.script.load import MAX_LABEL_CHARS

_VAR = r"^\$[A-Za-z_][A-Za-z0-9_]*$"
_DURATION = (
    r"^\s*(\$[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d*)?|(\d+:)?\d+:\d+(\.\d*)?"
    r"|(\d+(\.\d*)?\s*[a-z]+\s*)+)\s*$"
)


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def object_schema(props: dict, required: tuple[str, ...] = (), doc: str = "") -> dict:
    """A closed JSON Schema object (no keys but ``props``); the catalogue's
    schema builds its objects with it too."""
    out: dict = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if doc:
        out["description"] = doc
    return out


def _off(other: dict) -> dict:
    """``other`` or false/none (switched off)."""
    return {"anyOf": [other, {"const": False}, {"const": "none"}, {"type": "null"}]}


def _defs() -> dict:
    text = {"type": ["string", "number"]}
    return {
        "duration": {
            "description": "90s, 1m30s, 1:30, 1.5s, 500ms, 1h, seconds, or $var",
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _DURATION}],
        },
        "count": {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": _VAR}]
        },
        "number": {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _VAR}]},
        "text": text,
        "sound": {
            "anyOf": [{"enum": list(STEP_SOUNDS)}, {"type": "string"}],
            "description": "a built-in sound or an audio file next to the script",
        },
        "voice": object_schema({
            k: text if k in ("engine", "name", "recordings") else _ref("number")
            for k in VOICE_KEYS
        }),
        "countdown": _off(
            object_schema(
                {
                    "halfway": {"type": "boolean"},
                    "remaining": {
                        "anyOf": [{"type": "array", "items": _ref("duration")}, _ref("duration")]
                    },
                    "count": {
                        "anyOf": [
                            {"type": "integer", "minimum": 0},
                            {"type": "string", "pattern": _VAR},
                        ]
                    },
                }
            )
        ),
        "pattern": {
            "anyOf": [
                {"type": "string", "pattern": r"^[^-]+(-[^-]+){1,3}$"},
                object_schema({k: _ref("duration") for k in PATTERN_KEYS}, ("inhale", "exhale")),
            ]
        },
        "prompts": _off(object_schema({k: _off(text) for k in PROMPT_KEYS})),
        "breath": {
            "anyOf": [
                _ref("pattern"),
                {"const": True},
                object_schema(_breath_props(), doc="a pattern with its prompts"),
            ]
        },
        "steps": {"type": "array", "minItems": 1, "items": _ref("step")},
        "step": {"oneOf": [_step(kind) for kind in STEP_OPTIONS]},
    }


def _breath_props() -> dict:
    props = {
        "pattern": _ref("pattern"),
        "prompts": _ref("prompts"),
        "voiced": {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "boolean"}, {"const": "all"}]
        },
        "tone": {"type": "boolean"},
    }
    return props


def _options() -> dict[str, dict]:
    text, off_text = _ref("text"), _off(_ref("text"))
    cue = object_schema(
        {
            "at": {
                "anyOf": [
                    {"const": "half"},
                    _ref("duration"),
                    {"type": "string", "pattern": r"^-"},
                    {"type": "number"},
                ]
            },
            "say": text,
        },
        ("at", "say"),
    )
    return {
        "voice": {"anyOf": [_ref("voice"), text]},
        "gap": _ref("duration"),
        "volume": _ref("number"),
        "cues": {"type": "array", "items": cue},
        "countdown": {"anyOf": [_ref("countdown"), {"const": True}]},
        "chime": _off(_ref("sound")),
        "breathe": _off(_ref("breath")),
        "release": off_text,
        "cycles": _ref("count"),
        "for": _ref("duration"),
        "prompts": _ref("prompts"),
        "voiced": _breath_props()["voiced"],
        "tone": {"type": "boolean"},
        "steps": _ref("steps"),
        "rest": _ref("duration"),
        "announce": off_text,
        "rest_say": off_text,
        "switch": off_text,
        "tempo": _ref("duration"),
        "say": text,
        "count": {"type": "boolean"},
    }


def _step(kind: str) -> dict:
    value = {
        "say": _ref("text"),
        "pause": _ref("duration"),
        "sound": _ref("sound"),
        "section": _ref("text"),
        "hold": _ref("duration"),
        "breathe": _ref("breath"),
        "repeat": _ref("count"),
        "sides": {"type": "array", "minItems": 1, "items": _ref("text")},
        "reps": _ref("count"),
        "include": {"type": "string"},
    }[kind]
    options = _options()
    required = {"repeat": ("steps",), "sides": ("steps",), "reps": ("tempo",)}.get(kind, ())
    props = {kind: value, **{k: options[k] for k in STEP_OPTIONS[kind]}}
    return object_schema(props, (kind, *required), doc=f"a '{kind}' step")


def _var_descriptor() -> dict:
    bound = {
        "type": ["string", "number"],
        "description": "in the var's unit: a duration for a duration var, else a number",
    }
    return object_schema(
        {
            "value": {"type": ["string", "number"], "description": "the default"},
            "label": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_CHARS},
            "min": bound,
            "max": bound,
        },
        ("value",),
        "a var with a label and the bounds --set, profiles and the page must keep to",
    )


def _top_props() -> dict:
    text = _ref("text")
    props: dict = {k: text for k in META_KEYS}
    props.update(
        {
            "language": {"type": "string", "pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"},
            "voice": _ref("voice"),
            "vars": {
                "type": "object",
                "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                "additionalProperties": {
                    "anyOf": [{"type": ["string", "number"]}, _var_descriptor()]
                },
            },
            "profiles": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number"]},
                },
            },
            "defaults": object_schema(
                {
                    "gap": _ref("duration"),
                    "chime": _off(_ref("sound")),
                    "countdown": _ref("countdown"),
                    "breath": _ref("breath"),
                }
            ),
            "background": {
                "anyOf": [
                    {"enum": list(AMBIENCES)},
                    {"type": "string"},
                    object_schema(
                        {
                            "sound": {"type": "string"},
                            "volume": _ref("number"),
                            "duck": _ref("number"),
                            "fade": _ref("duration"),
                        },
                        ("sound",),
                    ),
                ]
            },
            "lexicon": {"type": "object", "additionalProperties": {"type": "string"}},
            "phrases": object_schema(
                {k: {"type": "string"} for k in PHRASE_KEYS},
                doc="the lines cuecast says by itself, in the script's own words",
            ),
            "steps": _ref("steps"),
        }
    )
    return props


def schema() -> dict:
    """The JSON Schema of a routine script."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cuecast routine script (format 1)",
        "type": "object",
        "required": ["title", "steps"],
        "properties": _top_props(),
        "additionalProperties": False,
        "$defs": _defs(),
    }
