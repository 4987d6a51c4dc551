"""A listener who closes the live stream early, against a real ``cuecast
serve``: the server writes nothing more to that connection (asyncio logs
each write to a closed socket as "socket.send() raised exception.", which
filled a studio's logs) and goes on serving."""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

import httpx
import pytest

from tests.web.test_serve_processes import serving, wait_for

pytestmark = pytest.mark.e2e  # a real server speaking with pyttsx3

LONG = """\
title: Long Hold
description: One long hold, so that the live audio is megabytes when a listener opens it.
vars:
  hold: {value: 1200s, label: Hold, min: 2s, max: 3600s}
steps:
  - say: Hold.
  - hold: $hold
  - say: Done.
"""

CATALOGUE = """\
series: {title: Test Series, author: Test Studio, description: Tests., link: https://example.com/}
defaults: {format: mp3, bitrate: 64, engine: pyttsx3}
tracks:
  - script: long.yaml
"""


def drop(port: int, path: str) -> bytes:
    """GET ``path``, read the first bytes that come, and close as a closed
    browser tab does, unread bytes and all (a reset). The answer's head."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = sock.recv(65536)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return head


def test_a_listener_closing_the_live_stream_early_is_written_to_no_more(tmp_path: Path) -> None:
    (tmp_path / "long.yaml").write_text(LONG)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE)
    log = tmp_path / "serve-stderr.txt"
    streamed = 0  # drops that met the live stream (not the finished file)
    with serving(catalogue, tmp_path / "store", stderr=log) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        for hold in range(1200, 1210):
            made = client.post("/t/long", data={"hold": str(hold)})
            assert made.status_code == 303
            session = httpx.URL(made.headers["location"]).path
            deadline = time.monotonic() + 120
            while not client.get(f"{session}/status").json()["live"]:  # the audio has begun
                assert time.monotonic() < deadline, f"{session}: no audio"
                time.sleep(0.02)
            head = drop(httpx.URL(base).port or 0, f"{session}/live.mp3")
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
            streamed += b"transfer-encoding: chunked" in head.lower()
            wait_for(client, session)
            if streamed >= 3:
                break
        assert streamed >= 3, "the sessions were done before their live audio was opened"
        assert client.get("/").status_code == 200  # still serving
        whole = client.get(f"{session}/live.mp3")  # now the finished file
        assert whole.status_code == 200 and len(whole.content) > 5_000_000
    said = log.read_text()
    assert "socket.send() raised exception" not in said, said[-2000:]
