"""The live check: the text in the editor -> what ``check`` and ``plan`` say of it.

Takes a file's name in the folder and the text typed (not yet saved);
gives plain JSON data: the messages of ``cuecast check`` (the error, or the
timing warnings) with line, column and the suggestion, the total length,
the vars with their bounds, and the timeline picture the published page
draws (``picture.py``). Nothing is rendered: the text goes through
``prepare`` (load and plan, speech measured from the cache or made once),
the same call ``cuecast plan`` makes, so the total is ``plan``'s.

The text is read from memory as if it were the file (``ScriptText``), so
its relative names (includes, sounds, recordings) mean what they mean
beside it and nothing is written; files are named as the page names them
(relative to the folder) in every message. A prepared check is kept (the last
few, by a key) so the line under the cursor and the timeline can be heard.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cuecast.catalogue import load_catalogue
from cuecast.edit.files import Folder
from cuecast.errors import CuecastError
from cuecast.picture import describe, timeline_svg
from cuecast.pipeline import Prepared, prepare
from cuecast.request import Options
from cuecast.script import VarInfo, describe_vars
from cuecast.script.load import ScriptText
from cuecast.script.vars import compact_duration, number_text
from cuecast.timeline import Timeline
from cuecast.units import clock_text, to_seconds

KEPT = 8
"""Prepared checks kept for hearing (each holds a timeline and a speaker)."""


@dataclass(frozen=True)
class Checked:
    """A script that checked: what hearing it needs."""

    name: str
    text: str
    prepared: Prepared
    """Its timeline names the file as the page does (relative to the folder)."""
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
        self._checking = threading.Lock()
        self._lock = threading.Lock()
        """Guards ``_kept`` only: hearing a kept check never waits for a check."""
        self._kept: OrderedDict[str, Checked] = OrderedDict()

    def check(self, name: str, text: str) -> dict[str, Any]:
        path = self.folder.resolve(name)
        key = hashlib.sha256(f"{name}\0{text}".encode("utf-8", "replace")).hexdigest()[:32]
        with self._checking:  # always checked anew: a file it includes may have changed
            where = str(path)
            try:
                if _is_catalogue(text):
                    return self._catalogue(text, where, name)
                checked = self._prepare(ScriptText(text, where), name)
            except CuecastError as err:
                return {"ok": False, "kind": "routine",
                        "messages": [self._message(err, where, name)]}  # fmt: skip
            with self._lock:
                self._kept[key] = checked
                self._kept.move_to_end(key)
                while len(self._kept) > KEPT:
                    self._kept.popitem(last=False)
            return self._report(checked, key)

    def _prepare(self, source: ScriptText, name: str) -> Checked:
        """``prepare`` and the vars of the text, named as the page names the file."""
        prepared = prepare(source, self.options)
        infos = describe_vars(source, profile=self.options.profile, sets=self.options.sets)
        prepared = self._renamed(prepared, source.path, name)
        heard = prepared.timeline.dumps() + repr(prepared.script.background)
        return Checked(name, source.text, prepared, infos,
                       hashlib.sha256(heard.encode()).hexdigest())

    def get(self, key: str) -> Checked | None:
        with self._lock:
            return self._kept.get(key)

    def _report(self, checked: Checked, key: str) -> dict[str, Any]:
        timeline = checked.prepared.timeline
        data = timeline.to_json()
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
            "picture": timeline_svg(data, describe(data, timeline.title)),
            "vars": [_var(info) for info in checked.infos],
            "speech": _speech(timeline),
            "voice": timeline.voice,
        }

    def _renamed(self, prepared: Prepared, where: str, name: str) -> Prepared:
        """The timeline with the script's path replaced by its name in the folder."""
        timeline = prepared.timeline
        events = tuple(replace(e, file=self._shown(e.file, where, name)) if e.file else e
                       for e in timeline.events)  # fmt: skip
        warnings = tuple(replace(w, file=self._shown(w.file, where, name))
                         for w in timeline.warnings)  # fmt: skip
        return replace(prepared, timeline=replace(timeline, file=name, events=events,
                                                  warnings=warnings))

    def _catalogue(self, text: str, where: str, name: str) -> dict[str, Any]:
        try:
            catalogue = load_catalogue(where, text=text)
        except CuecastError as err:
            return {"ok": False, "kind": "catalogue",
                    "messages": [self._message(err, where, name)]}  # fmt: skip
        return {"ok": True, "kind": "catalogue", "messages": [],
                "tracks": [t.title or t.id for t in catalogue.tracks]}  # fmt: skip

    def _message(self, err: CuecastError, where: str, name: str) -> dict[str, Any]:
        shown = self._shown(err.file, where, name) if err.file else None
        return {
            "severity": "error",
            "line": err.line,
            "column": err.column,
            "message": self._clean(err.message, where, name),
            "hint": self._clean(err.hint, where, name) if err.hint else None,
            "file": None if shown == name else shown,
        }

    def _shown(self, file: str, where: str, name: str) -> str:
        """A file as the page names it: relative to the folder."""
        if os.path.abspath(file) == os.path.abspath(where):
            return name
        with contextlib.suppress(ValueError):
            return Path(os.path.abspath(file)).relative_to(self.folder.root).as_posix()
        return file

    def _clean(self, text: str, where: str, name: str) -> str:
        return text.replace(where, name).replace(str(self.folder.root) + os.sep, "")


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
