"""The catalogue loader: a catalogue YAML file -> a checked ``Catalogue``.

Takes the path of a catalogue (``catalogue-format.md``) and whether its
files may lie outside its folder; gives a ``Catalogue`` whose every track
script has been loaded with its profile and ``set`` values, so a bad
catalogue fails here, before anything renders. It reads YAML the way the
script loader does (``cuecast.script.yamlnodes``: positions, limits,
did-you-mean); every problem is an ``InputError`` at ``file:line:column``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import yaml

from cuecast import limits
from cuecast.catalogue import keys
from cuecast.catalogue.model import Catalogue, Client, Series, Track
from cuecast.errors import InputError
from cuecast.request import option_value, parse_length, parse_options
from cuecast.script.files import MAX_COVER_BYTES, is_cover_image, resolve
from cuecast.script.yamlnodes import Reader, compose, did_you_mean, read_text

if TYPE_CHECKING:
    from cuecast.script import Script

Items = dict[str, tuple[yaml.Node, yaml.Node]]
_ID = re.compile(keys.ID_PATTERN)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


def load_catalogue(path: str | os.PathLike[str], *, allow_outside: bool = False,
                   text: str | None = None) -> Catalogue:  # fmt: skip
    """Read and check the catalogue at ``path`` and every script it names;
    ``text``: the catalogue's text as typed (``cuecast edit``), read instead
    of the file, as if it were the file at ``path``."""
    display = os.fspath(path)
    try:
        return _Loader(display, allow_outside, text).load()
    except RecursionError:
        raise InputError("the catalogue is nested too deeply to read", file=display) from None


class _Loader:
    def __init__(self, display: str, allow_outside: bool, text: str | None = None) -> None:
        self.display = display
        self.typed = text
        self.reader = Reader(display, [0])
        self.folder = os.path.dirname(os.path.abspath(display))
        self.allow_outside = allow_outside

    def fail(self, node: yaml.Node | None, message: str, hint: str | None = None) -> NoReturn:
        self.reader.fail(node, message, hint)

    def _text(self) -> str:
        if self.typed is None:
            return read_text(os.path.realpath(self.display), self.display)
        if len(self.typed.encode("utf-8", "surrogatepass")) > limits.MAX_FILE_BYTES:
            raise InputError(f"the text is larger than the {limits.MAX_FILE_BYTES:,} byte "
                             "limit for a catalogue", file=self.display)  # fmt: skip
        return self.typed.removeprefix("\ufeff")

    def load(self) -> Catalogue:
        try:
            text = self._text()
        except InputError as err:  # the YAML reader speaks of scripts
            err.message = err.message.replace("for a script", "for a catalogue").replace(
                "a script file", "a catalogue file")
            raise
        if not text.strip() or all(
            not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
        ):
            raise InputError(
                "the catalogue is empty; it needs 'series' and 'tracks'",
                file=self.display, line=1, column=1,
            )  # fmt: skip
        try:
            root = compose(text, self.display)
        except InputError as err:
            err.message = err.message.replace("the script has", "the catalogue has").replace(
                "one routine per file", "one catalogue per file")
            raise
        if not isinstance(root, yaml.MappingNode):
            self.fail(root, "the top level of a catalogue must be a mapping with 'series:' and "
                            "'tracks:'")  # fmt: skip
        items = self.reader.mapping(root, "the top level")
        self.reader.check_keys(items, keys.TOP_KEYS, "the top level")
        for needed in ("series", "tracks"):
            if needed not in items:
                self.fail(root, f"the catalogue has no '{needed}'; it needs 'series' and 'tracks'")
        series = self.series(items["series"][1])
        defaults = self.defaults(items["defaults"][1]) if "defaults" in items else {}
        tracks = self.tracks(items["tracks"][1])
        clients = self.clients(items["clients"][1], tracks) if "clients" in items else ()
        catalogue = Catalogue(
            path=Path(os.path.abspath(self.display)),
            series=series,
            defaults=defaults,
            tracks=tracks,
            clients=clients,
            allow_outside=self.allow_outside,
        )
        scripts = self.check_scripts(catalogue, items["tracks"][1])
        return self.per_voice(replace(catalogue, scripts=scripts), items["tracks"][1])

    # -- values ---------------------------------------------------------------------------

    def text(self, node: yaml.Node, what: str, *, limit: int = 300) -> str:
        value = self.reader.scalar(node, what).strip()
        if not value:
            self.fail(node, f"{what} is empty; give it some text")
        if len(value) > limit:
            self.fail(node, f"{what} is {len(value):,} characters long; at most {limit:,}")
        return value

    def file(self, node: yaml.Node, what: str) -> Path:
        """A file named relative to the catalogue, kept inside its folder."""
        raw = self.reader.scalar(node, what).strip()
        real, problem = resolve(raw, self.folder, self.folder, self.allow_outside)
        messages = {
            "outside": (f"{what} '{raw}' is outside the catalogue's folder",
                        "Move it beside the catalogue, or pass --allow-outside to allow it."),
            "missing": (f"{what}: no file '{raw}' (looked in {os.path.dirname(real)})", None),
            "folder": (f"{what} '{raw}' is a folder, not a file", None),
            "special": (f"{what} '{raw}' is not a regular file (a pipe, device or socket)", None),
        }  # fmt: skip
        if problem is not None:
            message, hint = messages[problem]
            self.fail(node, message, hint)
        return Path(real)

    def identifier(self, node: yaml.Node, what: str) -> str:
        value = self.reader.scalar(node, what).strip()
        if not _ID.match(value):
            self.fail(node, f"{what} '{value}' cannot be used as a file name and in a URL",
                      "Use lower-case letters, digits, '.', '_' and '-' (up to 80), "
                      "starting with a letter or digit.")  # fmt: skip
        return value

    # -- series ---------------------------------------------------------------------------

    def series(self, node: yaml.Node) -> Series:
        items = self.reader.mapping(node, "series")
        self.reader.check_keys(items, keys.SERIES_KEYS, "series")
        for needed in keys.SERIES_REQUIRED:
            if needed not in items:
                self.fail(node, f"series has no '{needed}'; a series needs "
                          + ", ".join(f"'{k}'" for k in keys.SERIES_REQUIRED))  # fmt: skip
        get = {name: value for name, (_, value) in items.items()}
        owner_name, owner_email = self.owner(get["owner"]) if "owner" in get else (None, None)
        return Series(
            title=self.text(get["title"], "series title"),
            author=self.text(get["author"], "series author"),
            description=self.text(get["description"], "series description",
                                  limit=keys.MAX_TEXT_CHARS),  # fmt: skip
            link=self.link(get["link"]),
            cover=self.cover(get["cover"]) if "cover" in get else None,
            language=self.language(get["language"]) if "language" in get else "en",
            category=self.category(get["category"]) if "category" in get else None,
            explicit=self.reader.boolean(get["explicit"], "series explicit")
            if "explicit" in get else False,
            owner_name=owner_name,
            owner_email=owner_email,
            copyright=self.text(get["copyright"], "series copyright")
            if "copyright" in get else None,
        )  # fmt: skip

    def link(self, node: yaml.Node) -> str:
        raw = self.reader.scalar(node, "series link").strip()
        if not _URL.match(raw):
            self.fail(node, f"series link '{raw}' is not an http(s) URL",
                      "Give the public address of the published folder, like "
                      "https://example.com/desk-recovery/.")  # fmt: skip
        return raw if raw.endswith("/") else raw + "/"

    def cover(self, node: yaml.Node) -> Path:
        path = self.file(node, "series cover")
        if not is_cover_image(str(path)):
            self.fail(node, f"series cover '{node.value}' is not a PNG or JPEG image of at most "
                            f"{MAX_COVER_BYTES // 1_000_000} MB")  # fmt: skip
        return path

    def language(self, node: yaml.Node) -> str:
        tag = self.reader.scalar(node, "series language").strip()
        if not _LANGUAGE.match(tag):
            self.fail(node, f"series language '{tag}' is not a BCP-47 tag",
                      "For example: en, en-GB, de, pt-BR.")  # fmt: skip
        return tag

    def category(self, node: yaml.Node) -> str:
        raw = self.reader.scalar(node, "series category").strip()
        top, _, sub = (part.strip() for part in raw.partition("/"))
        if top not in keys.APPLE_CATEGORIES:
            starting = [c for c in keys.APPLE_CATEGORIES if c.lower().startswith(top.lower())]
            hint = did_you_mean(top, keys.APPLE_CATEGORIES) or (
                f"Did you mean '{starting[0]}'?" if starting else
                "Categories: " + ", ".join(keys.APPLE_CATEGORIES) + ".")
            self.fail(node, f"series category '{top}' is not an Apple Podcasts category", hint)
        subs = keys.APPLE_CATEGORIES[top]
        if sub and sub not in subs:
            listed = ", ".join(subs) if subs else "none"
            hint = did_you_mean(sub, subs) or f"Subcategories of {top}: {listed}."
            self.fail(node, f"'{sub}' is not a subcategory of '{top}'", hint)
        return f"{top}/{sub}" if sub else top

    def owner(self, node: yaml.Node) -> tuple[str | None, str | None]:
        items = self.reader.mapping(node, "series owner")
        self.reader.check_keys(items, keys.OWNER_KEYS, "series owner")
        name = self.text(items["name"][1], "owner name") if "name" in items else None
        email = None
        if "email" in items:
            email = self.text(items["email"][1], "owner email")
            if not _EMAIL.match(email):
                self.fail(items["email"][1], f"owner email '{email}' is not an e-mail address")
        return name, email

    # -- defaults ----------------------------------------------------------------------

    def defaults(self, node: yaml.Node) -> dict[str, object]:
        """Each render option read by the one parser (``cuecast.request``):
        it means, accepts and refuses what the command line's ``--NAME``
        does, with the same message, here at its line and column. Then the
        catalogue's own rules: a feed's formats, built-in engines, and a
        voice model or recordings folder named relative to the catalogue."""
        items = self.reader.mapping(node, "defaults")
        self.reader.check_keys(items, keys.DEFAULTS_KEYS, "defaults")
        out: dict[str, object] = {}
        for name, (_, value) in items.items():
            out[name] = self.default(name, value)
        return out

    def default(self, name: str, node: yaml.Node) -> object:
        raw = self.option_text(name, node)
        if name == "engine" and ":" in str(raw):
            self.fail(node, f"engine {raw}: a catalogue may name only the built-in engines")
        try:
            value = option_value(name, raw)
        except InputError as err:
            self.fail(self.culprit(name, node), err.message, err.hint)
        if name == "format" and value not in keys.FORMATS:
            self.fail(node, f"format {value}: not a format a feed can carry",
                      "Feed formats: " + ", ".join(keys.FORMATS) + ".")  # fmt: skip
        if name == "voice" and str(value).lower().endswith(".onnx"):
            return str(self.file(node, "defaults voice"))
        if name == "recordings":
            return self.recordings(node)
        return value

    def option_text(self, name: str, node: yaml.Node) -> object:
        """An option as written: its text (``on`` stays ``on``, as typed
        after ``--loudness``); ``strict``, a flag, as true or false; a list
        (``captions``) as its items' texts."""
        if name == "strict" and self.reader.is_bool(node):
            return self.reader.boolean(node, "defaults strict")
        if name == "captions" and isinstance(node, yaml.SequenceNode):
            items = self.reader.sequence(node, "defaults captions")
            return [self.reader.scalar(item, "a caption format").strip() for item in items]
        text = self.reader.scalar(node, f"defaults {name}").strip()
        if not text:
            self.fail(node, f"defaults {name} is empty; give it a value")
        return text

    def culprit(self, name: str, node: yaml.Node) -> yaml.Node:
        """The item of a list the option refuses on its own, else the node."""
        for item in node.value if isinstance(node, yaml.SequenceNode) else ():
            try:
                option_value(name, [self.reader.scalar(item, "an item").strip()])
            except InputError:
                return item
        return node

    def recordings(self, node: yaml.Node) -> str:
        """A folder of recorded lines (``voices/recordings/``), kept inside
        the catalogue's folder like its files."""
        raw = self.reader.scalar(node, "defaults recordings").strip()
        real, problem = resolve(raw, self.folder, self.folder, self.allow_outside)
        if problem == "outside":
            self.fail(node, f"defaults recordings '{raw}' is outside the catalogue's folder",
                      "Move it beside the catalogue, or pass --allow-outside to allow it.")
        if problem == "missing":
            self.fail(node, f"defaults recordings: no folder '{raw}' in {self.folder}")
        if problem != "folder":
            self.fail(node, f"defaults recordings '{raw}' is not a folder")
        return real

    # -- tracks ---------------------------------------------------------------------------

    def tracks(self, node: yaml.Node) -> tuple[Track, ...]:
        entries = self.reader.sequence(node, "tracks")
        if not entries:
            self.fail(node, "tracks is empty; list at least one '- script: FILE'")
        if len(entries) > keys.MAX_TRACKS:
            self.fail(node, f"the catalogue has {len(entries):,} tracks; at most "
                            f"{keys.MAX_TRACKS:,}")  # fmt: skip
        seen: dict[str, int] = {}
        out = []
        for entry in entries:
            track, id_node = self.track(entry)
            if track.id in seen:
                self.fail(id_node, f"two tracks have the id '{track.id}' (the first on line "
                          f"{seen[track.id]})", "Give one of them its own 'id:'.")  # fmt: skip
            seen[track.id] = track.line
            out.append(track)
        return tuple(out)

    def track(self, node: yaml.Node) -> tuple[Track, yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and not self.reader.is_null(node):
            self.fail(node, "a track must be a mapping like '- script: FILE'",
                      f"Write '- script: {node.value}'.")  # fmt: skip
        items = self.reader.mapping(node, "a track")
        self.reader.check_keys(items, keys.TRACK_KEYS, "a track")
        if "script" not in items:
            self.fail(node, "this track has no 'script'; name the routine file it is made from")
        get = {name: value for name, (_, value) in items.items()}
        script = self.file(get["script"], "track script")
        profile = self.reader.scalar(get["profile"], "track profile").strip() \
            if "profile" in get else None  # fmt: skip
        if "id" in get:
            track_id, id_node = self.identifier(get["id"], "track id"), get["id"]
        else:
            track_id, id_node = self.default_id(get["script"], script, profile), get["script"]
        voices = self.voices(get["voices"]) if "voices" in get else ()
        per_voice = self.reader.boolean(get["per_voice"], "track per_voice") \
            if "per_voice" in get else False  # fmt: skip
        if per_voice and not voices:
            self.fail(get["per_voice"], "per_voice needs the track's 'voices'",
                      "List them: voices: [heart, joe].")  # fmt: skip
        return Track(
            id=track_id,
            script=script,
            profile=profile,
            sets=self.sets(get["set"]) if "set" in get else {},
            title=self.text(get["title"], "track title") if "title" in get else None,
            published=self.published(get["published"]) if "published" in get else None,
            lengths_s=self.lengths(get["lengths"]) if "lengths" in get else (),
            line=node.start_mark.line + 1,
            voices=voices,
            per_voice=per_voice,
        ), id_node

    def voices(self, node: yaml.Node) -> tuple[str, ...]:
        """Voice names an installed engine has (``cuecast voices``), each once."""
        from cuecast.voices.registry import engine_for_voice

        entries = self.reader.sequence(node, "track voices")
        if not entries:
            self.fail(node, "voices is empty; name the voices a listener may choose")
        if len(entries) > keys.MAX_VOICES:
            self.fail(node, f"a track offers at most {keys.MAX_VOICES} voices")
        out: list[str] = []
        for item in entries:
            name = self.text(item, "a voice", limit=80)
            if name.lower().endswith(".onnx") or "/" in name or "\\" in name:
                self.fail(item, f"voice '{name}': a track's voices are voice names",
                          "A Piper model by path goes in defaults voice.")  # fmt: skip
            try:
                engine_for_voice(name)
            except InputError as err:
                self.fail(item, err.message, err.hint)
            if name in out:
                self.fail(item, f"the voice '{name}' is listed twice")
            out.append(name)
        return tuple(out)

    def per_voice(self, catalogue: Catalogue, node: yaml.Node) -> Catalogue:
        """Each ``per_voice`` track as one track per voice, ``ID-VOICE``,
        titled "TITLE (VOICE)"; a client's track id names them all."""
        if not any(t.per_voice for t in catalogue.tracks):
            return catalogue
        tracks: list[Track] = []
        scripts = dict(catalogue.scripts)
        made: dict[str, tuple[str, ...]] = {}
        for track, entry in zip(catalogue.tracks, self.reader.sequence(node, "tracks"),
                                strict=True):  # fmt: skip
            if not track.per_voice:
                tracks.append(track)
                continue
            script = scripts.pop(track.id)
            title = track.title or script.meta.title or track.id
            ids = []
            for voice in track.voices:
                slug = re.sub(r"[^a-z0-9._-]+", "-", voice.lower()).strip("-._")
                one = replace(track, id=f"{track.id}-{slug}"[:80], title=f"{title} ({voice})",
                              voice=voice, voices=(), per_voice=False)  # fmt: skip
                if one.id in scripts or one.id in made or any(t.id == one.id for t in tracks):
                    self.fail(entry, f"the track for voice '{voice}' would have the id "
                              f"'{one.id}', which another track has")  # fmt: skip
                scripts[one.id] = script
                tracks.append(one)
                ids.append(one.id)
            made[track.id] = tuple(ids)
        clients = tuple(
            replace(c, tracks=tuple(i for t in c.tracks for i in made.get(t, (t,))))
            for c in catalogue.clients
        )
        return replace(catalogue, tracks=tuple(tracks), clients=clients, scripts=scripts)

    def default_id(self, node: yaml.Node, script: Path, profile: str | None) -> str:
        stem = script.stem + (f"-{profile}" if profile else "")
        track_id = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:80]
        if not track_id:
            self.fail(node, f"cannot make a track id from '{stem}'", "Give the track an 'id:'.")
        return track_id

    def sets(self, node: yaml.Node) -> dict[str, str]:
        """Like ``--set`` (the one parser, ``cuecast.request``); the values
        are checked against the script's vars when it loads."""
        items = self.reader.mapping(node, "track set")
        texts = {name: self.reader.scalar(value, f"set {name}").strip()
                 for name, (_, value) in items.items()}  # fmt: skip
        for name, (key, _) in items.items():
            try:
                option_value("set", {name: texts[name]})
            except InputError as err:
                self.fail(key, err.message, err.hint)
        return dict(parse_options({"set": texts}).sets)

    def lengths(self, node: yaml.Node) -> tuple[float, ...]:
        items = self.reader.sequence(node, "track lengths")
        if len(items) > keys.MAX_LENGTHS:
            self.fail(node, f"track lengths lists {len(items)}; at most {keys.MAX_LENGTHS}")
        out = []
        for item in items:
            raw = self.reader.scalar(item, "a track length").strip()
            try:  # the one parser's lengths, as --length and length= read them
                out.append(parse_length(raw).seconds)
            except InputError as err:
                self.fail(item, err.message, err.hint)
        return tuple(sorted(set(out)))

    def published(self, node: yaml.Node) -> date:
        raw = self.reader.scalar(node, "track published").strip()
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.fail(node, f"track published '{raw}' is not a date",
                      "Write it as YEAR-MONTH-DAY, like 2026-12-01.")  # fmt: skip

    # -- clients --------------------------------------------------------------------------

    def clients(self, node: yaml.Node, tracks: tuple[Track, ...]) -> tuple[Client, ...]:
        if self.reader.is_null(node):
            return ()
        entries = self.reader.sequence(node, "clients")
        if len(entries) > keys.MAX_CLIENTS:
            self.fail(node, f"the catalogue has {len(entries):,} clients; at most "
                            f"{keys.MAX_CLIENTS:,}")  # fmt: skip
        ids = [t.id for t in tracks]
        seen: dict[str, int] = {}
        out = []
        for entry in entries:
            items = self.reader.mapping(entry, "a client")
            self.reader.check_keys(items, keys.CLIENT_KEYS, "a client")
            if "id" not in items:
                self.fail(entry, "this client has no 'id' (a short name for their feed)")
            client_id = self.identifier(items["id"][1], "client id")
            if client_id in seen:
                self.fail(items["id"][1], f"two clients have the id '{client_id}' (the first on "
                                          f"line {seen[client_id]})")  # fmt: skip
            seen[client_id] = entry.start_mark.line + 1
            name = self.text(items["name"][1], "client name") if "name" in items else client_id
            chosen = self.client_tracks(items["tracks"][1], ids) if "tracks" in items else ids
            out.append(Client(client_id, name, tuple(t for t in ids if t in chosen)))
        return tuple(out)

    def client_tracks(self, node: yaml.Node, ids: list[str]) -> list[str]:
        chosen = []
        for item in self.reader.sequence(node, "client tracks"):
            track_id = self.reader.scalar(item, "a client's track").strip()
            if track_id not in ids:
                hint = did_you_mean(track_id, ids) or "Track ids: " + ", ".join(ids) + "."
                self.fail(item, f"no track has the id '{track_id}'", hint)
            chosen.append(track_id)
        return chosen

    # -- the scripts ----------------------------------------------------------------------

    def check_scripts(self, catalogue: Catalogue, node: yaml.Node) -> dict[str, Script]:
        """Each track's script loads with its profile and ``set`` values. A
        problem inside a script keeps the script's position; one with the
        profile or a ``set`` value is shown at the track's entry."""
        from cuecast.script import load

        scripts = {}
        for track, entry in zip(catalogue.tracks, self.reader.sequence(node, "tracks"),
                                strict=True):  # fmt: skip
            try:
                scripts[track.id] = load(track.script, profile=track.profile, sets=track.sets,
                                         allow_outside=self.allow_outside, flags=False)  # fmt: skip
            except InputError as err:
                if err.line is not None and not err.message.startswith(("set ", "profile ")):
                    raise
                self.fail(_entry_node(self.reader, entry, err),
                          f"track '{track.id}': {err.message}", err.hint)  # fmt: skip

        return scripts

def _entry_node(reader: Reader, entry: yaml.Node, err: InputError) -> yaml.Node:
    """The node of the track's entry that the script's complaint is about."""
    items = reader.mapping(entry, "a track")
    for key in ("set", "profile") if err.message.startswith("set ") else ("profile", "set"):
        if key in items:
            return items[key][1]
    return entry

