"""pieces/batch.py: many pieces encoded by one ffmpeg, then decoded and
measured, give each piece exactly the bytes and levels of encoding it
alone and decoding that alone, whatever else is in the batch; libmpg123
decodes as ffmpeg does; a failing batch is a clear error and leaves the
cache as it was. Real ffmpeg."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from cuecast import ffmpeg
from cuecast.errors import EncodeError
from cuecast.mp3frames import frame_spans
from cuecast.pieces import Cutter, PieceStore, meter
from cuecast.pieces.batch import BatchJob, PieceJob, can_spill, encode_batch, spill
from cuecast.pieces.meter import measure_piece
from cuecast.timeline import SAMPLE_RATE
from tests.audio_check import blocks_of
from tests.test_pieces import SlowPool, pieced_mp3, session_mix

pytestmark = pytest.mark.e2e  # real ffmpeg: left out of make test-fast


@pytest.fixture(scope="module")
def pieces() -> list[PieceJob]:
    """The sound pieces of a session (lines, a 30 s stretch cut by length,
    a bell; the last runs to the end and keeps the encoder's flush)."""
    mix = session_mix(bed=True)[: 50 * SAMPLE_RATE]  # a bed: no silent pieces, short encodes
    cutter = Cutter(mix.size)
    cut = [p for b in blocks_of(mix, SAMPLE_RATE) for p in cutter.feed(b)] + list(cutter.end())
    sound = [PieceJob(p.keep_first, p.frames, p.pcm) for p in cut if not p.silent]
    assert len(sound) >= 3 and sound[0].keep_first == 0 and sound[-1].keep_frames is None
    return sound


def solo(piece: PieceJob) -> tuple[bytes, object]:
    """The piece encoded alone (``ffmpeg.mp3_piece_args``, the arguments its
    cache key names) and measured alone (``meter.measure_piece``)."""
    exe = ffmpeg.ffmpeg_exe()
    proc = ffmpeg.run(ffmpeg.mp3_piece_args(96), input_bytes=piece.pcm, exe=exe)
    assert proc.returncode == 0
    spans = list(frame_spans(proc.stdout))
    stop = len(spans) if piece.keep_frames is None else piece.keep_first + piece.keep_frames
    kept = proc.stdout[spans[piece.keep_first][0] : spans[stop - 1][0] + spans[stop - 1][1]]
    return kept, measure_piece(proc.stdout, piece.keep_first, stop - piece.keep_first, exe)


@pytest.fixture(scope="module")
def alone(pieces) -> list[tuple[bytes, object]]:
    return [solo(p) for p in pieces]


def same(made, reference) -> None:
    frames, levels = made
    ref_frames, ref_levels = reference
    assert frames == ref_frames
    assert levels is not None
    assert np.array_equal(levels.energy, ref_levels.energy)
    assert np.array_equal(levels.peak, ref_levels.peak)


def test_a_batch_gives_each_piece_its_solo_bytes_and_levels(pieces, alone):
    made = encode_batch(BatchJob(tuple(pieces), 96, measure=True))
    assert len(made) == len(pieces)
    for got, ref in zip(made, alone, strict=True):
        same(got, ref)


def test_the_batch_composition_does_not_matter(pieces, alone):
    order = list(range(len(pieces)))[::-1]
    made = encode_batch(BatchJob(tuple(pieces[i] for i in order), 96, measure=True))
    for i, got in zip(order, made, strict=True):
        same(got, alone[i])
    for i, piece in enumerate(pieces):  # one by one
        (got,) = encode_batch(BatchJob((piece,), 96, measure=True))
        same(got, alone[i])


def test_unmeasured_pieces_have_the_same_bytes_and_no_levels(pieces, alone):
    made = encode_batch(BatchJob(tuple(pieces), 96))
    assert [m[0] for m in made] == [a[0] for a in alone]
    assert all(m[1] is None for m in made)


@pytest.mark.skipif(not can_spill(), reason="no memory files on this platform")
def test_spilled_samples_give_the_same(pieces, alone):
    fds = [spill(p.pcm) for p in pieces]
    try:
        spilled = [PieceJob(p.keep_first, p.keep_frames, pcm_fd=fd)
                   for p, fd in zip(pieces, fds, strict=True)]  # fmt: skip
        job = BatchJob(tuple(spilled), 96, measure=True)
        for got, ref in zip(encode_batch(job), alone, strict=True):
            same(got, ref)
    finally:
        for fd in fds:
            os.close(fd)


def failing_ffmpeg(tmp_path) -> str:
    """An ffmpeg that answers ``-version`` and fails at everything else."""
    real = ffmpeg.ffmpeg_exe()
    path = tmp_path / "ffmpeg"
    path.write_text(f'#!/bin/sh\ncase "$*" in *-version*) exec "{real}" "$@";; esac\n'
                    'echo "Conversion failed: broken on purpose" >&2\nexit 1\n')  # fmt: skip
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_a_failing_batch_is_a_clear_error(pieces, tmp_path):
    job = BatchJob(tuple(pieces[:2]), 96, ffmpeg_exe=failing_ffmpeg(tmp_path), measure=True)
    with pytest.raises(EncodeError, match="encoding pieces of the mp3: ffmpeg failed: "
                                          "Conversion failed: broken on purpose"):  # fmt: skip
        encode_batch(job)


def test_a_failing_batch_leaves_no_cache_entry(tmp_path, monkeypatch):
    store = PieceStore(tmp_path / "p")
    mix = session_mix()
    pieced_mp3(mix[: 5 * SAMPLE_RATE], store)  # the template and a first piece, made well
    before = sorted(p.name for p, _, _ in store.entries())
    monkeypatch.setenv("CUECAST_FFMPEG", failing_ffmpeg(tmp_path))  # same version: same keys
    with pytest.raises(EncodeError, match="encoding pieces of the mp3"):
        pieced_mp3(mix, store)
    assert sorted(p.name for p, _, _ in store.entries()) == before


def test_pieces_gather_into_batches_and_the_first_goes_alone(tmp_path):
    mix = np.concatenate([session_mix()] * 3)
    reference, made = pieced_mp3(mix, PieceStore(tmp_path / "a"))
    with SlowPool(0.3) as pool:
        data, stats = pieced_mp3(mix, PieceStore(tmp_path / "b"), executor=pool)
    assert data == reference  # batched however it came, the same bytes
    assert sum(pool.sizes) == stats.encoded == made.encoded
    assert pool.sizes[0] == 1  # a listener's first bytes are not held back
    assert max(pool.sizes) > 1 and len(pool.sizes) < stats.encoded  # fewer ffmpeg runs


def test_no_memory_files_left_is_a_clear_error(pieces, monkeypatch):
    import errno

    def refuse(name, flags=0):
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(os, "memfd_create", refuse, raising=False)
    monkeypatch.setattr("cuecast.pieces.batch.can_spill", lambda: True)
    with pytest.raises(EncodeError, match="encoding pieces of the mp3: .*Too many open files"):
        encode_batch(BatchJob(tuple(pieces[:1]), 96))
    with pytest.raises(EncodeError, match="Too many open files"):
        spill(b"\0" * 8)


def test_a_failure_while_measuring_is_not_hidden(pieces, monkeypatch):
    """An exception from the measuring (a bug) reaches the caller as it is,
    not as the memory files' cleanup's."""
    import cuecast.pieces.batch as batch

    def failing(samples, first, kept):
        view = samples[:]  # an array over the mapping, alive in the traceback
        raise ValueError(f"measuring failed over {view.size} samples")

    monkeypatch.setattr(batch, "piece_levels", failing)
    with pytest.raises(ValueError, match="measuring failed"):
        encode_batch(BatchJob(tuple(pieces[:1]), 96, measure=True))


def ffmpeg_decoded(encoded: bytes) -> np.ndarray:
    proc = ffmpeg.run(ffmpeg.decode_mp3_args(), input_bytes=encoded, exe=ffmpeg.ffmpeg_exe())
    assert proc.returncode == 0
    return np.frombuffer(proc.stdout, dtype="<f4")


def test_libmpg123_decodes_a_piece_as_ffmpeg_does(pieces):
    """``meter.decode`` (libmpg123 in this process) gives every sample
    ffmpeg's decoder gives, the decoder's delay and the padding too, each
    within 4e-6 of full scale; the levels within 1e-5 of the loudest frame's."""
    exe = ffmpeg.ffmpeg_exe()
    for piece in pieces:
        proc = ffmpeg.run(ffmpeg.mp3_piece_args(96), input_bytes=piece.pcm, exe=exe)
        ours, theirs = meter.decode(proc.stdout, exe), ffmpeg_decoded(proc.stdout)
        assert ours.dtype == np.float32 and ours.size == theirs.size
        assert np.max(np.abs(theirs)) > 0.05  # sound, and the two agree on it
        assert np.max(np.abs(ours - theirs)) < 4e-6
        kept = len(list(frame_spans(proc.stdout))) - piece.keep_first
        a = meter.piece_levels(ours, piece.keep_first, kept)
        b = meter.piece_levels(theirs, piece.keep_first, kept)
        assert np.max(np.abs(a.energy - b.energy)) < 1e-5 * b.energy.max()
        assert np.max(np.abs(a.peak - b.peak)) < 1e-5


def test_without_libsndfile_mp3_ffmpeg_decodes(pieces, alone, monkeypatch):
    """Where soundfile's libsndfile cannot decode MP3, ffmpeg decodes the
    pieces (a process each): the same bytes, levels within 1e-5."""
    monkeypatch.setattr(meter, "_soundfile", lambda: None)
    made = encode_batch(BatchJob(tuple(pieces[:2]), 96, measure=True))
    for (frames, levels), (ref_frames, ref_levels) in zip(made, alone, strict=False):
        assert frames == ref_frames and levels is not None
        assert np.max(np.abs(levels.energy - ref_levels.energy)) < 1e-5 * ref_levels.energy.max()


def test_a_piece_that_does_not_decode_is_a_clear_error():
    with pytest.raises(EncodeError, match="decoding a piece of the mp3 to measure it"):
        meter.decode(b"\xff\xfb not an mp3 at all" * 4, ffmpeg.ffmpeg_exe())
