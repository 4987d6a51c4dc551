"""Episodes -> an RSS 2.0 podcast feed with the iTunes and ``podcast:``
namespaces (feedgen, its podcast extension, and ours in ``podcast_ns``).

Takes the series, the complete episodes and, for a client's private feed,
the feed's own address; gives the XML bytes. The same episodes give the
same bytes: the build date is the newest episode's date, not the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timezone

from feedgen.feed import FeedGenerator

from cuecast import __version__
from cuecast.catalogue import Series
from cuecast.publish.chapters import MIME as CHAPTERS_MIME
from cuecast.publish.episodes import Episode, clock
from cuecast.publish.podcast_ns import PodcastIndexEntryExtension, PodcastIndexExtension


def feed_xml(series: Series, episodes: Sequence[Episode], *, self_url: str, guid: str,
             cover_name: str | None, private: bool = False) -> bytes:  # fmt: skip
    """The feed at ``self_url``; a ``private`` one is locked and blocked
    from directories (``podcast:locked``, ``itunes:block``)."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    _channel(fg, series, self_url, cover_name)
    fg.podcastindex.guid(guid)
    if private:
        fg.podcastindex.locked(True, series.owner_email)
        fg.podcast.itunes_block(True)
    for episode in sorted(episodes, key=lambda e: (e.published, e.number)):
        _item(fg.add_entry(), series, episode)
    newest = max((e.published for e in episodes), default=None)
    if newest is not None:
        fg.lastBuildDate(_midday(newest))
    return fg.rss_str(pretty=True)


def _channel(fg: FeedGenerator, series: Series, self_url: str, cover: str | None) -> None:
    fg.title(series.title)
    fg.link(href=self_url, rel="self")
    fg.link(href=series.link, rel="alternate")  # last: feedgen makes the last one RSS's <link>
    fg.description(series.description)
    fg.language(series.language)
    fg.author({"name": series.author, **({"email": series.owner_email}
                                         if series.owner_email else {})})  # fmt: skip
    fg.generator("cuecast", __version__, "https://pypi.org/project/cuecast/")
    if series.copyright:
        fg.copyright(series.copyright)
    podcast = fg.podcast
    podcast.itunes_author(series.author)
    podcast.itunes_summary(series.description)
    podcast.itunes_explicit("yes" if series.explicit else "no")
    podcast.itunes_type("episodic")
    if series.owner_name and series.owner_email:
        podcast.itunes_owner(series.owner_name, series.owner_email)
    if series.category:
        top, _, sub = series.category.partition("/")
        podcast.itunes_category({"cat": top, **({"sub": sub} if sub else {})})
    if cover:
        fg.image(series.link + cover, series.title, series.link)
        podcast.itunes_image(series.link + cover)


def _item(fe: object, series: Series, episode: Episode) -> None:
    url = series.link + episode.file
    fe.id(episode.guid)  # type: ignore[attr-defined]
    fe.guid(episode.guid, permalink=False)  # type: ignore[attr-defined]
    fe.title(episode.title)  # type: ignore[attr-defined]
    fe.link(href=series.link + "index.html#" + episode.id)  # type: ignore[attr-defined]
    fe.description(episode.description or episode.title)  # type: ignore[attr-defined]
    fe.enclosure(url, str(episode.bytes), episode.mime)  # type: ignore[attr-defined]
    fe.published(_midday(episode.published))  # type: ignore[attr-defined]
    podcast = fe.podcast  # type: ignore[attr-defined]
    podcast.itunes_duration(clock(episode.duration_s))
    podcast.itunes_episode(episode.number)
    podcast.itunes_episode_type("full")
    if episode.subtitle:
        podcast.itunes_subtitle(episode.subtitle)
    ours = fe.podcastindex  # type: ignore[attr-defined]
    if episode.chapters:
        ours.chapters(series.link + episode.chapters, CHAPTERS_MIME)
    for name, mime in episode.transcripts:
        ours.transcript(series.link + name, mime, series.language)


def _midday(day: object) -> datetime:
    """A date as a time players sort by: noon UTC that day."""
    return datetime.combine(day, time(12, 0), tzinfo=timezone.utc)  # type: ignore[arg-type]
