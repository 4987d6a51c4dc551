"""``cuecast lines``: the distinct lines of renders, as a recording script."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from cuecast.cli.base import _options, main

if TYPE_CHECKING:
    from cuecast.script.model import Script
    from cuecast.timeline import Timeline


@main.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--profile", help="Only this profile [default: the defaults and every profile].")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Set a var (repeatable); wins over --profile.")
@click.option("--format", "fmt", type=click.Choice(["txt", "csv", "json"]), default="txt",
              show_default=True, help="Output format.")
@click.option("--recordings", type=click.Path(file_okay=False), metavar="DIR",
              help="Say which lines have a recording in DIR [default: the script's "
                   "voice: {recordings: ...}].")
@click.option("--pieces", is_flag=True,
              help="Also list the pieces durations are assembled from (one to sixty, "
                   "seconds, minutes, and).")
@click.option("--missing", is_flag=True, help="Only lines without a recording.")
@click.option("--allow-outside", is_flag=True,
              help="Let the script name files outside its own folder.")
def lines(scripts: tuple[str, ...], profile: str | None, sets: tuple[str, ...], fmt: str,
          recordings: str | None, pieces: bool, missing: bool, allow_outside: bool) -> None:
    """List every distinct line SCRIPTS speak, with its id for recording."""
    from cuecast.lines import script_lines

    # the one request's parser (``cuecast.request``), as render and plan use it
    options = _options(profile=profile, sets=sets, allow_outside=allow_outside,
                       recordings=recordings)  # fmt: skip
    found = script_lines(
        scripts, profile=options.profile, sets=options.sets,
        allow_outside=options.allow_outside, recordings=options.recordings, pieces=pieces,
    )
    if missing:
        found = tuple(line for line in found if not line.recordings)
    click.echo({"txt": _txt, "csv": _csv, "json": _json}[fmt](found), nl=False)


def _txt(found: Sequence) -> str:
    out = []
    for line in found:
        uses = "piece" if line.piece else f"{line.uses}x"
        recorded = f"  [recorded: {' + '.join(line.recordings)}]" if line.recordings else ""
        out.append(f"{line.id:<40} {uses:>5}  {line.text}{recorded}")
    return "".join(s + "\n" for s in out)


def _csv(found: Sequence) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "text", "spoken", "language", "uses", "where", "recording"])
    for line in found:
        writer.writerow([line.id, line.text, line.spoken, line.language, line.uses,
                         " ".join(line.where), " + ".join(line.recordings)])
    return buf.getvalue()


def _json(found: Sequence) -> str:
    rows = [{
        "id": line.id, "text": line.text, "spoken": line.spoken, "language": line.language,
        "uses": line.uses, "where": list(line.where), "piece": line.piece,
        "recordings": list(line.recordings),
    } for line in found]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def recording_report(script: Script, timeline: Timeline) -> list[str]:
    """For ``cuecast check``: which of the lines are recorded and which are
    synthesised (nothing when no recordings folder is in use)."""
    from cuecast.voices.recordings import line_id

    seen: dict[str, tuple[tuple[str, ...], str]] = {}
    for event in timeline.events:
        if event.kind == "speech" and event.origin is not None and event.text is not None:
            where = f"line {event.line}" if event.line is not None else str(event.key)
            seen.setdefault(event.text, (event.origin, where))
    if not seen:
        return []
    recorded = sum(1 for origin, _ in seen.values() if origin)
    out = [f"  recordings: {recorded} of {len(seen)} lines recorded"]
    for text, (origin, line) in seen.items():
        if origin:
            out.append(f"  recorded     {line:<9} {' + '.join(origin)}")
        else:
            out.append(f"  synthesised  {line:<9} {line_id(text, script.language)}  {text!r}")
    return out
