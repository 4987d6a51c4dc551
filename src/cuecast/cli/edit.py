"""``cuecast edit [FOLDER]``: the routines of a folder, in the browser, on uvicorn."""

from __future__ import annotations

import ipaddress
from typing import Any

import click

from cuecast.cli.base import _options, _script_options, main
from cuecast.cli.listening import listen, quiet_stop, shown_host


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, exists=True))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Another than this machine's own (127.0.0.1, ::1) "
                   "lets anyone who can reach it and has the link edit the folder.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@_script_options
def edit(folder: str, host: str, port: int, **kw: Any) -> None:
    """Write the routines in FOLDER in the browser [default: the current folder].

    Prints a link with a secret token: open it in a browser on this
    machine. The options say how the routines are checked, heard and
    rendered, as for 'cuecast render'.
    """
    import uvicorn

    from cuecast.edit import create_app, new_token

    token = new_token()
    app = create_app(folder, _options(**kw), token)
    sock = listen(host, port, backlog=64)
    shown = shown_host(host)
    if not _loopback(host):
        click.echo(f"cuecast: warning: listening on {host}, not only this machine: anyone who "
                   "can reach it and has the link can read and change the routines in "
                   f"{folder}", err=True)  # fmt: skip
    click.echo(f"cuecast: editing {folder} at "
               f"http://{shown}:{sock.getsockname()[1]}/?token={token} (Ctrl-C to stop)")
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=3)  # fmt: skip
    quiet_stop("cuecast: stopped editing")
    uvicorn.Server(config).run(sockets=[sock])


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
