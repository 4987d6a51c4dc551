"""Timed cuecast processes run as a user's install runs them: from bytecode.

Our shells set ``PYTHONDONTWRITEBYTECODE=1``, so a process started from
them compiles every cuecast module from source each time (0.3-0.5 s of CPU
on a quiet machine, 1.6 s under load), which an installed cuecast never
does (pip compiles at install; a source checkout writes ``__pycache__`` on
its first run). ``as_installed`` drops the variable from this process's
environment (the children inherit the rest) and compiles each tree under
test once, untimed: the baseline's too, so before and after stay
comparable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def as_installed(*trees: Path) -> None:
    """Let the timed children use and write bytecode, and compile ``trees``
    (source folders: a checkout's ``src``, a package) now, untimed."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for tree in dict.fromkeys(Path(t).resolve() for t in trees):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
