"""The publish manifest: what the output folder holds and what made it.

Kept as ``.cuecast-manifest.json`` in the output folder (hidden: it holds
the clients' tokens and is not for the web host). For each track: the
input hash it was rendered from, each file it wrote with its size and
SHA-256, its length, its guid and the day it was first published; for
each client: the token of their private feed. Written atomically after
every finished track, so a killed publish loses at most the tracks still
rendering.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cuecast.atomic import atomic_write_text
from cuecast.errors import InputError

NAME = ".cuecast-manifest.json"
FORMAT = 1
TOKEN_BYTES = 24
"""192 bits: a client's feed address cannot be guessed."""
PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The Podcasting 2.0 namespace for ``podcast:guid`` (uuid5 of the feed URL)."""


@dataclass(frozen=True)
class FileEntry:
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class TrackEntry:
    input_hash: str
    files: tuple[FileEntry, ...]
    """The track first, then its timeline, captions and chapters."""
    duration_s: float
    guid: str
    published: str
    """ISO date it was first published (or the catalogue's date)."""


@dataclass
class Manifest:
    tracks: dict[str, TrackEntry] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    """Client id -> token of their feed folder."""
    guid: str | None = None
    """The channel's ``podcast:guid``, kept when the link changes."""
    listing: str | None = None
    """Hash of what the feeds, playlist and page were last made from."""

    def up_to_date(self, folder: Path, track_id: str, input_hash: str) -> bool:
        """The track was rendered from these inputs and its files are all
        there, whole (size and SHA-256 checked)."""
        entry = self.tracks.get(track_id)
        return (entry is not None and entry.input_hash == input_hash
                and all(file_ok(folder, f) for f in entry.files))  # fmt: skip

    def token(self, client_id: str) -> tuple[str, bool]:
        """The client's token, and whether it was made just now."""
        if client_id in self.tokens:
            return self.tokens[client_id], False
        self.tokens[client_id] = secrets.token_urlsafe(TOKEN_BYTES)
        return self.tokens[client_id], True

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "guid": self.guid,
            "listing": self.listing,
            "tracks": {k: asdict(v) for k, v in sorted(self.tracks.items())},
            "clients": {k: {"token": v} for k, v in sorted(self.tokens.items())},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def channel_guid(link: str) -> str:
    """Podcasting 2.0's guid for a feed: uuid5 of its URL without the scheme."""
    address = link.split("://", 1)[-1].rstrip("/") + "/feed.xml"
    return str(uuid.uuid5(PODCAST_NAMESPACE, address))


def item_guid(link: str, track_id: str) -> str:
    """A track's guid on first publish; kept in the manifest from then on."""
    return str(uuid.uuid5(PODCAST_NAMESPACE, link.split("://", 1)[-1] + track_id))


def file_entry(name: str, data: bytes) -> FileEntry:
    return FileEntry(name, len(data), hashlib.sha256(data).hexdigest())


def file_ok(folder: Path, entry: FileEntry) -> bool:
    path = folder / entry.name
    try:
        if path.stat().st_size != entry.bytes:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
    except OSError:
        return False


def read(folder: Path) -> Manifest:
    """The folder's manifest; an empty one if there is none yet."""
    path = folder / NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Manifest()
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the publish manifest: {err}", file=str(path),
                         hint="Delete it to publish everything afresh (clients get new "
                              "feed addresses).") from None  # fmt: skip
    tracks = {}
    for track_id, raw in document.get("tracks", {}).items():
        files = tuple(FileEntry(**f) for f in raw.pop("files"))
        tracks[track_id] = TrackEntry(files=files, **raw)
    tokens = {k: v["token"] for k, v in document.get("clients", {}).items()}
    return Manifest(tracks, tokens, document.get("guid"), document.get("listing"))


def write(folder: Path, manifest: Manifest) -> None:
    text = manifest.to_json()
    path = folder / NAME
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    atomic_write_text(os.fspath(path), text)
