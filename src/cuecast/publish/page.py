"""Episodes -> the catalogue's page: one self-contained HTML file.

Takes the series, the complete episodes and the cover's bytes; gives
``index.html`` (Jinja2, ``templates/index.html.j2``): cover, series text,
and for each track its title, length, a player, its chapters, a download
link and a picture of its timeline. Styles and pictures are inline (a
small cover too), so nothing is fetched from elsewhere; it reads on a
360 px wide phone.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from cuecast.catalogue import Series
from cuecast.picture import chapters, describe, timeline_svg
from cuecast.publish.episodes import Episode
from cuecast.units import clock

INLINE_COVER_BYTES = 400_000
"""A cover up to this size is inlined; a bigger one is linked beside the page."""


def page_html(series: Series, episodes: Sequence[Episode], cover: tuple[str, bytes] | None) -> str:
    env = Environment(
        loader=PackageLoader("cuecast.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    template = env.get_template("index.html.j2")
    return template.render(series=series, cover_src=_cover_src(cover),
                           episodes=[_view(e) for e in episodes])  # fmt: skip


def _cover_src(cover: tuple[str, bytes] | None) -> str | None:
    if cover is None:
        return None
    name, data = cover
    if len(data) > INLINE_COVER_BYTES:
        return name
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _view(episode: Episode) -> dict[str, Any]:
    return {
        "id": episode.id,
        "number": episode.number,
        "title": episode.title,
        "description": episode.description,
        "published": episode.published,
        "file": episode.file,
        "length": clock(episode.duration_s),
        "size": f"{episode.bytes / 1e6:.1f} MB",
        "transcripts": episode.transcripts,
        "chapter_list": chapters(episode.timeline),
        "picture": timeline_svg(episode.timeline, describe(episode.timeline, episode.title)),
    }
