"""Line ids: the name a studio gives the recording of a line.

Takes a line's text and the script's language; gives its id, digest and
words. The id is a contract (a studio names its files by it)::

    text   = the line as displayed (after vars, before the lexicon), NFC,
             runs of white space made one space, stripped
    digest = sha256("<language>\\n<text>" in UTF-8), first ten hex digits;
             language is the script's tag, lower case, "_" read as "-"
    id     = "<slug>-<digest>", slug = the text's first words (at most
             five, 32 characters) in lower-case ASCII joined by "-"

A file is matched by its digest (the ten hex digits after the last "-" of
its name without the extension), so the slug is only for people. Changing
this rule changes every id; studios would have to rename their files.

A piece (for assembly) is the text of a run of words in lower case, single
spaced, without punctuation ("forty-five", "seconds"); its id follows the
same rule.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from cuecast.language import Phrases

DIGEST_CHARS = 10
DIGEST = re.compile(r"(?:^|-)([0-9a-f]{" + str(DIGEST_CHARS) + r"})$")
"""Finds the digest at the end of a file's stem."""
_WORD = re.compile(r"[\w]+(?:['’-][\w]+)*")


def normal_text(text: str) -> str:
    """The text an id is made from: NFC, white space collapsed, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normal_language(language: str) -> str:
    return language.strip().replace("_", "-").lower()


def digest(text: str, language: str) -> str:
    raw = f"{normal_language(language)}\n{normal_text(text)}".encode()
    return hashlib.sha256(raw).hexdigest()[:DIGEST_CHARS]


def slug(text: str) -> str:
    """Lower-case ASCII of the first words, for people reading file names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:5]
    return "-".join(words)[:32].strip("-")


def line_id(text: str, language: str) -> str:
    """The stable id of a line (see the module docstring: a contract)."""
    head = slug(text)
    tail = digest(text, language)
    return f"{head}-{tail}" if head else tail


def words(text: str) -> tuple[str, ...]:
    """The words of a line, lower case, punctuation dropped (hyphens and
    apostrophes inside a word kept: "forty-five", "don't")."""
    return tuple(w.casefold() for w in _WORD.findall(unicodedata.normalize("NFC", text)))


def piece_text(ws: Iterable[str]) -> str:
    return " ".join(ws)


def number_pieces(language: str, phrases: Phrases | None = None) -> list[str]:
    """What a studio records to have customised durations assembled, in the
    script's language (``cuecast.language``) and with its ``phrases:`` when
    given: the numbers one to sixty, then every other word durations are
    said with ("seconds", "minute", "and", and forms such as German "eine"
    before a noun)."""
    from cuecast.language import LanguageError, phrases_for

    if phrases is None:
        try:
            phrases = phrases_for(language)
        except LanguageError:
            return []
    numbers = [piece_text(words(phrases.number(n))) for n in range(1, 61)]
    known = set(numbers)
    others: dict[str, None] = {}
    samples = [*range(1, 61), *(60 * m for m in range(1, 61)), 135, 150, 195, 3661]
    for seconds in samples:
        for w in words(phrases.duration(seconds)):
            if w not in known:
                others.setdefault(w, None)
    return list(dict.fromkeys(numbers)) + list(others)
