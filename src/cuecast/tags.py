"""Tags, cover art and chapters for an encoded file, written with mutagen.

Takes the encoded (temporary) file, its format, the script's ``Meta`` and
the chapters; rewrites the file's tags in place. Per format:

- mp3: ID3v2.4 (TIT2, TIT3, TPE1, TALB, TDRC, TCON, COMM, TRCK, APIC) and
  one CHAP per chapter (start/end in ms, TIT2 sub-frame) under a
  top-level, ordered CTOC.
- m4a/m4b: iTunes atoms (©nam, ©ART, ©alb, ©day, ©gen, desc, ©cmt, trkn,
  covr, subtitle as a freeform atom; m4b gets ``stik`` = audiobook).
  Chapters are written by ffmpeg from ``ffmetadata`` text.
- ogg, opus, flac: Vorbis comments (TITLE, SUBTITLE, ARTIST, ALBUM, DATE,
  GENRE, DESCRIPTION, TRACKNUMBER, CHAPTERnnn/CHAPTERnnnNAME) and the cover
  as METADATA_BLOCK_PICTURE (a FLAC Picture block in FLAC).
- wav: nothing.

Padding is fixed so the same input always gives the same bytes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cuecast.atomic import os_error_text
from cuecast.errors import EncodeError, InputError
from cuecast.script.model import Meta
from cuecast.timeline import Chapter
from cuecast.units import timestamp, to_ms

PADDING_BYTES = 1024
"""Room left for later tag edits; fixed so output bytes are reproducible."""

VENDOR = "cuecast"
"""Vorbis comment vendor string (instead of the encoder's version)."""

_TRACK_RE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+)\s*)?$")


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str
    path: str


def read_cover(path: str) -> Cover:
    """Read a cover image; InputError unless it is a JPEG or PNG file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InputError(f"cannot read the cover image: {os_error_text(exc)}", file=path) from exc
    if data.startswith(b"\xff\xd8\xff"):
        return Cover(data, "image/jpeg", path)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Cover(data, "image/png", path)
    raise InputError("the cover is not a JPEG or PNG image", file=path)


def ffmetadata(chapters: Sequence[Chapter]) -> str:
    """ffmpeg's FFMETADATA1 text holding only the chapters."""
    lines = [";FFMETADATA1"]
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000"]
        lines += [f"START={to_ms(ch.start)}", f"END={to_ms(ch.end)}"]
        lines.append(f"title={_ffmeta_escape(ch.title)}")
    return "\n".join(lines) + "\n"


def _ffmeta_escape(text: str) -> str:
    text = " ".join(text.splitlines())
    return re.sub(r"([=;#\\])", r"\\\1", text)


def track_numbers(track: str) -> tuple[int, int]:
    """``"3"`` or ``"3/12"`` to ``(3, 12)`` (0 for an unknown total)."""
    match = _TRACK_RE.match(track)
    if match is None:
        raise InputError(f"track {track!r} is not a number or N/TOTAL", hint="e.g. track: 3/12")
    return int(match.group(1)), int(match.group(2) or 0)


def write_tags(
    path: str, fmt: str, meta: Meta | None, chapters: Sequence[Chapter], cover: Cover | None
) -> None:
    """Write tags, cover and chapters into ``path`` (an encoded ``fmt`` file)."""
    writer = _WRITERS.get(fmt)
    if writer is None:
        return
    try:
        writer(path, fmt, meta, chapters, cover)
    except OSError as exc:
        raise EncodeError(f"cannot write tags into {path}: {os_error_text(exc)}") from exc
    except (InputError, EncodeError):
        raise
    except Exception as exc:  # mutagen's own errors: the encoded file is not what we expect
        raise EncodeError(f"cannot write tags into {path}: {exc}") from exc


def _fixed_padding(info: object) -> int:
    return PADDING_BYTES


def _ordered_id3() -> Any:  # mutagen's tag objects are dynamic: Any, not object
    """An empty ID3 tag that writes its frames in the order they were added.

    mutagen sorts frames of equal rank by size, which puts CHAP frames out
    of time order; some readers (ffmpeg among them) list chapters in frame
    order and ignore the CTOC.
    """
    from mutagen import id3

    class OrderedID3(id3.ID3):
        def _write(self, config: object) -> bytearray:
            try:
                from mutagen.id3._tags import save_frame
            except ImportError:  # mutagen moved it: fall back to its own order
                return super()._write(config)
            return bytearray().join(save_frame(f, config=config) for f in self.values())

    return OrderedID3()


def _write_id3(
    path: str, fmt: str, meta: Meta | None, chapters: Sequence[Chapter], cover: Cover | None
) -> None:
    from mutagen import id3

    tags = _ordered_id3()
    if meta is not None:
        _id3_meta(tags, meta)
    _id3_chapters(tags, chapters)
    if cover is not None:
        tags.add(
            id3.APIC(
                encoding=3,
                mime=cover.mime,
                type=id3.PictureType.COVER_FRONT,
                desc="Cover",
                data=cover.data,
            )
        )
    tags.save(path, v1=0, v2_version=4, padding=_fixed_padding)


def _id3_meta(tags: object, meta: Meta) -> None:
    from mutagen import id3

    frames = [
        (id3.TIT2, meta.title),
        (id3.TIT3, meta.subtitle),
        (id3.TPE1, meta.author),
        (id3.TALB, meta.album),
        (id3.TDRC, meta.year),
        (id3.TCON, meta.genre),
    ]
    for frame, value in frames:
        if value:
            tags.add(frame(encoding=3, text=[value]))  # type: ignore[attr-defined]
    if meta.track:
        number, total = track_numbers(meta.track)
        text = f"{number}/{total}" if total else str(number)
        tags.add(id3.TRCK(encoding=3, text=[text]))  # type: ignore[attr-defined]
    if meta.description:
        comm = id3.COMM(encoding=3, lang="eng", desc="", text=[meta.description])
        tags.add(comm)  # type: ignore[attr-defined]


def _id3_chapters(tags: object, chapters: Sequence[Chapter]) -> None:
    from mutagen import id3

    if not chapters:
        return
    ids = [f"ch{i}" for i in range(len(chapters))]
    for element_id, ch in zip(ids, chapters, strict=True):
        chap = id3.CHAP(
            element_id=element_id,
            start_time=to_ms(ch.start),
            end_time=to_ms(ch.end),
            start_offset=0xFFFFFFFF,
            end_offset=0xFFFFFFFF,
            sub_frames=[id3.TIT2(encoding=3, text=[ch.title])],
        )
        tags.add(chap)  # type: ignore[attr-defined]
    toc = id3.CTOC(
        element_id="toc",
        flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
        child_element_ids=ids,
        sub_frames=[id3.TIT2(encoding=3, text=["Chapters"])],
    )
    tags.add(toc)  # type: ignore[attr-defined]


def _write_mp4(
    path: str, fmt: str, meta: Meta | None, chapters: Sequence[Chapter], cover: Cover | None
) -> None:
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    f = MP4(path)
    if f.tags is None:
        f.add_tags()
    tags: Any = f.tags
    tags.clear()
    if meta is not None:
        texts = {
            "\xa9nam": meta.title,
            "\xa9ART": meta.author,
            "\xa9alb": meta.album,
            "\xa9day": meta.year,
            "\xa9gen": meta.genre,
            "desc": meta.description,
            "\xa9cmt": meta.description,
        }
        for key, value in texts.items():
            if value:
                tags[key] = [value]
        if meta.subtitle:
            tags["----:com.apple.iTunes:SUBTITLE"] = [MP4FreeForm(meta.subtitle.encode())]
        if meta.track:
            tags["trkn"] = [track_numbers(meta.track)]
    if cover is not None:
        image_format = MP4Cover.FORMAT_JPEG if cover.mime == "image/jpeg" else MP4Cover.FORMAT_PNG
        tags["covr"] = [MP4Cover(cover.data, imageformat=image_format)]
    if fmt == "m4b":
        tags["stik"] = [2]  # audiobook: players remember the position, show chapters
    f.save(padding=_fixed_padding)


def vorbis_comments(meta: Meta | None, chapters: Sequence[Chapter]) -> list[tuple[str, str]]:
    """Vorbis comment fields, in a fixed order."""
    fields: list[tuple[str, str]] = []
    if meta is not None:
        pairs = [
            ("TITLE", meta.title),
            ("SUBTITLE", meta.subtitle),
            ("ARTIST", meta.author),
            ("ALBUM", meta.album),
            ("DATE", meta.year),
            ("GENRE", meta.genre),
            ("DESCRIPTION", meta.description),
        ]
        fields += [(k, v) for k, v in pairs if v]
        if meta.track:
            number, total = track_numbers(meta.track)
            fields.append(("TRACKNUMBER", str(number)))
            if total:
                fields.append(("TRACKTOTAL", str(total)))
    for i, ch in enumerate(chapters, start=1):
        fields.append((f"CHAPTER{i:03d}", timestamp(ch.start)))
        fields.append((f"CHAPTER{i:03d}NAME", ch.title))
    return fields


def _flac_picture(cover: Cover) -> object:
    from mutagen.flac import Picture

    pic = Picture()
    pic.type = 3  # front cover
    pic.mime = cover.mime
    pic.desc = "Cover"
    pic.data = cover.data
    return pic


def _write_vorbis(
    path: str, fmt: str, meta: Meta | None, chapters: Sequence[Chapter], cover: Cover | None
) -> None:
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    f: Any = {"ogg": OggVorbis, "opus": OggOpus, "flac": FLAC}[fmt](path)
    if f.tags is None:
        f.add_tags()
    f.tags.clear()
    f.tags.vendor = VENDOR
    for key, value in vorbis_comments(meta, chapters):
        f.tags.append((key, value))
    if cover is not None:
        pic = _flac_picture(cover)
        if fmt == "flac":
            f.clear_pictures()
            f.add_picture(pic)
        else:
            encoded = base64.b64encode(pic.write()).decode("ascii")  # type: ignore[attr-defined]
            f.tags.append(("METADATA_BLOCK_PICTURE", encoded))
    f.save(padding=_fixed_padding)


_WRITERS = {
    "mp3": _write_id3,
    "m4a": _write_mp4,
    "m4b": _write_mp4,
    "ogg": _write_vorbis,
    "opus": _write_vorbis,
    "flac": _write_vorbis,
}
