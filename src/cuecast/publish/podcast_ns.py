"""A feedgen extension for the Podcasting 2.0 ``podcast:`` namespace.

feedgen knows RSS and iTunes; this adds what modern players read from
``https://podcastindex.org/namespace/1.0``: the channel's ``podcast:guid``
and ``podcast:locked``, and each item's ``podcast:chapters`` and
``podcast:transcript``. Registered on a feed with
``feed.register_extension("podcastindex", PodcastIndexExtension,
PodcastIndexEntryExtension)``.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

NAMESPACE = "https://podcastindex.org/namespace/1.0"


def _tag(name: str) -> str:
    return "{%s}%s" % (NAMESPACE, name)  # noqa: UP031 (ElementTree's {ns}name form)


class PodcastIndexExtension(BaseExtension):
    """Channel elements: ``podcast:guid`` and ``podcast:locked``."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str | None] | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": NAMESPACE}

    def guid(self, value: str) -> None:
        self._guid = value

    def locked(self, locked: bool, owner: str | None = None) -> None:
        """``yes``: no platform may import the feed (owner: who can unlock it)."""
        self._locked = (locked, owner)

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self._guid is not None:
            xml_elem(_tag("guid"), channel).text = self._guid
        if self._locked is not None:
            element = xml_elem(_tag("locked"), channel)
            element.text = "yes" if self._locked[0] else "no"
            if self._locked[1]:
                element.attrib["owner"] = self._locked[1]
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        return atom_feed


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item elements: ``podcast:chapters`` and ``podcast:transcript``."""

    def __init__(self) -> None:
        self._chapters: tuple[str, str] | None = None
        self._transcripts: list[dict[str, str]] = []

    def chapters(self, url: str, mime: str = "application/json+chapters") -> None:
        self._chapters = (url, mime)

    def transcript(self, url: str, mime: str, language: str | None = None,
                   rel: str | None = "captions") -> None:  # fmt: skip
        attrs = {"url": url, "type": mime}
        if language:
            attrs["language"] = language
        if rel:
            attrs["rel"] = rel
        self._transcripts.append(attrs)

    def extend_rss(self, entry: Any) -> Any:
        if self._chapters is not None:
            element = xml_elem(_tag("chapters"), entry)
            element.attrib["url"], element.attrib["type"] = self._chapters
        for attrs in self._transcripts:
            element = xml_elem(_tag("transcript"), entry)
            element.attrib.update(attrs)
        return entry

    def extend_atom(self, entry: Any) -> Any:
        return entry
