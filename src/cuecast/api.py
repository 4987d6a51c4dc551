"""The Python API: the command line's three verbs as functions.

    import cuecast
    timeline = cuecast.plan("routine.yaml", set={"hold": 45}, engine="pyttsx3")
    result = cuecast.render("routine.yaml", "out/routine.mp3", loudness=-16)
    segment = cuecast.audio_segment("routine.yaml")        # a pydub.AudioSegment

Takes a script (a path, or a mapping built in Python) and options named and
valued as on the command line (``set``/``sets``, ``profile``, ``engine``,
``voice``, ``rate``, ``format``, ``bitrate``, ``loudness``, ``captions``, the
tag options, ``jobs``, ``strict``, ``allow_outside``, ``progress``, and
``length``: fit the vars to a length, see ``fit``); gives a
``Timeline``, a ``Result`` or an ``AudioSegment``. Errors are the
``cuecast.errors`` family, as on the command line (``InputError`` naming the
option or the script's line). Nothing here prints.

The package exposes these functions as ``cuecast.plan``, ``cuecast.render``
and ``cuecast.audio_segment``; the stages they call are the modules
``cuecast.planner`` and ``cuecast.pipeline``.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
import wave
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cuecast import limits
from cuecast.errors import InputError
from cuecast.script.yamlnodes import did_you_mean
from cuecast.timeline import Timeline
from cuecast.units import clock_text

if TYPE_CHECKING:
    from pydub import AudioSegment

    from cuecast.fit import Fitted
    from cuecast.pipeline import Options

Script = str | os.PathLike[str] | Mapping[str, Any]
"""A routine: the path of a YAML file, or the same structure as a mapping."""

META = ("title", "subtitle", "author", "album", "year", "genre", "description", "track", "cover")
OPTION_NAMES = (
    "profile", "set", "sets", "length", "engine", "voice", "rate", "strict", "allow_outside",
    "format", "bitrate", "loudness", "captions", "jobs", "recordings", "progress", *META,
)  # fmt: skip


@dataclass(frozen=True, repr=False)
class Result:
    """A finished render: the track, its timeline file and what was measured."""

    path: str
    """The audio file written."""
    timeline_path: str
    """``NAME.timeline.json`` beside it."""
    timeline: Timeline
    extra_paths: tuple[str, ...] = ()
    """Captions written beside the track."""
    loudness_lufs: float | None = None
    """Integrated loudness of the track as encoded (None with ``loudness="off"``)."""
    true_peak_dbtp: float | None = None

    def __repr__(self) -> str:
        level = "" if self.loudness_lufs is None else f", {self.loudness_lufs:.1f} LUFS"
        return f"Result({self.path!r}, {clock_text(self.timeline.length)}{level})"


def plan(script: Script, **options: Any) -> Timeline:
    """The timeline of ``script``: every event with its start and end, in
    samples, without encoding audio. Speech is synthesised (and cached) to
    measure it, with the engine the render would use, so the length is the
    rendered length to the sample."""
    from cuecast.pipeline import prepare

    progress = options.pop("progress", None)
    length = options.pop("length", None)
    with _script_path(script) as path:
        settings = fitted_options(path, to_options(options), length)
        return _named(prepare(path, settings, progress).timeline, script)


def render(script: Script, out: str | os.PathLike[str] | None = None, **options: Any) -> Result:
    """Render ``script`` to ``out`` (default: ``NAME.FORMAT`` in the current
    folder, NAME the script's file name, or its title for a mapping; folders
    are made) with the timeline beside it."""
    from cuecast.pipeline import render as render_file

    progress = options.pop("progress", None)
    length = options.pop("length", None)
    settings = to_options(options)
    if out is None and not isinstance(script, (str, os.PathLike)):
        out = f"{_slug(str(script.get('title', 'session')))}.{settings.fmt or 'mp3'}"
    with _script_path(script) as path:
        settings = fitted_options(path, settings, length)
        done = render_file(path, out, settings, progress)
    final = done.final_loudness or done.loudness
    return Result(
        path=done.path,
        timeline_path=done.timeline_path,
        timeline=_named(done.timeline, script),
        extra_paths=tuple(done.extra_paths),
        loudness_lufs=None if final is None else final.integrated_lufs,
        true_peak_dbtp=None if final is None else final.true_peak_dbtp,
    )


def fit(script: Script, length: str | float, **options: Any) -> Fitted:
    """The values that make ``script`` ``length`` long (a duration: ``"20m"``,
    ``"1:30:00"``, or seconds), within 5 s, as ``cuecast.fit`` finds them
    with the render's own plans; vars given in ``set`` stay as given. A
    ``Fitted`` that says whether the length was reached (else the nearest)."""
    with _script_path(script) as path:
        return _fit(path, to_options(options), parse_length(length))


def fitted_options(path: str, options: Options, length: str | float | None,
                   name: str = "length") -> Options:
    """``options`` with the vars fitted to ``length`` added to its sets (the
    ``set`` ones stay); unchanged when ``length`` is None. ``InputError``
    naming the option (``name``) when the script cannot be made that long."""
    if length is None:
        return options
    from dataclasses import replace

    fitted = _fit(path, options, parse_length(length, name))
    if not fitted.reached:
        raise InputError(f"{name} {_length_text(length)}: {path} {fitted.message}",
                         hint=_fit_hint(fitted))
    return replace(options, sets={**options.sets, **fitted.values})


def parse_length(length: str | float, name: str = "length") -> float:
    """A length as seconds: a duration (``20m``, ``1:30:00``, ``600``)
    greater than zero; ``InputError`` naming the option otherwise."""
    from cuecast.script import parse_duration
    from cuecast.script.durations import DurationError

    text = _length_text(length)
    try:
        seconds = float(length) if isinstance(length, (int, float)) and \
            not isinstance(length, bool) else parse_duration(str(length))
    except (DurationError, ValueError) as err:
        raise InputError(f"{name} {text}: {err}") from None
    if not 0 < seconds <= limits.MAX_DURATION_S:
        raise InputError(f"{name} {text}: a length must be more than 0 and at most 24 hours")
    return seconds


def _fit(path: str, options: Options, asked_s: float) -> Fitted:
    from dataclasses import replace

    from cuecast.fit import fit_length
    from cuecast.pipeline import prepare
    from cuecast.script import describe_vars

    infos = describe_vars(path, profile=options.profile, sets=options.sets,
                          allow_outside=options.allow_outside)

    def planner(values: Mapping[str, str]) -> float:
        planned = replace(options, sets={**options.sets, **values})
        return prepare(path, planned).timeline.duration_s

    return fit_length(asked_s, infos, planner, fixed=options.sets)


def _length_text(length: object) -> str:
    return f"{length:g}" if isinstance(length, float) else str(length)


def _fit_hint(fitted: Fitted) -> str:
    if not fitted.values:
        return "Give the script's vars a min and a max to let a length choose their values."
    sets = " ".join(f"--set {k}={v}" for k, v in fitted.values.items())
    return f"The nearest is: {sets}"


def audio_segment(script: Script, **options: Any) -> AudioSegment:
    """The finished session as a ``pydub.AudioSegment``: the samples of the
    WAV ``render`` writes (levelled like every render unless
    ``loudness="off"``), ``frame_count()`` equal to the timeline's length.
    Nothing is left on disk."""
    AudioSegment = _pydub()
    if options.get("format", "wav") != "wav":
        raise InputError("audio_segment makes a WAV in memory; leave out 'format'")
    options["format"] = "wav"
    with tempfile.TemporaryDirectory(prefix="cuecast-") as folder:
        result = render(script, Path(folder) / "session.wav", **options)
        with wave.open(result.path, "rb") as wav:
            frames = wav.readframes(wav.getnframes())
            return AudioSegment(
                data=frames,
                sample_width=wav.getsampwidth(),
                frame_rate=wav.getframerate(),
                channels=wav.getnchannels(),
            )


def _pydub() -> type[AudioSegment]:
    """pydub's AudioSegment, told to use cuecast's ffmpeg (pydub warns at
    import when none is on PATH; cuecast brings its own)."""
    import warnings

    from cuecast.ffmpeg import ffmpeg_exe_or_none

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no ffmpeg on PATH
        warnings.simplefilter("ignore", DeprecationWarning)  # audioop, on Python 3.11-3.12
        from pydub import AudioSegment
    exe = ffmpeg_exe_or_none()
    if exe is not None and AudioSegment.converter in ("ffmpeg", "avconv"):
        AudioSegment.converter = exe  # so segment.export(...) works too
    return AudioSegment


# --- options as on the command line ---------------------------------------------------


def to_options(options: Mapping[str, Any]) -> Options:
    """Command-line-style keyword options -> ``cuecast.pipeline.Options``;
    ``InputError`` naming an unknown option or a value out of its range."""
    from cuecast.pipeline import Options

    for name in options:
        if name not in OPTION_NAMES:
            hint = did_you_mean(name, OPTION_NAMES) or "Options: " + ", ".join(OPTION_NAMES) + "."
            raise InputError(f"unknown option {name!r}", hint=hint)
    get = dict(options)
    if "set" in get and "sets" in get:
        raise InputError("give 'set' or 'sets', not both (they are the same option)")
    known = {f.name for f in fields(Options)}
    values: dict[str, Any] = {
        "profile": get.get("profile"),
        "sets": _sets(get.get("sets", get.get("set"))),
        "engine": get.get("engine"),
        "voice": get.get("voice"),
        "rate_wpm": _in_range("rate", get.get("rate"), limits.RATE_WPM),
        "strict": bool(get.get("strict", False)),
        "allow_outside": bool(get.get("allow_outside", False)),
        "fmt": get.get("format"),
        "bitrate_kbps": _whole("bitrate", get.get("bitrate"), limits.BITRATE_KBPS),
        "loudness_lufs": _loudness(get.get("loudness", -16.0)),
        "captions": _captions(get.get("captions", ())),
        "jobs": _whole("jobs", get.get("jobs"), limits.JOBS),
        "meta": _meta(get),
    }
    if get.get("recordings") is not None:
        if "recordings" not in known:
            raise InputError("the 'recordings' option is not available in this version")
        values["recordings"] = os.fspath(get["recordings"])
    _check_voice(values["engine"], values["voice"])
    return Options(**values)


def _sets(raw: object) -> dict[str, str]:
    """``{"hold": 45}``, ``{"hold": "45s"}`` or ``["hold=45s"]`` -> names to text."""
    from cuecast.script import parse_set
    from cuecast.script.load import set_text

    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {str(name): set_text(value) for name, value in raw.items()}
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, Sequence):
        return dict(parse_set(str(item)) for item in raw)
    raise InputError(f"set must be a mapping like {{'hold': '45s'}}, not {type(raw).__name__}")


def _in_range(name: str, value: object, bounds: limits.Range) -> float | None:
    if value is None:
        return None
    number = _number(name, value)
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


def _number(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise InputError(f"{name} must be a number, not {value}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, not {value!r}") from None


def _loudness(value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("off", "none")):
        return None
    return _in_range("loudness", value, limits.LOUDNESS_LUFS)


def _captions(value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise InputError(f"captions must be like 'vtt,srt' or ['vtt'], not {value!r}")
    return tuple(str(c).strip() for c in items if str(c).strip())


def _meta(get: Mapping[str, Any]) -> dict[str, str]:
    meta = {k: str(get[k]) for k in META if get.get(k) is not None}
    if "cover" in meta:
        meta["cover"] = os.path.abspath(meta["cover"])
    return meta


def _check_voice(engine: str | None, voice: str | None) -> None:
    from cuecast.voices.registry import check_options

    check_options(engine, voice)


# --- a script given as a mapping --------------------------------------------------------

MAPPING_NAME = "<script mapping>"
"""How errors and the timeline name a script given as a mapping."""


@contextlib.contextmanager
def _script_path(script: Script) -> Iterator[str]:
    """The path to load: the file itself, or a mapping written as YAML to a
    hidden file in the current folder (so its relative file names mean what
    they would in a script there), removed afterwards."""
    if isinstance(script, (str, os.PathLike)):
        yield os.fspath(script)
        return
    if not isinstance(script, Mapping):
        raise InputError(f"a script is a path or a mapping, not {type(script).__name__}")
    text = yaml.safe_dump(_plain(script), sort_keys=False, allow_unicode=True)
    path = _hidden_file(text)
    try:
        yield path
    except InputError as err:
        if err.file == path:
            err.file = MAPPING_NAME
        raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _plain(value: object) -> object:
    """Mappings, sequences, paths and numbers as YAML can dump them safely."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _hidden_file(text: str) -> str:
    for folder in (os.getcwd(), tempfile.gettempdir()):
        path = os.path.join(folder, f".cuecast-script-{secrets.token_hex(6)}.yaml")
        try:
            with open(path, "x", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            continue
        return path
    raise InputError("cannot write the script mapping to a file (no writable folder)")


def _named(timeline: Timeline, script: Script) -> Timeline:
    if isinstance(script, (str, os.PathLike)):
        return timeline
    from dataclasses import replace

    return replace(timeline, file=MAPPING_NAME)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "session"


