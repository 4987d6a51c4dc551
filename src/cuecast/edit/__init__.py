"""``cuecast edit``: a local page for writing the routines in a folder.

``create_app(folder, options, token)`` gives the ASGI app (Starlette, the
``web`` extra). The modules, in the order a request meets them: ``token``
(nothing without the link's secret), ``app`` (the routes), ``files`` (the
folder: names checked, reads, atomic saves with a conflict check and an
undo), ``check`` (the text typed -> messages, total, vars, picture, via
``prepare``) and ``hear`` (a line, the timeline in pieces, a render). The
page is ``static/``: plain JavaScript over CodeMirror 5, vendored with its
license in ``static/codemirror/``.
"""

from __future__ import annotations

from cuecast.edit.app import create_app
from cuecast.edit.token import new_token

__all__ = ["create_app", "new_token"]
