"""Scale-out: the same chunks of letters as Dask tasks.

Each task is a chunk of many letters, given as paths: every Dask worker reads
the files itself, so the inputs must be on storage the workers reach at the
same path (the driver sends no bytes). Inside a Dask worker the chunk runs in
a worker process of its own (started once per Dask worker and kept), so the
per-letter ``--timeout`` and ``--max-memory`` hold as on the local engine and a
letter that crashes or hangs costs that process, not the Dask worker. The
task returns the part's files as bytes and the driver writes them through the
same part store: the tables are the local engine's.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .worker import ChunkResult, Task, WorkerSettings

log = logging.getLogger("imr_extract.run")
_POOLS: dict = {}  # per Dask worker process: its worker pool, by settings


def dask_chunk(chunk_id: int, tasks: list[Task], settings: WorkerSettings, timeout: float | None
               ) -> tuple[list[ChunkResult], list]:
    """A Dask task: one chunk through this Dask worker's own worker process."""
    from .pool import Pool, exec_worker

    key = (settings, timeout)
    pool = _POOLS.get(key)
    if pool is None:
        for old in _POOLS.values():
            old.shutdown()
        _POOLS.clear()
        pool = _POOLS[key] = Pool(1, timeout, start=lambda fds: exec_worker(settings),
                                  memory_capped=bool(settings.max_memory), keep_alive=True)
    results: list[ChunkResult] = []
    failures: list = []
    pool.run([(chunk_id, tasks)], results.append, failures.append)
    return results, failures


def run_dask(chunks: list[tuple[int, list[Task]]], wsettings: WorkerSettings, settings,
             on_done: Callable[[ChunkResult], None], on_failed: Callable, on_progress: Callable[[int], None]) -> None:
    """Submit every chunk to the cluster (a bounded number in flight) and hand back what each returns."""
    from .batch import UsageProblem
    from .pool import Failure

    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageProblem("--engine dask needs the 'distributed' package: pip install 'imr-extract[dask]'") from None
    cluster = None
    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout=settings.scheduler_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageProblem(f"cannot reach the Dask scheduler at {settings.scheduler} within "
                               f"{settings.scheduler_timeout:g} s ({type(exc).__name__}: {exc})") from None
    else:
        cluster = LocalCluster(n_workers=min(settings.workers, len(chunks)), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    futures = []
    try:
        pending = as_completed()
        owner: dict[Any, list[Task]] = {}  # future key -> its chunk's tasks
        queue = list(reversed(chunks))
        limit = max(2, 2 * sum(client.nthreads().values()) or 2)

        def submit() -> None:
            while queue and len(owner) < limit:
                chunk_id, tasks = queue.pop()
                fut = client.submit(dask_chunk, chunk_id, tasks, wsettings, settings.timeout, pure=False)
                owner[fut.key] = tasks
                futures.append(fut)
                pending.add(fut)

        submit()
        while owner:
            fut = next(pending)
            tasks = owner.pop(fut.key)
            try:
                results, failures = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost task is error rows, not a lost batch
                results, failures = [], [Failure(t, "worker_crashed", f"the Dask task failed: "
                                                                      f"{type(exc).__name__}: {exc}") for t in tasks]
            for result in results:
                on_done(result)
            for failure in failures:
                on_failed(failure)
            on_progress(len(tasks))
            fut.release()
            submit()
    finally:
        for fut in futures:
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
