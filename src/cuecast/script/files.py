"""Files a script names: where they resolve, and cheap checks of what they hold.

Takes a path as written in a script and the folders involved; gives an
absolute real path, or a reason it cannot be used (outside the script's
folder, missing, not audio, not an image). Nothing here raises
``InputError``: the loader adds the position.
"""

from __future__ import annotations

import os
import subprocess

from cuecast import ffmpeg, limits

PROBE_TIMEOUT_S = 10.0


def inside(path: str, folder: str) -> bool:
    """True if the real ``path`` is ``folder`` or below it."""
    folder = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), folder]) == folder


def resolve(raw: str, base_dir: str, root_dir: str, allow_outside: bool) -> tuple[str, str | None]:
    """``(real path, problem)``: ``raw`` relative to ``base_dir``, symlinks
    resolved; ``problem`` is ``"outside"``, ``"missing"``, ``"folder"``,
    ``"special"`` (a pipe, device or socket: reading one could block or
    never end) or ``None``."""
    real = os.path.realpath(os.path.join(base_dir, os.path.expanduser(raw)))
    if not allow_outside and not inside(real, root_dir):
        return real, "outside"
    if not os.path.exists(real):
        return real, "missing"
    if os.path.isdir(real):
        return real, "folder"
    if not os.path.isfile(real):
        return real, "special"
    return real, None


def probe_audio(path: str) -> bool:
    """True if ffmpeg can decode the first tenth of a second of the first
    audio stream of ``path``. If ffmpeg itself is missing or broken, this
    says True: the render stage reports a missing ffmpeg better than a "bad
    file" would (exit 1 naming ffmpeg, not exit 2 blaming the script)."""
    exe = ffmpeg.ffmpeg_exe_or_none()
    if exe is None:
        return True
    try:
        done = ffmpeg.run(ffmpeg.probe_args(path), timeout_s=PROBE_TIMEOUT_S, exe=exe)
    except subprocess.TimeoutExpired:
        return False
    except OSError:
        return True
    return done.returncode == 0


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
MAX_COVER_BYTES = limits.MAX_COVER_BYTES
"""A cover is read whole into memory and into the track's tags."""


def is_cover_image(path: str) -> bool:
    """True for a PNG or JPEG file (what MP3 cover tags hold) of at most
    ``MAX_COVER_BYTES``."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if os.fstat(f.fileno()).st_size > MAX_COVER_BYTES:
                return False
    except OSError:
        return False
    return any(head.startswith(magic) for magic in _IMAGE_MAGIC)
