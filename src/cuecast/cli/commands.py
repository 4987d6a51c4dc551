"""The rendering commands: render, plan, check, schema, cache."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from cuecast import limits
from cuecast.cli.base import (
    _levels,
    _options,
    _print_warnings,
    _progress,
    _script_options,
    format_table,
    main,
)
from cuecast.cli.lines import recording_report
from cuecast.errors import CuecastError
from cuecast.request import OFF_WORDS, TARGET_LUFS
from cuecast.units import clock_text

if TYPE_CHECKING:
    from cuecast.request import Options


@main.command()
@click.argument("script", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file [default: SCRIPT's name with the format's extension, "
                   "in the current folder]. The timeline goes beside it as NAME.timeline.json.")
@click.option("-f", "--format", "fmt", metavar="FORMAT",
              help="Audio format: mp3, m4a, m4b, ogg, opus, flac or wav "
                   "[default: from -o's extension, else mp3].")
@click.option("-b", "--bitrate", metavar="KBPS",
              help=f"Bitrate in kbit/s ({limits.BITRATE_KBPS.text()}) "
                   "[default: mp3 96, m4a 96, opus 64].")
@click.option("--loudness", default=f"{TARGET_LUFS:g}", show_default=True, metavar="LUFS|off",
              help="Normalise to this integrated loudness (true peak <= -1 dBTP), or "
                   f"'off' (also {', '.join(OFF_WORDS[1:])}).")
@click.option("--captions", metavar="vtt,srt,lrc",
              help="Also write captions beside the track (any of vtt, srt, lrc).")
@click.option("--title", help="Override the title tag.")
@click.option("--subtitle", help="Override the subtitle tag.")
@click.option("--author", help="Override the artist/author tag.")
@click.option("--album", help="Override the album tag.")
@click.option("--year", help="Override the year tag.")
@click.option("--genre", help="Override the genre tag.")
@click.option("--description", help="Override the description/comment tag.")
@click.option("--track", metavar="N[/TOTAL]", help="Override the track number tag.")
@click.option("--cover", type=click.Path(exists=True, dir_okay=False),
              help="Cover image (JPEG or PNG).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--length", metavar="DURATION",
              help="Fit the session to this length (20m, 1:30:00): the vars not given "
                   "with --set are scaled within their bounds to plan within 5 s of it.")
@_script_options
def render(script: str, output: str | None, quiet: bool, length: str | None,
           **kw: Any) -> None:  # fmt: skip
    """Render SCRIPT to an audio track, with its timeline beside it."""
    from cuecast.pipeline import render as do_render

    options = _fitted(script, _options(**kw), length, quiet)
    with _progress(quiet) as progress:
        result = do_render(script, output, options, progress)
    if not quiet:
        _print_warnings(result.timeline)
        line = f"wrote {result.path} ({clock_text(result.timeline.length)})"
        if result.loudness is not None and result.final_loudness is not None:
            line += f", {_levels(result.final_loudness)} (the mix was {_levels(result.loudness)})"
        click.echo(line, err=True)
        for p in (result.timeline_path, *result.extra_paths):
            click.echo(f"wrote {p}", err=True)


@main.command()
@click.argument("script", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@click.option("--vars", "list_vars", is_flag=True,
              help="List the script's vars instead: label, value, bounds and what each "
                   "profile sets (no speech is made).")
@click.option("--length", metavar="DURATION",
              help="Fit the session to this length (20m, 1:30:00): the vars not given "
                   "with --set are scaled within their bounds to plan within 5 s of it.")
@_script_options
def plan(script: str, as_json: bool, list_vars: bool, length: str | None, **kw: Any) -> None:
    """Show SCRIPT's timeline without encoding any audio."""
    from cuecast.pipeline import prepare

    options = _options(**kw)
    options = _fitted(script, options, length, False)
    if list_vars:
        _print_vars(script, options, as_json)
        return
    prepared = prepare(script, options)
    timeline = prepared.timeline
    if as_json:
        click.echo(timeline.dumps(), nl=False)
    else:
        click.echo(format_table(timeline))
    _print_warnings(timeline)


def _fitted(script: str, options: Options, length: str | None, quiet: bool) -> Options:
    """The options with the vars fitted to ``--length`` (the values chosen
    are printed to stderr, as the ``--set``s that give the same session)."""
    if length is None:
        return options
    from cuecast.api import fitted_options
    from cuecast.request import parse_length

    fitted = fitted_options(script, options, parse_length(length, flags=True))
    if not quiet:
        chosen = {k: v for k, v in fitted.sets.items() if options.sets.get(k) != v}
        sets = " ".join(f"--set {k}={v}" for k, v in chosen.items())
        click.echo(f"--length {length}: {sets or 'the values as they are'}", err=True)
    return fitted


def _print_vars(script: str, options: Options, as_json: bool) -> None:
    from cuecast.cli.tables import vars_table
    from cuecast.script import describe_vars

    infos = describe_vars(script, profile=options.profile, sets=options.sets,
                          allow_outside=options.allow_outside)
    if as_json:
        data = [info.to_json() for info in infos]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif infos:
        click.echo("\n".join(vars_table(infos)))
    else:
        click.echo(f"{script} has no vars.", err=True)


@main.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_script_options
def check(scripts: tuple[str, ...], **kw: Any) -> None:
    """Validate SCRIPTS and list their timing warnings."""
    from cuecast.pipeline import prepare

    options = _options(**kw)
    worst: CuecastError | None = None
    for path in scripts:
        try:
            prepared = prepare(path, options)
        except CuecastError as err:
            click.echo(f"cuecast: error: {err}", err=True)
            worst = err if worst is None or err.exit_code > worst.exit_code else worst
            continue
        timeline = prepared.timeline
        _print_warnings(timeline)
        click.echo(f"{path}: ok, {clock_text(timeline.length)}, "
                   f"{len(timeline.warnings)} warning(s)")
        for text in recording_report(prepared.script, timeline):
            click.echo(text)
    if worst is not None:
        sys.exit(worst.exit_code)


@main.command()
@click.option("--catalogue", is_flag=True, help="The catalogue format's schema instead.")
def schema(catalogue: bool) -> None:
    """Print the JSON Schema of the script format (for editors)."""
    if catalogue:
        from cuecast.catalogue import schema as make_schema
    else:
        from cuecast.script import schema as make_schema

    click.echo(json.dumps(make_schema(), indent=2))


@main.group()
def cache() -> None:
    """Show or empty the speech cache ($CUECAST_CACHE_DIR)."""


@cache.command("info")
def cache_info() -> None:
    """Where the cache is, how many clips and how much space."""
    from cuecast.pieces import PieceStore
    from cuecast.pieces.store import budget_bytes
    from cuecast.voices.cache import Cache, energy_store

    count, size, path = Cache().info()
    click.echo(f"{path}: {count} clips, {size / 1e6:.1f} MB")
    limit = f"(at most {budget_bytes() / 1e6:.0f} MB: $CUECAST_PIECE_CACHE_MB)"
    measured, measured_bytes, where = energy_store().info()
    click.echo(f"{where}: {measured} clip loudness measurements, "
               f"{measured_bytes / 1e6:.1f} MB {limit}")
    pieces, piece_bytes, root = PieceStore().info()
    click.echo(f"{root}: {pieces} MP3 pieces, {piece_bytes / 1e6:.1f} MB {limit}")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached clip."""
    from cuecast.pieces import PieceStore
    from cuecast.voices.cache import Cache, energy_store

    removed = Cache().clear()
    click.echo(f"removed {removed} clips")
    click.echo(f"removed {energy_store().clear()} clip loudness measurements")
    click.echo(f"removed {PieceStore().clear()} MP3 pieces")
