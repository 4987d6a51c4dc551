"""Clip energies kept by their clip's content, so levelling measures a clip once.

Takes a clip (float32 samples) and, optionally, a store of bytes by key
(``EnergyStore``: ``<cache>/energies`` beside the speech clips,
``voices.cache.energy_store``, passed in by the pipeline: the measurements
are the speech clips', so a render whose speech is cached measures nothing,
whatever became of its MP3 pieces); gives its ``bs1770.ClipEnergy``,
K-weighted now or kept from before. A re-render, or a listener's session
that differs in hold lengths only, plays the same clips at other places:
levelling then adds their kept energies up at the new places
(``HopEnergies``) and reads no clip through the K-weighting or the
true-peak filter again; the reading, gain and
limiting are what measuring them afresh gives, to the bit (the arrays are
kept as they were made).

The key is the SHA-256 of the clip's samples and of what measuring depends
on: this format, numpy's version and the source of ``bs1770.py`` (a change
to the meter, even without a version bump, measures every clip again). A
bad or foreign entry is a miss. A speech clip's energy is also kept under
its file's identity (``energy_named``), so levelling finds it without
reading the clip: a render reads each clip once, to mix it. Nothing is kept in memory past the
levelling (a render's peak memory is the mix's): a server levelling many
sessions of one track reads them from the store, milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from cuecast.loudness import bs1770
from cuecast.loudness.bs1770 import ClipEnergy, clip_energy
from cuecast.memo import ClipMemo

FORMAT = b"CE01"
"""The layout below; part of every key."""
_HEAD = struct.Struct("<4sQddII")
"""format, length, sample peak, true peak, cells, cell peaks; then the
cells and the cell peaks as little-endian float32."""


class EnergyStore(Protocol):
    """Bytes by key, as ``diskstore.DiskStore`` keeps them (verified,
    written atomically); a miss or a bad entry is None."""

    def load(self, key: str, /) -> bytes | None: ...  # pragma: no cover - protocol

    def save(self, key: str, data: bytes, /) -> None: ...  # pragma: no cover - protocol


def energy_of(clip: np.ndarray, store: EnergyStore | None = None,
              memo: ClipMemo | None = None) -> ClipEnergy:  # fmt: skip
    """``clip_energy(clip)``, from ``memo`` (in memory, ``cuecast.memo``)
    or ``store`` if kept there, else measured (and kept in both)."""
    x = np.ascontiguousarray(clip, dtype=np.float32)
    if store is None and memo is None:
        return clip_energy(x)
    kept_as = None if memo is None else ("clip energy", memo.content_key(x))
    if memo is not None:
        kept = memo.get(kept_as)
        if kept is not None:
            return kept
    key = energy_key(x)
    data = None if store is None else store.load(key)
    found = from_bytes(data) if data is not None else None
    if found is None:
        found = clip_energy(x)
        if store is not None:
            store.save(key, to_bytes(found))
    return found if memo is None else memo.put(kept_as, found)


def energy_named(name: str, clip: Callable[[], np.ndarray], store: EnergyStore) -> ClipEnergy:
    """``energy_of(clip(), store)``, found by ``name`` without calling
    ``clip``: what names a clip as it is now (a speech clip file's path,
    size, time and inode, ``voices.cache.Cache.identity``). A render whose
    clips were measured before then reads none of them to level the mix:
    only the mixer reads each clip. A miss (or a bad entry) reads the clip,
    finds or makes its energy by its content, and keeps it under the name."""
    key = name_key(name)
    data = store.load(key)
    found = from_bytes(data) if data is not None else None
    if found is None:
        found = energy_of(clip(), store)
        store.save(key, to_bytes(found))
    return found


def name_key(name: str) -> str:
    """The key of the energy of the clip ``name`` names (``energy_named``)."""
    h = hashlib.sha256(b"named clip energy\n" + _meter_version() + b"\n")
    h.update(name.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def energy_key(clip: np.ndarray) -> str:
    """The key of a clip's energy (its float32 samples)."""
    h = hashlib.sha256(b"clip energy\n" + _meter_version() + b"\n")
    h.update(np.ascontiguousarray(clip, dtype="<f4").data)
    return h.hexdigest()


@functools.cache
def _meter_version() -> bytes:
    try:
        source = Path(bs1770.__file__).read_bytes()
    except OSError:  # pragma: no cover - no source beside the module
        source = b"?"
    return FORMAT + b" numpy " + np.__version__.encode() + b" " + \
        hashlib.sha256(source).hexdigest().encode()


def to_bytes(energy: ClipEnergy) -> bytes:
    cells = np.ascontiguousarray(energy.cells, dtype="<f4")
    peaks = np.ascontiguousarray(energy.cell_peaks, dtype="<f4")
    head = _HEAD.pack(FORMAT, energy.length, energy.sample_peak, energy.true_peak, cells.size,
                      peaks.size)  # fmt: skip
    return head + cells.tobytes() + peaks.tobytes()


def from_bytes(data: bytes) -> ClipEnergy | None:
    """The energy ``to_bytes`` wrote, or None for anything else."""
    if len(data) < _HEAD.size:
        return None
    fmt, length, sample_peak, true_peak, cells, peaks = _HEAD.unpack_from(data)
    if fmt != FORMAT or len(data) != _HEAD.size + 4 * (cells + peaks):
        return None
    body = np.frombuffer(data, dtype="<f4", offset=_HEAD.size).astype(np.float32)
    return ClipEnergy(body[:cells], body[cells:], length, sample_peak, true_peak)
