"""voices/forked.py: one line spoken in a forked child, its bytes back
through a pipe (the protocol espeak-ng's and Pico's engines share)."""

from __future__ import annotations

import os
import threading

import pytest

from cuecast.errors import EngineError
from cuecast.voices.forked import FORKS, speak_forked

pytestmark = pytest.mark.skipif(not FORKS, reason="no fork on this system")


def test_the_bytes_come_back_and_the_childs_state_stays_in_the_child():
    spoken: list[str] = []

    def speak() -> bytes:
        spoken.append("line")  # state a library would carry to the next line
        return bytes(range(256)) * 1000 + str(os.getpid()).encode()

    data = speak_forked(speak, "test", "Hello.")
    assert data[:256_000] == bytes(range(256)) * 1000
    assert int(data[256_000:]) != os.getpid()  # spoken by another process
    assert spoken == []  # ... whose state never came back: every line starts the same


def test_nothing_spoken_is_nothing_returned():
    assert speak_forked(lambda: b"", "test", "") == b""


def test_an_error_in_the_child_is_an_engine_error_naming_the_line():
    def speak() -> bytes:
        raise RuntimeError("no voice data")

    with pytest.raises(EngineError) as caught:
        speak_forked(speak, "espeak-ng", "Breathe in. " * 10)
    assert caught.value.message == (
        f"espeak-ng failed to speak {('Breathe in. ' * 10)[:60]!r}: no voice data")

    def engine_error() -> bytes:
        raise EngineError("could not load voice 'xx'")

    with pytest.raises(EngineError, match=r"^pico failed to speak 'Hi.': could not load voice"):
        speak_forked(engine_error, "pico", "Hi.")


def test_a_child_that_dies_without_answering_is_stopped():
    def speak() -> bytes:
        os._exit(3)

    with pytest.raises(EngineError, match=r"^pico stopped while speaking 'Hi.' \(status 768\)"):
        speak_forked(speak, "pico", "Hi.")


def test_quiet_sends_the_childs_chatter_away(capfd):
    def speak() -> bytes:
        os.write(1, b"chatter on stdout\n")
        os.write(2, b"chatter on stderr\n")
        return b"ok"

    assert speak_forked(speak, "test", "x", quiet=True) == b"ok"
    assert capfd.readouterr() == ("", "")
    assert speak_forked(speak, "test", "x") == b"ok"
    assert "chatter on stdout" in capfd.readouterr().out


def test_the_lock_is_held_while_forking_and_free_after():
    lock = threading.RLock()
    held: list[bool] = []

    class Watch:
        def __enter__(self) -> None:
            lock.acquire()
            held.append(True)

        def __exit__(self, *exc: object) -> None:
            lock.release()
            held.append(False)

    assert speak_forked(lambda: b"x", "test", "x", lock=Watch()) == b"x"
    assert held == [True, False]
    assert lock.acquire(blocking=False)
