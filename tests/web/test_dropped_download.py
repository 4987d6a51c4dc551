"""A listener who drops a download (or the finished session's audio) part
way: the server stops reading the file once the connection is gone, and
does not read it to the end for nobody. Against a real server (uvicorn, in
this process) on 127.0.0.1, a large stored session (sparse: no disk), and
a count of the bytes read from it."""

from __future__ import annotations

import socket
import struct
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from cuecast.catalogue import load_catalogue
from cuecast.cli.listening import listen
from cuecast.web import Settings, create_app
from tests.web.conftest import CATALOGUE, ROUTINE

KEY = "ab" * 16
SIZE = 256 * 1024 * 1024  # read to the end, it is seconds of the server's work
RECEIVED = 2 * 1024 * 1024  # what the listener takes before going


class Reads:
    """Bytes read from the files the server opens (through anyio, as
    Starlette's FileResponse does), and whether they are closed."""

    def __init__(self) -> None:
        self.bytes = 0
        self.opened = 0
        self.closed = threading.Event()

    def wrap(self, real):  # type: ignore[no-untyped-def]
        reads = self

        class Counted:
            def __init__(self, file) -> None:  # type: ignore[no-untyped-def]
                self._file = file

            async def read(self, size: int = -1) -> bytes:
                chunk = await self._file.read(size)
                reads.bytes += len(chunk)
                return chunk

            async def aclose(self) -> None:
                await self._file.aclose()
                reads.closed.set()

            def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
                return getattr(self._file, name)

        async def open_file(*args, **kwargs):  # type: ignore[no-untyped-def]
            reads.opened += 1
            return Counted(await real(*args, **kwargs))

        return open_file


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    """The small catalogue served with one large finished session stored
    under KEY: the server's port."""
    import uvicorn

    (tmp_path / "tiny.yaml").write_text(ROUTINE)
    (tmp_path / "catalogue.yaml").write_text(textwrap.dedent(CATALOGUE))
    app = create_app(load_catalogue(tmp_path / "catalogue.yaml"),
                     Settings(store_dir=tmp_path / "store", workers=1), warm=False)
    made = tmp_path / "made.mp3"
    with made.open("wb") as f:
        f.truncate(SIZE)
    app.state.web.sessions.store.put(KEY, made)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    sock = listen("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def take_and_drop(port: int, path: str, extra: str = "") -> bytes:
    """GET ``path``, take RECEIVED bytes of the answer, and close as a closed
    tab or a lost phone does, unread bytes and all (a reset). The answer's head."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
        got = b""
        while len(got) < RECEIVED:
            chunk = sock.recv(1 << 16)
            assert chunk, got[:300]
            got += chunk
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return got[:300]


@pytest.mark.parametrize(("route", "extra"), [
    ("download", ""),
    ("session.mp3", ""),
    ("session.mp3", "Range: bytes=0-\r\n"),  # as an audio element asks
    ("live.mp3", ""),  # a finished session's live link is its file
])
def test_a_dropped_download_stops_reading_its_file(served: int, route: str, extra: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads()
    monkeypatch.setattr(anyio, "open_file", reads.wrap(anyio.open_file))
    head = take_and_drop(served, f"/t/tiny/s/{KEY}/{route}", extra)
    assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 206")), head
    assert reads.closed.wait(60), "the file was never closed"
    assert reads.opened == 1
    # what the listener took and what was on its way (socket buffers, a chunk or two)
    assert RECEIVED <= reads.bytes < SIZE // 8, f"read {reads.bytes} of {SIZE} bytes"
