"""espeak-ng from several threads of one process (issue 20: a listener's
session stored 2.3 s shorter than its plan).

``cuecast serve`` plans and renders on threads; the first of them to
resolve a voice loads espeak-ng and lists its voices. Two at once crashed
the process (abort, segfault) or gave each thread a different voice table
(141 and 153 voices), so a session could be planned with one voice and
rendered with another. Each try is a fresh process: the library is loaded
once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys

TRIES = 3

PROGRAM = """
import json, threading
from cuecast.script.model import VoiceSpec
from cuecast.voices.pyttsx3_engine import Pyttsx3Engine

engine, seen, start = Pyttsx3Engine(), [], threading.Barrier(4)

def first_use():
    start.wait()
    voices = engine.voices()
    seen.append([len(voices), engine.resolve(VoiceSpec(), "en").name])

threads = [threading.Thread(target=first_use) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(OUT, "w") as f:
    json.dump(seen, f)
"""


def test_threads_loading_espeak_at_once_see_one_voice_table(tmp_path) -> None:
    for k in range(TRIES):
        out = tmp_path / f"seen-{k}.json"
        done = subprocess.run(
            [sys.executable, "-c", f"OUT = {str(out)!r}\n" + PROGRAM],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"try {k}: exit {done.returncode} {done.stderr[-400:]}"
        seen = json.loads(out.read_text())
        assert len(seen) == 4 and all(s == seen[0] for s in seen), seen
