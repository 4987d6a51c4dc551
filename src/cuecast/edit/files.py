"""The folder the editor works in: its routines and catalogues, and nothing else.

Takes a folder; gives the YAML files in it (and its sub-folders) by name,
their text and a version (the sha256 of their bytes), and writes them
atomically. A name is a relative path with ``/`` between parts, as the
page shows it; every name from a request goes through ``resolve``, which
refuses an absolute path, ``..``, a hidden part, a backslash, ``%`` or control
character, a file that is not ``.yaml``/``.yml``, and anything whose real
path (links followed) lies outside the folder. Nothing read is executed.

A save is refused (``Conflict``) when the file on disk is no longer the
version the editor opened, and keeps the bytes it replaced so the last
save can be undone.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from importlib.resources import files as package_files
from pathlib import Path

from cuecast.atomic import atomic_write_text, os_error_text
from cuecast.errors import CuecastError, InputError

SUFFIXES = (".yaml", ".yml")
MAX_BYTES = 1_000_000
"""A routine or catalogue larger than this is not opened (the seed is 12 kB)."""
MAX_DEPTH = 4
"""Sub-folders listed below the folder (deeper ones are not shown)."""
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\:%]")
_CATALOGUE = re.compile(r"^tracks\s*:", re.MULTILINE)


class PathRefused(InputError):
    """A name that does not stay inside the folder, or is not a script."""


class NotFound(InputError):
    """No such file in the folder."""


class Conflict(CuecastError):
    """The file changed on disk since it was opened: what is there now."""

    def __init__(self, name: str, disk_text: str, disk_version: str) -> None:
        super().__init__(f"{name} was changed on disk since it was opened")
        self.name = name
        self.disk_text = disk_text
        self.disk_version = disk_version


@dataclass(frozen=True)
class Entry:
    """One file the editor lists."""

    name: str
    kind: str
    """``"routine"`` or ``"catalogue"``."""


@dataclass(frozen=True)
class Opened:
    name: str
    text: str
    version: str
    """sha256 of the bytes on disk, hex: what a save must match."""
    kind: str


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def template_text() -> str:
    """The new routine's text (``edit/template.yaml``)."""
    return package_files("cuecast.edit").joinpath("template.yaml").read_text(encoding="utf-8")


class Folder:
    """The files of one folder, as the editor sees them."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.realpath(root))
        if not self.root.is_dir():
            raise InputError(f"{root} is not a folder")
        self._undo: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    # -- names -> paths ---------------------------------------------------------------

    def resolve(self, name: object) -> Path:
        """The path of ``name`` inside the folder, or ``PathRefused``."""
        if not isinstance(name, str) or not name or len(name) > 255:
            raise PathRefused("a file name is needed")
        parts = name.split("/")
        if name.startswith("/") or _BAD_CHARS.search(name) or any(
            part in ("", ".", "..") or part.startswith(".") for part in parts
        ):
            raise PathRefused(f"{name!r} is not a file name in this folder")
        if not name.lower().endswith(SUFFIXES):
            raise PathRefused(f"{name!r}: only routines and catalogues (.yaml, .yml) are edited")
        path = self.root.joinpath(*parts)
        real = Path(os.path.realpath(path))
        if real != self.root and self.root not in real.parents:
            raise PathRefused(f"{name!r} leads outside the folder")
        if not real.name.lower().endswith(SUFFIXES):
            raise PathRefused(f"{name!r} is a link to a file that is not a routine")
        return real

    def name_of(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- reading ----------------------------------------------------------------------

    def list(self) -> list[Entry]:
        """Every routine and catalogue, sorted by name; hidden files and
        folders, and links that lead outside, are left out."""
        found: list[Entry] = []
        for folder, dirs, names in os.walk(self.root):
            depth = len(Path(folder).relative_to(self.root).parts)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < MAX_DEPTH
                             and self._inside(Path(folder, d)))  # fmt: skip
            for file_name in names:
                name = self.name_of(Path(folder, file_name))
                try:
                    path = self.resolve(name)
                except PathRefused:
                    continue
                if path.is_file():
                    found.append(Entry(name, _kind(path)))
        return sorted(found, key=lambda e: e.name)

    def open(self, name: object) -> Opened:
        path = self.resolve(name)
        data = self._read(path, str(name))
        text = _decode(data, str(name))
        return Opened(str(name), text, version_of(data), _kind_of_text(text))

    def _read(self, path: Path, name: str) -> bytes:
        try:
            if not path.is_file():
                raise NotFound(f"there is no file {name!r} in this folder")
            if path.stat().st_size > MAX_BYTES:
                raise InputError(f"{name!r} is larger than {MAX_BYTES // 1000} kB")
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {name!r}: {os_error_text(exc)}") from None

    # -- writing ----------------------------------------------------------------------

    def save(self, name: object, text: object, base_version: str) -> str:
        """Write ``text`` (exactly) over the file opened at ``base_version``;
        the new version. ``Conflict`` if the file on disk is another version
        (or was deleted)."""
        path = self.resolve(name)
        data = _encode(text)
        with self._lock:
            before = self._read(path, str(name)) if path.exists() else b""
            if version_of(before) != base_version:
                raise Conflict(str(name), _decode(before, str(name)), version_of(before))
            self._write(path, data)
            self._undo[self.name_of(path)] = (before, version_of(data))
        return version_of(data)

    def undo(self, name: object) -> Opened:
        """Put back what the last save replaced; ``Conflict`` if the file
        changed since that save."""
        path = self.resolve(name)
        with self._lock:
            kept = self._undo.get(self.name_of(path))
            if kept is None:
                raise InputError(f"nothing to undo: {name!r} was not saved here")
            before, saved_version = kept
            now = self._read(path, str(name))
            if version_of(now) != saved_version:
                raise Conflict(str(name), _decode(now, str(name)), version_of(now))
            self._write(path, before)
            del self._undo[self.name_of(path)]
        return self.open(name)

    def can_undo(self, name: str) -> bool:
        return name in self._undo

    def create(self, name: object, text: str | None = None) -> Opened:
        """A new file (the template, or ``text``); refused if one exists."""
        path = self.resolve(name)
        data = _encode(template_text() if text is None else text)
        with self._lock:
            self._exclusive(path, str(name))
            self._write(path, data)
        return self.open(name)

    def duplicate(self, name: object, new_name: object) -> Opened:
        source = self.open(name)
        return self.create(new_name, source.text)

    def rename(self, name: object, new_name: object) -> Opened:
        path, target = self.resolve(name), self.resolve(new_name)
        with self._lock:
            self._read(path, str(name))  # exists, a file, not too large
            self._exclusive(target, str(new_name))
            try:
                os.makedirs(target.parent, exist_ok=True)
                os.link(path, target)  # fails if the name was taken meanwhile
                os.unlink(path)
            except OSError as exc:
                raise InputError(f"cannot rename {name!r}: {os_error_text(exc)}") from None
            self._undo.pop(self.name_of(path), None)
        return self.open(new_name)

    def _exclusive(self, path: Path, name: str) -> None:
        if os.path.lexists(path):
            raise InputError(f"{name!r} already exists")

    def _write(self, path: Path, data: bytes) -> None:
        os.makedirs(path.parent, exist_ok=True)
        atomic_write_text(str(path), data.decode("utf-8"))  # newline="\n": the bytes as given

    def _inside(self, path: Path) -> bool:
        real = Path(os.path.realpath(path))
        return self.root in real.parents


def _encode(text: object) -> bytes:
    if not isinstance(text, str):
        raise InputError("the text to save is missing")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the text has characters that cannot be saved as UTF-8") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"the text is larger than {MAX_BYTES // 1000} kB")
    return data


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name!r} is not UTF-8 text (byte {exc.start})") from None


def _kind(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return "routine"
    return _kind_of_text(head)


def _kind_of_text(text: str) -> str:
    return "catalogue" if _CATALOGUE.search(text) else "routine"
