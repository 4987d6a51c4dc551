"""The typed catalogue: what ``load_catalogue`` gives ``publish`` and ``serve``.

Everything is checked and resolved: paths are absolute, ids are unique and
safe as file names, the defaults are typed render options under their
command-line names (``format``, ``bitrate``, ``engine``, ``voice``,
``rate``, ``loudness`` (``None`` for off), ``captions``, ``strict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cuecast.script import Script


@dataclass(frozen=True)
class Series:
    """The podcast's channel: what a player shows above the episodes."""

    title: str
    author: str
    description: str
    link: str
    """Public URL of the published folder, ending in ``/``."""
    cover: Path | None = None
    language: str = "en"
    category: str | None = None
    """Apple Podcasts category, ``"Category"`` or ``"Category/Subcategory"``."""
    explicit: bool = False
    owner_name: str | None = None
    owner_email: str | None = None
    copyright: str | None = None


@dataclass(frozen=True)
class Track:
    """One episode: a script, rendered with a profile and ``set`` values."""

    id: str
    script: Path
    profile: str | None = None
    sets: Mapping[str, str] = field(default_factory=dict)
    title: str | None = None
    """Overrides the script's title; ``None`` keeps it."""
    published: date | None = None
    """The pubDate; ``None``: the day it was first published."""
    lengths_s: tuple[float, ...] = ()
    """Lengths the listener's page offers to fit the track to, in seconds."""
    line: int = 0
    """Line of the track's entry in the catalogue file."""
    voices: tuple[str, ...] = ()
    """Voices the listener may choose on the page (the first is the default);
    empty: the catalogue's voice."""
    per_voice: bool = False
    """Publish one track per voice (the loader makes them: ``voice`` set)."""
    voice: str | None = None
    """This track's own voice (over the catalogue's ``voice``; its engine
    comes with it): set on the tracks ``per_voice`` makes."""


@dataclass(frozen=True)
class Client:
    """A listener with a private feed of ``tracks`` (ids, in catalogue order)."""

    id: str
    name: str
    tracks: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    path: Path
    """The catalogue file (absolute)."""
    series: Series
    defaults: Mapping[str, object]
    tracks: tuple[Track, ...]
    clients: tuple[Client, ...] = ()
    allow_outside: bool = False
    """Whether its files (and its scripts' files) may lie outside its folder."""
    scripts: Mapping[str, Script] = field(default_factory=dict, repr=False, compare=False)
    """Track id -> its script as the loader checked it (profile and sets applied)."""

    @property
    def folder(self) -> Path:
        return self.path.parent

    def track(self, track_id: str) -> Track:
        """The track with this id (KeyError if there is none)."""
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise KeyError(track_id)
