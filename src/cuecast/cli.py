"""The command line: parse options, call the library, map errors to exit codes.

Exit codes: 0 done, 1 an engine or encoder failed, 2 bad input (the script,
a file it names, or an option), 130/143 interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from cuecast import __version__
from cuecast.errors import CuecastError, InputError, Interrupted
from cuecast.timeline import Timeline, to_seconds

if TYPE_CHECKING:
    from cuecast.loudness import Loudness

FORMATS = ["mp3", "m4a", "m4b", "ogg", "opus", "flac", "wav"]
META_OPTIONS = (
    "title", "subtitle", "author", "album", "year", "genre", "description", "track", "cover",
)


class _Command(click.Command):
    """A command that shows ``CuecastError`` as a one-paragraph message."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            with _signals():
                return super().invoke(ctx)
        except KeyboardInterrupt as stop:
            _fail(Interrupted(stop.signum if isinstance(stop, _Stopped) else signal.SIGINT))
        except CuecastError as err:
            _fail(err)


class _Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM, raised like Ctrl-C: a BaseException, so no
    ``except Exception`` below can turn it into an ordinary error."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _fail(err: CuecastError) -> None:
    label = "error" if err.exit_code != 130 and err.exit_code != 143 else "stopped"
    click.echo(f"cuecast: {label}: {err}", err=True)
    sys.exit(err.exit_code)


@contextmanager
def _signals() -> Iterator[None]:
    """SIGINT and SIGTERM unwind the render so outputs are cleaned up on the
    way out; once one has come, further ones are ignored so that clean-up
    (killing workers and ffmpeg, deleting temporary files) runs to its end."""
    stoppers = (signal.SIGINT, signal.SIGTERM)

    def on_signal(signum, frame):  # noqa: ARG001
        for s in stoppers:
            signal.signal(s, signal.SIG_IGN)
        raise _Stopped(signum)

    try:
        old = {s: signal.signal(s, on_signal) for s in stoppers}
    except ValueError:  # not the main thread (e.g. under a test runner's thread)
        yield
        return
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


class _Group(click.Group):
    """Every command (and sub-group) below reports errors the same way."""

    command_class = _Command
    group_class = type


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cuecast")
def main() -> None:
    """Turn routine scripts (YAML) into exactly timed, narrated audio sessions."""


def _script_options(f: Callable) -> Callable:
    opts = [
        click.option("--profile", help="Apply the script's profile NAME to its vars."),
        click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                     help="Set a var (repeatable); wins over --profile."),
        click.option("--engine", help="Speech engine: pyttsx3 (default), piper (neural, "
                     "the 'neural' extra) or best (piper if installed, else pyttsx3)."),
        click.option("--voice", help="Voice name or model path (see 'cuecast voices')."),
        click.option("--rate", type=click.FloatRange(min=40, max=400), help="Words per minute."),
        click.option("--strict", is_flag=True, help="Treat timing warnings as errors."),
        click.option("--allow-outside", is_flag=True,
                     help="Let the script name files outside its own folder."),
        click.option("-j", "--jobs", type=click.IntRange(min=1),
                     help="Parallel speech synthesis processes [default: CPU count]."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _options(**kw):
    from cuecast.render import Options
    from cuecast.script import parse_set

    sets = dict(parse_set(s) for s in kw.pop("sets", ()) or ())
    rate = kw.pop("rate", None)
    return Options(sets=sets, rate_wpm=rate, **kw)


@main.command()
@click.argument("script", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file [default: SCRIPT's name with the format's extension, "
                   "in the current folder]. The timeline goes beside it as NAME.timeline.json.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS),
              help="Audio format [default: from -o's extension, else mp3].")
@click.option("-b", "--bitrate", type=click.IntRange(min=16, max=320), metavar="KBPS",
              help="Bitrate in kbit/s [default: mp3 96, m4a 96, opus 64].")
@click.option("--loudness", default="-16", show_default=True, metavar="LUFS|off",
              help="Normalise to this integrated loudness (true peak <= -1 dBTP), or 'off'.")
@click.option("--captions", default="", metavar="vtt,srt,lrc",
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
@_script_options
def render(script: str, output: str | None, fmt: str | None, bitrate: int | None,
           loudness: str, captions: str, quiet: bool, **kw) -> None:
    """Render SCRIPT to an audio track, with its timeline beside it."""
    from cuecast.render import render as do_render

    meta = {k: kw.pop(k) for k in META_OPTIONS if kw.get(k) is not None}
    for k in META_OPTIONS:
        kw.pop(k, None)
    if "cover" in meta:
        meta["cover"] = os.path.abspath(meta["cover"])
    options = _options(
        fmt=fmt, bitrate_kbps=bitrate, loudness_lufs=_loudness(loudness),
        captions=tuple(c.strip() for c in captions.split(",") if c.strip()), meta=meta, **kw,
    )
    with _progress(quiet) as progress:
        result = do_render(script, output, options, progress)
    if not quiet:
        _print_warnings(result.timeline)
        line = f"wrote {result.path} ({_clock(result.timeline.duration_s)})"
        if result.loudness is not None and result.final_loudness is not None:
            line += f", {_levels(result.final_loudness)} (the mix was {_levels(result.loudness)})"
        click.echo(line, err=True)
        for p in (result.timeline_path, *result.extra_paths):
            click.echo(f"wrote {p}", err=True)


@main.command()
@click.argument("script", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@_script_options
def plan(script: str, as_json: bool, **kw) -> None:
    """Show SCRIPT's timeline without encoding any audio."""
    from cuecast.render import prepare

    prepared = prepare(script, _options(**kw))
    timeline = prepared.timeline
    if as_json:
        click.echo(timeline.dumps(), nl=False)
    else:
        click.echo(format_table(timeline))
    _print_warnings(timeline)


@main.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_script_options
def check(scripts: tuple[str, ...], **kw) -> None:
    """Validate SCRIPTS and list their timing warnings."""
    from cuecast.render import prepare

    options = _options(**kw)
    worst: CuecastError | None = None
    for path in scripts:
        try:
            timeline = prepare(path, options).timeline
        except CuecastError as err:
            click.echo(f"cuecast: error: {err}", err=True)
            worst = err if worst is None or err.exit_code > worst.exit_code else worst
            continue
        _print_warnings(timeline)
        click.echo(f"{path}: ok, {_clock(timeline.duration_s)}, "
                   f"{len(timeline.warnings)} warning(s)")
    if worst is not None:
        sys.exit(worst.exit_code)


@main.command()
@click.option("--engine", help="Only this engine's voices.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def voices(engine: str | None, as_json: bool) -> None:
    """List the voices usable in scripts and with --voice."""
    from cuecast.voices import list_voices

    found, notes = list_voices(engine)
    if as_json:
        click.echo(json.dumps([v.__dict__ for v in found], indent=2))
        return
    for v in found:
        click.echo(f"{v.engine:8} {v.name:32} {v.language:8} {v.description}")
    for note in notes:
        click.echo(note, err=True)
    _voices_footer()


def _voices_footer() -> None:
    """The default voice and how to get more (on stderr: stdout stays a table)."""
    from cuecast.voices.registry import (
        DEFAULT_ENGINE,
        best_engine,
        default_voice,
        more_voices_hint,
    )

    default = default_voice("en")
    best = best_engine("en")
    click.echo(f"Default: {DEFAULT_ENGINE} {default.name} for English at "
               f"{default.rate_wpm:g} wpm; --engine best uses {best}.", err=True)
    click.echo(more_voices_hint(), err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the script format (for editors)."""
    from cuecast.script import schema as make_schema

    click.echo(json.dumps(make_schema(), indent=2))


@main.group()
def cache() -> None:
    """Show or empty the speech cache ($CUECAST_CACHE_DIR)."""


@cache.command("info")
def cache_info() -> None:
    """Where the cache is, how many clips and how much space."""
    from cuecast.voices.cache import Cache

    count, size, path = Cache().info()
    click.echo(f"{path}: {count} clips, {size / 1e6:.1f} MB")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached clip."""
    from cuecast.voices.cache import Cache

    removed = Cache().clear()
    click.echo(f"removed {removed} clips")


# -- output helpers -------------------------------------------------------------


def _loudness(text: str) -> float | None:
    if text.strip().lower() in ("off", "none", "no"):
        return None
    try:
        value = float(text)
    except ValueError:
        msg = f"--loudness expects a number of LUFS (like -16) or 'off', not {text!r}"
        raise InputError(msg) from None
    if not -40.0 <= value <= -5.0:
        raise InputError(f"--loudness {value:g} is out of range; use -40 to -5 LUFS")
    return value


def _levels(loudness: Loudness) -> str:
    return f"{loudness.integrated_lufs:.1f} LUFS / {loudness.true_peak_dbtp:.1f} dBTP"


def format_table(timeline: Timeline) -> str:
    """The timeline as a readable table: time, what, text; then the total."""
    rows = []
    for e in timeline.events:
        what = e.kind if e.phase is None else f"{e.kind}:{e.phase}"
        if e.n is not None and e.kind in ("set", "rest", "rep"):
            what += f" {e.n}/{e.total}"
        text = e.text or ""
        if e.kind in ("hold", "silence", "rest", "set", "section"):
            text = f"{text}  ({to_seconds(e.end - e.start):g} s)".strip()
        rows.append(f"{_clock(to_seconds(e.start)):>10}  {what:<14} {text}")
    rows.append(f"{_clock(timeline.duration_s):>10}  total")
    return "\n".join(rows)


def _clock(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:06.3f}" if h else f"{m}:{s:06.3f}"


def _print_warnings(timeline: Timeline) -> None:
    for w in timeline.warnings:
        click.echo(str(w), err=True)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bars: dict[str, object] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            label = {"speech": "speech", "audio": "audio "}.get(stage, stage)
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            bar.__enter__()
            bars[stage] = bar
        bar.update(done - bar.pos)  # type: ignore[attr-defined]

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)  # type: ignore[attr-defined]


if __name__ == "__main__":  # pragma: no cover
    main()
