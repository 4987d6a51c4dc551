"""Speech engines that misbehave on purpose, loaded by name
(``--engine tests.fault_engines:HangOnLine``) in worker processes.

Each speaks like the real default engine except on a line holding the
word ``HANG``, ``FAIL`` or ``CRASH``.
"""

from __future__ import annotations

import os
import time

from cuecast.script.model import VoiceSpec
from cuecast.voices.base import Synthesis
from cuecast.voices.registry import get_engine


class _Faulty:
    name = "faulty"
    trigger = "NEVER"

    def version(self) -> str:
        return f"{type(self).__name__} 1"

    def resolve(self, voice: VoiceSpec, language: str) -> VoiceSpec:
        return VoiceSpec(engine=self.name, name="x", rate_wpm=150.0, pitch=50.0, volume=1.0)

    def synthesize(self, text: str, voice: VoiceSpec) -> Synthesis:
        if self.trigger in text:
            self.misbehave(text)
        real = get_engine("pyttsx3")
        return real.synthesize(text, real.resolve(VoiceSpec(), "en"))

    def misbehave(self, text: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def voices(self) -> list:
        return []


class HangOnLine(_Faulty):
    """Never returns from a line holding HANG."""

    trigger = "HANG"

    def misbehave(self, text: str) -> None:
        time.sleep(3600)


class FailOnLine(_Faulty):
    """Raises on a line holding FAIL."""

    trigger = "FAIL"

    def misbehave(self, text: str) -> None:
        raise RuntimeError("the synthesiser broke")


class CrashOnLine(_Faulty):
    """Kills its own process on a line holding CRASH (a segfaulting engine)."""

    trigger = "CRASH"

    def misbehave(self, text: str) -> None:
        print("engine: fatal error in the vocal tract")
        os._exit(139)
