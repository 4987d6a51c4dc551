"""A loaded ``Script`` -> the real paths of every file its render reads.

Publishing hashes and ships these files, the listener's page stamps them,
so both ask here: the files the steps come from (the script and what it
includes), the sounds it plays, its cover, a voice model and every file of
a recordings folder (a folder named anywhere in the script, or passed in
``extra`` from the render options, stands for the files under it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping

from cuecast.script.model import Src

MAX_FOLDER_FILES = 10_000
"""Files read from one folder at the most (a recordings folder)."""


def files_read(script: object, extra: Iterable[str | None] = ()) -> tuple[str, ...]:
    """Sorted real paths of the files ``script`` (a loaded ``Script``) reads,
    and of ``extra`` paths (files, or folders standing for their files)."""
    found: set[str] = set()
    for value in (*_values(script), *extra):
        if isinstance(value, Src):
            found.add(os.path.realpath(value.file))
        elif isinstance(value, str) and os.path.isabs(value):
            found.update(_files_at(value))
    return tuple(sorted(found))


def _values(value: object) -> Iterator[object]:
    todo = [value]
    while todo:
        item = todo.pop()
        yield item
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            todo += [getattr(item, f.name) for f in dataclasses.fields(item)]
        elif isinstance(item, (list, tuple)):
            todo += list(item)
        elif isinstance(item, Mapping):
            todo += list(item.values())


def _files_at(path: str) -> Iterator[str]:
    if os.path.isfile(path):
        yield os.path.realpath(path)
    elif os.path.isdir(path):
        yield from _folder_files(path)


def _folder_files(folder: str) -> Iterator[str]:
    count = 0
    for base, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            if name.startswith("."):
                continue
            count += 1
            if count > MAX_FOLDER_FILES:
                return
            yield os.path.realpath(os.path.join(base, name))
