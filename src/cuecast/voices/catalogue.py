"""The published voice catalogues: what ``cuecast voices get NAME`` fetches.

Takes a voice name and a catalogue's JSON; gives the files of that voice,
each with where it is published, its size and checksum, and the name it
gets in the voice folder (``store.py``).

- Piper: ``voices.json`` of rhasspy/piper-voices, a mapping of voice keys
  (``de_DE-thorsten-medium``) to ``{"files": {PATH: {"size_bytes": N,
  "md5_digest": HEX}}, "aliases": [...], "language": {"code": ...}}``;
  PATH is relative to the catalogue's folder. A voice is its ``.onnx`` and
  ``.onnx.json`` (the model card is left out).
- hibari: the registry in the hibari-tts package
  (``hibari/assets/voices.json``), a mapping of voice names (``emma``) to
  ``{"file": NAME, "bytes": N, "sha256": HEX, "bundled": BOOL,
  "language": ...}``; files are published under ``voices/`` of its model
  repository. A bundled voice is inside the package: nothing to fetch.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cuecast.errors import EngineError, InputError
from cuecast.voices.store import HIBARI, PIPER

PIPER_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main/"
"""Piper's published voices: ``voices.json`` and every file it lists."""
HIBARI_URL = "https://huggingface.co/maureesewilliams/hibari/resolve/main/voices/"
"""hibari's published voice files (the catalogue comes with the package)."""
CATALOGUE = "voices.json"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a voice as its catalogue publishes it."""

    path: str
    """Where it is, relative to the engine's folder of the source."""
    target: str
    """Its name in the engine's folder of the voice folder."""
    size: int
    """Bytes."""
    algorithm: str
    """``md5`` (Piper) or ``sha256`` (hibari)."""
    digest: str
    """Hex digest of the whole file."""


@dataclass(frozen=True)
class VoicePackage:
    """A voice to fetch: its engine, name and files (the model last)."""

    engine: str
    name: str
    files: tuple[RemoteFile, ...]
    language: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def split_name(name: str) -> tuple[str | None, str]:
    """``piper:NAME`` / ``hibari:NAME`` -> ``(engine, NAME)``; a plain name
    has no engine yet."""
    engine, sep, rest = name.strip().partition(":")
    if sep and engine.lower() in (PIPER, HIBARI):
        return engine.lower(), rest.strip()
    return None, name.strip()


# --- hibari -------------------------------------------------------------------------


def hibari_registry() -> dict[str, Any] | None:
    """The registry of the installed hibari-tts package, read as a file
    (nothing of hibari is imported), or None without the package."""
    spec = importlib.util.find_spec("hibari")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / CATALOGUE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def hibari_voice(name: str, registry: dict[str, Any]) -> VoicePackage | None:
    """The hibari voice ``name``; an empty package for a bundled voice;
    None when the registry has no such voice."""
    entry = registry.get(name)
    if not isinstance(entry, dict):
        return None
    try:
        if entry.get("bundled"):
            return VoicePackage(HIBARI, name, (), str(entry.get("language", "")))
        file = str(entry["file"])
        remote = RemoteFile(file, file, int(entry["bytes"]), "sha256", str(entry["sha256"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise EngineError(f"hibari's catalogue entry for {name!r} is malformed ({exc})") from exc
    _check_file_name(remote.target, HIBARI)
    return VoicePackage(HIBARI, name, (remote,), str(entry.get("language", "")))


# --- piper ---------------------------------------------------------------------------


def parse_catalogue(text: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EngineError(f"the voice catalogue {where} is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise EngineError(f"the voice catalogue {where} is not a mapping of voices")
    return data


def piper_voice(name: str, catalogue: dict[str, Any]) -> VoicePackage:
    """The Piper voice ``name`` (a key or one of its aliases) and its model
    and config; ``InputError`` with the closest names when there is none."""
    key = name if name in catalogue else _by_alias(name, catalogue)
    if key is None:
        close = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.6)
        close += [k for k in catalogue if f"-{name}-" in k and k not in close][:5]
        hint = f"Did you mean {', '.join(close)}? " if close else ""
        raise InputError(f"no voice {name!r} in Piper's catalogue",
                         hint=f"{hint}Piper's names are LANGUAGE-NAME-QUALITY, "
                              "e.g. de_DE-thorsten-medium.")
    entry = catalogue[key]
    try:
        files = {str(p): v for p, v in entry["files"].items()}
        model = _piper_file(files, key, ".onnx")
        config = _piper_file(files, key, ".onnx.json")
        language = str(entry.get("language", {}).get("code", "")).replace("_", "-")
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise EngineError(f"Piper's catalogue entry for {key!r} is malformed ({exc})") from exc
    return VoicePackage(PIPER, key, (config, model), language)


def _by_alias(name: str, catalogue: dict[str, Any]) -> str | None:
    for key, entry in catalogue.items():
        if isinstance(entry, dict) and name in (entry.get("aliases") or ()):
            return key
    return None


def _piper_file(files: dict[str, Any], key: str, suffix: str) -> RemoteFile:
    [path] = [p for p in files if p.endswith(suffix) and Path(p).name == f"{key}{suffix}"]
    info = files[path]
    target = f"{key}{suffix}"
    _check_file_name(target, PIPER)
    if ".." in Path(path).parts or path.startswith("/"):
        raise ValueError(f"{path!r} leaves the catalogue's folder")
    return RemoteFile(path, target, int(info["size_bytes"]), "md5", str(info["md5_digest"]))


def _check_file_name(name: str, engine: str) -> None:
    """A catalogue never names a file outside the engine's folder."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise EngineError(f"{engine}'s catalogue names a file {name!r} cuecast will not write")
