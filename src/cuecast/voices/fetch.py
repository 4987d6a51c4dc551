"""Fetching a voice into the voice folder: ``cuecast voices get``.

Takes a ``VoicePackage`` (``catalogue.py``), where to fetch from (the
published URLs, or a studio's mirror: a URL or a folder) and the voice
folder; gives the installed files. With urllib of the standard library.

Each file is downloaded to a hidden ``.NAME.part`` beside its final name,
its size and checksum checked against the catalogue, and only when every
file of the voice is complete and checked are they renamed into place (the
model last), so an engine never sees half a voice and a bad checksum
installs nothing (its part is deleted). A download that is cut off or
stopped keeps its part: the same command later asks for the rest (an HTTP
``Range`` request) and starts over only if the server does not resume.

A mirror holds the catalogues' files under one folder per engine::

    MIRROR/piper/voices.json          Piper's catalogue, as published
    MIRROR/piper/<path it lists>      e.g. de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx
    MIRROR/hibari/voices.json         optional: else the hibari-tts package's registry
    MIRROR/hibari/<file>              e.g. bf_emma.int8.onnx
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cuecast.errors import EngineError, InputError
from cuecast.voices.catalogue import (
    CATALOGUE,
    HIBARI_URL,
    PIPER_URL,
    RemoteFile,
    VoicePackage,
    hibari_registry,
    hibari_voice,
    parse_catalogue,
    piper_voice,
    split_name,
)
from cuecast.voices.store import HIBARI, PIPER

TIMEOUT_S = 30.0
"""Seconds a connection may stay silent before the download counts as cut off."""
CHUNK_BYTES = 1 << 20
MAX_CATALOGUE_BYTES = 50_000_000
"""Piper's catalogue is about 1 MB; a bound on memory for a wrong URL."""
NO_NETWORK = ("without network access, fetch from a studio's copy of the voices: "
              "cuecast voices get --mirror URL|DIR NAME (docs/voices.md)")

Progress = Callable[[str, int, int], None]
"""``progress(label, bytes done, bytes in all)``."""


@dataclass(frozen=True)
class Source:
    """Where voices come from: the published URLs, or ``mirror`` (a URL or a folder)."""

    mirror: str | None = None

    @property
    def is_folder(self) -> bool:
        return self.mirror is not None and "://" not in self.mirror

    def location(self, engine: str, path: str) -> str:
        """The URL or file path of ``path`` in ``engine``'s folder."""
        if self.mirror is None:
            base = PIPER_URL if engine == PIPER else HIBARI_URL
            return base + urllib.parse.quote(path)
        if self.is_folder:
            return str(Path(self.mirror).expanduser() / engine / path)
        return f"{self.mirror.rstrip('/')}/{engine}/{urllib.parse.quote(path)}"


def check_mirror(mirror: str) -> None:
    """``--mirror`` is an http(s) URL or an existing folder (``InputError``)."""
    scheme = urllib.parse.urlsplit(mirror).scheme
    if "://" in mirror and scheme not in ("http", "https"):
        raise InputError(f"--mirror {mirror}: only http:// and https:// mirrors, or a folder")
    if "://" not in mirror and not Path(mirror).expanduser().is_dir():
        raise InputError(f"--mirror {mirror}: no such folder (a mirror is a URL or a folder)")


def find_voice(name: str, source: Source) -> VoicePackage:
    """The voice ``name`` (``piper:``/``hibari:`` may say whose) in its
    catalogue; a hibari name is looked up without the network."""
    engine, plain = split_name(name)
    if not plain:
        raise InputError(f"{name!r} names no voice")
    if engine in (None, HIBARI):
        registry = _hibari_catalogue(source)
        found = hibari_voice(plain, registry) if registry is not None else None
        if found is not None:
            return found
        if engine == HIBARI:
            known = ", ".join(registry or ()) or "none (hibari-tts is not installed)"
            raise InputError(f"no hibari voice {plain!r} (hibari's voices: {known})")
    where = source.location(PIPER, CATALOGUE)
    try:
        text = _read_all(where)
    except _Missing as missing:
        raise EngineError(f"no Piper catalogue at {where} (HTTP {missing.code}"
                          f"{', no such file' if source.is_folder else ''})") from None
    return piper_voice(plain, parse_catalogue(text, where))


def _hibari_catalogue(source: Source) -> dict | None:
    """A mirror's own hibari catalogue when it has one, else the package's."""
    if source.mirror is not None:
        where = source.location(HIBARI, CATALOGUE)
        try:
            return parse_catalogue(_read_all(where), where)
        except _Missing:
            pass
    return hibari_registry()


# --- installing -------------------------------------------------------------------


def install(voice: VoicePackage, source: Source, root: Path,
            progress: Progress | None = None) -> list[Path]:
    """Fetch, check and install every file of ``voice`` into ``root``;
    gives the installed paths (files already there and correct are kept)."""
    folder = root / voice.engine
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EngineError(f"cannot make the voice folder {folder}: {exc.strerror}") from exc
    ready: list[tuple[Path, Path]] = []
    for remote in voice.files:
        final = folder / remote.target
        if final.is_file() and _matches(final, remote):
            continue
        part = folder / f".{remote.target}.part"
        _download(source.location(voice.engine, remote.path), part, remote, progress)
        if not _matches(part, remote):
            part.unlink(missing_ok=True)
            raise EngineError(f"{remote.target} from {source.location(voice.engine, remote.path)}"
                              f" does not match its catalogue's {remote.algorithm} checksum; "
                              "nothing was installed")
        ready.append((part, final))
    for part, final in ready:  # the model is last: a voice is there once its model is
        os.replace(part, final)
    _fsync_folder(folder)
    return [folder / f.target for f in voice.files]


def _matches(path: Path, remote: RemoteFile) -> bool:
    if path.stat().st_size != remote.size:
        return False
    digest = hashlib.new(remote.algorithm)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest() == remote.digest.lower()


def _download(where: str, part: Path, remote: RemoteFile, progress: Progress | None) -> None:
    """``where`` into ``part``, continuing a part left by an earlier run."""
    have = part.stat().st_size if part.exists() else 0
    if have >= remote.size:
        if have == remote.size:
            return
        part.unlink()
        have = 0
    stream, start = _open(where, have)
    done = start
    with closing(stream), part.open("ab" if start else "wb") as out:
        try:
            while block := stream.read(CHUNK_BYTES):
                done += len(block)
                if done > remote.size:
                    raise EngineError(f"{where} is larger than its catalogue says "
                                      f"({remote.size} bytes); nothing was installed")
                out.write(block)
                if progress is not None:
                    progress(remote.target, done, remote.size)
        except (OSError, http.client.HTTPException) as exc:
            raise EngineError(f"the download of {remote.target} was cut off after "
                              f"{_mb(done)} of {_mb(remote.size)} ({_reason(exc)}); the same "
                              "command again resumes it") from exc
    if done < remote.size:
        raise EngineError(f"the download of {remote.target} ended after {_mb(done)} of "
                          f"{_mb(remote.size)}; the same command again resumes it")


def _open(where: str, offset: int) -> tuple[IO[bytes], int]:
    """A stream of ``where`` from ``offset`` if it can resume there, else
    from the start; gives the stream and where it starts."""
    if "://" not in where:
        try:
            f = open(where, "rb")  # noqa: SIM115 - closed by the caller
        except FileNotFoundError:
            raise EngineError(f"the mirror has no {where}") from None
        except OSError as exc:
            raise EngineError(f"cannot read {where}: {exc.strerror}") from exc
        f.seek(offset)
        return f, offset
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        response = _urlopen(where, headers)
    except _Missing as missing:
        if missing.code == 416 and offset:  # the part is stale: start again
            return _open(where, 0)
        raise EngineError(f"{where} is not there (HTTP {missing.code})") from None
    if offset and response.status != 206:
        return response, 0
    return response, offset


class _Missing(EngineError):
    """An HTTP error status (or a missing file in a folder mirror)."""

    def __init__(self, where: str, code: int) -> None:
        super().__init__(f"{where}: HTTP {code}")
        self.code = code


def _urlopen(url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": "cuecast", **headers})
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _Missing(url, exc.code) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        host = urllib.parse.urlsplit(url).netloc
        raise EngineError(f"cannot reach {host} ({_reason(exc)}); {NO_NETWORK}") from None


def _read_all(where: str) -> bytes:
    if "://" not in where:
        try:
            with open(where, "rb") as f:
                return f.read(MAX_CATALOGUE_BYTES)
        except FileNotFoundError:
            raise _Missing(where, 404) from None
        except OSError as exc:
            raise EngineError(f"cannot read {where}: {exc.strerror}") from exc
    try:
        with _urlopen(where, {}) as response:
            return response.read(MAX_CATALOGUE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        raise EngineError(f"the voice catalogue {where} was cut off ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
    return str(reason) or type(exc).__name__


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the renames stand
    finally:
        os.close(fd)
