"""What keeps the server up whatever it is sent: size and rate limits, headers.

An ASGI middleware in front of the app. It reads a request's body itself,
up to ``max_body_bytes`` (a longer one is answered 413 before the app sees
it), counts requests per listener address in a sliding one-minute window
(``limits``: a name -> requests per minute, checked by ``RateLimits.allow``;
over it is 429 with ``Retry-After``) and adds the security headers to every
answer: a content security policy that allows only this server's own
scripts, styles and media, no framing, no sniffing, no referrer.

The listener's address is the ASGI scope's ``client``: the peer, or, behind
a reverse proxy that ``cuecast serve --forwarded-allow-ips`` trusts, the
address the proxy reports in ``X-Forwarded-For`` (uvicorn's proxy-header
middleware sets it before this sees the request; docs/serve.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; "
     b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class RateLimits:
    """A sliding one-minute window per (limit name, listener address), kept
    by the ``limits`` library in memory: this minute's count and the last
    one's, weighted by how much of the last minute the window still covers
    (the library's sliding window counter). A window is forgotten only
    once its counts expire, never to make room for other addresses: a
    crowd cannot reset a busy listener.

    The library's asyncio storage, checked on the server's event loop:
    its threaded storage started a timer thread to expire entries after
    almost every request (0.8 ms of CPU a request, with a hundred
    listeners polling their status; 0.15 ms this way). The moving window
    of the asyncio storage is no cheaper: it expires each address's list
    of times on a worker thread."""

    def __init__(self, per_minute: dict[str, int]) -> None:
        self.per_minute = per_minute
        self._items = {name: RateLimitItemPerMinute(n) for name, n in per_minute.items() if n}
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def allow(self, name: str, client: str) -> int:
        """0 if the request may go ahead (and it is counted), else seconds to wait."""
        item = self._items.get(name)
        if item is None or await self._limiter.hit(item, name, client):
            return 0
        reset_at = (await self._limiter.get_window_stats(item, name, client)).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


class Guard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, limits: RateLimits) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        wait_s = await self.limits.allow("requests", client_of(scope))
        if wait_s:
            await _plain(send, 429, "Too many requests; please wait a moment.", wait_s)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _plain(send, 413, "That request is too large.")
            return
        body = await _read_body(receive, self.max_body_bytes)
        if body is None:
            await _plain(send, 413, "That request is too large.")
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes ``limit`` bytes."""
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, for streaming answers

    return replay


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def _plain(send: Send, status: int, text: str, retry_after_s: int = 0) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode())]
    if retry_after_s:
        headers.append((b"retry-after", str(retry_after_s).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
