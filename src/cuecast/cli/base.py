"""The command line: parse options, call the library, map errors to exit codes.

Exit codes: 0 done, 1 an engine or encoder failed, 2 bad input (the script,
a file it names, or an option), 130/143 interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from cuecast import __version__, limits
from cuecast.errors import CuecastError, Interrupted
from cuecast.timeline import Timeline
from cuecast.units import clock_text, to_seconds

if TYPE_CHECKING:
    from cuecast.loudness import Loudness
    from cuecast.request import Options



class _Command(click.Command):
    """A command that shows ``CuecastError`` as a one-paragraph message."""

    def invoke(self, ctx: click.Context) -> Any:  # noqa: D401
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

    def on_signal(signum: int, frame: object) -> None:  # noqa: ARG001
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
    """Every command (and sub-group) below reports errors the same way.
    Commands in ``lazy`` (name: a function that imports the module adding
    them) are imported only when asked for or listed, so a render does not
    import the editor's, the server's or the voice store's command code."""

    command_class = _Command
    group_class = type
    lazy: dict[str, Callable[[], object]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.lazy[cmd_name]()
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        # a group's own callback (``cuecast voices`` lists) fails like a command;
        # a sub-command's errors were shown and exited inside it
        try:
            return super().invoke(ctx)
        except CuecastError as err:
            _fail(err)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cuecast")
def main() -> None:
    """Turn routine scripts (YAML) into exactly timed, narrated audio sessions."""
    fewer_arenas()


ARENA_VAR = "MALLOC_ARENA_MAX"
M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter (malloc.h)."""


def fewer_arenas() -> None:
    """glibc: one malloc arena a core for this process, not eight a core.
    A render's threads (the encode workers decoding and K-weighting new
    pieces, the mixer's clip makers, levelling's measuring) each took an
    arena of their own, and the memory numpy's arrays left free in one was
    not reused by the others: the seed's warm render peaked at 111-113 MB,
    95-100 with this, the warm hour 82 -> 75-78, the same CPU and bytes
    (``benchmarks/README.md``). The program's setting, not the library's:
    a program embedding cuecast keeps its own. ``MALLOC_ARENA_MAX`` in the
    environment wins; elsewhere than glibc nothing is done."""
    if os.environ.get(ARENA_VAR):
        return
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return
        import ctypes

        ctypes.CDLL(None).mallopt(M_ARENA_MAX, max(2, os.cpu_count() or 2))
    except (ValueError, OSError, AttributeError):
        return


def _script_options(f: Callable) -> Callable:
    opts = [
        click.option("--profile", help="Apply the script's profile NAME to its vars."),
        click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                     help="Set a var (repeatable); wins over --profile."),
        click.option("--engine", help="Speech engine for every line: best (the default: the "
                     "most intelligible one installed for the script's language, see "
                     "docs/voices.md), hibari or piper (neural, the 'neural' extra), pico "
                     "(SVOX Pico) or pyttsx3 (espeak-ng)."),
        click.option("--voice", help="Voice name or model path (see 'cuecast voices'); with no "
                     "--engine it brings its own (joe: piper, en-gb: pyttsx3)."),
        click.option("--rate", metavar="WPM",
                     help=f"Speech rate in words per minute ({limits.RATE_WPM.text()})."),
        click.option("--strict", is_flag=True, help="Treat timing warnings as errors."),
        click.option("--allow-outside", is_flag=True,
                     help="Let the script name files outside its own folder."),
        click.option("--recordings", type=click.Path(file_okay=False), metavar="DIR",
                     help="Folder of recorded lines (files named by line id, see "
                     "'cuecast lines'); other lines are synthesised."),
        click.option("-j", "--jobs", metavar="N",
                     help="Parallel speech synthesis processes "
                          f"({limits.JOBS.text()}) [default: CPU count]."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _options(**kw: Any) -> Options:
    """The command's options (click's names) -> ``Options``, through the one
    parser (``cuecast.request``), errors naming the flag (``--rate``)."""
    from cuecast.request import parse_options

    renamed = {"sets": "set", "fmt": "format"}
    raw = {renamed.get(k, k): v for k, v in kw.items() if v is not None}
    return parse_options(raw, flags=True)


# -- output helpers -------------------------------------------------------------


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
        rows.append(f"{clock_text(e.start):>10}  {what:<14} {text}")
    rows.append(f"{clock_text(timeline.length):>10}  total")
    return "\n".join(rows)


def _print_warnings(timeline: Timeline) -> None:
    for w in timeline.warnings:
        click.echo(str(w), err=True)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """Bars on a terminal, short lines elsewhere (see ``progress.py``), nothing with -q."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        from cuecast.cli.progress import LineProgress

        yield LineProgress(lambda line: click.echo(line, err=True))
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

