"""Stretches of the mix whose pieces are known by what makes them.

Takes the ``blocks.Stretch``es of the mix as it streams to ``mp3.py``
(samples not mixed yet, named by their recipe: what sounds in them, where,
at what gain); gives, for a stretch cut before, the pieces the cutter
settled over it and their keys (a ``Record``), so a render that meets it
again at the same place in the cutter's course does not mix, cut or hash
it: a listener's session that differs from the default in a hold's
length finds the pieces of every stretch but the changed ones by recipe.

Why it is exact. A stretch runs from a little before its first sound to
``TRAIL_SLOTS`` after its last, so the cutter comes to it in a silence
and leaves it in one (``cuts.Cutter.synced``): what it settles in between
depends on the stretch's samples alone (``cuts``' docstring), and those
are a function of its recipe. So a record made where the cutter was
synced at both ends, replayed where it is synced at the start, settles
the very pieces (same frames, lead-ins, keys) that mixing and cutting
would, and leaves the cutter where they would. Where it is not synced, or
a piece of the record is neither cached nor being encoded by this render,
the stretch is mixed and cut as any other (and recorded).

Records are kept by a key that names the recipe, the encoder settings and
the cutter's rules (``record_key``): in this process (``RECIPES``, the last
``MEMO_ENTRIES`` used), and beside the pieces on disk (in the piece store,
under their own keys), so a later ``cuecast render`` finds them too. A
record names pieces; a piece trimmed from the cache since is a miss, and
its stretch is mixed again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from cuecast.mp3frames import FRAME_SAMPLES
from cuecast.pieces.cuts import MIN_GAP_SLOTS, MIN_SILENT_FRAMES, PIECE_FORMAT, Cuts, Cutter
from cuecast.pieces.store import PieceStore

GRID = FRAME_SAMPLES
"""Stretches start and end on the frame grid (``cuts``' slots)."""
GAP_SLOTS = MIN_GAP_SLOTS
"""Sound this many slots from any other (where nothing plays) is an island
of its own: it starts with an onset cut (``cuts.MIN_GAP_SLOTS``) when
the cutter is not in the middle of a piece begun in the gap."""
LEAD_SLOTS = 4
"""After a long silence a stretch starts this many slots before the slot
its first sound starts in (where the cutter stands in the silence)..."""
TRAIL_SLOTS = MIN_SILENT_FRAMES + 4
"""... and the one before ends this many after the one its last sound ends
in: by then the cutter has found the silence after it (``MIN_SILENT_FRAMES``
silent frames, each reading two slots either side). A long silence is
``LEAD_SLOTS + TRAIL_SLOTS + 2`` slots or more."""
HEAD_SLOTS = 8
"""After a shorter one a stretch starts this many slots into the island's
first slot: by then the cutter has cut at its onset (a sound that starts
after a few slots of digital silence of its own, up to ``HEAD_SLOTS - 2``,
still is), and the stretch's recipe names the island from the end of the
one before (the onset piece's lead-in, or a piece the cutter began in the
silence, at its quietest, when the piece before had grown to its longest
there; the stretch before names that head too: its last piece ends where
the next begins and reads two slots past it)."""

RECORD_FORMAT = 4
SPAN_STRETCHES = 8
"""A record spans at most this many stretches: where a stretch ends the
cutter may still be deciding on a piece (it waits up to ``MIN_SILENT_FRAMES``
frames to know whether a silence starts before a piece's longest end),
and the record then goes on to the end of one where it does not."""
"""Part of every record's key: bump it when a record's layout or meaning changes."""
MAGIC = b"CCS1"
MEMO_ENTRIES = 8192
"""Records kept in memory (a few hundred bytes each; an hour's session has a few hundred)."""


@dataclass(frozen=True)
class Record:
    """What the cutter settled over a stretch, and its sound pieces' keys in
    order; or (``cuts`` None) that it did not stand where a record may end
    at the stretch's end, so the record is that of the ``span`` stretches
    from it on (each right after the one before), by all their recipes."""

    cuts: Cuts | None
    keys: tuple[str, ...] = ()
    span: int = 1

    def to_bytes(self) -> bytes:
        c = self.cuts
        body: dict = {"span": self.span}
        if c is not None:
            body.update({"slots": c.slots, "zero": base64.b64encode(c.zero).decode(),
                         "enter": c.enter, "opens": c.opens,
                         "pieces": [list(p) for p in c.pieces], "silent": c.silent,
                         "rest": c.rest, "final": c.final, "keys": list(self.keys)})  # fmt: skip
        return MAGIC + json.dumps(body, separators=(",", ":")).encode()

    @staticmethod
    def from_bytes(data: bytes) -> Record | None:
        """The record, or None if ``data`` is not one."""
        if not data.startswith(MAGIC):
            return None
        try:
            body = json.loads(data[len(MAGIC) :])
            span = int(body["span"])
            if "slots" not in body:
                return Record(None, (), span) if span > 1 else None
            pieces = tuple((int(f), None if s is None else int(s), bool(q), int(k))
                           for f, s, q, k in body["pieces"])  # fmt: skip
            enter = body["enter"]
            cuts = Cuts(int(body["slots"]), base64.b64decode(body["zero"]),
                        None if enter is None else int(enter), int(body["opens"]), pieces,
                        bool(body["silent"]), int(body["rest"]), bool(body["final"]))  # fmt: skip
            keys = tuple(str(k) for k in body["keys"])
        except (ValueError, KeyError, TypeError):
            return None
        if len(keys) != cuts.sound():
            return None
        return Record(cuts, keys, span)


def record_key(recipes: Sequence[str], settings: Sequence[str], cutter: Cutter) -> str:
    """The key of the record of stretches with ``recipes`` (one after the
    other), their pieces encoded with ``settings`` (``mp3.encoder_settings``)
    and cut by ``cutter``'s rules."""
    head = {"v": RECORD_FORMAT, "pieces": PIECE_FORMAT, "settings": list(settings),
            "rules": [cutter.max_frames, cutter.min_silent, cutter.min_gap],
            "recipes": list(recipes)}  # fmt: skip
    text = "stretch record\n" + json.dumps(head, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Recipes:
    """Records by key: the last ``max_entries`` used in memory (thread-safe),
    and all of them in the piece store given (``find``, ``keep``)."""

    def __init__(self, max_entries: int = MEMO_ENTRIES) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._records: OrderedDict[str, Record] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def find(self, key: str, store: PieceStore | None = None) -> Record | None:
        with self._lock:
            found = self._records.get(key)
            if found is not None:
                self._records.move_to_end(key)
                return found
        if store is None:
            return None
        data = store.load(key)
        found = None if data is None else Record.from_bytes(data)
        if found is not None:
            self._remember(key, found)
        return found

    def keep(self, key: str, record: Record, store: PieceStore | None = None) -> None:
        self._remember(key, record)
        if store is not None:
            store.save(key, record.to_bytes())

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def _remember(self, key: str, record: Record) -> None:
        with self._lock:
            self._records[key] = record
            self._records.move_to_end(key)
            while len(self._records) > self.max_entries:
                self._records.popitem(last=False)


RECIPES = Recipes()
"""This process's records, shared by its renders (a server's sessions)."""
