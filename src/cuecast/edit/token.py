"""The editor's lock: nothing is answered without the secret of its link.

An ASGI middleware, as notebook servers do it: the printed link carries
``?token=SECRET``; a request with the right token is redirected to the
same address without it and given a cookie holding it (HttpOnly,
SameSite=Strict, so another site's page cannot send it); every later
request must carry that cookie. Anything else is 403, whatever the path.
A request that changes something must also be JSON from this page
(a cross-site form cannot send ``application/json``, and an ``Origin``,
when sent, must be this server's).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "cuecast-edit"
REFUSED = b"This page needs the link cuecast edit printed (with its token).\n"


def new_token() -> str:
    """192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class TokenGuard:
    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given:
            if len(given) == 1 and self._valid(given[0]):
                await _enter(send, scope, [(k, v) for k, v in query if k != "token"], self.token)
            else:
                await _refuse(send, 403, REFUSED)
            return
        if not self._valid(_cookie(scope)):
            await _refuse(send, 403, REFUSED)
            return
        if scope["method"] not in ("GET", "HEAD") and not _same_page(scope):
            await _refuse(send, 403, b"Changes are taken only from the editor's own page.\n")
            return
        await self.app(scope, receive, send)

    def _valid(self, value: str | None) -> bool:
        return value is not None and secrets.compare_digest(
            value.encode("utf-8", "replace"), self.token.encode()
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie is no token
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


def _same_page(scope: Scope) -> bool:
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if kind != "application/json":
        return False
    origin = _header(scope, b"origin")
    host = _header(scope, b"host")
    return origin is None or (host is not None and origin in (f"http://{host}",))


async def _enter(send: Send, scope: Scope, rest: list[tuple[str, str]], token: str) -> None:
    """Set the cookie and go to the same address without the token."""
    location = scope.get("path", "/") + (("?" + urlencode(rest)) if rest else "")
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send({"type": "http.response.start", "status": 303, "headers": [
        (b"location", location.encode("utf-8")), (b"set-cookie", cookie.encode()),
        (b"cache-control", b"no-store"), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def _refuse(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
