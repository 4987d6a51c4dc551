"""pieces/: renders of one process at once (the page's listeners) share the
pieces they both need while one of them is encoding it (``IN_FLIGHT``):
each shared piece is encoded once, both files are the bytes of rendering
alone, and a first render that fails or is cancelled leaves the second to
encode the piece itself (no hang, no wrong piece). Real ffmpeg; counts,
not times."""

from __future__ import annotations

import concurrent.futures as cf
import io
import threading

import numpy as np
import pytest

from cuecast import ffmpeg
from cuecast.encode import EncodeSettings, encoder_input
from cuecast.errors import EncodeError
from cuecast.pieces import Cutter, PieceStore, mp3, piece_key, write_pieced
from cuecast.pieces.mp3 import encoder_settings
from cuecast.timeline import SAMPLE_RATE
from tests.audio_check import blocks_of
from tests.test_pieces import holds_mix

pytestmark = pytest.mark.e2e  # real ffmpeg: left out of make test-fast

SR = SAMPLE_RATE
WAIT_S = 120
"""Only so that a hang fails the test instead of the run: not a measure."""


class GatedPool(cf.ThreadPoolExecutor):
    """Holds every batch (a pending future: it can be cancelled) until
    ``open``; counts the pieces of the batches it runs; those held at
    ``fail_held`` raise as a broken encoder would."""

    def __init__(self) -> None:
        super().__init__(4)
        self.held: list[tuple[cf.Future, object, tuple]] = []
        self.submitted = 0
        self.ran = 0
        self.failing: set[int] = set()
        self.gate = threading.Event()
        self.lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        outer: cf.Future = cf.Future()
        with self.lock:
            self.submitted += len(args[0].pieces)
            if not self.gate.is_set():
                self.held.append((outer, fn, args))
                return outer
        self._run(outer, fn, args)
        return outer

    def open(self) -> None:
        with self.lock:
            self.gate.set()
            held, self.held = self.held, []
        for outer, fn, args in held:
            self._run(outer, fn, args)

    def fail_held(self) -> None:
        with self.lock:
            self.failing |= {id(outer) for outer, _, _ in self.held}

    def _run(self, outer: cf.Future, fn, args) -> None:
        if not outer.set_running_or_notify_cancel():
            return  # cancelled while held

        def work() -> None:
            with self.lock:
                fail = id(outer) in self.failing
                self.ran += 0 if fail else len(args[0].pieces)
            try:
                if fail:
                    raise EncodeError("encoding pieces of the mp3 failed (test)")
                outer.set_result(fn(*args))
            except BaseException as e:  # noqa: BLE001 - handed to the render
                outer.set_exception(e)

        super().submit(work)


class CountedInFlight(mp3.InFlight):
    """Notes each look-up by thread and whether another render had it."""

    def __init__(self) -> None:
        super().__init__()
        self.finds: dict[int, list[bool]] = {}

    def find(self, key, measure):  # type: ignore[no-untyped-def]
        found = super().find(key, measure)
        self.finds.setdefault(threading.get_ident(), []).append(found is not None)
        return found


def pcm_of(mix: np.ndarray) -> list[np.ndarray]:
    _, gain, clip = encoder_input(EncodeSettings("mp3"), "x.mp3")
    return [ffmpeg.as_pcm(b, gain, clip) for b in blocks_of(mix, SR)]


def keys_of(mix: np.ndarray) -> set[str]:
    cutter = Cutter(mix.size)
    cut = [p for b in pcm_of(mix) for p in cutter.feed(b)] + list(cutter.end())
    settings = encoder_settings(96, ffmpeg.ffmpeg_exe())
    return {piece_key(p, settings) for p in cut if not p.silent}


def render(blocks, total: int, store: PieceStore, out: dict, name: str, **kw) -> None:
    f = io.BytesIO()
    try:
        out[name] = (write_pieced(blocks, f, kbps=96, total_samples=total, store=store,
                                  measure=True, **kw), f.getvalue())  # fmt: skip
    except BaseException as e:  # noqa: BLE001 - the test looks at it
        out[name] = e


def renderer(blocks, total: int, tmp_path, out: dict, name: str,
             pool: cf.Executor) -> threading.Thread:  # fmt: skip
    """A render in a thread of its own, with its own cache, on ``pool``."""
    store = PieceStore(tmp_path / name)
    return threading.Thread(target=render, args=(blocks, total, store, out, name),
                            kwargs={"executor": pool})  # fmt: skip


def alone(mix: np.ndarray, tmp_path, name: str) -> tuple[mp3.Stats, bytes]:
    """The render of ``mix`` by itself (its own cache, nothing else running)."""
    out: dict = {}
    render(pcm_of(mix), mix.size, PieceStore(tmp_path / f"alone-{name}"), out, name)
    return out[name]


def two_renders(first: np.ndarray, second: np.ndarray, tmp_path, pool: cf.Executor,
                first_blocks=None) -> tuple[dict, threading.Thread, threading.Thread]:  # fmt: skip
    """Render ``a`` of ``first`` (from ``first_blocks`` if given) and render
    ``b`` of ``second``, each in its thread on ``pool``, not started; what
    they give lands in the dict."""
    out: dict = {}
    blocks = pcm_of(first) if first_blocks is None else first_blocks
    a = renderer(blocks, first.size, tmp_path, out, "a", pool)
    b = renderer(pcm_of(second), second.size, tmp_path, out, "b", pool)
    return out, a, b


def second_looked_up(b: threading.Thread, keys_b: set[str], in_flight: CountedInFlight) -> None:
    """Wait until render ``b`` has looked up every piece of its own."""
    wait_for(lambda: len(in_flight.finds.get(b.ident, ())) == len(keys_b),
             "the second render's look-ups")  # fmt: skip


def wait_for(condition, what: str) -> None:
    done = threading.Event()
    for _ in range(WAIT_S * 20):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError(f"waited in vain for {what}")


@pytest.fixture
def in_flight(monkeypatch) -> CountedInFlight:
    counted = CountedInFlight()
    monkeypatch.setattr(mp3, "IN_FLIGHT", counted)
    return counted


def test_two_renders_at_once_encode_each_shared_piece_once(tmp_path, in_flight):
    """The second render meets the holds' pieces while the first's batches
    are all out and none is done: it waits for them, encodes only its own
    lines; both files are the bytes of rendering alone."""
    first, second = holds_mix(2), holds_mix(2, line_seed=40)
    keys_a, keys_b = keys_of(first), keys_of(second)
    assert keys_a & keys_b and keys_b - keys_a  # they share the holds, not the lines
    pool = GatedPool()
    out, a, b = two_renders(first, second, tmp_path, pool)
    with pool:
        a.start()
        wait_for(lambda: pool.submitted == len(keys_a), "the first render's batches out")
        b.start()
        second_looked_up(b, keys_b, in_flight)
        pool.open()
        a.join(WAIT_S), b.join(WAIT_S)
    assert not a.is_alive() and not b.is_alive()
    (stats_a, data_a), (stats_b, data_b) = out["a"], out["b"]
    assert pool.ran == pool.submitted == len(keys_a | keys_b)  # each piece once
    assert stats_a.encoded == len(keys_a) and stats_a.shared == 0
    assert stats_b.shared == len(keys_a & keys_b) and stats_b.encoded == len(keys_b - keys_a)
    (_, reference_a), (reference_stats, reference_b) = alone(first, tmp_path, "a"), alone(
        second, tmp_path, "b")  # fmt: skip
    assert data_a == reference_a and data_b == reference_b
    assert stats_b.loudness == reference_stats.loudness  # the levels shared too
    assert len(in_flight) == 0  # nothing kept once done


def test_a_first_render_whose_encoder_fails_leaves_the_second_to_encode(tmp_path, in_flight):
    """The first render's batches raise: it fails with the encoder's error;
    the second, waiting for the same pieces, encodes them itself: right bytes."""
    first, second = holds_mix(2), holds_mix(2, line_seed=40)
    keys_a, keys_b = keys_of(first), keys_of(second)
    pool = GatedPool()
    out, a, b = two_renders(first, second, tmp_path, pool)
    with pool:
        a.start()
        wait_for(lambda: pool.submitted == len(keys_a), "the first render's batches out")
        pool.fail_held()  # the first render's batches will fail, the second's run
        b.start()
        second_looked_up(b, keys_b, in_flight)
        pool.open()
        a.join(WAIT_S), b.join(WAIT_S)
    assert not a.is_alive() and not b.is_alive()
    assert isinstance(out["a"], EncodeError)
    assert sum(in_flight.finds[b.ident]) == len(keys_a & keys_b)  # it did wait for them
    stats_b, data_b = out["b"]
    assert stats_b.shared == 0 and stats_b.encoded == len(keys_b)
    assert data_b == alone(second, tmp_path, "b")[1]
    assert len(in_flight) == 0


def test_a_cancelled_first_render_leaves_the_second_to_encode(tmp_path, in_flight):
    """The first render stops (its mix fails) while its batches wait: they
    are cancelled; the second, waiting for them, encodes the pieces itself."""
    first, second = holds_mix(4), holds_mix(2, line_seed=40)
    keys_b = keys_of(second)
    pool = GatedPool()
    looked = threading.Event()

    def failing_mix():
        yield from pcm_of(first)
        looked.wait(WAIT_S)
        raise RuntimeError("the mix failed")

    out, a, b = two_renders(first, second, tmp_path, pool, failing_mix())
    with pool:
        a.start()
        wait_for(lambda: any(mp3.InFlight.find(in_flight, k, True) for k in keys_b),
                 "a batch of the first render's holds out")  # fmt: skip
        b.start()
        second_looked_up(b, keys_b, in_flight)
        looked.set()
        a.join(WAIT_S)  # cancelled its batches, still held
        pool.open()
        b.join(WAIT_S)
    assert not a.is_alive() and not b.is_alive()
    assert isinstance(out["a"], RuntimeError)
    assert sum(in_flight.finds[b.ident]) > 0  # it did wait for some
    stats_b, data_b = out["b"]
    assert stats_b.shared == 0 and stats_b.encoded == len(keys_b)
    assert data_b == alone(second, tmp_path, "b")[1]
    assert len(in_flight) == 0
