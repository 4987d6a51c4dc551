"""How long fitting a session to a length takes, against one plan of it.

    .venv/bin/python benchmarks/fit_length.py [--engine pyttsx3] [--lengths 10m,20m,30m]

With its own empty speech cache (removed after), in one process, for each
shipped script (the seed first) and each length: the baseline, one
``prepare`` of the script as it is (what ``cuecast plan`` does), cold then
warm; then ``cuecast.api.fit`` (``--length``) with the cache as the
baseline left it, and the same fit again (every plan's speech cached).
Prints the plans each fit asked for, the length reached and the times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SCRIPTS = ("lower-back-relief", "rueckenroutine", "studio-example")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="pyttsx3")
    parser.add_argument("--lengths", default="10m,20m,30m")
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="cuecast-fit-bench-")
    os.environ["CUECAST_CACHE_DIR"] = cache
    try:
        run(args.engine, args.lengths.split(","))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def run(engine: str, lengths: list[str]) -> None:
    from cuecast.api import fit
    from cuecast.pipeline import prepare
    from cuecast.request import parse_options
    from cuecast.units import clock_text, to_samples

    options = parse_options({"engine": engine})
    print(f"{'script':<20} {'asked':>6} {'plans':>5} {'reached':>10} {'fit s':>7} "
          f"{'again s':>7}   baseline plan: cold s / warm s")
    for name in SCRIPTS:
        path = str(ROOT / "scripts" / f"{name}.yaml")
        cold = _seconds(lambda: prepare(path, options))  # noqa: B023
        warm = _seconds(lambda: prepare(path, options))  # noqa: B023
        for length in lengths:
            start = time.perf_counter()
            fitted = fit(path, length, engine=engine)
            first = time.perf_counter() - start
            again = _seconds(lambda: fit(path, length, engine=engine))  # noqa: B023
            reached = clock_text(to_samples(fitted.total_s))
            mark = "" if fitted.reached else " (nearest)"
            print(f"{name:<20} {length:>6} {fitted.plans:>5} {reached:>10} {first:>7.2f} "
                  f"{again:>7.2f}   {cold:.2f} / {warm:.2f}{mark}")


def _seconds(work) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
