#!/usr/bin/env python3
"""Listen with your eyes: the phonemes each engine would speak for a word
and for candidate respellings, scored against a dictionary pronunciation.

    python scripts/dev/pronounce.py psoas so-us soass
    python scripts/dev/pronounce.py --ipa "ˈsoʊ.əs" psoas soass
    python scripts/dev/pronounce.py --json psoas            # for tests

For each text it prints the IPA that the ``pyttsx3`` engine (espeak-ng, the
library cuecast loads) and the ``piper`` engine (piper-tts's own espeak-ng,
with the bundled voice's ``espeak.voice``) would speak, and the distance
from the dictionary IPA (``--ipa``, else ``DICTIONARY`` below for the first
word): 0 is a match once both are reduced to espeak's conventions
(``normalise``). Lower is better; check stress marks by eye.

Each engine runs in its own interpreter: asking espeak-ng for phonemes
changes its state (the engine forks each line from a process that has never
spoken), and piper speaks through its own espeak-ng build and data.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import subprocess
import sys
import unicodedata

DICTIONARY = {
    "psoas": "ˈsoʊ.əs",
    "iliopsoas": "ˌɪl.i.oʊˈsoʊ.əs",
    "iliac": "ˈɪl.i.æk",
    "iliacus": "ɪˈlaɪ.ə.kəs",
    "myofascial": "ˌmaɪ.oʊˈfæʃ.i.əl",
    "lumbar": "ˈlʌm.bər",
    "pelvic": "ˈpɛl.vɪk",
    "posterior": "pɑːˈstɪr.i.ər",
    "glutes": "ɡluːts",
    "quadriceps": "ˈkwɑː.drɪ.sɛps",
    "femoris": "ˈfɛm.ər.ɪs",
    "aches": "eɪks",
}
"""Dictionary pronunciations (US) of words a routine is likely to use."""

ENGINES = ("pyttsx3", "piper")

_TO_ESPEAK = [
    (".", ""), ("ʲ", ""), ("ː", ""), ("ər", "ɚ"), ("r", "ɹ"), ("g", "ɡ"),
    ("ᵻ", "ɪ"), ("ɐ", "ə"), ("-", ""), (" ", ""),
]  # fmt: skip


VOWELS = set("aeiouyæɑɒɔəɚɛɜɝɪʊʌɐᵻɘɵøœɤɯ")
STRESS = "ˈˌ"


def normalise(ipa: str) -> str:
    """IPA reduced to what both sides spell alike: no syllable dots, length
    marks, palatal glides (piper's espeak adds ``ʲ`` after ``i``) or spaces;
    ``ər`` as ``ɚ``, ``r`` as ``ɹ``, espeak's reduced vowels as plain ones,
    and stress marks just before the vowel (espeak's place, not the onset's)."""
    text = unicodedata.normalize("NFC", ipa)
    for old, new in _TO_ESPEAK:
        text = text.replace(old, new)
    return _stress_on_vowels(text)


def _stress_on_vowels(text: str) -> str:
    out: list[str] = []
    mark = ""
    for ch in text:
        if ch in STRESS:
            mark = ch
        elif mark and ch in VOWELS:
            out += [mark, ch]
            mark = ""
        else:
            out.append(ch)
    return "".join(out) + mark


def distance(a: str, b: str) -> int:
    """Levenshtein distance between the normalised forms (stress marks count)."""
    x, y = normalise(a), normalise(b)
    row = list(range(len(y) + 1))
    for i, cx in enumerate(x, 1):
        prev, row[0] = row[0], i
        for j, cy in enumerate(y, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (cx != cy))
    return row[-1]


# --- one engine, in this process ---------------------------------------------


def espeak_phonemes(texts: list[str], language: str = "en") -> list[str]:
    """IPA from the library and voice the pyttsx3 engine speaks with."""
    from cuecast.script.model import VoiceSpec
    from cuecast.voices import pyttsx3_engine

    voice = pyttsx3_engine.Pyttsx3Engine().resolve(VoiceSpec(), language)
    binding = pyttsx3_engine._binding()
    fn = binding.dll.espeak_TextToPhonemes
    fn.restype = ctypes.c_char_p
    fn.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
    if binding.SetVoiceByName((voice.name or "en-us").encode()) != 0:
        raise SystemExit(f"espeak-ng cannot load voice {voice.name!r}")
    out = []
    for text in texts:
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        clauses = []
        while ptr.value:  # one clause per call; espeak moves ptr on, NULL at the end
            clauses.append(fn(ctypes.byref(ptr), 1, 0x02).decode("utf-8"))  # UTF-8 in, IPA out
        out.append(" ".join(c for c in clauses if c))
    return out


def piper_phonemes(texts: list[str], voice: str = "joe") -> list[str]:
    """IPA from piper-tts's phonemizer, as ``PiperVoice.phonemize`` gives it
    to the model (``[[ ... ]]`` passes through)."""
    from piper import PiperConfig, PiperVoice

    from cuecast.voices import piper

    path, _ = piper.model_for(piper.canonical_name(voice))
    config = PiperConfig.from_dict(json.loads(open(f"{path}.json", encoding="utf-8").read()))
    speaker = PiperVoice(session=None, config=config)
    return [" | ".join("".join(s).strip() for s in speaker.phonemize(t)) for t in texts]


# --- both engines, each in a child --------------------------------------------


def phonemes(engine: str, texts: list[str]) -> list[str] | None:
    """What ``engine`` would speak for each text, or None if it is not installed."""
    if engine == "piper":
        from cuecast.voices import piper

        if not piper.available():
            return None
    cmd = [sys.executable, __file__, "--child", engine, *texts]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine} phonemizer failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        fn = espeak_phonemes if args.child == "pyttsx3" else piper_phonemes
        print(json.dumps(fn(args.texts), ensure_ascii=False))
        return 0
    table = {e: phonemes(e, args.texts) for e in ENGINES}
    if args.json:
        print(json.dumps(table, ensure_ascii=False, indent=2))
        return 0
    target = args.ipa or DICTIONARY.get(args.texts[0].lower())
    if target:
        print(f"{'dictionary':24} {target}   (normalised {normalise(target)})")
    for i, text in enumerate(args.texts):
        cells = [f"{e}: {_cell(table[e][i] if table[e] else None, target)}" for e in ENGINES]
        print(f"{text:24} " + "   ".join(cells))
    return 0


def _cell(ipa: str | None, target: str | None) -> str:
    if ipa is None:
        return "(not installed)".ljust(24)
    score = f" [{distance(ipa, target)}]" if target else ""
    return f"{ipa}{score}".ljust(24)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("texts", nargs="+", metavar="WORD_OR_RESPELLING")
    p.add_argument("--ipa", help="the dictionary IPA to score against")
    p.add_argument("--json", action="store_true", help="print {engine: [ipa, ...]}")
    p.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    return p


if __name__ == "__main__":
    sys.exit(main())
