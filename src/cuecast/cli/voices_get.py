"""``cuecast voices get NAME...``: fetch voices into the voice folder.

Thin: the names are looked up and every file fetched, checked and installed
by ``cuecast.voices.fetch``; this prints progress (bars on a terminal) and
what was installed where.
"""

from __future__ import annotations

from pathlib import Path

import click

from cuecast.cli.base import _progress
from cuecast.cli.voices import voices
from cuecast.voices.store import VOICES_DIR_ENV


@voices.command("get")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--mirror", metavar="URL|DIR",
              help="Fetch from a studio's copy of the voices (an http(s) URL or a folder "
                   "holding piper/voices.json and the files it lists; hibari/FILE) instead "
                   "of the published catalogues.")
@click.option("--voices-dir", "voices_dir", metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help=f"The voice folder to install into (default ${VOICES_DIR_ENV}, else "
                   "~/.local/share/cuecast/voices); render finds voices through "
                   f"${VOICES_DIR_ENV}.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def get(names: tuple[str, ...], mirror: str | None, voices_dir: Path | None,
        quiet: bool) -> None:
    """Fetch Piper or hibari voices, checked against their catalogue.

    NAME is a Piper voice (de_DE-thorsten-medium, fr_FR-siwis-medium) or a
    hibari voice (emma, fenrir, fable, kore); piper:NAME or hibari:NAME says
    whose. Each file's size and checksum are checked before the voice is
    installed; a download that is cut off resumes when run again. Then
    --voice NAME speaks with it.
    """
    from cuecast.voices import fetch, store

    if mirror is not None:
        fetch.check_mirror(mirror)
    source = fetch.Source(mirror)
    root = store.voices_dir(voices_dir)
    packages = [fetch.find_voice(name, source) for name in names]  # every name before a byte
    for package in packages:
        if not package.files:
            if not quiet:
                click.echo(f"{package.engine} voice {package.name} is inside its package: "
                           "nothing to fetch")
            continue
        with _progress(quiet) as progress:
            fetch.install(package, source, root, progress)
        if not quiet:
            click.echo(f"installed {package.engine} voice {package.name} "
                       f"({package.size / 1e6:.1f} MB) in {root / package.engine}")
