"""Audio while it is being made: the MP3 a render is writing, as it grows.

Takes a running ``Job``; gives MP3 bytes a player can start on before the
render ends. The encoder writes its file front to back (the mix is
streamed), so the bytes it has written are read as they come; only its
first frame (the LAME/Info header, rewritten when the encode ends) is left
out. Once every sample has gone to the encoder the file is about to get
its tags (written in place, which moves the audio), so the rest is read
from the finished file instead, at the same audio offset past its (new)
ID3 tag. A read is only kept if the encoder was still running after it
(checked again after reading), so no byte of a file being re-tagged is sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cuecast.web.jobs import Job

CHUNK_BYTES = 64 * 1024
POLL_S = 0.05
TEMP_GLOB = ".session.cuecast-tmp-*.mp3"
"""What ``cuecast.atomic.TempFile`` calls the encoder's file for ``session.mp3``."""

_MP3_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000)}


def id3_length(head: bytes) -> int | None:
    """Bytes of the ID3v2 tag at the start of ``head`` (0 if none); None
    if ``head`` is too short to tell."""
    if len(head) < 10:
        return None
    if head[:3] != b"ID3":
        return 0
    size = 0
    for b in head[6:10]:
        size = (size << 7) | (b & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def frame_length(header: bytes) -> int | None:
    """Bytes of the MPEG Layer III frame whose 4-byte header this is, or None."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = {3: 1, 2: 2, 0: 2}.get((header[1] >> 3) & 3)
    layer = (header[1] >> 1) & 3
    kbps_i, rate_i, padding = header[2] >> 4, (header[2] >> 2) & 3, (header[2] >> 1) & 1
    if version is None or layer != 1 or kbps_i in (0, 15) or rate_i == 3:
        return None
    kbps, rate = _MP3_KBPS[version][kbps_i], _MP3_RATES[version][rate_i]
    per_frame = 144 if version == 1 else 72
    return per_frame * kbps * 1000 // rate + padding


def live_bytes(job: Job, *, timeout_s: float = 3600.0) -> Iterator[bytes]:
    """The job's MP3 as it is written, then the rest of the finished file."""
    deadline = time.monotonic() + timeout_s
    growing: BinaryIO | None = None
    audio_start: int | None = None  # where the frames after the Info frame begin
    offset = 0  # bytes of audio (after the Info frame) already sent
    try:
        while not job.finished.is_set() and time.monotonic() < deadline:
            if growing is None:
                growing = _open_growing(job.work_dir)
                if growing is None:
                    time.sleep(POLL_S)
                    continue
            if audio_start is None:
                audio_start = _audio_start(growing, job)
                if audio_start is None:
                    time.sleep(POLL_S)
                    continue
            growing.seek(audio_start + offset)
            data = growing.read(CHUNK_BYTES)
            if job.audio_complete:
                break  # the file may have been re-tagged during that read: use the finished one
            if data:
                offset += len(data)
                yield data
            else:
                time.sleep(POLL_S)
    finally:
        if growing is not None:
            growing.close()
    job.finished.wait(max(0.0, deadline - time.monotonic()))
    if job.state == "done" and job.result is not None:
        yield from _rest_of_finished(job.result, offset, skip_info=audio_start is not None)


def _open_growing(folder: Path) -> BinaryIO | None:
    for path in sorted(folder.glob(TEMP_GLOB)):
        try:
            return path.open("rb")
        except OSError:
            return None
    return None


def _audio_start(f: BinaryIO, job: Job) -> int | None:
    """Offset of the second frame, once the ID3 tag and first frame are written."""
    f.seek(0)
    head = f.read(4096)
    if job.audio_complete:
        return None
    tag = id3_length(head)
    if tag is None or len(head) < tag + 4:
        return None
    first = frame_length(head[tag : tag + 4])
    if first is None:
        return tag  # not an Info frame we know: send from the first byte of audio
    return tag + first if len(head) >= tag + first else None


def _rest_of_finished(path: Path, offset: int, *, skip_info: bool) -> Iterator[bytes]:
    try:
        f = path.open("rb")
    except OSError:
        return  # evicted already: the listener still has what was sent
    with f:
        head = f.read(4096)
        start = id3_length(head) or 0
        if skip_info:
            start += frame_length(head[start : start + 4]) or 0
        f.seek(start + offset)
        while chunk := f.read(CHUNK_BYTES):
            yield chunk
