"""MP3 frames: parse a stream of MPEG-1 Layer III frames, join frames from
separate encodes, and write the Xing/Info frame with its LAME tag.

Takes bytes as LAME (through ffmpeg) writes them: CBR, mono or stereo,
MPEG-1 (32, 44.1 or 48 kHz); gives the frames, and one file's first frame.
Knows nothing of audio: ``pieces.py`` decides what is joined.

Every frame holds 1152 samples. With the bit reservoir off, a frame's bits
are its own, so frames cut from separate encodes can follow each other.
The Info frame (a frame of silence whose side information holds the Xing
header) tells players the frame count, the byte count and a seek table;
its LAME tag the encoder delay (576 samples: LAME's, the decoder adds its
own 529) and the padding at the end, so a gapless player trims both and
the decoded length is the input's to the sample. Its fields, offsets from
the Xing header (after the 4-byte frame header and the side information):

===========  =======================================================
0            "Info" (CBR) or "Xing"
4            flags: 1 frames, 2 bytes, 4 TOC, 8 quality
8, 12        audio frames (the Info frame not counted); bytes, the
             Info frame included (big-endian)
16           TOC: 100 bytes, entry i = 256 * (offset of the frame at
             i % of the frames) / bytes
116          quality
120 + 21     LAME tag's encoder delay and padding, 12 bits each
120 + 28     music length: the same as the bytes field
120 + 32     music CRC: CRC-16 (ARC) of every audio frame
120 + 34     tag CRC: CRC-16 (ARC) of the frame's first 190 bytes with
             this field zero (as ffmpeg writes it)
===========  =======================================================
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import anycrc
import numpy as np

from cuecast.errors import EncodeError
from cuecast.units import GRID_SAMPLES

FRAME_SAMPLES = GRID_SAMPLES
"""Samples per MPEG-1 Layer III frame (1152: the planner's grid)."""

ENCODER_DELAY = 576
"""LAME's encoder delay, in samples, as its tag records it (ffmpeg writes
the same; decoders add their own 529 and skip both)."""

_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)
_CRC = anycrc.Model("CRC16-ARC")
TAG_CRC_SPAN = 190
"""Bytes of the Info frame the LAME tag's CRC covers (ffmpeg's choice)."""


class Mp3FormatError(EncodeError):
    """Bytes that are not the MP3 frames expected (a broken encoder or entry)."""


@dataclass(frozen=True)
class Header:
    """One frame's header: ``length`` in bytes, the frame included."""

    bitrate_kbps: int
    sample_rate: int
    padded: bool
    channels: int
    length: int

    @property
    def side_info(self) -> int:
        """Bytes of side information after the header (MPEG-1)."""
        return 17 if self.channels == 1 else 32


def header_at(data: bytes | memoryview, offset: int) -> Header:
    """The MPEG-1 Layer III header at ``offset``; Mp3FormatError otherwise."""
    if offset + 4 > len(data):
        raise Mp3FormatError(f"a frame is cut short at byte {offset}")
    h = int.from_bytes(data[offset : offset + 4], "big")
    if (h >> 21) != 0x7FF or (h >> 19) & 3 != 3 or (h >> 17) & 3 != 1:
        raise Mp3FormatError(f"no MPEG-1 Layer III frame at byte {offset} ({h:08x})")
    rate_index, bitrate_index = (h >> 10) & 3, (h >> 12) & 15
    if rate_index == 3 or bitrate_index in (0, 15):
        raise Mp3FormatError(f"a frame header at byte {offset} is invalid ({h:08x})")
    kbps, rate, padded = _BITRATES[bitrate_index], _RATES[rate_index], bool((h >> 9) & 1)
    channels = 1 if (h >> 6) & 3 == 3 else 2
    return Header(kbps, rate, padded, channels, 144 * kbps * 1000 // rate + padded)


def frame_spans(data: bytes | memoryview, start: int = 0) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` of every frame from ``start`` to the end, which
    must be the end of a frame."""
    offset = start
    while offset < len(data):
        length = header_at(data, offset).length
        if offset + length > len(data):
            raise Mp3FormatError(f"the frame at byte {offset} is cut short")
        yield offset, length
        offset += length


def frame_offsets(data: bytes | memoryview,
                  phases: Sequence[int] = ()) -> tuple[np.ndarray, int]:  # fmt: skip
    """The offset of every frame of ``data`` (as ``frame_spans`` finds them,
    int64) and the phase of its padding (give it back in ``phases`` for the
    next run of frames from the same encoder: those are tried first).

    A CBR stream pads one frame now and then so the bit rate is exact: the
    frame ``i`` of an encode is padded when ``floor((i + 1) s / r)`` passes
    ``floor(i s / r)`` (``s = 144 000 kbps mod r``, ``r`` the sample rate),
    counted from some phase. Each phase whose padded frames add up to the
    bytes there is tried (those in ``phases`` first), and the frames it
    puts where they start are checked all at once: the sync, the bit rate,
    the sample rate and the padding bit of every header must be there. That
    is exact (where two phases first differ, they put that frame in the
    same place and read the same padding bit), and numpy's, not a Python
    loop's; data that no phase fits is parsed frame by frame."""
    if len(data) < 4:
        return _walked(data)
    head = header_at(data, 0)
    rate = head.sample_rate
    plain, step = divmod(144 * head.bitrate_kbps * 1000, rate)
    size = len(data)
    period = rate // math.gcd(step, rate)  # 1 without padding
    raw = np.frombuffer(data, dtype=np.uint8)
    b1, b2 = raw[1], raw[2] & 0xFD
    # count frames, so many padded: count * plain + padded == size, 0 <= padded <= count
    for count in range(size // plain, -(-size // (plain + 1)) - 1, -1):
        padded = size - count * plain
        fitting = [ph for ph in dict.fromkeys([*(p % period for p in phases), *range(period)])
                   if (count + ph) * step // rate - ph * step // rate == padded]  # fmt: skip
        i = np.arange(count + 1, dtype=np.int64)
        for ph in fitting:
            before = (i + ph) * step // rate - ph * step // rate  # padded frames before i
            offsets = i[:-1] * plain + before[:-1]
            at = raw[offsets + 2]
            if (
                np.all(raw[offsets] == 0xFF) and np.all(raw[offsets + 1] == b1)
                and np.all(at & 0xFD == b2) and np.array_equal((at >> 1) & 1, np.diff(before))
            ):  # fmt: skip
                return offsets, ph
    return _walked(data)


def _walked(data: bytes | memoryview) -> tuple[np.ndarray, int]:
    return np.fromiter((o for o, _ in frame_spans(data)), dtype=np.int64), 0


def skip_id3(data: bytes) -> int:
    """Where the frames start: after an ID3v2 tag, if there is one."""
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for b in data[6:10]:
        size = (size << 7) | (b & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def is_info_frame(frame: bytes) -> bool:
    h = header_at(frame, 0)
    tag = frame[4 + h.side_info : 8 + h.side_info]
    return tag in (b"Info", b"Xing")


@dataclass(frozen=True)
class Template:
    """What an encoder writes around the audio: its Info frame and its two
    frames of digital silence (without and with the padding byte)."""

    info: bytes
    silent: bytes
    silent_padded: bytes

    @classmethod
    def from_file(cls, data: bytes) -> Template:
        """From a file (Info frame first) that encodes enough silence to
        hold both silent frames past its start and before its end."""
        first = skip_id3(data)
        spans = list(frame_spans(data, first))
        info = data[spans[0][0] : spans[0][0] + spans[0][1]]
        if not is_info_frame(info):
            raise Mp3FormatError("the encoder wrote no Info frame")
        middle = [data[o : o + n] for o, n in spans[3:-3]]
        plain = [f for f in middle if not header_at(f, 0).padded]
        padded = [f for f in middle if header_at(f, 0).padded]
        if not plain or not padded:
            raise Mp3FormatError("the encoder's silence holds no padded and unpadded frames")
        return cls(info, plain[0], padded[0])

    def silence(self, frames: int) -> bytes:
        """``frames`` frames of silence, padded as a CBR stream pads them
        (one byte now and then so the bit rate is exact), the pattern
        starting afresh: the same run always gives the same bytes."""
        head = header_at(self.silent, 0)
        step = 144 * head.bitrate_kbps * 1000 % head.sample_rate
        out = bytearray()
        acc = 0
        for _ in range(frames):
            acc += step
            if acc >= head.sample_rate:
                acc -= head.sample_rate
                out += self.silent_padded
            else:
                out += self.silent
        return bytes(out)


def crc16(data: bytes | memoryview, crc: int = 0) -> int:
    """CRC-16 (ARC) of ``data``, continuing from ``crc``."""
    return int(_CRC.calc(data, crc))


class Joiner:
    """Writes an MP3 file from frames given in order: the Info frame's room
    first, the frames, then the Info frame itself (``finish``)."""

    def __init__(self, f: BinaryIO, template: Template,
                 audio_out: Callable[[bytes], None] | None = None) -> None:
        self.f = f
        self.audio_out = audio_out
        self.template = template
        self.start = f.tell()
        f.write(bytes(len(template.info)))
        self.offsets = array("q")
        """Offset of each audio frame, from the Info frame's start."""
        self.size = len(template.info)
        self.crc = 0
        self.phases: list[int] = []
        """The padding's phases met in the frames added (``frame_offsets``):
        a sound piece's and the template's silence."""

    @property
    def frames(self) -> int:
        return len(self.offsets)

    def add(self, frames: bytes) -> int:
        """Append whole frames; gives how many."""
        offsets, phase = frame_offsets(frames, self.phases)
        if phase not in self.phases:
            self.phases = [phase, *self.phases[:3]]
        self.offsets.frombytes((offsets + self.size).astype(np.int64).tobytes())
        n = len(offsets)
        self.f.write(frames)
        if self.audio_out is not None and frames:
            self.audio_out(frames)
        self.size += len(frames)
        self.crc = crc16(frames, self.crc)
        return n

    def finish(self, total_samples: int) -> None:
        """Write the Info frame for ``total_samples`` decoded samples."""
        padding = self.frames * FRAME_SAMPLES - ENCODER_DELAY - total_samples
        if not 0 <= padding < 1 << 12:
            raise Mp3FormatError(
                f"{self.frames} frames cannot hold {total_samples} samples (padding {padding})"
            )
        info = info_frame(self.template.info, frames=self.frames, size=self.size,
                          seek_table=toc(self.offsets, self.size), padding=padding,
                          music_crc=self.crc)  # fmt: skip
        end = self.f.tell()
        self.f.seek(self.start)
        self.f.write(info)
        self.f.seek(end)


def toc(offsets: array, size: int) -> bytes:
    """The 100-entry seek table: entry i is where the frame at i % of the
    track starts, in 256ths of the file (from the Info frame)."""
    n = len(offsets)
    out = bytearray(100)
    for i in range(1, 100):
        j = i * n // 100
        pos = offsets[j] if j < n else size
        out[i] = min(255, 256 * pos // size)
    return bytes(out)


def info_frame(template: bytes, *, frames: int, size: int, seek_table: bytes, padding: int,
               music_crc: int) -> bytes:
    """``template`` (an encoder's Info frame) with this file's counts, seek
    table, padding and CRCs; the encoder delay, bit rate and the rest of the
    LAME tag are kept."""
    out = bytearray(template)
    x = 4 + header_at(template, 0).side_info
    struct.pack_into(">II", out, x + 8, frames, size)
    out[x + 16 : x + 116] = seek_table
    lame = x + 120
    delay = (out[lame + 21] << 4) | (out[lame + 22] >> 4)
    out[lame + 21 : lame + 24] = bytes(
        [delay >> 4, ((delay & 15) << 4) | (padding >> 8), padding & 0xFF]
    )
    struct.pack_into(">IH", out, lame + 28, size, music_crc)
    out[lame + 34 : lame + 36] = b"\0\0"
    struct.pack_into(">H", out, lame + 34, crc16(bytes(out[:TAG_CRC_SPAN])))
    return bytes(out)


@dataclass(frozen=True)
class InfoFields:
    """What an Info frame says (for checks and tests)."""

    frames: int
    size: int
    delay: int
    padding: int
    music_length: int
    music_crc: int
    tag_crc: int
    tag_crc_ok: bool


def read_info(data: bytes) -> InfoFields:
    """The Info frame at the start of a file (after its ID3 tag)."""
    first = skip_id3(data)
    frame = data[first : first + header_at(data, first).length]
    if not is_info_frame(frame):
        raise Mp3FormatError("the file has no Info frame")
    x = 4 + header_at(frame, 0).side_info
    frames, size = struct.unpack_from(">II", frame, x + 8)
    lame = x + 120
    d = frame[lame + 21 : lame + 24]
    music_length, music_crc, tag_crc = struct.unpack_from(">IHH", frame, lame + 28)
    zeroed = bytearray(frame)
    zeroed[lame + 34 : lame + 36] = b"\0\0"
    return InfoFields(frames, size, (d[0] << 4) | (d[1] >> 4), ((d[1] & 15) << 8) | d[2],
                      music_length, music_crc, tag_crc,
                      crc16(bytes(zeroed[:TAG_CRC_SPAN])) == tag_crc)  # fmt: skip
