"""Encode the streamed mix into a tagged, chaptered audio file, atomically.

Takes the mix as float32 mono blocks at 44100 Hz (from ``mix.py``), the
script's ``Meta`` and one ``Chapter`` per section; gives one file at
``out_path``. The blocks are piped to ffmpeg as they come (no temporary WAV
of the session); tags, cover and chapters are then written with mutagen on
a temporary file beside the target, which is fsynced and renamed into
place. A failure or Ctrl-C at any point leaves the previous file untouched.

Output defaults, chosen for a voice on earbuds:

========  ==========================================================
mp3       libmp3lame, CBR 96 kbit/s, mono, 44.1 kHz, LAME/Info tag with
          encoder delay and padding so players trim them (gapless). CBR
          rather than VBR: players seek in CBR by byte offset exactly,
          while VBR seeks through a 100-entry table that can land seconds
          off in a long session, which matters for chapter jumps.
          ID3v2.4 tags with CHAP/CTOC chapters.
m4a/m4b   AAC-LC 96 kbit/s (fast coder), ``ipod`` muxer, moov first
          (faststart), edit list trims the priming samples; chapters as a QuickTime chapter
          track and Nero ``chpl``; m4b is marked as an audiobook.
ogg       Vorbis quality 4 (about 64-80 kbit/s mono).
opus      Opus 64 kbit/s constrained VBR (unconstrained VBR doubled the
          size on tonal voices), resampled to 48 kHz (Opus's rate); pre-skip
          and granule positions keep the timing.
flac      FLAC level 5 (lossless, 16-bit).
wav       PCM 16-bit little-endian (no tags, no chapters).
========  ==========================================================

LAME decodes 0.45 dB quieter than its input at these bitrates; mp3 gets
that much gain first so every format decodes at the mix's level.

Decoded with ffmpeg, every format puts a click at the same sample as the
input (measured offset 0 samples) and has the input's exact length.

Outputs are byte-for-byte reproducible: ffmpeg runs with ``+bitexact``
(no version strings, fixed Ogg serial numbers, no creation time in MP4)
and ``-map_metadata -1``; mutagen writes fixed padding; Vorbis comment
vendor strings are replaced by ``cuecast``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from cuecast import limits, tags
from cuecast.atomic import TempFile, clean_stale_temps, os_error_text
from cuecast.blocks import Stream, Stretch, flat
from cuecast.errors import EncodeError, InputError
from cuecast.ffmpeg import FfmpegRun, as_pcm, encoder_args, stream
from cuecast.loudness import Loudness, parse_summary
from cuecast.pieces import PieceStore, Stats, write_pieced
from cuecast.pieces.mp3 import MIN_PIECED_SAMPLES
from cuecast.pieces.stretches import Recipes
from cuecast.script.model import Meta
from cuecast.timeline import Chapter

__all__ = [
    "FORMATS", "EncodeSettings", "PieceOptions", "dry_run", "encode", "encoder_input", "format_for",
    "pieced",
]

FORMATS = {"mp3", "m4a", "m4b", "ogg", "opus", "flac", "wav"}

DEFAULT_KBPS = {"mp3": 96, "m4a": 96, "m4b": 96, "opus": 64}
"""Bitrates used when ``EncodeSettings.bitrate_kbps`` is None (ogg uses q4)."""

MP3_LEVEL_TRIM_DB = 0.45
"""LAME's output decodes about 0.45 dB quieter than its input at 160 kbit/s
and below (measured on sine, speech-like and noise signals, with both of
ffmpeg's mp3 decoders); this much gain is added before it so the decoded
level matches the mix and loudness normalisation hits its target."""


@dataclass(frozen=True)
class EncodeSettings:
    """``fmt`` one of FORMATS; ``bitrate_kbps`` None for the format default;
    ``gain_db`` applied before encoding (the mix comes levelled and
    limited: ``loudness/``); ``measure`` measures the encoded stream as it is made
    (``ffmpeg.MEASURE_ENCODED``): ``encode`` gives that ``Loudness``."""

    fmt: str = "mp3"
    bitrate_kbps: int | None = None
    gain_db: float = 0.0
    measure: bool = False


def format_for(path: str, fmt: str | None) -> str:
    """The output format: ``fmt`` (from ``--format``) if given, else the
    extension of ``path``. InputError if neither names a known format, or
    if they disagree."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    valid = ", ".join(sorted(FORMATS))
    if fmt is not None:
        chosen = fmt.lower().lstrip(".")
        if chosen not in FORMATS:
            raise InputError(f"unknown output format {fmt!r}; expected one of {valid}")
        if ext in FORMATS and ext != chosen:
            raise InputError(
                f"output file {path} ends in .{ext} but the format asked for is {chosen}",
                hint="Change the file name or the --format option so they agree.",
            )
        return chosen
    if ext not in FORMATS:
        raise InputError(
            f"cannot tell the output format of {path}; use one of the extensions {valid}",
            hint="Or pass --format.",
        )
    return ext


def encode(
    blocks: Stream,
    out_path: str,
    settings: EncodeSettings,
    *,
    meta: Meta | None,
    chapters: Sequence[Chapter],
    total_samples: int,
    before_commit: Callable[[], None] | None = None,
    audio_out: Callable[[bytes], None] | None = None,
    accept: Callable[[Loudness, str], None] | None = None,
    pieces: PieceOptions | None = None,
) -> Loudness | None:
    """Stream ``blocks`` (float32 mono, 44100 Hz, ``total_samples`` in all)
    through ffmpeg into ``out_path``, tag it, and rename it into place.
    With ``settings.measure``, gives the encoded stream's loudness, which
    ``accept`` (given it and the encoded file, complete but not yet in
    place) may refuse by raising (then nothing is written).
    ``before_commit`` runs once the file is complete, just before that
    rename (``render`` renames the sidecars there: ``atomic.Batch``); if it
    raises, the file is not renamed. ``audio_out`` (mp3 only) gets the
    encoder's audio frames as it makes them: the finished file's audio
    exactly (it ends with them), for a listener who plays the session while
    it is made (``web/live.py``). MP3 is made of pieces (``pieced``;
    ``pieces`` says where they are kept and who encodes them): then
    ``audio_out`` is called as the pieces are joined, in order, and a
    ``blocks.Stretch`` of ``blocks`` whose pieces are known by its recipe
    is not mixed (``pieces/stretches.py``); other formats mix every one."""
    fmt = _check_settings(settings)
    cover = tags.read_cover(meta.cover) if meta is not None and meta.cover else None
    chapters = _clean_chapters(chapters, total_samples)
    folder = os.path.dirname(os.path.abspath(out_path))
    clean_stale_temps(folder)
    ext = os.path.splitext(out_path)[1] or f".{fmt}"
    with TempFile(out_path, ext) as tmp:
        chapters_file = None
        if chapters and fmt in ("m4a", "m4b"):
            chapters_file = tmp.sibling(".chapters.txt")
            _write_text(chapters_file, tags.ffmetadata(chapters))
        if pieced(settings, total_samples):
            measured = _encode_pieces(blocks, tmp.path, settings, total_samples, out_path,
                                      pieces, audio_out)
        else:
            text = _encode_whole(flat(blocks), tmp.path, settings, total_samples, out_path,
                                 chapters_file, audio_out)
            measured = parse_summary(text) if settings.measure else None
        if measured is not None and accept is not None:
            accept(measured, tmp.path)
        tags.write_tags(tmp.path, fmt, meta, chapters, cover)
        if before_commit is not None:
            before_commit()
        tmp.commit()
    return measured


@dataclass
class PieceOptions:
    """How an MP3 is made of pieces: the cache (default: the speech cache's
    folder), an executor for the pieces to encode (default: one thread per
    core), and what was done (``stats``, filled in)."""

    store: PieceStore | None = None
    executor: object | None = None
    """A ``concurrent.futures.Executor`` (a process pool, Dask's)."""
    stats: Stats | None = None
    recipes: Recipes | None = None
    """What stretches of the mix were cut into (default: this process's,
    ``pieces.stretches.RECIPES``, and the records beside the pieces)."""


def pieced(settings: EncodeSettings, total_samples: int) -> bool:
    """Whether this encode is made of pieces: MP3 longer than a few frames."""
    return settings.fmt.lower() == "mp3" and total_samples >= MIN_PIECED_SAMPLES


def _encode_whole(blocks: Iterable[np.ndarray], path: str, settings: EncodeSettings,
                  total_samples: int, out_path: str, chapters_file: str | None,
                  audio_out: Callable[[bytes], None] | None = None) -> str:
    """One ffmpeg for the whole track; its stderr (the loudness summary
    with ``settings.measure``)."""
    tap = audio_out is not None and settings.fmt.lower() == "mp3"
    args, gain_lin, clip = encoder_input(settings, path, chapters_file, tap=tap)
    loglevel = "info" if settings.measure else "warning"  # ebur128 prints at info
    with FfmpegRun(args, what=f"encoding {out_path}", loglevel=loglevel,
                   on_output=audio_out if tap else None) as run:
        written = stream(run, blocks, gain_lin, clip)
        text = run.finish()
    if written != total_samples:
        raise EncodeError(
            f"encoding {out_path}: the mix gave {written} samples, expected {total_samples}"
        )
    return text


def _encode_pieces(blocks: Stream, path: str, settings: EncodeSettings,
                   total_samples: int, out_path: str, options: PieceOptions | None,
                   audio_out: Callable[[bytes], None] | None = None) -> Loudness | None:
    """The MP3 of pieces (``pieces/``); with ``settings.measure`` its
    loudness as a player decodes it, put together from its pieces' levels
    (each measured once, when it was encoded)."""
    options = options or PieceOptions()
    _, gain_lin, clip = encoder_input(settings, path)
    kbps = settings.bitrate_kbps or DEFAULT_KBPS["mp3"]
    pcm = _as_pcm(blocks, gain_lin, clip)
    try:
        with open(path, "wb") as f:
            stats = write_pieced(pcm, f, kbps=kbps, total_samples=total_samples,
                                 store=options.store, executor=options.executor,  # type: ignore[arg-type]
                                 audio_out=audio_out, measure=settings.measure,
                                 recipes=options.recipes)
    except ValueError as exc:
        raise EncodeError(f"encoding {out_path}: {exc}") from exc
    except OSError as exc:
        raise EncodeError(f"cannot write {out_path}: {os_error_text(exc)}") from exc
    options.stats = stats
    return stats.loudness


def _as_pcm(blocks: Stream, gain_lin: float, clip: float) -> Iterator[np.ndarray | Stretch]:
    """The stream as the encoder gets it (``ffmpeg.as_pcm``), its stretches
    named with the gain and clip level too."""
    step = f"as_pcm {gain_lin!r} {clip!r}"
    named: dict[str, str] = {}  # each recipe named once (a stretch names those after it too)
    for block in blocks:
        if isinstance(block, Stretch):
            yield block.through(step, lambda b: as_pcm(b, gain_lin, clip), named)
        else:
            yield as_pcm(block, gain_lin, clip)


def dry_run(blocks: Stream, settings: EncodeSettings, total_samples: int,
            store: PieceStore | None = None) -> Stats:
    """The pieces an MP3 of ``blocks`` is made of, looked up in the cache,
    nothing encoded or written (``pipeline.missing_pieces``)."""
    _, gain_lin, clip = encoder_input(settings, "dry-run.mp3")
    kbps = settings.bitrate_kbps or DEFAULT_KBPS["mp3"]
    pcm = _as_pcm(blocks, gain_lin, clip)
    try:
        return write_pieced(pcm, io.BytesIO(), kbps=kbps, total_samples=total_samples,
                            store=store, encode_missing=False)
    except ValueError as exc:
        raise EncodeError(f"looking up the pieces: {exc}") from exc


def encoder_input(
    settings: EncodeSettings, out_path: str, chapters_file: str | None = None, *,
    tap: bool = False,
) -> tuple[list[str], float, float]:
    """How the mix goes into ffmpeg: its arguments (after the binary and the
    log options), the linear gain applied to each block and the clip level.
    ``encode`` and the benchmark's bare-ffmpeg floor both use this, so the
    floor always measures exactly the encoder cuecast runs."""
    fmt = _check_settings(settings)
    kbps = settings.bitrate_kbps or DEFAULT_KBPS.get(fmt)
    args = encoder_args(fmt, kbps, out_path, chapters_file=chapters_file,
                        tap=tap, measure=settings.measure)
    gain_lin = 10.0 ** ((settings.gain_db + _level_trim_db(fmt, settings)) / 20.0)
    return args, gain_lin, 1.0


def _check_settings(settings: EncodeSettings) -> str:
    fmt = settings.fmt.lower()
    if fmt not in FORMATS:
        raise InputError(
            f"unknown output format {settings.fmt!r}; expected one of {', '.join(sorted(FORMATS))}"
        )
    kbps = settings.bitrate_kbps
    if kbps is not None:
        if fmt in ("flac", "wav"):
            raise InputError(f"a bitrate does not apply to {fmt} (it is lossless)")
        problem = limits.BITRATE_KBPS.problem("bitrate", kbps)
        if problem:
            raise InputError(problem)
    if not math.isfinite(settings.gain_db) or abs(settings.gain_db) > 60:
        raise InputError(f"gain {settings.gain_db} dB is out of range; expected -60 to 60")
    return fmt


def _level_trim_db(fmt: str, settings: EncodeSettings) -> float:
    """Gain that makes up for a codec's level loss (see MP3_LEVEL_TRIM_DB)."""
    kbps = settings.bitrate_kbps or DEFAULT_KBPS.get(fmt, 0)
    return MP3_LEVEL_TRIM_DB if fmt == "mp3" and kbps <= 160 else 0.0


def _clean_chapters(chapters: Sequence[Chapter], total_samples: int) -> list[Chapter]:
    """Chapters in time order, clamped to the track."""
    out = []
    for ch in sorted(chapters, key=lambda c: (c.start, c.end)):
        start = min(max(ch.start, 0), total_samples)
        end = min(max(ch.end, start), total_samples)
        out.append(Chapter(ch.title, start, end))
    return out


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise EncodeError(f"cannot write {path}: {exc.strerror or exc}") from exc
