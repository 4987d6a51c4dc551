"""The live check: the text in the editor -> what ``check`` and ``plan`` say of it.

Takes a file's name in the folder and the text typed (not yet saved);
gives plain JSON data: the messages of ``cuecast check`` (the error, or the
timing warnings) with line, column and the suggestion, the total length,
the vars with their bounds, and the timeline picture the published page
draws (``publish/picture.py``). Nothing is rendered: the text goes through
``prepare`` (load and plan, speech measured from the cache or made once),
the same call ``cuecast plan`` makes, so the total is ``plan``'s.

The loader reads a path, and a script's relative names (includes, sounds,
recordings) mean what they mean beside it: the text is written to a hidden
file beside the script for the check and removed at once; its name is put
back as the script's in every message. A prepared check is kept (the last
few, by a key) so the line under the cursor and the timeline can be heard.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cuecast.atomic import os_error_text
from cuecast.catalogue import load_catalogue
from cuecast.edit.files import Folder
from cuecast.errors import CuecastError, InputError
from cuecast.pipeline import Options, Prepared, prepare
from cuecast.publish.picture import timeline_svg
from cuecast.script import VarInfo, describe_vars
from cuecast.script.vars import compact_duration, number_text
from cuecast.timeline import Timeline
from cuecast.units import clock_text, to_seconds

KEPT = 8
"""Prepared checks kept for hearing (each holds a timeline and a speaker)."""
CHECK_MARK = ".cuecast-edit-"


@dataclass(frozen=True)
class Checked:
    """A script that checked: what hearing it needs."""

    name: str
    text: str
    prepared: Prepared
    """Its timeline names the file as the page does (not the hidden copy)."""
    infos: tuple[VarInfo, ...]
    fingerprint: str
    """What its sound depends on: the timeline (texts, voices, times) and
    the background; the key of its pieces."""


class Checker:
    """Checks texts of the folder's files with the editor's options; one at
    a time (a check may make speech, and the machine is shared)."""

    def __init__(self, folder: Folder, options: Options) -> None:
        self.folder = folder
        self.options = options
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Checked] = OrderedDict()

    def check(self, name: str, text: str) -> dict[str, Any]:
        path = self.folder.resolve(name)
        key = hashlib.sha256(f"{name}\0{text}".encode("utf-8", "replace")).hexdigest()[:32]
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return self._report(kept, key)
            try:
                temp = _copy_beside(path, text)
            except InputError as err:
                return {"ok": False, "kind": "routine", "messages": [
                    {"severity": "error", "line": None, "column": None, "message": err.message,
                     "hint": None, "file": None}]}  # fmt: skip
            try:
                if _is_catalogue(text):
                    return self._catalogue(temp, name)
                checked = self._prepare(temp, name, text)
            except CuecastError as err:
                return {"ok": False, "kind": "routine",
                        "messages": [self._message(err, temp, name)]}  # fmt: skip
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            self._kept[key] = checked
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
            return self._report(checked, key)

    def _prepare(self, temp: str, name: str, text: str) -> Checked:
        """``prepare`` and the vars of the hidden copy, named as the script."""
        prepared = prepare(temp, self.options)
        infos = describe_vars(temp, profile=self.options.profile, sets=self.options.sets)
        prepared = self._renamed(prepared, temp, name)
        heard = prepared.timeline.dumps() + repr(prepared.script.background)
        return Checked(name, text, prepared, infos, hashlib.sha256(heard.encode()).hexdigest())

    def get(self, key: str) -> Checked | None:
        with self._lock:
            return self._kept.get(key)

    def _report(self, checked: Checked, key: str) -> dict[str, Any]:
        timeline = checked.prepared.timeline
        return {
            "ok": True,
            "kind": "routine",
            "key": key,
            "title": timeline.title,
            "messages": [
                {"severity": "warning", "line": w.line, "column": w.column, "message": w.message,
                 "hint": None, "file": None if w.file == checked.name else w.file}
                for w in timeline.warnings
            ],
            "total": clock_text(timeline.length),
            "total_s": timeline.duration_s,
            "picture": timeline_svg(timeline.to_json(), f"Timeline of {timeline.title}"),
            "vars": [_var(info) for info in checked.infos],
            "speech": _speech(timeline),
            "voice": timeline.voice,
        }

    def _renamed(self, prepared: Prepared, temp: str, name: str) -> Prepared:
        """The timeline with the hidden copy's name replaced by the script's."""
        timeline = prepared.timeline
        events = tuple(replace(e, file=self._shown(e.file, temp, name)) if e.file else e
                       for e in timeline.events)  # fmt: skip
        warnings = tuple(replace(w, file=self._shown(w.file, temp, name))
                         for w in timeline.warnings)  # fmt: skip
        return replace(prepared, timeline=replace(timeline, file=name, events=events,
                                                  warnings=warnings))

    def _catalogue(self, temp: str, name: str) -> dict[str, Any]:
        try:
            catalogue = load_catalogue(temp)
        except CuecastError as err:
            return {"ok": False, "kind": "catalogue", "messages": [self._message(err, temp, name)]}
        return {"ok": True, "kind": "catalogue", "messages": [],
                "tracks": [t.title or t.id for t in catalogue.tracks]}  # fmt: skip

    def _message(self, err: CuecastError, temp: str, name: str) -> dict[str, Any]:
        shown = self._shown(err.file, temp, name) if err.file else None
        return {
            "severity": "error",
            "line": err.line,
            "column": err.column,
            "message": self._clean(err.message, temp, name),
            "hint": self._clean(err.hint, temp, name) if err.hint else None,
            "file": None if shown == name else shown,
        }

    def _shown(self, file: str, temp: str, name: str) -> str:
        """A file as the page names it: the script's own name for the hidden
        copy, others relative to the folder."""
        if os.path.abspath(file) == os.path.abspath(temp):
            return name
        with contextlib.suppress(ValueError):
            return Path(os.path.abspath(file)).relative_to(self.folder.root).as_posix()
        return file

    def _clean(self, text: str, temp: str, name: str) -> str:
        return text.replace(temp, name).replace(str(self.folder.root) + os.sep, "")


def _var(info: VarInfo) -> dict[str, Any]:
    def shown(value: float | None) -> str | None:
        if value is None:
            return None
        return compact_duration(value) if info.kind == "duration" else number_text(value)

    return {"name": info.name, "label": info.display_label, "kind": info.kind,
            "value": info.value, "min": shown(info.min), "max": shown(info.max),
            "line": info.line, "column": info.column}  # fmt: skip


def _speech(timeline: Timeline) -> list[dict[str, Any]]:
    """The script's own spoken lines: where in the file, where in time."""
    return [
        {"line": e.line, "start": to_seconds(e.start), "end": to_seconds(e.end), "text": e.text}
        for e in timeline.events
        if e.kind == "speech" and e.file in (None, timeline.file)
    ]


def _is_catalogue(text: str) -> bool:
    from cuecast.edit.files import _kind_of_text

    return _kind_of_text(text) == "catalogue"


def _copy_beside(path: Path, text: str) -> str:
    """``text`` in a new hidden file beside ``path`` (so its relative names
    mean what they mean in the script); the caller removes it."""
    temp = path.parent / f".{path.stem}{CHECK_MARK}{secrets.token_hex(6)}{path.suffix}"
    try:
        with open(temp, "x", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise InputError("cannot check the text: the check writes a hidden copy beside the "
                         f"script, and its folder refuses it ({os_error_text(exc)})") from None
    return str(temp)
