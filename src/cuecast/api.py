"""The Python API: the command line's verbs as functions.

    import cuecast
    timeline = cuecast.plan("routine.yaml", set={"hold": 45}, engine="pyttsx3")
    result = cuecast.render("routine.yaml", "out/routine.mp3", loudness=-19)
    segment = cuecast.audio_segment("routine.yaml")        # a pydub.AudioSegment

Takes a script (a path, or a mapping built in Python, read from memory with
its relative file names starting from the current folder) and options
named and valued as on the command line (``set``/``sets``, ``profile``,
``engine``, ``voice``, ``rate``, ``format``, ``bitrate``, ``loudness``,
``captions``, the tag options, ``jobs``, ``strict``, ``allow_outside``,
``recordings``; parsed by ``cuecast.request``), ``progress``, and
``length``: fit the vars to a length, see ``fit``; gives a ``Timeline``, a
``Result`` or an ``AudioSegment``. Errors are the ``cuecast.errors``
family, as on the command line (``InputError`` naming the option or the
script's line). Nothing here prints.

The package exposes these functions as ``cuecast.plan``, ``cuecast.render``
and ``cuecast.audio_segment``; the stages they call are the modules
``cuecast.planner`` and ``cuecast.pipeline``.
"""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cuecast.errors import InputError
from cuecast.pipeline import Result, prepare
from cuecast.pipeline import render as render_file
from cuecast.request import Length, Options, ScriptInput, parse_length, parse_request
from cuecast.script.load import ScriptSource, source_name
from cuecast.timeline import Timeline

if TYPE_CHECKING:
    from pydub import AudioSegment

    from cuecast.fit import Fitted

__all__ = ["Result", "ScriptInput", "audio_segment", "fit", "plan", "render"]


def plan(script: ScriptInput, **options: Any) -> Timeline:
    """The timeline of ``script``: every event with its start and end, in
    samples, without encoding audio. Speech is synthesised (and cached) to
    measure it, with the engine the render would use, so the length is the
    rendered length to the sample."""
    progress = options.pop("progress", None)
    request = parse_request(script, options)
    settings = fitted_options(request.script, request.options, request.length)
    return prepare(request.script, settings, progress).timeline


def render(script: ScriptInput, out: str | os.PathLike[str] | None = None,
           **options: Any) -> Result:  # fmt: skip
    """Render ``script`` to ``out`` (default: ``NAME.FORMAT`` in the current
    folder, NAME the script's file name, or its title for a mapping; folders
    are made) with the timeline beside it."""
    progress = options.pop("progress", None)
    request = parse_request(script, options)
    settings = fitted_options(request.script, request.options, request.length)
    return render_file(request.script, out, settings, progress)


def fit(script: ScriptInput, length: str | float, **options: Any) -> Fitted:
    """The values that make ``script`` ``length`` long (a duration: ``"20m"``,
    ``"1:30:00"``, or seconds), within 5 s, as ``cuecast.fit`` finds them
    with the render's own plans; vars given in ``set`` stay as given. A
    ``Fitted`` that says whether the length was reached (else the nearest)."""
    request = parse_request(script, options)
    return _fit(request.script, request.options, parse_length(length).seconds)


def fitted_options(path: ScriptSource, options: Options, length: Length | None) -> Options:
    """``options`` with the vars fitted to ``length`` added to its sets (the
    ``set`` ones stay); unchanged when ``length`` is None. ``InputError``
    naming the option when the script cannot be made that long."""
    if length is None:
        return options
    fitted = _fit(path, options, length.seconds)
    if not fitted.reached:
        where = source_name(path)
        raise InputError(f"{length.said}: {where} {fitted.message}", hint=_fit_hint(fitted))
    return replace(options, sets={**options.sets, **fitted.values})


def _fit(path: ScriptSource, options: Options, asked_s: float) -> Fitted:
    from cuecast.fit import fit_length
    from cuecast.script import describe_vars

    infos = describe_vars(path, profile=options.profile, sets=options.sets,
                          allow_outside=options.allow_outside)

    def planner(values: Mapping[str, str]) -> float:
        planned = replace(options, sets={**options.sets, **values})
        return prepare(path, planned).timeline.duration_s

    return fit_length(asked_s, infos, planner, fixed=options.sets)


def _fit_hint(fitted: Fitted) -> str:
    if not fitted.values:
        return "Give the script's vars a min and a max to let a length choose their values."
    sets = " ".join(f"--set {k}={v}" for k, v in fitted.values.items())
    return f"The nearest is: {sets}"


def audio_segment(script: ScriptInput, **options: Any) -> AudioSegment:
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
