"""The voice folder: where ``cuecast voices get`` puts voices and engines find them.

Takes nothing but the environment; gives the folder and the voices in it::

    $CUECAST_VOICES_DIR, else $XDG_DATA_HOME/cuecast/voices,
    else ~/.local/share/cuecast/voices
      piper/NAME.onnx, piper/NAME.onnx.json     a Piper voice (model and config)
      hibari/FILE.onnx                          a hibari voice (its catalogue's file)

A voice is there once its final files are: downloads are written to hidden
``.NAME.part`` files and renamed into place only when every file of the
voice is complete and checked, so an engine never sees half a voice.
"""

from __future__ import annotations

import os
from pathlib import Path

VOICES_DIR_ENV = "CUECAST_VOICES_DIR"
PIPER = "piper"
HIBARI = "hibari"


def voices_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """``override``, else ``$CUECAST_VOICES_DIR``, else the user's data
    folder (``$XDG_DATA_HOME``, ``~/.local/share``) ``/cuecast/voices``."""
    if override is not None:
        return Path(override).expanduser()
    explicit = os.environ.get(VOICES_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "cuecast" / "voices"


def piper_model(name: str, root: Path | None = None) -> Path | None:
    """The installed Piper voice ``name`` (its ``.onnx``, with the config
    beside it), or None. Only a plain file name is looked up: a name with a
    path in it never reaches outside the folder."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    model = (root or voices_dir()) / PIPER / f"{name}.onnx"
    if model.is_file() and Path(f"{model}.json").is_file():
        return Path(os.path.abspath(model))
    return None


def installed_piper(root: Path | None = None) -> list[str]:
    """The names of the Piper voices in the folder, sorted."""
    folder = (root or voices_dir()) / PIPER
    if not folder.is_dir():
        return []
    names = (p.name[: -len(".onnx")] for p in folder.glob("*.onnx") if not p.name.startswith("."))
    return sorted(n for n in names if piper_model(n, root) is not None)


def hibari_model(file_name: str, root: Path | None = None) -> Path | None:
    """The installed hibari voice file (its catalogue's ``file``), or None."""
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
        return None
    path = (root or voices_dir()) / HIBARI / file_name
    return path if path.is_file() else None
