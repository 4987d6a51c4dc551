"""``cuecast voices``: the voices a script or ``--voice`` may name.

Recommended voices first (each language's default), then grouped by
engine; the espeak-ng languages cuecast has no phrases for only with
``--all``; ``--language`` picks one language. Columns are sized to what is
shown. The table goes to stdout, the notes (defaults, how to get more) to
stderr. ``voices`` is a group: with no sub-command it lists; its
sub-commands live in modules of their own (``voices_get``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from cuecast.cli.base import main
from cuecast.cli.tables import columns
from cuecast.errors import InputError

if TYPE_CHECKING:
    from cuecast.voices.registry import VoiceRow

COLUMNS = ("ENGINE", "VOICE", "LANGUAGE", "DEFAULT FOR", "DESCRIPTION")


@main.group(invoke_without_command=True)
@click.option("--engine", help="Only this engine's voices (piper, pyttsx3).")
@click.option("-l", "--language", metavar="TAG",
              help="Only voices for this language (de, pt-BR: by its first part).")
@click.option("--all", "all_voices", is_flag=True,
              help="Every espeak-ng voice, not only those for the languages cuecast "
                   "has phrases for.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def voices(ctx: click.Context, engine: str | None, language: str | None, all_voices: bool,
           as_json: bool) -> None:
    """List the voices usable in scripts and with --voice, recommended first.

    A voice named with --voice (or in a script) brings its engine: --voice joe
    speaks with piper, --voice en-gb with pyttsx3 (espeak-ng). With a
    sub-command (get) the listing options are not used.
    """
    if ctx.invoked_subcommand is not None:
        return
    _list(engine, language, all_voices, as_json)


def _list(engine: str | None, language: str | None, all_voices: bool, as_json: bool) -> None:
    from cuecast.voices.registry import voice_listing

    try:
        listing = voice_listing(engine, language, all_voices)
    except InputError as err:  # only --engine can be wrong here
        raise InputError(f"--engine {engine}: {err.message}", hint=err.hint) from None
    if as_json:
        click.echo(json.dumps([asdict(r) for r in listing.rows], indent=2))
        return
    if listing.rows:
        for line in table(listing.rows):
            click.echo(line)
    else:
        click.echo(f"No installed voice for language '{language}'; "
                   "cuecast voices --all lists every one.", err=True)
    for note in listing.notes:
        click.echo(note, err=True)
    _footer(listing.hidden, language)


def table(rows: Sequence[VoiceRow]) -> list[str]:
    return columns(
        COLUMNS,
        [(r.engine, r.name, r.language, ", ".join(r.default_for), r.description) for r in rows],
    )


def _footer(hidden: int, language: str | None) -> None:
    from cuecast.voices.registry import best_engine, default_voice, more_voices_hint

    default = default_voice("en")
    click.echo(
        f"A script with no voice speaks with the best engine installed for its language "
        f"(English: {best_engine('en')} {default.name} at {default.rate_wpm:g} wpm).",
        err=True,
    )
    if hidden and not language:
        click.echo(f"{hidden} more espeak-ng voices: cuecast voices --all.", err=True)
    click.echo(more_voices_hint(), err=True)
