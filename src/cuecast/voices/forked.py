"""Speak one line in a forked child and take its bytes back through a pipe.

Takes a function that speaks one line in this process (``speak() -> bytes``),
the engine's name and the line (for messages); gives the bytes the function
returned in a child forked for that line alone, or an ``EngineError``.

Why: espeak-ng and SVOX Pico carry state from one line to the next inside a
process (the same line spoken after another differs in its last samples,
whatever seed or re-initialising). A child forked from a process that has
never spoken starts from the same state every time, so the same text and
voice give the same samples in any process, whatever was spoken before.
The fork costs about 2 ms a line.

The child writes ``K`` (the bytes) or ``E`` (an error's text), a
little-endian 32-bit size and the payload, then exits; it ignores SIGINT
(the parent decides) and is killed by SIGALRM after ``CHILD_GUARD_S`` even
if its parent is gone. A child that dies without writing is "stopped".
Where there is no ``fork`` (``FORKS`` is false) the engines speak
in-process, not bit-exact between lines.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager

from cuecast.errors import EngineError

__all__ = ["CHILD_GUARD_S", "FORKS", "speak_forked"]

FORKS = hasattr(os, "fork")
CHILD_GUARD_S = 900
"""A child still alive after this is killed by SIGALRM (the speaker's own
timeout is much shorter)."""
_HEADER = struct.Struct("<cI")


def speak_forked(speak: Callable[[], bytes], engine: str, text: str, *,
                 lock: AbstractContextManager[object] | None = None,
                 quiet: bool = False) -> bytes:  # fmt: skip
    """``speak()`` run in a child forked for it; what it returned.

    ``lock`` is held around the fork (a library that is not thread-safe is
    not copied into the child halfway through another thread's call), or
    around ``speak()`` where there is no fork; ``quiet`` sends the child's
    stdout and stderr (a C library's chatter) to /dev/null. An exception
    in ``speak()`` is an ``EngineError`` "ENGINE failed to speak 'TEXT': ..."."""
    held = lock if lock is not None else contextlib.nullcontext()
    if not FORKS:  # pragma: no cover - no fork: not bit-exact between lines
        with held:
            try:
                return speak()
            except Exception as exc:  # noqa: BLE001 - C extensions raise assorted types
                raise EngineError(_failed(engine, text, _text(exc))) from exc
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns when forking with threads (numpy's BLAS pool);
        # the child only speaks and writes to a pipe, taking no locks.
        warnings.simplefilter("ignore", DeprecationWarning)
        with held:
            pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        _child(speak, read_fd, write_fd, quiet)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if len(data) < _HEADER.size or data[:1] not in (b"K", b"E"):
        raise EngineError(f"{engine} stopped while speaking {text[:60]!r} (status {status})")
    tag, size = _HEADER.unpack_from(data)
    payload = data[_HEADER.size : _HEADER.size + size]
    if tag == b"E":
        raise EngineError(_failed(engine, text, payload.decode("utf-8", "replace")))
    return payload


def _failed(engine: str, text: str, why: str) -> str:
    return f"{engine} failed to speak {text[:60]!r}: {why}"


def _text(exc: Exception) -> str:
    return exc.message if isinstance(exc, EngineError) else str(exc)


def _child(speak: Callable[[], bytes], read_fd: int, write_fd: int, quiet: bool) -> None:
    """Body of the forked child: speak, write the answer, exit (never returns)."""
    code = 1
    try:
        os.close(read_fd)
        signal.alarm(CHILD_GUARD_S)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
        try:
            tag, payload = b"K", speak()
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            tag, payload = b"E", _text(exc).encode("utf-8", "replace")
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(_HEADER.pack(tag, len(payload)) + payload)
        code = 0
    finally:
        os._exit(code)
