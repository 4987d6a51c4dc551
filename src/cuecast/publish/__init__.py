"""Publishing a series: a catalogue -> tagged tracks, their timelines,
chapters and captions, a podcast feed, private client feeds, a playlist
and a page, rendered on local processes or a Dask cluster, incrementally.
"""

from __future__ import annotations

from cuecast.publish.publisher import Report, publish

__all__ = ["Report", "publish"]
