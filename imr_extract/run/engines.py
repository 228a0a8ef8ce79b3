"""Scale-out: the same per-letter function on a Dask cluster.

Each letter is one task (bytes in, rows out); the driver keeps a bounded
number in flight and writes rows through the same part store as the local
engine, so the tables are identical whichever engine ran.
"""
from __future__ import annotations

from typing import Callable, Iterator

from .worker import error_rows, process_letter


def run_dask(tasks: Iterator, settings, accept: Callable) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("--engine dask needs the 'distributed' package: pip install 'imr-extract[dask]'") from exc

    cluster = None
    if settings.scheduler:
        client = Client(settings.scheduler)
    else:
        cluster = LocalCluster(n_workers=settings.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        pending = as_completed()
        owner = {}
        limit = max(8, settings.workers * 8)

        def drain(block_until: int) -> None:
            while owner and len(owner) > block_until:
                fut = next(pending)
                task = owner.pop(fut.key)
                try:
                    rows = fut.result()
                except Exception as exc:  # noqa: BLE001 - a failed task is an error row, not a failed batch
                    rows = error_rows(task.ref.display, task.digest, "worker_crashed",
                                      f"the Dask task failed: {type(exc).__name__}: {exc}")
                accept(task.ref, task.digest, rows)
                fut.release()

        for task in tasks:
            if task.failed is not None:
                accept(task.ref, task.digest, task.failed)
                continue
            fut = client.submit(process_letter, task.ref.display, task.data, task.digest, settings.pdf_backend,
                                pure=False)
            owner[fut.key] = task
            pending.add(fut)
            drain(limit)
        drain(0)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
