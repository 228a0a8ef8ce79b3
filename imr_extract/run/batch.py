"""Run many letters: dedupe, resume, fan out to workers, stream rows to disk."""
from __future__ import annotations

import datetime as dt
import itertools
import os
import platform
import sys
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .. import __version__
from ..io.inputs import InputRef
from ..records import TABLES
from ..io.read import DEFAULT_MAX_BYTES, DEFAULT_PDF_BACKEND, PDF_BACKENDS
from .worker import Rows, error_rows, process_input, process_inputs, read_input, warm_up
from ..io.write import PartStore, finalize, write_json_atomic

ENGINES = ("local", "dask")
FORMATS = ("csv", "parquet", "duckdb")


@dataclass(frozen=True)
class RunSettings:
    """Every knob of a run, validated once; unknown keys are an error."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    pdf_backend: str = DEFAULT_PDF_BACKEND
    timeout: float | None = 60.0  # seconds per letter; None = no limit
    max_bytes: int = DEFAULT_MAX_BYTES
    part_size: int = 500  # letters per part file
    fresh: bool = False
    quiet: bool = False
    engine: str = "local"
    scheduler: str | None = None
    formats: tuple[str, ...] = ("csv", "parquet")

    def __post_init__(self):
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.pdf_backend not in PDF_BACKENDS:
            raise ValueError(f"pdf_backend must be one of {', '.join(PDF_BACKENDS)}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
        if self.part_size < 1:
            raise ValueError("part_size must be at least 1")
        bad = set(self.formats) - set(FORMATS)
        if bad:
            raise ValueError(f"unknown formats {sorted(bad)}; choose from {', '.join(FORMATS)}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("timeout must be positive (or None for no limit)")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)


@dataclass
class RunSummary:
    out_dir: Path
    counts: dict[str, int]
    errors_by_kind: dict[str, int]
    processed: int
    skipped_done: int
    duplicates: int

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.get("errors", 0) else 0


@dataclass
class _Task:
    ref: InputRef
    data: bytes | None
    digest: str | None
    failed: Rows | None = None  # rows for an input that failed before processing


def _read_for_cluster(refs: Iterable[InputRef], settings: RunSettings) -> Iterator[_Task]:
    """The driver reads and hashes each input (cluster workers need no shared file system)."""
    for ref in refs:
        data, digest, failed = read_input(ref, settings.max_bytes)
        yield _Task(ref, data, digest, failed)


def run(refs: list[InputRef], out_dir: str | Path, settings: RunSettings = RunSettings(),
        inputs_given: list[str] | None = None, progress: Callable | None = None) -> RunSummary:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    _use_system_allocator()
    store = PartStore(out_dir)
    if settings.fresh:
        store.clear()
    done_paths, done_hashes = store.done_inputs()
    seen = {h: "an earlier run" for h in done_hashes}
    stats = {"skipped_done": 0, "duplicates": 0, "processed": 0}
    buffer: Rows = {table: [] for table in TABLES}
    buffered_inputs: list[tuple[str, str | None]] = []
    bar = _progress_bar(len(refs), settings.quiet) if progress is None else progress
    n_errors = 0

    def accept(ref: InputRef, digest: str | None, rows: Rows) -> None:
        nonlocal n_errors
        if digest is not None and digest in seen:
            # same bytes as an input already done: keep one letter, report the copy
            stats["duplicates"] += 1
            rows = error_rows(ref.display, digest, "duplicate", f"same bytes as {seen[digest]}; processed once")
        elif digest is not None and rows["letters"]:
            seen[digest] = ref.display
        for table, table_rows in rows.items():
            buffer[table].extend(table_rows)
        n_errors += len(rows["errors"])
        buffered_inputs.append((ref.display, digest))
        stats["processed"] += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(errors=n_errors, refresh=False)
        if len(buffered_inputs) >= settings.part_size:
            flush()

    def flush() -> None:
        if buffered_inputs:
            store.write(buffer, list(buffered_inputs))
            for rows in buffer.values():
                rows.clear()
            buffered_inputs.clear()

    pending = [r for r in refs if r.display not in done_paths]
    stats["skipped_done"] = len(refs) - len(pending)
    if bar is not None and stats["skipped_done"]:
        bar.update(stats["skipped_done"])
    try:
        if settings.engine == "dask":
            from .engines import run_dask

            run_dask(_read_for_cluster(pending, settings), settings, accept)
        else:
            _run_local(pending, settings, accept)
        flush()
    finally:
        if bar is not None:
            bar.close()
    counts = finalize(store, out_dir, settings.formats, extra={"audit": _batch_audit(store)})
    if "duckdb" in settings.formats:
        from ..io.duck import write_duckdb

        write_duckdb(out_dir)
    errors_by_kind = _errors_by_kind(store)
    finished = dt.datetime.now(dt.timezone.utc)
    write_json_atomic(out_dir / "manifest.json", {
        "tool": "imr-extract", "version": __version__,
        "python": sys.version.split()[0], "platform": platform.platform(),
        "inputs": inputs_given if inputs_given is not None else [r.display for r in refs],
        "started": started.isoformat(), "finished": finished.isoformat(),
        "seconds": round((finished - started).total_seconds(), 3),
        "settings": {k: v for k, v in asdict(settings).items()},
        "counts": {**counts, "inputs": len(refs), "processed_this_run": stats["processed"],
                   "skipped_already_done": stats["skipped_done"], "duplicates_this_run": stats["duplicates"]},
        "errors_by_kind": errors_by_kind,
    })
    return RunSummary(out_dir, counts, errors_by_kind, stats["processed"], stats["skipped_done"], stats["duplicates"])


def _use_system_allocator() -> None:
    """Arrow's default allocator keeps freed memory, so a long run's resident size would grow with
    the number of parts assembled; the system allocator gives it back, keeping memory flat."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def _batch_audit(store: PartStore) -> list[dict]:
    """Checks across letters (same case number or text twice), over every part of the run."""
    import pyarrow as pa

    from ..insight.checks import duplicate_rows

    tables = [t.select(["letter_id", "case_number", "source_path"]) for t in store.iter_batches("letters")]
    if not tables:
        return []
    return duplicate_rows(pa.concat_tables(tables).to_pydict())


def _errors_by_kind(store: PartStore) -> dict[str, int]:
    from collections import Counter

    kinds: Counter = Counter()
    for batch in store.iter_batches("errors"):
        kinds.update(batch.column("error_kind").to_pylist())
    return dict(sorted(kinds.items()))


def _progress_bar(total: int, quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="letter", desc="letters", smoothing=0.05, dynamic_ncols=True)


#: Inputs per worker task. Chunks cut the per-letter cost of talking to the pool; a chunk that
#: times out or crashes is retried one letter per task, so only the culprit becomes an error row.
MAX_CHUNK = 8


def _chunk_size(n: int, workers: int) -> int:
    return max(1, min(MAX_CHUNK, n // (workers * 8)))


def _run_local(refs: list[InputRef], settings: RunSettings, accept: Callable[[InputRef, str | None, Rows], None]) -> None:
    """Each worker reads, hashes and parses its inputs; a worker over the time limit is killed."""
    if settings.workers == 1 and settings.timeout is None:
        for ref in refs:
            accept(ref, *process_input(ref, settings.max_bytes, settings.pdf_backend))
        return
    from concurrent.futures import TimeoutError as FutureTimeout

    from pebble import ProcessExpired, ProcessPool

    size = _chunk_size(len(refs), settings.workers)
    chunks = iter([refs[i:i + size] for i in range(0, len(refs), size)])
    retry: list[list[InputRef]] = []
    in_flight: dict = {}
    limit = settings.workers * 4

    def failure(ref: InputRef, exc: BaseException) -> Rows:
        if isinstance(exc, FutureTimeout):
            return error_rows(ref.display, None, "timeout", f"gave up after {settings.timeout:g} s (--timeout); "
                                                            "the PDF may make the parser loop")
        if isinstance(exc, ProcessExpired):
            return error_rows(ref.display, None, "worker_crashed",
                              f"the worker process died (exit code {exc.exitcode}) on this letter")
        return error_rows(ref.display, None, "internal_error", f"unexpected {type(exc).__name__}: {exc}")

    with ProcessPool(max_workers=settings.workers, initializer=warm_up) as pool:
        def submit(chunk: list[InputRef]) -> None:
            timeout = settings.timeout * len(chunk) if settings.timeout else None
            fut = pool.schedule(process_inputs, args=(chunk, settings.max_bytes, settings.pdf_backend),
                                timeout=timeout)
            in_flight[fut] = chunk

        def settle(done) -> None:
            for fut in done:
                chunk = in_flight.pop(fut)
                try:
                    results = fut.result()
                except Exception as exc:  # noqa: BLE001 - a bad letter must not stop the batch
                    if len(chunk) > 1:
                        retry.extend([ref] for ref in chunk)  # find the culprit, one letter per task
                        continue
                    results = [(None, failure(chunk[0], exc))]
                for ref, (digest, rows) in zip(chunk, results):
                    accept(ref, digest, rows)

        for chunk in itertools.chain(chunks, _drain(retry)):
            submit(chunk)
            if len(in_flight) >= limit:
                settle(wait(list(in_flight), return_when=FIRST_COMPLETED)[0])
        while in_flight or retry:
            while retry:
                submit(retry.pop())
            settle(wait(list(in_flight), return_when=FIRST_COMPLETED)[0])


def _drain(items: list) -> Iterator:
    while items:
        yield items.pop()
