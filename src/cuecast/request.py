"""One render request: a script and every option of its render, read here once.

Takes a script (a path, or a mapping built in Python) and options named and
valued as on the command line; gives a ``RenderRequest`` (the script as
``script.load`` reads it, and typed ``Options``). The command line, the
Python API, a catalogue's tracks and the listener's page all build their
requests here, so an option has one name, one range (``cuecast.limits``),
one message when it is wrong and one default:

    request = parse_request("routine.yaml", {"set": ["hold=45s"], "loudness": "off"})
    options = parse_options({"rate": 150, "format": "ogg"}, flags=True)   # --rate, --format
    option_value("bitrate", "96")                     # 96: one option, e.g. a catalogue's default

Option names: ``profile``, ``set`` (or ``sets``), ``engine``, ``voice``,
``rate``, ``strict``, ``allow_outside``, ``format``, ``bitrate``,
``loudness``, ``captions``, ``jobs``, ``recordings`` and the tags
(``META``). "Off" (for ``loudness``) is any of ``OFF_WORDS`` in any case,
or, from Python, ``None`` or ``False``; the default target is
``TARGET_LUFS``. Every problem is an ``InputError`` naming the option
(``--rate`` with ``flags=True``, ``rate`` without). Nothing is read from
disk here but the voice registry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cuecast import limits
from cuecast.errors import InputError
from cuecast.loudness.settings import TARGET_LUFS
from cuecast.script.load import MAPPING_NAME, ScriptMapping, ScriptSource, set_text, source_name
from cuecast.script.vars import NAME, NAME_HINT, parse_set
from cuecast.script.yamlnodes import did_you_mean

__all__ = [
    "META", "OFF_WORDS", "OPTION_FIELDS", "OPTION_NAMES", "TARGET_LUFS", "Length", "Options",
    "RenderRequest", "ScriptInput", "is_off", "option_value", "parse_length", "parse_options",
    "parse_request",
]  # fmt: skip

ScriptInput = str | os.PathLike[str] | Mapping[str, Any]
"""A routine as a caller gives it: the path of a YAML file, or the same
structure as a mapping."""

OFF_WORDS = ("off", "none", "no", "false")
"""What switches an option off, in any case (``--loudness off``,
``loudness: no`` in a catalogue, ``loudness="none"`` from Python)."""

META = ("title", "subtitle", "author", "album", "year", "genre", "description", "track", "cover")
"""Tag options: they override the script's metadata."""

OPTION_NAMES = (
    "profile", "set", "sets", "engine", "voice", "rate", "strict", "allow_outside", "format",
    "bitrate", "loudness", "captions", "jobs", "recordings", *META,
)  # fmt: skip


@dataclass(frozen=True)
class Options:
    """Everything a render can be told besides its script, typed and checked."""

    profile: str | None = None
    sets: Mapping[str, str] = field(default_factory=dict)
    """Var name -> value as ``--set`` gives it (text)."""
    engine: str | None = None
    voice: str | None = None
    rate_wpm: float | None = None
    strict: bool = False
    allow_outside: bool = False
    fmt: str | None = None
    """Audio format; ``None``: from the output's extension, else mp3."""
    bitrate_kbps: int | None = None
    loudness_lufs: float | None = TARGET_LUFS
    """Target integrated loudness; ``None`` leaves levels as mixed."""
    captions: Sequence[str] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    """Tag overrides: title, subtitle, author, album, year, genre, description,
    track, cover (an absolute path)."""
    jobs: int | None = None
    """Parallel speech processes; never changes the bytes."""
    recordings: str | None = None
    """A folder of recorded lines (``voices/recordings.py``); wins over the
    script's ``voice: {recordings: ...}``."""

    def default_session(self) -> Options | None:
        """The options of the script's default session (its vars' declared
        values, no profile; everything else as here), whose gain a
        customised session keeps while within ``loudness.settings.ANCHOR_LU``
        of its target (``loudness/levelling.py``, rule 6). Made from these options alone,
        so ``cuecast render`` and the page, given the same values, anchor to
        the same session (a catalogue's own ``set`` values are values like
        any other). None when these options ask for the default session
        already, or leave loudness alone."""
        if self.loudness_lufs is None or (self.profile is None and not self.sets):
            return None
        return replace(self, profile=None, sets={})

    def as_dict(self) -> dict[str, Any]:
        """The fields as plain data (dicts, tuples, strings, numbers): what a
        worker process receives and a fingerprint hashes; ``Options(**d)``
        makes it again."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**out, "sets": dict(self.sets), "meta": dict(self.meta),
                "captions": tuple(self.captions)}  # fmt: skip


@dataclass(frozen=True)
class Length:
    """A length to fit a session to (``--length 20m``, ``length="20m"``)."""

    seconds: float
    said: str
    """The option as the caller gave it, for messages: ``--length 20m``."""


@dataclass(frozen=True)
class RenderRequest:
    """A script and the options to render it with."""

    script: str | ScriptMapping
    """A path, or a mapping with the folder its relative file names start from."""
    options: Options = field(default_factory=Options)
    length: Length | None = None
    """Fit the vars to this length first (``cuecast.api``, with ``cuecast.fit``);
    the values found join ``options.sets``, so the render itself never sees it."""

    @property
    def name(self) -> str:
        """How errors and the timeline name the script."""
        return self.script.name if isinstance(self.script, ScriptMapping) else self.script


def parse_request(script: ScriptInput | ScriptMapping, options: Mapping[str, object] | None = None,
                  *, flags: bool = False, folder: str | os.PathLike[str] | None = None,
                  name: str = MAPPING_NAME) -> RenderRequest:  # fmt: skip
    """The request for ``script`` with ``options`` (see ``parse_options``;
    and ``length``, see ``parse_length``). A mapping's relative file names
    start from ``folder`` (default: the current folder, taken now)."""
    raw = dict(options or {})
    length = raw.pop("length", None)
    return RenderRequest(script_source(script, folder, name), parse_options(raw, flags=flags),
                         None if length is None else parse_length(length, flags=flags))


def script_source(script: ScriptInput | ScriptMapping, folder: str | os.PathLike[str] | None = None,
                  name: str = MAPPING_NAME) -> str | ScriptMapping:  # fmt: skip
    """A path as text, or a mapping as a ``ScriptMapping``."""
    if isinstance(script, ScriptMapping):
        return script
    if isinstance(script, (str, os.PathLike)):
        return os.fspath(script)
    if not isinstance(script, Mapping):
        raise InputError(f"a script is a path or a mapping, not {type(script).__name__}")
    return ScriptMapping(dict(script), os.path.abspath(folder or os.getcwd()), name)


def parse_options(raw: Mapping[str, object], *, flags: bool = False,
                  check_voice: bool = True) -> Options:  # fmt: skip
    """Options named and valued as on the command line -> ``Options``.
    Values may be text (as typed) or Python values (numbers, lists,
    mappings). A name left out takes its default; ``flags`` names options
    in errors as the command line does (``--rate``). ``check_voice=False``
    leaves the engine and voice to be checked when the render starts (a
    catalogue checks its own engine names without loading engines)."""
    said = _Said(flags)
    for name in raw:
        if name not in OPTION_NAMES:
            hint = did_you_mean(name, OPTION_NAMES) or "Options: " + ", ".join(OPTION_NAMES) + "."
            raise InputError(f"unknown option {name!r}", hint=hint)
    if "set" in raw and "sets" in raw:
        raise InputError("give 'set' or 'sets', not both (they are the same option)")
    engine, voice = _engine(said("engine"), raw.get("engine")), _text(raw.get("voice"))
    if check_voice:
        from cuecast.voices.registry import check_options

        check_options(engine, voice, (said("engine"), said("voice")))
    return Options(
        profile=_text(raw.get("profile")),
        sets=_sets(raw.get("sets", raw.get("set")), said),
        engine=engine,
        voice=voice,
        rate_wpm=_in_range(said("rate"), raw.get("rate"), limits.RATE_WPM),
        strict=_flag(said("strict"), raw.get("strict")),
        allow_outside=_flag(said("allow_outside"), raw.get("allow_outside")),
        fmt=_format(said("format"), raw.get("format")),
        bitrate_kbps=_whole(said("bitrate"), raw.get("bitrate"), limits.BITRATE_KBPS),
        loudness_lufs=_loudness(said("loudness"), raw.get("loudness", TARGET_LUFS)),
        captions=_captions(said("captions"), raw.get("captions")),
        jobs=_whole(said("jobs"), raw.get("jobs"), limits.JOBS),
        recordings=None if raw.get("recordings") is None else os.fspath(raw["recordings"]),  # type: ignore[call-overload]
        meta=_meta(raw, said),
    )


OPTION_FIELDS = {
    "profile": "profile", "set": "sets", "sets": "sets", "engine": "engine", "voice": "voice",
    "rate": "rate_wpm", "strict": "strict", "allow_outside": "allow_outside", "format": "fmt",
    "bitrate": "bitrate_kbps", "loudness": "loudness_lufs", "captions": "captions",
    "jobs": "jobs", "recordings": "recordings",
}  # fmt: skip
"""Option name -> the ``Options`` field it sets (the tags set ``meta``)."""


def option_value(name: str, value: object, *, flags: bool = False) -> object:
    """One option's typed value, read exactly as ``parse_options`` reads
    it (same checks, same message): ``option_value("loudness", "off")`` is
    ``None``, ``option_value("rate", "1000")`` an ``InputError``. For a
    caller that knows where each value was written (a catalogue's
    ``defaults``) and puts the message there. The engine's name is checked;
    a voice is not (the render does)."""
    options = parse_options({name: value}, flags=flags, check_voice=False)
    return options.meta.get(name) if name in META else getattr(options, OPTION_FIELDS[name])


def parse_length(value: object, *, flags: bool = False) -> Length:
    """A length to fit to: a duration (``20m``, ``1:30:00``, ``600``
    seconds) over 0 and at most a day; ``InputError`` naming the option."""
    from cuecast.script.durations import DurationError, parse_duration

    text = f"{value:g}" if isinstance(value, float) else str(value)
    said = f"{_Said(flags)('length')} {text}"
    try:
        if isinstance(value, bool):
            raise DurationError(f"'{value}' is not a duration")
        seconds = float(value) if isinstance(value, (int, float)) else parse_duration(text)
    except (DurationError, ValueError) as err:
        raise InputError(f"{said}: {err}") from None
    if not 0 < seconds <= limits.MAX_DURATION_S:
        raise InputError(f"{said}: a length must be more than 0 and at most 24 hours")
    return Length(seconds, said)


def is_off(value: object) -> bool:
    """``None``, ``False`` or one of ``OFF_WORDS`` (any case)."""
    if value is None or value is False:
        return True
    return isinstance(value, str) and value.strip().lower() in OFF_WORDS


def default_output(source: ScriptSource, fmt: str) -> str:
    """``NAME.FORMAT`` in the current folder: NAME is the script file's stem,
    or a mapping's title made a file name (``Morning Reset`` ->
    ``morning-reset``)."""
    if isinstance(source, ScriptMapping):
        title = str(source.data.get("title", "session"))
        stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "session"
        return f"{stem}.{fmt}"
    return f"{Path(source_name(source)).stem}.{fmt}"


# -- one value each ----------------------------------------------------------------------


class _Said:
    """An option's name as the caller knows it: ``--bitrate`` or ``bitrate``."""

    def __init__(self, flags: bool) -> None:
        self.flags = flags

    def __call__(self, name: str) -> str:
        return "--" + name.replace("_", "-") if self.flags else name


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _engine(name: str, value: object) -> str | None:
    """The engine as given, if its name is a built-in engine's or an alias
    (``cuecast.engine_names``: no engine is loaded); a ``module:Class``
    engine is checked when it is loaded."""
    from cuecast.engine_names import engine_key

    if value is None:
        return None
    text = str(value).strip()
    if ":" not in text:
        try:
            engine_key(text)
        except InputError as err:
            raise InputError(f"{name} {text}: {err.message}", hint=err.hint) from None
    return text


def _flag(name: str, value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, (bool, int)):
        raise InputError(f"{name} is true or false, not {value!r}")
    return bool(value)


def _sets(raw: object, said: _Said) -> dict[str, str]:
    """``{"hold": 45}``, ``{"hold": "45s"}``, ``["hold=45s"]`` or ``"hold=45s"``
    -> var names to text."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        for name, value in raw.items():
            if not NAME.match(str(name)):
                raise InputError(f"{said('set')} {name}={value}: '{name}' is not a var name",
                                 hint=NAME_HINT)  # fmt: skip
        return {str(name): set_text(value) for name, value in raw.items()}
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, Sequence):
        return dict(parse_set(str(item)) for item in raw)
    raise InputError(f"{said('set')} must be a mapping like {{'hold': '45s'}} or NAME=VALUE "
                     f"texts, not {type(raw).__name__}")  # fmt: skip


def _number(name: str, value: object, bounds: limits.Range) -> float:
    if isinstance(value, bool):
        raise InputError(f"{name} must be a number, not {value}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, not {value!r}; use {bounds.text()}") from None


def _in_range(name: str, value: object, bounds: limits.Range) -> float | None:
    if value is None:
        return None
    number = _number(name, value, bounds)
    problem = bounds.problem(name, number)
    if problem:
        raise InputError(problem)
    return number


def _whole(name: str, value: object, bounds: limits.Range) -> int | None:
    number = _in_range(name, value, bounds)
    if number is None:
        return None
    if not float(number).is_integer():
        raise InputError(f"{name} must be a whole number; it is {number:g}")
    return int(number)


def _loudness(name: str, value: object) -> float | None:
    if is_off(value):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InputError(f"{name} must be a number of LUFS (like {TARGET_LUFS:g}) or 'off', "
                             f"not {value!r}", hint=_OFF_HINT) from None  # fmt: skip
    return _in_range(name, value, limits.LOUDNESS_LUFS)


_OFF_HINT = "Off is any of " + ", ".join(OFF_WORDS) + "."


def _format(name: str, value: object) -> str | None:
    from cuecast.encode import FORMATS

    if value is None:
        return None
    fmt = str(value).strip().lower()
    if fmt not in FORMATS:
        known = sorted(FORMATS)
        hint = did_you_mean(fmt, known) or "Formats: " + ", ".join(known) + "."
        raise InputError(f"{name} {value}: not an audio format cuecast writes", hint=hint)
    return fmt


def _captions(name: str, value: object) -> tuple[str, ...]:
    from cuecast.captions import CAPTION_KINDS

    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise InputError(f"{name} must be like 'vtt,srt' or ['vtt'], not {value!r}")
    kinds = tuple(dict.fromkeys(k for k in (str(c).strip().lower() for c in items) if k))
    unknown = [k for k in kinds if k not in CAPTION_KINDS]
    if unknown:
        shown = value if isinstance(value, str) else ",".join(str(c) for c in items)
        raise InputError(f"{name} {shown}: unknown caption format '{unknown[0]}'; "
                         f"use any of {', '.join(CAPTION_KINDS)}",
                         hint=did_you_mean(unknown[0], CAPTION_KINDS))  # fmt: skip
    return kinds


def _meta(raw: Mapping[str, object], said: _Said) -> dict[str, str]:
    from cuecast.tags import track_numbers

    meta = {k: str(raw[k]) for k in META if raw.get(k) is not None}
    if "cover" in meta:
        meta["cover"] = os.path.abspath(meta["cover"])
    if "track" in meta:
        try:
            track_numbers(meta["track"])
        except InputError as err:
            raise InputError(f"{said('track')} {meta['track']}: {err.message}",
                             hint=err.hint) from None  # fmt: skip
    return meta
