"""Listeners' sessions rendered on a Dask cluster (``cuecast serve --cluster``).

Takes the catalogue and a scheduler's address; gives a callable that
renders one track with a listener's options into a file, exactly as
``cuecast publish --cluster`` renders a track: the track's input files go
to a worker as bytes (``inputs.make_job``), the worker renders them in a
temporary folder through the library (``worker.render_job``) and the
track's bytes come back. Same options, same bytes as a local render.
"""

from __future__ import annotations

import contextlib
from dataclasses import fields
from pathlib import Path

from cuecast.catalogue import Catalogue, Track
from cuecast.errors import CuecastError, InputError
from cuecast.pipeline import Options
from cuecast.publish.batch import cluster_executor
from cuecast.publish.inputs import make_job
from cuecast.publish.worker import render_job


class ClusterRenderer:
    """Renders on the cluster at ``address``; ``close`` lets it go."""

    def __init__(self, catalogue: Catalogue, address: str) -> None:
        self.catalogue = catalogue
        self._stack = contextlib.ExitStack()
        self._executor = self._stack.enter_context(cluster_executor(address))

    def __call__(self, track: Track, options: Options, out: Path) -> None:
        overrides = {f.name: getattr(options, f.name) for f in fields(options)}
        job, _ = make_job(self.catalogue, track, **overrides)
        result = self._executor.submit(render_job, job).result()
        if result.failure is not None:
            error = InputError if result.failure.exit_code == 2 else CuecastError
            raise error(result.failure.message)
        Path(out).write_bytes(result.files[0][1])

    def close(self) -> None:
        self._stack.close()
