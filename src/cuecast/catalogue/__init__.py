"""The catalogue: one YAML file describing a series of tracks made from
routine scripts, its podcast metadata and its clients' private feeds.

``load_catalogue`` checks it (and every script it names) and gives a typed
``Catalogue``; ``track_options`` gives the render options for one track.
Shared by ``cuecast publish`` and ``cuecast serve``.
"""

from __future__ import annotations

from cuecast.catalogue.load import load_catalogue
from cuecast.catalogue.model import Catalogue, Client, Series, Track
from cuecast.catalogue.options import track_options
from cuecast.catalogue.schema import schema

__all__ = [
    "Catalogue",
    "Client",
    "Series",
    "Track",
    "load_catalogue",
    "schema",
    "track_options",
]
