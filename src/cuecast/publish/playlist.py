"""Episodes -> an extended M3U playlist (``playlist.m3u8``, UTF-8), in
``tracks`` order, each line's file name relative to the playlist."""

from __future__ import annotations

from collections.abc import Sequence

from cuecast.publish.episodes import Episode
from cuecast.units import whole_seconds


def playlist_m3u8(author: str, episodes: Sequence[Episode]) -> str:
    lines = ["#EXTM3U"]
    for episode in sorted(episodes, key=lambda e: e.number):
        title = f"{author} - {episode.title}".replace("\n", " ")
        lines += [f"#EXTINF:{whole_seconds(episode.duration_s)},{title}", episode.file]
    return "\n".join(lines) + "\n"
