"""``cuecast serve``: a page where a listener customises a track and downloads it.

``create_app(catalogue, Settings(...))`` gives the ASGI app (Starlette,
Jinja2 templates in ``templates/``, no external assets). The modules, in
the order a request meets them: ``guard`` (size and rate limits,
headers), the pages (``home``, ``track``, ``session``, ``assets``),
``library`` (the catalogue's tracks and a listener's choice, checked by
the script loader), ``sessions`` (plans and renders), ``jobs`` (the
bounded render queue), ``live`` (audio while it is made) and ``store``
(finished files, content-addressed, within a disk budget).
"""

from __future__ import annotations

from cuecast.web.app import create_app
from cuecast.web.sessions import Settings

__all__ = ["Settings", "create_app"]
