"""Run track jobs on a ``concurrent.futures.Executor`` and hand back results
as they finish.

Takes jobs and an executor: local processes (``local_executor``) or a Dask
cluster (``cluster_executor``: ``distributed.Client(address).get_executor()``,
a ``concurrent.futures.Executor`` too), so the batch is written once.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from cuecast.errors import CuecastError, InputError
from cuecast.publish.inputs import TrackJob
from cuecast.publish.worker import Failure, TrackResult, render_job


def run(jobs: Iterable[TrackJob], executor: cf.Executor) -> Iterator[TrackResult]:
    """Each job's result, in the order they finish. A job whose worker died
    (a killed process, a lost Dask worker) comes back as a failure."""
    pending = {executor.submit(render_job, job): job for job in jobs}
    for future in cf.as_completed(pending):
        job = pending[future]
        try:
            yield future.result()
        except Exception as err:  # the worker, not the render, failed
            message = f"the worker rendering it failed: {type(err).__name__}: {err}"
            yield TrackResult(job.id, job.input_hash, failure=Failure(message, None, None,
                                                                      None, 1))  # fmt: skip


@contextmanager
def local_executor(jobs: int) -> Iterator[cf.Executor]:
    """``jobs`` fresh processes (spawned: no state copied from this one)."""
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as executor:
        try:
            yield executor
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise


@contextmanager
def cluster_executor(address: str) -> Iterator[cf.Executor]:
    """The Dask scheduler at ``address`` as an executor (the ``cluster`` extra)."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--cluster needs Dask: pip install 'cuecast[cluster]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise CuecastError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    try:
        with client.get_executor(pure=False) as executor:
            yield executor
    finally:
        client.close()
