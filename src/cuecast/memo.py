"""Per-clip work kept in memory by content, within a render and across renders.

A render does the same work on the same clips more than once, and the
renders of one track (a listener's session that differs from the default
only in hold lengths) do it again: a speech clip read from the cache and
converted to float32, the same clip held under the same ceiling
(``loudness/limiter.py``), its loudness measurement (``loudness/energies.py``).
``ClipMemo`` keeps those results by a key that names the content they
were made from (a clip file's identity, a digest of the samples, the
threshold), so each is made once while it stays in memory, and the result
is the very same array a fresh computation gives.

It is bounded by bytes: past ``max_bytes`` the least recently used entries
are dropped (an entry larger than the bound is not kept at all). Arrays
kept are made read-only (what uses a clip copies before changing it), so a
result handed out twice cannot be changed under its second user. It is
safe to share between threads; two threads making the same entry at once
both make it (the results are equal) and one is kept.

A server keeps one for its whole life (``render(..., memo=...)``) so that
every session of a track limits and measures each clip once. A render
given none keeps nothing: held through the mix, even a few megabytes of
it took the hour-long benchmark's peak memory past its 100 MB.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

DEFAULT_BYTES = 64 * 1024 * 1024
"""A memo's bound unless given: every clip of a 20-minute session, plain
and limited."""

SERVER_BYTES = 256 * 1024 * 1024
"""A suggested bound for a memo kept across renders (a server's): every clip
of a few hour-long tracks, plain and limited (a 4 s line is 0.7 MB)."""


@dataclass(frozen=True)
class MemoStats:
    """What a memo did since it was made."""

    hits: int
    misses: int
    entries: int
    bytes: int
    """Bytes held now (at most ``max_bytes``)."""


class ClipMemo:
    """Results of per-clip work by key, least recently used dropped past
    ``max_bytes`` (see the module docstring)."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, not {max_bytes}")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.RLock()  # a digest forgotten when its array dies may be under it
        self._digests: dict[int, tuple[weakref.ref, bytes]] = {}

    def get(self, key: Hashable) -> Any | None:
        """The value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return found[0]

    def put(self, key: Hashable, value: T, nbytes: int | None = None) -> T:
        """Keep ``value`` under ``key`` (``nbytes``: its size, by default an
        array's ``nbytes`` or what ``size_of`` counts); gives ``value``
        (arrays made read-only)."""
        size = size_of(value) if nbytes is None else nbytes
        _freeze(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size <= self.max_bytes:
                self._entries[key] = (value, size)
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self._bytes -= dropped
        return value

    def make(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value under ``key``, made by ``build()`` and kept if missing."""
        found = self.get(key)
        if found is not None:
            return found
        return self.put(key, build())

    def content_key(self, samples: np.ndarray) -> bytes:
        """``digest(samples)``, remembered while the array lives if it cannot
        change (read-only, its own data: what the memo hands out), so a clip
        the memo keeps is hashed once, not at every render that keys work
        on it."""
        if samples.flags.writeable or samples.base is not None:
            return digest(samples)
        with self._lock:
            found = self._digests.get(id(samples))
        if found is not None and found[0]() is samples:
            return found[1]
        key = digest(samples)
        ident = id(samples)

        def forget(ref: weakref.ref) -> None:
            with self._lock:
                if self._digests.get(ident, (None,))[0] is ref:
                    del self._digests[ident]

        with self._lock:
            self._digests[ident] = (weakref.ref(samples, forget), key)
        return key

    def stats(self) -> MemoStats:
        with self._lock:
            return MemoStats(self._hits, self._misses, len(self._entries), self._bytes)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def digest(samples: np.ndarray) -> bytes:
    """A key for an array's content: the SHA-256 of its dtype, shape and bytes."""
    x = np.ascontiguousarray(samples)
    h = hashlib.sha256(f"{x.dtype.str}{x.shape}\n".encode())
    h.update(x.data if x.size else b"")
    return h.digest()


def _arrays(value: Any) -> list[np.ndarray]:
    """The arrays among an object's attributes (a dataclass of arrays)."""
    fields = getattr(value, "__dict__", None)
    if fields is None and hasattr(value, "__slots__"):
        fields = {name: getattr(value, name, None) for name in value.__slots__}
    return [v for v in (fields or {}).values() if isinstance(v, np.ndarray)]


def size_of(value: Any) -> int:
    """Bytes an entry holds: an array's ``nbytes``; for other objects the
    ``nbytes`` of the arrays among their attributes (a dataclass of arrays,
    as ``ClipEnergy``), plus a little for the object itself."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    return 128 + sum(int(a.nbytes) for a in _arrays(value))


def _freeze(value: Any) -> None:
    for array in [value] if isinstance(value, np.ndarray) else _arrays(value):
        if array.flags.writeable:
            array.setflags(write=False)
