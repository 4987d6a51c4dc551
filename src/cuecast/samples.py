"""A short sample of a voice: ``cuecast voices --say`` and the listener's page.

Takes a voice name (any engine's; none is the language's default voice),
a language and optionally the text; gives the spoken clip (float32 at
``SAMPLE_RATE``, through the speaker: worker process, cache, the same clip
a render would use) or writes it to a file in any output format (WAV, MP3,
...: ``encode``, atomic). ``sample_file`` keeps one encoded sample per voice
and text in a folder (the page's cache), named by the clip's cache key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuecast.encode import EncodeSettings, encode, format_for
from cuecast.language import primary
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Utterance
from cuecast.voices.cache import Cache
from cuecast.voices.registry import list_voices
from cuecast.voices.speaker import Speaker

SAMPLE_TEXT = {
    "en": "Breathe in slowly, and let your shoulders drop.",
    "de": "Atme langsam ein, und lass die Schultern sinken.",
    "fr": "Inspire lentement, et laisse tomber les épaules.",
    "es": "Respira despacio, y deja caer los hombros.",
    "it": "Inspira lentamente, e lascia cadere le spalle.",
    "pt": "Respire devagar, e deixe os ombros descerem.",
    "nl": "Adem langzaam in, en laat je schouders zakken.",
}
"""The fixed sentence a voice says when no text is given, per language."""
MAX_TEXT_CHARS = 400
"""A sample is short: longer text is refused."""


@dataclass(frozen=True)
class Sample:
    voice: VoiceSpec
    """The resolved voice (engine, name, rate) that spoke it."""
    text: str
    clip: np.ndarray
    """float32 mono at ``SAMPLE_RATE``."""
    key: str
    """The clip's speech-cache key (voice, engine version and text)."""


def voice_language(name: str) -> str | None:
    """The language of the installed voice called ``name``, when one is."""
    wanted = name.strip().lower()
    for info in list_voices()[0]:
        if wanted in (info.name.lower(), info.name.lower().rsplit("/", 1)[-1]):
            return info.language
    return None


def sample(voice: str | None = None, text: str | None = None, language: str | None = None,
           *, engine: str | None = None, cache: Cache | None = None) -> Sample:
    """``text`` (default: the language's ``SAMPLE_TEXT``) spoken by ``voice``
    (default: the language's default voice). ``InputError`` for an unknown
    voice or text that is too long; ``EngineError`` if the engine fails."""
    from cuecast.errors import InputError

    lang = language or (voice_language(voice) if voice else None) or "en"
    said = text if text is not None else SAMPLE_TEXT.get(primary(lang), SAMPLE_TEXT["en"])
    if not said.strip():
        raise InputError("the sample text is empty")
    if len(said) > MAX_TEXT_CHARS:
        raise InputError(f"the sample text is {len(said)} characters; at most "
                         f"{MAX_TEXT_CHARS} make a sample")  # fmt: skip
    speaker = Speaker(engine, language=lang, override=VoiceSpec(name=voice), cache=cache, jobs=1)
    line = Utterance(text=said, voice=VoiceSpec())
    return Sample(speaker.resolve(), said, speaker.clip(line), speaker.job(line).key)


def write(made: Sample, out: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write the sample to ``out`` (format from ``fmt`` or the extension), atomically."""
    path = str(out)
    chosen = format_for(path, fmt)
    clip = made.clip.astype(np.float32)
    encode([clip], path, EncodeSettings(fmt=chosen), meta=None, chapters=(),
           total_samples=int(clip.size))  # fmt: skip
    return Path(path)


def sample_file(folder: str | os.PathLike[str], voice: str | None, language: str | None = None,
                fmt: str = "mp3") -> Path:
    """The encoded sample of ``voice`` saying its language's fixed sentence,
    made once in ``folder`` (named by the clip's cache key) and reused."""
    made = sample(voice, None, language)
    target = Path(folder) / f"{made.key[:32]}.{fmt}"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        write(made, target, fmt)
    return target
