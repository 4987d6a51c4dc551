"""How fast ``cuecast edit`` answers as you type, against ``cuecast plan``'s own work.

    .venv/bin/python benchmarks/edit_check.py [--engine pyttsx3] [--repeat 5]

On a copy of scripts/ with an empty speech cache (its own, removed after),
it times, in one process:

- baseline: ``prepare`` of the seed from its file, what ``cuecast plan``
  does once its process is up (cold: every line made; warm: the cache full);
- the editor's live check of the same text (``edit.check.Checker``): the
  first time, the same text again (kept), an edit with no new speech (a
  comment), an edit with a new line to speak, and a misspelled key;
- hearing: the line under the cursor, and pieces of the timeline (the
  first of a point, the next, and one played again).

Each warm row is the median of ``--repeat`` runs. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def timed(run: Callable[[], object], repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", default="pyttsx3")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cuecast-edit-bench-"))
    os.environ["CUECAST_CACHE_DIR"] = str(work / "cache")
    try:
        rows = measure(work, args.engine, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'what':<52} {'seconds':>8}")
    for what, seconds in rows:
        print(f"{what:<52} {seconds:>8.3f}")


def measure(work: Path, engine: str, repeat: int) -> list[tuple[str, float]]:
    from cuecast.edit.check import Checker
    from cuecast.edit.files import Folder
    from cuecast.edit.hear import Pieces, line_audio
    from cuecast.pipeline import Options, prepare

    folder = work / "scripts"
    shutil.copytree(ROOT / "scripts", folder, ignore=shutil.ignore_patterns("dev"))
    seed = folder / "lower-back-relief.yaml"
    options = Options(engine=engine)
    plan = lambda: prepare(seed, options)  # noqa: E731
    rows = [("baseline: prepare (cuecast plan), cold cache", timed(plan)),
            ("baseline: prepare (cuecast plan), warm", timed(plan, repeat))]
    shutil.rmtree(work / "cache")
    checker = Checker(Folder(folder), options)
    text = seed.read_text()
    name = seed.name
    rows.append(("check, first time (cold cache)", timed(lambda: checker.check(name, text))))
    rows.append(("check, the same text again", timed(lambda: checker.check(name, text),
                                                            repeat)))
    edits = iter(range(10_000))
    rows.append(("check, a comment typed (no new speech)",
                 timed(lambda: checker.check(name, text + f"# {next(edits)}\n"), repeat)))
    rows.append(("check, a new line to speak",
                 timed(lambda: checker.check(name, text.replace(
                     "Welcome.", f"Welcome, number {next(edits)}.", 1)), repeat)))
    rows.append(("check, a misspelled key",
                 timed(lambda: checker.check(name, text.replace("steps:", "stepz:", 1)), repeat)))
    checked = checker.get(checker.check(name, text)["key"])
    assert checked is not None
    rows.append(("play line (the clip as WAV)", timed(lambda: line_audio(checked, 80), repeat)))
    pieces = Pieces()
    rows.append(("play from 10:00: its piece, mixed", timed(lambda: pieces.pcm(checked, 40))))
    rows.append(("the next piece, mixed", timed(lambda: pieces.pcm(checked, 41))))
    rows.append(("a piece played again (kept)", timed(lambda: pieces.pcm(checked, 40), repeat)))
    return rows


if __name__ == "__main__":
    main()
