"""The catalogue as the listener's pages see it, and what a listener chose.

Takes a loaded ``Catalogue``; gives, per track, the values a listener may
change (each duration or whole-number var, with its label, bounds and the
value under each profile), reads a submitted form into a ``Choice``
(profile and values, checked by the script loader itself, so bounds and
units are exactly those of ``cuecast render --set``) and gives each choice
its session key: a hash of the script, the resolved values and the render
options, so equal requests share one file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cuecast.catalogue import Catalogue, Track, track_options
from cuecast.catalogue.options import track_settings
from cuecast.errors import InputError
from cuecast.fingerprint import digest, file_digest, of_files
from cuecast.request import META, Options, RenderRequest, parse_options
from cuecast.script import Script, VarInfo, describe_vars, load
from cuecast.script.load import load_with_vars
from cuecast.script.reads import files_read
from cuecast.script.varinfo import described
from cuecast.units import clock

MAX_VALUE_CHARS = 24
FORM_KEYS = ("profile", "shown_profile", "voice")
"""Form fields that are not vars: the profile chosen, the one whose
values the form was showing (so that, without JavaScript, choosing another
profile changes the values the listener left alone), and the voice chosen
among the track's ``voices``."""

_WHOLE = re.compile(r"^\d+$")
_SAFE_VALUE = re.compile(r"^[0-9A-Za-z.: ]*$")
_SET_PREFIX = re.compile(r"^--set [^:]*: ")


class BadChoice(Exception):
    """A value or field the page cannot take; ``field`` is the var's name
    (or None for the form as a whole). The message is for the listener."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Field:
    """One input of a track's page."""

    name: str
    kind: str
    """``duration`` (seconds) or ``number`` (a whole number)."""
    label: str
    min: float | None
    max: float | None
    hint: str
    values: Mapping[str, str]
    """Profile ("" for none) -> the value shown for it."""


@dataclass(frozen=True)
class TrackView:
    id: str
    title: str
    description: str
    track: Track
    profiles: tuple[str, ...]
    fields: tuple[Field, ...]
    inputs: str = ""
    """The render's fingerprint (``cuecast.fingerprint``), taken at start-up."""
    cover: str | None = None
    """The cover image's path: the script's own, else the series'."""
    lengths_s: tuple[float, ...] = ()
    """Lengths the catalogue offers this track's listener (``lengths``)."""
    language: str = "en"
    """The script's language (the voices' samples speak it)."""

    @property
    def default_profile(self) -> str:
        return self.track.profile or ""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def voices(self) -> tuple[str, ...]:
        """The voices the listener may choose (the catalogue's ``voices``);
        the first is chosen when the form names none."""
        return self.track.voices


@dataclass(frozen=True)
class Choice:
    """What a listener asked for: checked, resolved, keyed."""

    track: TrackView
    profile: str
    values: Mapping[str, str]
    """Every field's value as given or shown (for the page)."""
    request: RenderRequest
    """The render this choice asks for: the track's script and the options
    (``serve_options``), parsed once; plans and renders take it as it is."""
    key: str
    voice: str = ""
    """The voice chosen ("" when the track offers none)."""
    default_key: str = ""
    """What names the script's default session (``default_key``), whose
    levelling a customised session keeps (``loudness.KeptAnchors``)."""
    script: Script | None = None
    """The script as the render loads it (these values and profile), read
    once: the session's render does not read it again (``pipeline.load_request``)."""

    @property
    def options(self) -> Options:
        return self.request.options


class Library:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.tracks = {t.id: _view(catalogue, t) for t in catalogue.tracks}

    def get(self, track_id: str) -> TrackView | None:
        return self.tracks.get(track_id)

    def choose(self, view: TrackView, form: Mapping[str, str]) -> Choice:
        """Read a submitted form; ``BadChoice`` says what is wrong."""
        for name in form:
            if name not in FORM_KEYS and view.field(name) is None:
                shown = name if len(name) <= 40 else name[:40] + "…"
                raise BadChoice(f"This session has no setting called '{shown}'.")
        profile = form.get("profile", view.default_profile).strip()
        if profile and profile not in view.profiles:
            raise BadChoice(f"There is no profile called '{profile[:40]}' for this session.")
        shown = form.get("shown_profile", profile).strip()
        shown = shown if shown in ("", *view.profiles) else profile
        sets = dict(view.track.sets)
        values = {}
        for f in view.fields:
            text = _value_text(f, form.get(f.name, ""))
            kept = text == "" or (shown != profile and text == f.values.get(shown))
            values[f.name] = f.values.get(profile, "") if kept else text
            if not kept:
                sets[f.name] = text
        voice = form.get("voice", "").strip()
        if voice and voice not in view.voices:
            raise BadChoice(f"This session has no voice called '{voice[:40]}'.")
        voice = voice or (view.voices[0] if view.voices else "")
        options = serve_options(self.catalogue, view.track, profile, sets, voice)
        infos, script = _described(view, profile, sets, options.allow_outside)
        request = RenderRequest(str(view.track.script), options)
        text = file_digest(view.track.script)
        return Choice(view, profile, values, request, session_key(view, infos, options, text),
                      voice, default_key(view, options, text), script)  # fmt: skip


def serve_options(catalogue: Catalogue, track: Track, profile: str,
                  sets: Mapping[str, str], voice: str = "") -> Options:
    """The catalogue's render options for a listener's session, read by the
    one parser (``cuecast.request``): always MP3 (it can be played while it
    is made), no captions, and only the track's own title as a tag, so the
    file is byte for byte what ``cuecast render SCRIPT --set ...`` (with the
    catalogue's engine, voice, rate, bitrate and loudness) makes. A
    ``voice`` the listener chose replaces the catalogue's and brings its
    engine, as ``--voice`` does."""
    settings = {k: v for k, v in track_settings(catalogue, track).items()
                if k not in (*META, "captions", "profile", "set")}  # fmt: skip
    if settings.get("format") != "mp3":
        settings.pop("bitrate", None)  # another format's bitrate
    settings.update({"format": "mp3", "profile": profile or None, "set": dict(sets)})
    if track.title:
        settings["title"] = track.title
    if voice:
        settings["voice"] = voice
        settings.pop("engine", None)
    return parse_options(settings, check_voice=False)


def session_key(view: TrackView, infos: tuple[VarInfo, ...], options: Options,
                script: str | None = None) -> str:  # fmt: skip
    """128 bits of the hash (``fingerprint.digest``) of the script's content
    (``script``: its digest, else read now), the other files it reads and
    the versions (``view.inputs``, its fingerprint taken at start-up), the
    resolved values and the options."""
    values = {i.name: (i.kind, i.seconds if i.kind == "duration" else
                       i.number if i.kind == "number" else i.value) for i in infos}
    opts = {k: v for k, v in options.as_dict().items() if k not in ("profile", "sets", "jobs")}
    script = script or file_digest(view.track.script)
    return digest({"v": 2, "track": view.id, "script": script,
                   "inputs": view.inputs, "values": values, "options": opts})[:32]


def default_key(view: TrackView, options: Options, script: str) -> str:
    """What names the default session of a session with these options
    (``Options.default_session``: the script's declared values, no
    profile): the hash of the script's content (``script``, its digest),
    the other files it reads and the versions (``view.inputs``) and that
    session's options; "" when the session is the default one."""
    default = options.default_session()
    if default is None:
        return ""
    opts = {k: v for k, v in default.as_dict().items() if k != "jobs"}
    return digest({"v": 1, "default of": view.id, "script": script, "inputs": view.inputs,
                   "options": opts})[:32]


def _value_text(f: Field, raw: str) -> str:
    text = raw.strip()
    if len(text) > MAX_VALUE_CHARS or not _SAFE_VALUE.match(text):
        raise BadChoice(f"{f.label}: '{text[:MAX_VALUE_CHARS]}' is not a value this page takes; "
                        f"{f.hint}.", f.name)
    if f.kind == "number" and text and not _WHOLE.match(text):
        raise BadChoice(f"{f.label} takes a whole number, like "
                        f"{f.values.get('', '3')}; '{text}' is not one.", f.name)
    return text


def _described(view: TrackView, profile: str, sets: Mapping[str, str],
               allow_outside: bool) -> tuple[tuple[VarInfo, ...], Script]:  # fmt: skip
    """The vars with these values, and the script loaded as a render with
    these options loads it (``pipeline``'s ``load``), from one read."""
    try:
        loaded = load_with_vars(view.track.script, profile=profile or None, sets=sets,
                                allow_outside=allow_outside)  # fmt: skip
        return described(loaded), loaded.script
    except InputError as err:
        name = next((f.name for f in view.fields if f"'{f.name}'" in err.message), None)
        label = view.field(name).label if name and view.field(name) else None  # type: ignore[union-attr]
        text = _SET_PREFIX.sub("", err.message)  # the page is not a command line
        if err.hint:
            text += ("" if text.endswith((".", "?", "!")) else ".") + f" {err.hint}"
        raise BadChoice(f"{label}: {text}" if label else text, name, 422) from None


def _view(catalogue: Catalogue, track: Track) -> TrackView:
    infos = describe_vars(track.script, profile=track.profile, sets=track.sets,
                          allow_outside=catalogue.allow_outside)
    profiles = tuple(sorted({p for i in infos for p in i.profiles}))
    by_profile = {"": describe_vars(track.script, sets=track.sets,
                                    allow_outside=catalogue.allow_outside)}
    for p in profiles:
        by_profile[p] = describe_vars(track.script, profile=p, sets=track.sets,
                                      allow_outside=catalogue.allow_outside)
    fields_ = tuple(_field(i, {p: _shown(v, i.name) for p, v in by_profile.items()})
                    for i in infos if _customisable(i))
    title, description, inputs, cover, language = _script_meta(track, catalogue)
    if cover is None and catalogue.series.cover is not None:
        cover = str(catalogue.series.cover)
    return TrackView(track.id, track.title or title, description, track, profiles, fields_,
                     inputs, cover, track.lengths_s, language)


def _customisable(info: VarInfo) -> bool:
    if info.kind == "duration":
        return True
    return info.kind == "number" and info.number is not None and float(info.number).is_integer()


def _shown(infos: tuple[VarInfo, ...], name: str) -> str:
    info = next(i for i in infos if i.name == name)
    if info.kind == "duration" and info.seconds is not None:
        return _seconds_text(info.seconds)
    return info.value


def _seconds_text(seconds: float) -> str:
    whole = int(seconds)
    return str(whole) if whole == seconds else f"{seconds:g}"


def _field(info: VarInfo, values: Mapping[str, str]) -> Field:
    label = info.label or info.name.replace("_", " ").capitalize()
    if info.kind == "duration":
        hint = "seconds, or like 45s or 1:30"
        bounds = _bounds(info, _short)
    else:
        hint = "a whole number"
        bounds = _bounds(info, lambda v: f"{v:g}")
    return Field(info.name, info.kind, label, info.min, info.max,
                 f"{hint}{'; ' + bounds if bounds else ''}", dict(values))


def _bounds(info: VarInfo, show) -> str:  # type: ignore[no-untyped-def]
    if info.min is not None and info.max is not None:
        return f"from {show(info.min)} to {show(info.max)}"
    if info.min is not None:
        return f"at least {show(info.min)}"
    return f"at most {show(info.max)}" if info.max is not None else ""


def _short(seconds: float) -> str:
    """A bound for a hint: ``30 s``, ``3 min``, ``1:30``."""
    if seconds < 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else clock(seconds)


def _script_meta(track: Track, catalogue: Catalogue) -> tuple[str, str, str, str | None, str]:
    """The script's title, description, cover and language, and its render's fingerprint
    (``cuecast.fingerprint``: the content of every file it reads (includes,
    sounds, cover, voice model, recordings), the options and the versions of
    cuecast, the engines and ffmpeg), taken at start-up: a server restarted
    after any of them changed never serves an old session for new inputs."""
    script = load(track.script, profile=track.profile, sets=track.sets,
                  allow_outside=catalogue.allow_outside)
    options = track_options(catalogue, track)
    extra = [p for p in (options.recordings, options.voice) if p and os.path.isabs(p)]
    inputs = of_files(files_read(script, extra), options.as_dict(), script=str(track.script))
    return script.meta.title or track.id, script.meta.description or "", inputs.digest, \
        script.meta.cover, script.language
