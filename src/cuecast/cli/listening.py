"""What ``serve`` and ``edit`` share: a bound socket, and a quiet stop."""

from __future__ import annotations

import signal
import socket
import sys

import click

from cuecast.errors import InputError


def listen(host: str, port: int, backlog: int = 128) -> socket.socket:
    """A socket bound and listening, so the address printed is the one that
    listens (also with port 0); ``InputError`` naming the address if not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)  # connections wait in the backlog until uvicorn accepts them
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def shown_host(host: str) -> str:
    """The host as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def quiet_stop(message: str) -> None:
    """uvicorn stops on SIGINT/SIGTERM and then raises the signal again: end
    quietly then with ``message``, rather than as an interrupted render."""

    def stop(signum: int, frame: object) -> None:  # noqa: ARG001
        click.echo(message)
        sys.exit(0)

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, stop)
