"""Audio while it is being made: the encoder's own output, as it comes.

The render is given ``LiveAudio.write`` as the encoder's audio sink
(``cuecast.pipeline.render(..., audio_out=...)``): the MP3 encoder hands it
every audio frame it produces, in order, besides writing its file (see
``encode.py``). Those bytes are the finished file's audio exactly (the
file adds its ID3 tag and LAME/Info frame in front), so a player can
start on them before the render ends, and nothing here reads a file being
written, guesses its name or parses a frame header.

The bytes are spooled to an unnamed temporary file (in the job's work
folder), not held in memory: a long session is megabytes, and a listener
who opens the audio late still gets it from the first frame. Each reader
reads at its own offset (``os.pread``), so any number follow one render.
The spool's disk space is freed when the last reader and the job let go.

Readers on the server's event loop (``follow_async``) wait without a
thread: the writer wakes them through their loop, so a hundred listeners
waiting for their sessions hold no worker thread the other requests need.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

CHUNK_BYTES = 64 * 1024


class LiveAudio:
    """An append-only byte stream: one writer (the encoder), many readers.

    ``close`` says no more bytes will come; ``release`` that no new reader
    will start (the job is over and its file stored): the spool is closed
    once the last reader still following it is done.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self._folder = folder
        self._fd: int | None = None
        self._length = 0
        self._closed = False
        self._released = False
        self._readers = 0
        self._changed = threading.Condition()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    @property
    def length(self) -> int:
        return self._length

    @property
    def closed(self) -> bool:
        return self._closed

    def write(self, data: bytes) -> None:
        """Append ``data`` (the encoder's output thread calls this)."""
        if not data:
            return
        with self._changed:
            if self._closed:
                return
            if self._fd is None:
                self._fd = _spool(self._folder)
            at, view = self._length, memoryview(data)
            while view:
                written = os.pwrite(self._fd, view, at)
                at, view = at + written, view[written:]
            self._length = at
            self._changed.notify_all()
            self._wake()

    def close(self) -> None:
        """No more bytes will come (the render ended, well or not)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            self._wake()

    def release(self) -> None:
        """No new reader will start: free the spool once the readers are done."""
        with self._changed:
            self._closed = self._released = True
            self._changed.notify_all()
            self._wake()
            self._free_if_unread()

    def follow(self, *, timeout_s: float = 3600.0) -> Iterator[bytes]:
        """Every byte written, from the first, as it comes; ends once the
        stream is closed and read to its end (or after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        offset = 0
        self._enter()
        try:
            while True:
                with self._changed:
                    while offset >= self._length and not self._closed:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            return
                        self._changed.wait(min(left, 1.0))
                chunk = self._read(offset)
                if not chunk:
                    return  # closed and fully read
                offset += len(chunk)
                yield chunk
        finally:
            self._leave()

    async def follow_async(self, *, timeout_s: float = 3600.0) -> AsyncIterator[bytes]:
        """``follow`` for a reader on an event loop, holding no thread while it waits.

        It gives the loop a turn after every chunk, even when more bytes are
        waiting: a listener who opens a long session late gets megabytes at
        once, and without these turns the server would write them all in one
        step of the loop. When that listener closes the connection, the
        server learns it only in the loop's next turn (uvicorn's
        ``connection_lost``; the response then stops), so every chunk up to
        then went to a closed socket, each logged by asyncio as
        "socket.send() raised exception." (tests/web/test_live_drop.py).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        offset = 0
        self._enter()
        try:
            while True:
                event = asyncio.Event()
                with self._changed:  # registered before reading: no wake-up is lost
                    self._waiters.append((loop, event))
                    closed = self._closed
                chunk = self._read(offset)
                if chunk:
                    offset += len(chunk)
                    yield chunk
                    await asyncio.sleep(0)  # the loop's turn: see follow_async's docstring
                    continue
                if closed:
                    return
                try:
                    await asyncio.wait_for(event.wait(), max(0.0, deadline - loop.time()))
                except asyncio.TimeoutError:
                    return
        finally:
            self._leave()

    def _read(self, offset: int) -> bytes:
        """Bytes written from ``offset`` on, at most ``CHUNK_BYTES`` (a
        registered reader's: the spool stays open meanwhile)."""
        with self._changed:
            fd, length = self._fd, self._length
        if fd is None or offset >= length:
            return b""
        return os.pread(fd, min(CHUNK_BYTES, length - offset), offset)

    def _enter(self) -> None:
        with self._changed:
            self._readers += 1

    def _leave(self) -> None:
        with self._changed:
            self._readers -= 1
            self._free_if_unread()

    def _free_if_unread(self) -> None:
        if self._released and self._readers == 0 and self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _wake(self) -> None:
        for loop, event in self._waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop is closed: its reader is gone
                pass
        self._waiters.clear()


def _spool(folder: str | os.PathLike[str] | None) -> int:
    where = str(folder) if folder is not None and Path(folder).is_dir() else None
    with tempfile.TemporaryFile(dir=where) as handle:  # unnamed: gone from the disk on close
        return os.dup(handle.fileno())


def finished_file(path: Path, *, skip: int) -> Iterator[bytes]:
    """``path`` from byte ``skip`` on (nothing if it is gone already)."""
    try:
        f = path.open("rb")
    except OSError:
        return
    with f:
        f.seek(skip)
        while chunk := f.read(CHUNK_BYTES):
            yield chunk
