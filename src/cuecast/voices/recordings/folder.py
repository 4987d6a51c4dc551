"""The recordings folder: which line ids have a file.

Takes a folder of recordings (audio files named by line id, or listed in a
``lines.csv`` beside them) and the script's language; gives, for a line,
its recording or the recorded pieces that say it. Scanning reads only names
(and ``lines.csv``); a file is decoded only when a line needs it
(``decode.py``). Nothing outside the folder is read: symlinks are resolved
and must stay inside it; pipes, devices and sockets are refused.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cuecast.errors import InputError
from cuecast.script.files import inside
from cuecast.voices.recordings.ids import DIGEST, digest, normal_text, piece_text, words

MAPPING_FILE = "lines.csv"
MAX_PIECE_WORDS = 12
"""The longest run of words looked up as one piece."""


@dataclass(frozen=True)
class Recording:
    """One usable file: its real path and its name relative to the folder."""

    path: str
    name: str


class Folder:
    """A folder of recordings: which line ids have a file."""

    def __init__(self, folder: str | os.PathLike[str], language: str) -> None:
        self.root = os.path.realpath(os.fspath(folder))
        self.language = language
        self.by_digest: dict[str, Recording] = {}
        if not os.path.exists(self.root):
            raise InputError(f"recordings folder {os.fspath(folder)} does not exist")
        if not os.path.isdir(self.root):
            raise InputError(f"recordings folder {os.fspath(folder)} is not a folder")
        self._scan_names()
        self._read_mapping()

    def _add(self, key: str, rec: Recording, where: str) -> None:
        had = self.by_digest.get(key)
        if had is not None and had.path != rec.path:
            raise InputError(
                f"two recordings of one line in {self.root}: {had.name} and {rec.name}",
                file=where, hint="Keep one take per line (move the other out of the folder).",
            )
        self.by_digest[key] = rec

    def _scan_names(self) -> None:
        try:
            names = sorted(os.listdir(self.root))
        except OSError as exc:
            raise InputError(f"cannot read recordings folder {self.root}: {exc.strerror}") from exc
        for name in names:
            if name.startswith(".") or name == MAPPING_FILE:
                continue
            stem = os.path.splitext(name)[0]
            found = DIGEST.search(stem)
            if found is None or stem == name:  # no digest, or no extension
                continue
            path = os.path.join(self.root, name)
            self._add(found.group(1), Recording(path, name), path)

    def _read_mapping(self) -> None:
        mapping = os.path.join(self.root, MAPPING_FILE)
        if not os.path.lexists(mapping):
            return
        real = self.checked(mapping, MAPPING_FILE)
        try:
            with open(real, encoding="utf-8-sig", newline="") as f:
                text = f.read(5_000_000)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {mapping}: {exc}") from exc
        for row_no, name, line in _mapping_rows(text, mapping):
            where = f"{mapping}:{row_no}"
            path = os.path.join(self.root, name)
            if not os.path.lexists(path):
                raise InputError(f"{where}: no file '{name}' in {self.root}")
            rec = Recording(path, os.path.normpath(name))
            self._add(digest(line, self.language), rec, where)
            piece = piece_text(words(line))
            if piece and piece != normal_text(line):
                self.by_digest.setdefault(digest(piece, self.language), rec)

    def checked(self, path: str, name: str) -> str:
        """The real path of a file in the folder; ``InputError`` if it
        leads outside, is missing or is not a regular file."""
        real = os.path.realpath(path)
        if not inside(real, self.root):
            raise InputError(f"recording {name} leads outside the recordings folder "
                             f"{self.root}; nothing outside it is read")
        if not os.path.exists(real):
            raise InputError(f"recording {name} in {self.root} does not exist")
        if not os.path.isfile(real):
            raise InputError(f"recording {name} in {self.root} is not a regular file "
                             "(a folder, pipe, device or socket)")
        return real

    def find(self, text: str) -> Recording | None:
        """The recording of this line, if the studio made one."""
        return self.by_digest.get(digest(text, self.language))

    def pieces(self, text: str) -> list[Recording] | None:
        """The fewest recorded pieces that say every word of ``text`` in
        order, or None if some run of words was not recorded."""
        ws = words(text)
        if not ws:
            return None
        best: list[list[Recording] | None] = [[]] + [None] * len(ws)
        for end in range(1, len(ws) + 1):
            for start in range(max(0, end - MAX_PIECE_WORDS), end):
                before = best[start]
                if before is None:
                    continue
                rec = self.by_digest.get(digest(piece_text(ws[start:end]), self.language))
                if rec is None:
                    continue
                if best[end] is None or len(before) + 1 < len(best[end] or ()):
                    best[end] = [*before, rec]
        return best[len(ws)]


def _mapping_rows(text: str, where: str) -> Iterable[tuple[int, str, str]]:
    """``(row, file, text)`` of ``lines.csv``: a header naming ``file`` and
    ``text`` columns (others ignored), or no header and those two columns."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return
    head = [c.strip().lower() for c in rows[0]]
    if "file" in head and "text" in head:
        file_col, text_col, first = head.index("file"), head.index("text"), 1
    else:
        file_col, text_col, first = 0, 1, 0
    for number, row in enumerate(rows[first:], start=first + 1):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(file_col, text_col):
            raise InputError(f"{where}:{number}: expected a file name and the line's text")
        name, line = row[file_col].strip(), row[text_col]
        if not name or not normal_text(line):
            raise InputError(f"{where}:{number}: a row needs both a file name and a text")
        if os.path.isabs(name) or ".." in Path(name).parts:
            raise InputError(f"{where}:{number}: '{name}' must be a file inside the folder")
        yield number, name, line
