"""pieces/: an MP3 made of pieces decodes like a single encode of the same
mix (level, length, the audio around every join), reuses cached pieces,
and survives kill -9 and two renders at once. Real ffmpeg, decoded.

The single encode compared with has the pieces' settings (CBR, the bit
reservoir off): the reservoir is a choice the pieces make, worth about
0.1 dB on speech and up to 0.75 dB on the noise bed below, the same in
any single encode without it; what is checked here is what cutting and
joining cost. Two single encodes of one mix that start a frame apart
differ by up to 1.5 dB in a 50 ms window of continuous sound (the
encoder's state), so the pieces cut where the sound is quietest: in a
pause of the voice (the windows there are silence) or, under a bed,
where only the bed plays."""

from __future__ import annotations

import concurrent.futures as cf
import io
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from cuecast import ffmpeg
from cuecast.encode import EncodeSettings, encode, encoder_input
from cuecast.mp3frames import FRAME_SAMPLES, frame_spans, read_info, skip_id3
from cuecast.pieces import Cutter, PieceStore, piece_key, write_pieced
from cuecast.pieces.mp3 import encoder_settings
from cuecast.pieces.store import MAGIC
from cuecast.timeline import SAMPLE_RATE
from tests.audio_check import blocks_of, decode

pytestmark = pytest.mark.e2e  # real ffmpeg: left out of make test-fast

SR = SAMPLE_RATE
WINDOW = SR // 20
"""50 ms: the windows around each join."""
SNR_TOLERANCE_DB = 0.3


def speechlike(seconds: float, seed: int) -> np.ndarray:
    """A voiced sound: harmonics of a gliding pitch with falling strength,
    a little breath noise, four syllables a second."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = 120 + 15 * seed + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 30))
    breath = 0.05 * np.convolve(rng.standard_normal(n), np.ones(4) / 4, mode="same")
    envelope = np.clip(np.sin(2 * np.pi * 2 * t + seed), 0, None) ** 2
    return (0.2 * envelope * (voiced + breath)).astype(np.float32)


def session_mix(*, bed: bool = False) -> np.ndarray:
    """Lines with silences between (some long), a bell-like tone, and a
    stretch of 30 s without a pause (cut by length, not by silence)."""
    parts = [np.zeros(1000, np.float32)]
    for i, (speech_s, silence_s) in enumerate([(3.1, 0.7), (2.2, 9.3), (30.0, 0.05),
                                               (4.4, 12.0), (1.7, 2.5)]):
        parts += [speechlike(speech_s, i), np.zeros(int(silence_s * SR), np.float32)]
    t = np.arange(2 * SR) / SR
    parts.append((0.3 * np.sin(2 * np.pi * 880 * t) * np.exp(-2 * t)).astype(np.float32))
    parts.append(np.zeros(777, np.float32))
    mix = np.concatenate(parts)
    if bed:
        rng = np.random.default_rng(99)
        mix = mix + (0.02 * np.convolve(rng.standard_normal(mix.size), np.ones(30) / 30,
                                        mode="same")).astype(np.float32)  # fmt: skip
    return mix


def pieced_mp3(mix: np.ndarray, store: PieceStore, **kw) -> tuple[bytes, object]:
    _, gain, clip = encoder_input(EncodeSettings("mp3"), "x.mp3")
    pcm = [ffmpeg.as_pcm(b, gain, clip) for b in blocks_of(mix, SR)]
    f = io.BytesIO()
    stats = write_pieced(pcm, f, kbps=96, total_samples=mix.size, store=store, **kw)
    return f.getvalue(), stats


def single_mp3(mix: np.ndarray, tmp_path) -> np.ndarray:
    """One ffmpeg encoding the whole mix with the pieces' settings (CBR, the
    bit reservoir off), decoded: what the pieces must match."""
    _, gain, clip = encoder_input(EncodeSettings("mp3"), "x.mp3")
    pcm = ffmpeg.as_pcm(mix, gain, clip).tobytes()
    proc = ffmpeg.run(ffmpeg.mp3_piece_args(96), input_bytes=pcm)
    assert proc.returncode == 0
    path = tmp_path / "single.mp3"
    path.write_bytes(proc.stdout)
    return decode(str(path))[1105 : 1105 + mix.size]  # no Info frame: trim by hand


def decoded(data: bytes, tmp_path, name: str) -> np.ndarray:
    path = tmp_path / name
    path.write_bytes(data)
    return decode(str(path))


def snr_db(ref: np.ndarray, x: np.ndarray) -> float:
    ref64, x64 = ref.astype(np.float64), x.astype(np.float64)
    return float(10 * np.log10(np.sum(ref64**2) / max(np.sum((ref64 - x64) ** 2), 1e-30)))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def join_samples(mix: np.ndarray) -> list[int]:
    """Track samples where one piece's frames end and the next's begin."""
    cutter = Cutter(mix.size)
    pieces = [p for b in blocks_of(mix, SR) for p in cutter.feed(b)] + list(cutter.end())
    return [p.first * FRAME_SAMPLES - 1105 for p in pieces[1:]]


@pytest.fixture
def store(tmp_path) -> PieceStore:
    return PieceStore(tmp_path / "pieces")


def around_joins(mix: np.ndarray, joined: np.ndarray, one: np.ndarray) -> int:
    """Check the 50 ms around every join; gives how many held sound."""
    windows = 0
    for at in join_samples(mix):
        w = slice(max(0, at - WINDOW // 2), at + WINDOW // 2)
        if np.sum(mix[w].astype(np.float64) ** 2) < 1e-9:
            # a join in silence: no more codec noise there than a single encode leaves
            assert _rms(joined[w]) <= max(1.035 * _rms(one[w]), 1e-3), at
            continue
        windows += 1
        assert snr_db(mix[w], joined[w]) >= snr_db(mix[w], one[w]) - SNR_TOLERANCE_DB, at
    return windows


@pytest.mark.parametrize("bed", [False, True], ids=["voice", "bed"])
def test_a_pieced_mp3_decodes_like_a_single_encode(tmp_path, store, bed):
    mix = session_mix(bed=bed)
    data, stats = pieced_mp3(mix, store)
    assert stats.encoded >= 4  # cut at silences and by length
    one = single_mp3(mix, tmp_path)
    joined = decoded(data, tmp_path, "joined.mp3")
    assert joined.size == one.size == mix.size  # gapless: delay and padding trimmed
    assert abs(snr_db(mix, joined) - snr_db(mix, one)) <= SNR_TOLERANCE_DB
    windows = around_joins(mix, joined, one)
    assert windows == 0 if not bed else windows >= 3  # voice alone: cut where it is silent


def test_the_info_frame_counts_the_frames_and_checks_out(store):
    mix = session_mix()
    data, stats = pieced_mp3(mix, store)
    info = read_info(data)
    first = skip_id3(data)
    spans = list(frame_spans(data, first))
    assert info.frames == len(spans) - 1 == stats.frames
    assert info.size == info.music_length == len(data) - first
    assert info.delay == 576
    assert info.frames * FRAME_SAMPLES - 576 - info.padding == mix.size
    assert info.tag_crc_ok
    from cuecast.mp3frames import crc16

    assert info.music_crc == crc16(data[first + spans[0][1] :])


def test_a_single_encode_has_as_many_frames(tmp_path, store):
    mix = session_mix()
    data, _ = pieced_mp3(mix, store)
    from cuecast.encode import _encode_whole

    path = str(tmp_path / "single.mp3")
    _encode_whole(blocks_of(mix, SR), path, EncodeSettings("mp3"), mix.size, path, None)
    assert read_info(data).frames == read_info((tmp_path / "single.mp3").read_bytes()).frames


def test_the_same_mix_gives_the_same_bytes_from_the_cache(store):
    mix = session_mix()
    first, made = pieced_mp3(mix, store)
    again, reused = pieced_mp3(mix, store)
    assert again == first
    assert made.encoded > 0 and reused.encoded == 0 and reused.cached == made.encoded


def test_a_change_reencodes_only_the_pieces_it_touches(store):
    mix = session_mix()
    _, made = pieced_mp3(mix, store)
    changed = mix.copy()
    changed[int(20 * SR) : int(20 * SR) + 100] += 0.1  # inside the 30 s stretch
    _, stats = pieced_mp3(changed, store)
    assert made.encoded >= 4 and stats.encoded == 1 and stats.cached == made.encoded - 1


def holds_mix(holds: int, line_seed: int = 20) -> np.ndarray:
    """``holds`` x (a line, different each time, its 0.5 s gap, then a hold on
    the frame grid: a bell at its start, a word 8 s in, three words on its
    last seconds, the same samples in every hold)."""
    t = np.arange(2 * SR) / SR
    bell = (0.3 * np.sin(2 * np.pi * 880 * t) * np.exp(-2 * t)).astype(np.float32)
    hold = np.zeros(20 * SR, np.float32)
    hold[: bell.size] += bell
    for at_s, seed in ((8.0, 7), (17.0, 8), (18.0, 9), (19.0, 10)):
        word = speechlike(0.4, seed)
        hold[int(at_s * SR) : int(at_s * SR) + word.size] += word
    parts: list[np.ndarray] = []
    at = 0
    for i in range(holds):
        voice = speechlike(1.0 + 0.37 * i, line_seed + i)
        line = np.concatenate([voice, np.zeros(SR // 2, np.float32)])
        grid = -(-(at + line.size) // FRAME_SAMPLES) * FRAME_SAMPLES
        parts += [line, np.zeros(grid - at - line.size, np.float32), hold]
        at = grid + hold.size
    return np.concatenate([*parts, np.zeros(SR, np.float32)])


class SlowPool(cf.ThreadPoolExecutor):
    """One thread that takes its time over each batch (a busy machine), so
    pieces are looked up, or gather, while a batch is in flight; notes how
    many pieces each batch it is given holds."""

    def __init__(self, delay_s: float = 0.2) -> None:
        super().__init__(1)
        self.delay_s = delay_s
        self.sizes: list[int] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        self.sizes.append(len(args[0].pieces))

        def slowly():
            time.sleep(self.delay_s)
            return fn(*args, **kwargs)

        return super().submit(slowly)


def test_a_piece_repeated_in_one_render_is_encoded_once(tmp_path):
    """The same hold six times (its pieces the same samples at the same grid
    phase): each distinct piece goes to ffmpeg once, even when its other
    places are looked up while it is still being encoded; the same bytes."""
    mix = holds_mix(6)
    cutter = Cutter(mix.size)
    _, gain, clip = encoder_input(EncodeSettings("mp3"), "x.mp3")
    pcm = [ffmpeg.as_pcm(b, gain, clip) for b in blocks_of(mix, SR)]
    cut = [p for b in pcm for p in cutter.feed(b)] + list(cutter.end())
    settings = encoder_settings(96, ffmpeg.ffmpeg_exe())
    keys = [piece_key(p, settings) for p in cut if not p.silent]
    assert len(set(keys)) < len(keys) - 10  # the holds' pieces repeat
    with SlowPool() as pool:
        data, stats = pieced_mp3(mix, PieceStore(tmp_path / "a"), executor=pool)
    assert sum(pool.sizes) == stats.encoded == len(set(keys))  # each distinct piece once
    assert stats.repeated > 0  # some were in flight when met again
    assert stats.encoded + stats.repeated + stats.cached == len(keys)
    reference, made = pieced_mp3(mix, PieceStore(tmp_path / "b"))
    assert data == reference
    decoded_ = decoded(data, tmp_path, "holds.mp3")
    assert decoded_.size == mix.size


def test_a_bed_reuses_the_pieces_before_the_first_change(store):
    mix = session_mix(bed=True)
    _, made = pieced_mp3(mix, store)
    assert made.silent == 0  # no silence under a bed
    changed = mix.copy()
    at = mix.size - 3 * SR
    changed[at : at + 50] += 0.1
    _, stats = pieced_mp3(changed, store)
    assert stats.encoded == 1 and stats.cached == made.encoded - 1


def test_a_bad_entry_is_a_miss_and_is_rewritten(store):
    mix = session_mix()
    first, _ = pieced_mp3(mix, store)
    entries = sorted(p for p, _, _ in store.entries())
    victim = next(p for p in entries if p.stat().st_size > 1000)
    victim.write_bytes(victim.read_bytes()[:-7])  # cut short, as by a power cut
    other = next(p for p in entries if p != victim and p.stat().st_size > 1000)
    raw = bytearray(other.read_bytes())
    raw[-1] ^= 0xFF  # a flipped bit
    other.write_bytes(bytes(raw))
    again, stats = pieced_mp3(mix, store)
    assert again == first
    assert stats.encoded == 2
    assert victim.read_bytes().startswith(MAGIC)


def test_the_cache_keeps_to_its_budget(store, monkeypatch):
    mix = session_mix()
    pieced_mp3(mix, store)
    count, size, _ = store.info()
    assert count > 3
    removed = store.trim(budget=size // 2)
    assert removed > 0 and store.info()[1] <= size // 2
    monkeypatch.setenv("CUECAST_PIECE_CACHE_MB", "0")
    pieced_mp3(mix, store)  # every render trims: nothing stays
    assert store.info()[0] == 0


def test_a_process_pool_gives_the_same_bytes_and_loudness(store, tmp_path):
    """Pieces encoded, decoded and measured in other processes (what a
    process pool or Dask does): the same bytes and the same reading."""
    import concurrent.futures as cf
    import multiprocessing

    mix = session_mix()
    threads, here = pieced_mp3(mix, PieceStore(tmp_path / "a"), measure=True)
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        processes, there = pieced_mp3(mix, PieceStore(tmp_path / "b"), executor=pool,
                                      measure=True)  # fmt: skip
    assert processes == threads
    assert there.loudness == here.loudness and here.loudness is not None


KILLED = textwrap.dedent("""
    import sys, numpy as np
    sys.path.insert(0, {root!r})
    from tests.test_pieces import session_mix
    from cuecast.encode import EncodeSettings, encode
    mix = np.concatenate([session_mix()] * 3)
    def blocks():
        for i in range(0, mix.size, 44100):
            yield mix[i : i + 44100]
    encode(blocks(), sys.argv[1], EncodeSettings("mp3"), meta=None, chapters=[],
           total_samples=mix.size)
""")


def test_kill_9_leaves_no_half_file_and_no_bad_entry(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "CUECAST_CACHE_DIR": str(tmp_path / "cache")}
    out = tmp_path / "out" / "track.mp3"
    out.parent.mkdir()
    script = KILLED.format(root=root)
    proc = subprocess.Popen([sys.executable, "-c", script, str(out)], env=env)
    store = PieceStore(tmp_path / "cache" / "pieces")
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and store.info()[0] < 3 and proc.poll() is None:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    assert not out.exists()
    for path, _, _ in store.entries():
        data = path.read_bytes()
        assert data.startswith(MAGIC)
        assert store.load(path.stem) is not None, path  # every entry checks out
    # a second render finishes and reuses what the first left
    done = subprocess.run([sys.executable, "-c", script, str(out)], env=env, timeout=300)
    assert done.returncode == 0 and out.exists()
    assert [p.name for p in out.parent.iterdir()] == ["track.mp3"]  # no temporary left


def test_two_renders_sharing_pieces_at_once_are_both_right(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "CUECAST_CACHE_DIR": str(tmp_path / "cache")}
    script = KILLED.format(root=root)
    outs = [tmp_path / f"{n}.mp3" for n in "ab"]
    procs = [subprocess.Popen([sys.executable, "-c", script, str(o)], env=env) for o in outs]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    reference = tmp_path / "ref.mp3"
    alone = {**env, "CUECAST_CACHE_DIR": str(tmp_path / "fresh")}
    assert subprocess.run([sys.executable, "-c", script, str(reference)], env=alone,
                          timeout=300).returncode == 0  # fmt: skip
    assert outs[0].read_bytes() == outs[1].read_bytes() == reference.read_bytes()


def test_encode_makes_mp3_of_pieces_and_tags_it(tmp_path):
    from cuecast.encode import PieceOptions
    from cuecast.script.model import Meta
    from cuecast.timeline import Chapter

    mix = session_mix()
    options = PieceOptions(store=PieceStore(tmp_path / "p"))
    out = tmp_path / "t.mp3"
    encode(blocks_of(mix, SR), str(out), EncodeSettings("mp3"), meta=Meta(title="Pieces"),
           chapters=[Chapter("One", 0, SR), Chapter("Two", SR, mix.size)],
           total_samples=mix.size, pieces=options)  # fmt: skip
    assert options.stats is not None and options.stats.encoded > 1
    import mutagen

    tags = mutagen.File(str(out)).tags
    assert str(tags["TIT2"]) == "Pieces" and len(tags.getall("CHAP")) == 2
    assert decode(str(out)).size == mix.size


SCRIPT = """title: Pieces
steps:
  - say: Settle in.
  - hold: {hold}
    release: And release.
  - say: Now the other side.
  - hold: 12s
  - say: Well done.
"""


def _script(tmp_path, hold: str):
    path = tmp_path / f"s-{hold}.yaml"
    path.write_text(SCRIPT.format(hold=hold), encoding="utf-8")
    return path


def test_a_listener_changing_a_hold_reuses_what_follows(tmp_path, monkeypatch):
    from cuecast.encode import PieceOptions
    from cuecast.pipeline import Options, missing_pieces, render
    from cuecast.units import GRID_SAMPLES

    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path / "cache"))
    # loudness off: in a track this short a 7 s longer hold moves the
    # loudness by 0.25 dB, so the gain and every sample would change
    options = Options(engine="pyttsx3", loudness_lufs=None)
    first = PieceOptions()
    render(_script(tmp_path, "20s"), tmp_path / "a.mp3", options, pieces=first)
    changed = _script(tmp_path, "27.3s")
    before = missing_pieces(changed, options)
    assert before is not None and before.missing and before.cached
    second = PieceOptions()
    result = render(changed, tmp_path / "b.mp3", options, pieces=second)
    assert second.stats is not None and first.stats is not None
    assert second.stats.encoded == len(before.missing)  # what the dry run said
    assert second.stats.cached >= 2  # the second side's pieces, moved by whole frames
    assert missing_pieces(changed, options).missing == []  # now all cached
    (side,) = [e for e in result.timeline.events if e.text == "Now the other side."]
    assert side.start % GRID_SAMPLES == 0
    assert decode(str(tmp_path / "b.mp3")).size == result.timeline.length


@pytest.mark.parametrize("bed", [False, True], ids=["voice", "bed"])
def test_the_pieces_measure_the_track_as_ebur128_does(tmp_path, store, bed):
    from cuecast.loudness import parse_summary

    mix = session_mix(bed=bed)
    data, stats = pieced_mp3(mix, store, measure=True)
    path = tmp_path / "t.mp3"
    path.write_bytes(data)
    proc = ffmpeg.run(["-i", str(path), "-af", "ebur128=peak=true:framelog=quiet", "-f", "null",
                       "-"], loglevel="info")  # fmt: skip
    reference = parse_summary(proc.stderr.decode())
    assert stats.loudness is not None
    assert abs(stats.loudness.integrated_lufs - reference.integrated_lufs) <= 0.2
    assert abs(stats.loudness.true_peak_dbtp - reference.true_peak_dbtp) <= 0.3
    _, again = pieced_mp3(mix, store, measure=True)  # from the cache: nothing decoded
    assert again.encoded == 0 and again.loudness == stats.loudness
