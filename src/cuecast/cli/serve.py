"""``cuecast serve CATALOGUE``: the listeners' page, on uvicorn."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click

from cuecast.cli.base import main
from cuecast.cli.listening import listen, quiet_stop, shown_host


@main.command()
@click.argument("catalogue", type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--store", "store_dir", type=click.Path(file_okay=False),
              help="Folder for finished sessions [default: .cuecast-serve beside the catalogue].")
@click.option("--disk-budget", default=2048, show_default=True, metavar="MB",
              type=click.IntRange(min=1), help="Disk kept for finished sessions (oldest used go).")
@click.option("--workers", type=click.IntRange(min=1),
              help="Sessions rendered at once [default: CPU count].")
@click.option("--queue", "queue_bound", type=click.IntRange(min=1),
              help="Sessions needing much new speech, waiting or rendering, before answering 503 "
                   "[default: 4 per worker].")
@click.option("--forwarded-allow-ips", "proxies", default="127.0.0.1,::1", show_default=True,
              metavar="ADDRESSES",
              help="Reverse proxies (comma-separated addresses or networks, * for any) whose "
                   "X-Forwarded-For names the listener, for the per-listener rate limits: "
                   "of its addresses the listener is the last one that is not a trusted proxy "
                   "(those to its left a client can make up). A request from any other "
                   "address is its own listener; '' trusts none (docs/serve.md).")
@click.option("--cluster", metavar="ADDRESS",
              help="Encode sessions' MP3 pieces on the Dask scheduler's workers at ADDRESS "
                   "(the cluster extra); the same bytes as here.")
def serve(catalogue: str, host: str, port: int, store_dir: str | None, disk_budget: int,
          workers: int | None, queue_bound: int | None, proxies: str,
          cluster: str | None) -> None:
    """Serve CATALOGUE as a page where listeners customise and download tracks."""
    import uvicorn

    from cuecast.catalogue import load_catalogue
    from cuecast.web import Settings, create_app

    loaded = load_catalogue(catalogue)
    store = store_dir or os.path.join(os.path.dirname(os.path.abspath(catalogue)),
                                      ".cuecast-serve")
    cluster_client = contextlib.ExitStack()
    pieces = None
    if cluster:  # the MP3 pieces encoded there, as publish --cluster renders its tracks
        from cuecast.publish.batch import cluster_executor

        pieces = cluster_client.enter_context(cluster_executor(cluster))
    settings = Settings(store_dir=Path(store), disk_budget_bytes=disk_budget * 1024 * 1024,
                        workers=workers or os.cpu_count() or 1, queue_bound=queue_bound or 0,
                        pieces=pieces, on_close=cluster_client.close)
    app = create_app(loaded, settings)
    sock = listen(host, port)
    bound = sock.getsockname()[1]
    shown = shown_host(host)
    click.echo(f"cuecast: serving {loaded.series.title} at http://{shown}:{bound}/ "
               "(Ctrl-C to stop)")
    # the listener's address for the rate limits: the peer's, or the one a
    # trusted proxy reports (uvicorn's proxy-header middleware; docs/serve.md)
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=5, proxy_headers=bool(proxies.strip()),
                            forwarded_allow_ips=proxies.strip() or None)
    _give_memory_back()
    quiet_stop("cuecast: stopped serving")
    uvicorn.Server(config).run(sockets=[sock])


def _give_memory_back() -> None:
    """Large blocks straight from and back to the kernel (glibc): a render's
    numpy buffers are then returned when it ends, instead of staying in the
    heaps of the threads that rendered (measured: 125 MB resident between
    two-at-a-time renders of the seed, against 270-400 MB without)."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: fixed at 1 MiB
        libc.mallopt(-1, 4 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: the allocator's defaults
