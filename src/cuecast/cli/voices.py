"""``cuecast voices``: the voices a script or ``--voice`` may name.

Recommended voices first (each language's default), then grouped by
engine; the espeak-ng languages cuecast has no phrases for only with
``--all``; ``--language`` picks one language. Columns are sized to what is
shown. The table goes to stdout, the notes (defaults, how to get more) to
stderr. ``voices`` is a group: with no sub-command it lists; its
sub-commands live in modules of their own (``voices_get``).

``--say TEXT`` and/or ``--voice NAME`` speak a short sample instead
(``cuecast.samples``): written to ``-o FILE`` (WAV, MP3, ... by its
extension), else played with the first player found (``PLAYERS``), else
written to ``voice-sample.wav`` in the current folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from cuecast.cli.base import main
from cuecast.cli.tables import columns
from cuecast.errors import InputError

if TYPE_CHECKING:
    from cuecast.voices.registry import VoiceRow

COLUMNS = ("ENGINE", "VOICE", "LANGUAGE", "GENDER", "HZ", "STATUS", "DEFAULT FOR",
           "DESCRIPTION")  # fmt: skip
PLAYERS = (("play", "-q"), ("ffplay", "-nodisp", "-autoexit", "-loglevel", "error"),
           ("paplay",), ("aplay", "-q"), ("afplay",))  # fmt: skip
"""Audio players tried in turn by ``--say`` without ``-o`` (sox, ffmpeg,
PulseAudio, ALSA, macOS), each given the sample's WAV file last."""
FALLBACK_SAMPLE = "voice-sample.wav"


@main.group(invoke_without_command=True)
@click.option("--engine", help="Only this engine's voices (hibari, piper, pico, pyttsx3).")
@click.option("-l", "--language", metavar="TAG",
              help="Only voices for this language (de, pt-BR: by its first part).")
@click.option("--all", "all_voices", is_flag=True,
              help="Every espeak-ng voice, not only those for the languages cuecast "
                   "has phrases for.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--say", metavar="TEXT",
              help="Speak TEXT as a short sample (with --voice, or the default voice).")
@click.option("--voice", metavar="NAME",
              help="The voice of the sample (alone: it says a fixed sentence).")
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the sample to FILE (.wav, .mp3, ...) instead of playing it.")
@click.pass_context
def voices(ctx: click.Context, engine: str | None, language: str | None, all_voices: bool,
           as_json: bool, say: str | None, voice: str | None, output: str | None) -> None:
    """List the voices usable in scripts and with --voice, recommended first.

    A voice named with --voice (or in a script) brings its engine: --voice heart
    speaks with hibari, --voice pico-de with Pico, --voice en-gb with pyttsx3
    (espeak-ng). --say "text" --voice NAME speaks a sample (played, or written
    with -o). With a sub-command (get) these options are not used.
    """
    if ctx.invoked_subcommand is not None:
        return
    if say is not None or voice is not None:
        _say(say, voice, output, language, engine)
        return
    if output is not None:
        raise click.UsageError("-o/--output writes a sample: give --say TEXT or --voice NAME.")
    _list(engine, language, all_voices, as_json)


def _say(text: str | None, voice: str | None, output: str | None, language: str | None,
         engine: str | None) -> None:
    from cuecast import samples
    from cuecast.voices.registry import check_options

    check_options(engine, voice)
    try:
        made = samples.sample(voice, text, language, engine=engine)
    except InputError as err:
        if text is not None and "sample text" in err.message:
            raise InputError(f"--say: {err.message}", hint=err.hint) from None
        raise
    spoken = f"{made.voice.engine} {made.voice.name}"
    if output is not None:
        samples.write(made, output)
        click.echo(f"Wrote {output} ({spoken}).", err=True)
        return
    player = next((p for p in PLAYERS if shutil.which(p[0])), None)
    if player is None:
        samples.write(made, FALLBACK_SAMPLE)
        click.echo(f"No audio player found; wrote {FALLBACK_SAMPLE} ({spoken}).", err=True)
        return
    with tempfile.TemporaryDirectory(prefix="cuecast-say-") as tmp:
        path = os.path.join(tmp, "sample.wav")
        samples.write(made, path)
        click.echo(f"Playing {spoken} with {player[0]}.", err=True)
        subprocess.run([*player, path], check=False, stdin=subprocess.DEVNULL)


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
    if any(not r.installed for r in listing.rows):
        click.echo("A voice 'to fetch' is installed with: cuecast voices get NAME.", err=True)
    _footer(listing.hidden, language)


def table(rows: Sequence[VoiceRow]) -> list[str]:
    return columns(
        COLUMNS,
        [(r.engine, r.name, r.language, r.gender or "-", str(r.rate_hz) if r.rate_hz else "-",
          "installed" if r.installed else "to fetch", ", ".join(r.default_for), r.description)
         for r in rows],
    )  # fmt: skip


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
