"""Speech workers kept between renders (``voices.workers.KeptWorkers``),
as the listener page's server keeps them: one worker process speaks the
lines of one session after another, gives the clips a fresh worker gives,
is replaced when it crashed or was killed, and is stopped by ``close``."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

from cuecast.errors import EngineError
from cuecast.script.model import VoiceSpec
from cuecast.timeline import Utterance
from cuecast.voices.cache import Cache
from cuecast.voices.speaker import Speaker
from cuecast.voices.workers import KeptWorkers

pytestmark = pytest.mark.e2e  # real engine processes


def line(text: str) -> Utterance:
    return Utterance(text, VoiceSpec())


def speaker(kept: KeptWorkers | None, cache: Path, engine: str = "pyttsx3") -> Speaker:
    """A new speaker per "session", as every render makes its own."""
    return Speaker(engine, cache=Cache(cache), kept=kept)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_one_kept_worker_speaks_two_sessions_lines_as_fresh_workers_do(tmp_path: Path) -> None:
    kept = KeptWorkers(2)
    try:
        first = speaker(kept, tmp_path / "kept")
        first.prepare([line("61 seconds on each side")])
        assert kept.started == 1
        [pid] = kept.idle()
        second = speaker(kept, tmp_path / "kept")
        second.prepare([line("63 seconds on each side")])
        assert kept.started == 1 and kept.idle() == [pid]  # the same process spoke both
        kept_clips = [s.clip(line(t)) for s, t in ((first, "61 seconds on each side"),
                                                   (second, "63 seconds on each side"))]
    finally:
        kept.close()
    assert gone(pid) and kept.idle() == []
    fresh = speaker(None, tmp_path / "fresh")  # its own workers, started and stopped
    for text, clip in zip(("61 seconds on each side", "63 seconds on each side"), kept_clips,
                          strict=True):
        assert np.array_equal(fresh.clip(line(text)), clip)


def test_a_crashed_worker_is_a_clear_error_and_the_next_session_speaks(tmp_path: Path) -> None:
    kept = KeptWorkers(2)
    engine = "tests.fault_engines:CrashOnLine"
    try:
        speaker(kept, tmp_path, engine).prepare([line("Breathe in.")])
        [pid] = kept.idle()
        with pytest.raises(EngineError, match=r"stopped while speaking 'CRASH now'.*vocal tract"):
            speaker(kept, tmp_path, engine).prepare([line("CRASH now")])
        assert kept.idle() == [] and gone(pid)  # the dead one is not kept
        speaker(kept, tmp_path, engine).prepare([line("Breathe out.")])
        assert kept.started == 2 and len(kept.idle()) == 1
    finally:
        kept.close()


def test_a_worker_killed_while_it_waits_is_replaced(tmp_path: Path) -> None:
    kept = KeptWorkers(2)
    try:
        speaker(kept, tmp_path).prepare([line("Breathe in.")])
        [pid] = kept.idle()
        os.kill(pid, signal.SIGKILL)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
        s = speaker(kept, tmp_path)
        s.prepare([line("Breathe out.")])
        assert kept.started == 2 and kept.idle() != [pid]
        assert s.length(line("Breathe out.")) is not None
    finally:
        kept.close()


def test_no_more_than_most_are_kept_and_none_after_close(tmp_path: Path) -> None:
    kept = KeptWorkers(1)
    s = Speaker("pyttsx3", cache=Cache(tmp_path), kept=kept, jobs=2)
    s.prepare([line("One."), line("Two."), line("Three.")])  # two workers for three lines
    assert kept.started == 2 and len(kept.idle()) == 1
    kept.close()
    assert kept.idle() == []
    with pytest.raises(EngineError, match="stopped"):
        Speaker("pyttsx3", cache=Cache(tmp_path), kept=kept).prepare([line("Four.")])


def test_sessions_speaking_at_once_each_get_a_worker_and_at_most_most_are_kept(
        tmp_path: Path) -> None:
    import threading

    kept = KeptWorkers(1)
    both = threading.Barrier(3)
    errors: list[BaseException] = []
    texts = ["Breathe in.", "Breathe out.", "Rest now."]

    def session(text: str) -> None:
        try:
            s = speaker(kept, tmp_path)
            both.wait(10)
            s.prepare([line(text)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=session, args=(t,)) for t in texts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert 1 <= kept.started <= 3 and len(kept.idle()) == 1  # the others stopped
        cache = Cache(tmp_path)
        s = Speaker("pyttsx3", cache=cache)
        assert all(cache.length(s.job(line(t)).key) for t in texts)
    finally:
        kept.close()
