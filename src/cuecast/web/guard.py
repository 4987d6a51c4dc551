"""What keeps the server up whatever it is sent: size and rate limits, headers.

An ASGI middleware in front of the app. It reads a request's body itself,
up to ``max_body_bytes`` (a longer one is answered 413 before the app sees
it), counts requests per client address in a sliding minute (``limits``:
a name -> requests per minute, checked by ``RateLimits.allow``; over it is
429 with ``Retry-After``) and adds the security headers to every answer: a
content security policy that allows only this server's own scripts,
styles and media, no framing, no sniffing, no referrer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WINDOW_S = 60.0
MAX_CLIENTS = 10_000
"""Addresses remembered by the rate limits; the oldest are forgotten first."""

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
     b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class RateLimits:
    """Sliding one-minute windows per (limit name, client address)."""

    def __init__(self, per_minute: dict[str, int]) -> None:
        self.per_minute = per_minute
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, name: str, client: str) -> int:
        """0 if the request may go ahead, else seconds to wait."""
        limit = self.per_minute.get(name)
        if not limit:
            return 0
        now = time.monotonic()
        with self._lock:
            times = self._seen.setdefault((name, client), deque())
            while times and times[0] <= now - WINDOW_S:
                times.popleft()
            if len(times) >= limit:
                return max(1, int(times[0] + WINDOW_S - now) + 1)
            times.append(now)
            if len(self._seen) > MAX_CLIENTS:
                self._seen.pop(next(iter(self._seen)))
        return 0


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
        wait_s = self.limits.allow("requests", client_of(scope))
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
