"""``cuecast publish``: a catalogue -> tracks, feeds, playlist and page."""

from __future__ import annotations

import sys

import click

from cuecast.cli.base import main
from cuecast.units import clock_text, to_samples


@main.command()
@click.argument("catalogue", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Output folder [default: public/ beside the catalogue].")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Tracks rendered at a time on this machine [default: CPU count].")
@click.option("--cluster", metavar="ADDRESS",
              help="Render on a running Dask scheduler (tcp://host:8786) instead; the "
                   "workers need cuecast, not this folder.")
@click.option("--revoke", multiple=True, metavar="CLIENT",
              help="Give CLIENT a new private feed address and remove the old one "
                   "(repeatable).")
@click.option("--allow-outside", is_flag=True,
              help="Let the catalogue and its scripts name files outside their folders.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def publish(catalogue: str, output: str | None, jobs: int | None, cluster: str | None,
            revoke: tuple[str, ...], allow_outside: bool, quiet: bool) -> None:
    """Publish CATALOGUE: render its tracks (only those whose inputs changed)
    and write a podcast feed, private client feeds, a playlist and a page."""
    from cuecast.publish import publish as do_publish
    from cuecast.publish.worker import TrackResult

    def progress(result: TrackResult) -> None:
        if result.failure is None and not quiet:
            click.echo(f"rendered {result.id} ({clock_text(to_samples(result.duration_s))}) in "
                       f"{result.render_s:.1f} s", err=True)

    report = do_publish(catalogue, output, jobs=jobs, cluster=cluster, revoke=revoke,
                        allow_outside=allow_outside, progress=progress)
    for track_id, failure in report.failed:
        click.echo(f"cuecast: error: {track_id} failed: {failure}", err=True)
    if not quiet:
        for client_id, url in report.new_feeds:
            click.echo(f"client {client_id}: {url}", err=True)
        click.echo(f"{len(report.rendered)} rendered, {len(report.up_to_date)} up to date"
                   + (f", {len(report.failed)} failed" if report.failed else "")
                   + f"; {report.out}/feed.xml lists {report.listed}", err=True)
    if report.failed:
        sys.exit(1)
