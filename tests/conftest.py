"""Shared fixtures: tests never touch the real speech cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point ``CUECAST_CACHE_DIR`` and ``CUECAST_VOICES_DIR`` (the voices
    ``cuecast voices get`` installs) at fresh temporary folders."""
    monkeypatch.setenv("CUECAST_CACHE_DIR", str(tmp_path_factory.mktemp("cuecast-cache")))
    monkeypatch.setenv("CUECAST_VOICES_DIR", str(tmp_path_factory.mktemp("cuecast-voices")))


SHARED = ("[0-9a-f][0-9a-f]/*.wav", "sounds/*.f32", "energies/[0-9a-f][0-9a-f]/*.energy")
"""What ``shared_speech`` shares: the speech clips (``voices/cache.py``),
the built-in sounds (``sounds.py``) and the clips' loudness measurements
(``energies/``, ``loudness/energies.py``: kept by the clip's samples, and
by the clip file's path, which differs from folder to folder), never the
pieces or anything else."""


def _link_shared(source: Path, dest: Path) -> None:
    """Hard-link the shared files of one cache folder into another, where
    missing (the cache writes a file to a temporary name and renames it, so
    a link never sees a later write)."""
    for pattern in SHARED:
        for path in source.glob(pattern):
            target = dest / path.relative_to(source)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, target)


@pytest.fixture(scope="session")
def _speech_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-pool")


@pytest.fixture
def shared_speech(_isolated_cache: None, _speech_pool: Path):
    """For a test that renders with the real engines but is not about the
    speech cache: its own fresh cache folder (``_isolated_cache``: pieces
    encoded anew) already holding the speech clips, built-in sounds and
    clip measurements that earlier ``shared_speech`` tests of this worker
    made; what it speaks and measures joins them. Tests about cold renders
    must not use it."""
    folder = Path(os.environ["CUECAST_CACHE_DIR"])
    _link_shared(_speech_pool, folder)
    yield folder
    _link_shared(folder, _speech_pool)


def pytest_terminal_summary(terminalreporter) -> None:
    """The robustness tally (tests/tally.py), when those tests ran."""
    from tests.tally import COUNTS

    if COUNTS:
        terminalreporter.write_sep("-", "cuecast robustness tally")
        for what, n in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{what}: {n}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist (``make test`` runs two workers), each worker hands
    its tally to the controller, which prints the sum."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.tally import COUNTS

        workeroutput["tally"] = dict(COUNTS)


class _TallyFromWorkers:
    def pytest_testnodedown(self, node: object, error: object) -> None:
        from tests.tally import COUNTS

        COUNTS.update(getattr(node, "workeroutput", {}).get("tally", {}))


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_TallyFromWorkers())


# -- the browser tests (pytest-playwright with Debian's Chromium: tests/browser.py) --


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Every browser test's Chromium: Debian's, headless, off the network."""
    from tests.browser import FLAGS, chromium

    return {"executable_path": chromium(), "headless": True, "args": FLAGS}


@pytest.fixture
def artifacts(output_path: str) -> Path:
    """pytest-playwright's folder for this test (``test-results/...``; ``--output``)."""
    folder = Path(output_path)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


# -- pytest -n 2 (make test): which worker runs what --

SPREAD = {"tests/e2e/test_loudness_exact.py", "tests/test_docs.py"}
"""Modules whose tests go to the workers one by one: their longest (the
hour's six renders; the API docs' examples and the console examples that
render the seed, 30-100 s each) would hold one worker while the other runs
out of work, and their module fixtures cost little (a copy of scripts/)."""


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``-n N`` (``--dist load``, the default) by module, in file order:
    each worker takes the next module when it has nearly run out, so a
    module's fixtures (its renders, a model, Chromium) are built once, on
    one worker, while ``SPREAD``'s tests are handed out one by one. Plain
    ``load`` sent each worker a quarter of its share up front, in file
    order: the first worker got all of ``tests/e2e`` (all six hour renders
    among them) and ran it while the other finished everything else."""
    if config.getvalue("dist") != "load":
        return None  # --dist loadfile, loadgroup, ... as asked
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return nodeid if module in SPREAD else module

    config.option.loadscopereorder = False  # file order: tests/e2e, the longest, first
    return ByModule(config, log)
