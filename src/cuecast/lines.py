"""The distinct lines a render speaks: a studio's recording script.

Takes routine files (and the profile and ``--set`` values a render would
use; every profile when none is given) and gives each distinct spoken line
once: its id (``voices/recordings.py``: from its text and language, a
contract), its text as displayed and as spoken (after the lexicon), how
often and where it is spoken, and the recording that would play for it.

The lines come from the planner's walk (``planner.walk``) with every line
counted as taking no time, so countdown words that a long line might push
aside are listed too: a teacher records them once, whatever the timing.
Lines said with a voice of their own (another engine or voice name) are
another speaker and are left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cuecast.language import Phrases
from cuecast.planner import walk
from cuecast.script.load import load_with_vars
from cuecast.script.model import Script
from cuecast.timeline import Utterance
from cuecast.voices.recordings import Folder, line_id, number_pieces
from cuecast.voices.speaker import compile_lexicon


@dataclass(frozen=True)
class Line:
    """One distinct line of one or more renders."""

    id: str
    text: str
    """As displayed: after vars, before the lexicon (what the teacher reads)."""
    spoken: str
    """After the lexicon: what an engine is given."""
    language: str
    uses: int
    """How many times one render speaks it (the most of the renders listed:
    the defaults and each profile)."""
    where: tuple[str, ...]
    """``file:line`` of every place that speaks it, in order of first use."""
    recordings: tuple[str, ...] = ()
    """The files that would play for it (several when assembled from
    pieces), relative to the recordings folder; empty: synthesised."""
    piece: bool = False
    """A piece for assembling durations rather than a line of the script."""


def script_lines(
    paths: Sequence[str | os.PathLike[str]],
    *,
    profile: str | None = None,
    sets: Mapping[str, str] | None = None,
    allow_outside: bool = False,
    recordings: str | os.PathLike[str] | None = None,
    pieces: bool = False,
) -> tuple[Line, ...]:
    """Every distinct line of the scripts at ``paths``, in order of first use.

    Without ``profile`` every profile of each script is walked as well as
    its defaults. ``recordings`` (else each script's own folder) says which
    lines have a recording; ``pieces`` adds the number and unit words
    durations are assembled from.
    """
    tally: dict[tuple[str, str], _Tally] = {}
    folders: dict[tuple[str, str], Folder] = {}
    phrases: dict[str, Phrases] = {}  # a language's first script's, with its phrases:
    for path in paths:
        for script in _renders(path, profile, sets, allow_outside):
            respell = compile_lexicon(script.lexicon)
            phrases.setdefault(script.language, script.phrases)
            counts: dict[tuple[str, str], int] = {}
            for utt, where in _spoken(script):
                key = (script.language, utt.text)
                entry = tally.setdefault(key, _Tally(utt.text, respell(utt.text),
                                                     script.language))
                counts[key] = counts.get(key, 0) + 1
                entry.uses = max(entry.uses, counts[key])
                entry.where.setdefault(where, None)
                entry.folder = entry.folder or recordings or script.voice.recordings
    if pieces:
        for language in dict.fromkeys(lang for lang, _ in tally) or ["en"]:
            for text in number_pieces(language, phrases.get(language)):
                tally.setdefault((language, text), _Tally(text, text, language, piece=True))
    return tuple(_line(entry, folders) for entry in tally.values())


@dataclass
class _Tally:
    text: str
    spoken: str
    language: str
    piece: bool = False
    uses: int = 0
    where: dict[str, None] = field(default_factory=dict)
    folder: str | os.PathLike[str] | None = None


def _line(entry: _Tally, folders: dict[tuple[str, str], Folder]) -> Line:
    found: tuple[str, ...] = ()
    if entry.folder is not None:
        key = (os.fspath(entry.folder), entry.language)
        if key not in folders:
            folders[key] = Folder(entry.folder, entry.language)
        folder = folders[key]
        whole = folder.find(entry.text)
        recs = [whole] if whole is not None else (folder.pieces(entry.text) or [])
        found = tuple(r.name for r in recs)
    return Line(
        id=line_id(entry.text, entry.language),
        text=entry.text,
        spoken=entry.spoken,
        language=entry.language,
        uses=entry.uses,
        where=tuple(entry.where),
        recordings=found,
        piece=entry.piece,
    )


def _renders(path: str | os.PathLike[str], profile: str | None,
             sets: Mapping[str, str] | None, allow_outside: bool) -> Iterable[Script]:
    """The script as loaded for each render asked about."""
    loaded = load_with_vars(path, profile=profile, sets=sets, allow_outside=allow_outside)
    yield loaded.script
    if profile is None:
        for name in loaded.profiles:
            yield load_with_vars(path, profile=name, sets=sets,
                                 allow_outside=allow_outside).script


def _spoken(script: Script) -> Iterable[tuple[Utterance, str]]:
    """Each speech event of the planner's walk: the line and ``file:line``."""
    walked = walk(script, lambda utt: 0, lambda ref: (0, 0))
    root = walked.timeline.file or script.src.file
    for event in walked.timeline.events:
        utt = event.source
        if event.kind != "speech" or not isinstance(utt, Utterance):
            continue
        if utt.voice.engine is not None or utt.voice.name is not None:
            continue  # another speaker: not the teacher's line
        where = event.key if event.line is None else event.line
        yield utt, f"{_shown(event.file or root)}:{where}"


def _shown(path: str) -> str:
    """A file as a studio would type it: relative to here when below here."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
