"""Run many letters: lock the output, resume, fan out to workers, choose the rows, write the tables.

The resume state is the part files under ``OUT/.parts`` (see io.write). An
input is skipped only when a part holds it *and* its bytes still hash the
same; error rows of a transient kind (timeout, crash, memory) are retried.
At the end the tables are assembled from exactly this run's inputs, in their
order: the first input of a letter text keeps it, later copies become
``duplicate`` rows naming it, and rows of inputs no longer given are left out.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import platform
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..io.inputs import DEFAULT_SYMLINK_POLICY, SYMLINK_POLICIES, InputRef, shown
from ..io.read import DEFAULT_MAX_BYTES, DEFAULT_PDF_BACKEND, PDF_BACKENDS
from ..io.write import FORMATS, PartStore, Selection, finalize, remove_leftovers, write_json_atomic
from .lock import RunLock
from .worker import TRANSIENT_KINDS, ChunkResult, Outcome, Task, WorkerSettings, error_rows

ENGINES = ("local", "dask")
log = logging.getLogger("imr_extract.run")


class RunError(Exception):
    """A run that could not be done or finished; ``exit_code`` is what the command exits with."""

    exit_code = 3


class UsageProblem(RunError):
    """The run cannot start as asked (the output folder, the engine, the scheduler): exit 2."""

    exit_code = 2


class RunFailed(RunError):
    """The run itself failed (a full disk, an unwritable output): exit 3."""

    exit_code = 3


class Interrupted(RunError):
    """Ctrl-C (or SIGTERM): what was done is saved, rerunning resumes. Exit 130."""

    exit_code = 130


@dataclass(frozen=True)
class RunSettings:
    """Every knob of a run, validated once; unknown keys are an error."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    pdf_backend: str = DEFAULT_PDF_BACKEND
    timeout: float | None = 60.0  # seconds per letter; None = no limit
    max_bytes: int = DEFAULT_MAX_BYTES
    max_memory_mb: int | None = 2048  # address space a worker may add to its start-up size; None = no cap
    part_size: int = 500  # letters per part file at most
    fresh: bool = False
    quiet: bool = False
    engine: str = "local"
    scheduler: str | None = None
    scheduler_timeout: float = 10.0  # seconds to reach --scheduler
    formats: tuple[str, ...] = ("csv", "parquet")
    symlinks: str = DEFAULT_SYMLINK_POLICY
    progress_every: float = 30.0  # seconds between progress lines when stderr is not a terminal

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
        if not self.formats:
            raise ValueError(f"give at least one format ({', '.join(FORMATS)})")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("timeout must be positive (or None for no limit)")
        if self.max_memory_mb is not None and self.max_memory_mb <= 0:
            raise ValueError("max_memory_mb must be positive (or None for no cap)")
        if self.symlinks not in SYMLINK_POLICIES:
            raise ValueError(f"symlinks must be one of {', '.join(SYMLINK_POLICIES)}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunSettings:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)


@dataclass
class RunSummary:
    """What a finished run did: row counts per table, error rows per kind, what was skipped and why."""

    out_dir: Path
    counts: dict[str, int]
    errors_by_kind: dict[str, int]
    processed: int
    skipped_done: int
    duplicates: int
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.get("errors", 0) else 0


# ---------------------------------------------------------------------------------------------- the run


def run(refs: list[InputRef], out_dir: str | Path, settings: RunSettings = RunSettings(),
        inputs_given: list[str] | None = None, progress: Any = None, skipped: Counter | None = None) -> RunSummary:
    """Process ``refs`` into the tables in ``out_dir`` (resuming what an earlier run there did).

    Raises UsageProblem (another run holds ``out_dir``, the engine cannot start), RunFailed
    (the disk is full) or Interrupted (Ctrl-C; what was done is saved).
    """
    out_dir = Path(out_dir)
    _make_out_dir(out_dir)
    started = dt.datetime.now(dt.timezone.utc)
    with RunLock(out_dir) as lock:
        leftovers = remove_leftovers(out_dir)
        if leftovers:
            log.info("removed %d temporary files an interrupted run left in %s", len(leftovers), out_dir)
        store = PartStore(out_dir)
        if settings.fresh:
            store.clear()
        parts = store.load(on_dropped=log.warning)
        run_no = max((p.run for p in parts), default=0) + 1
        state = _RunState(refs, settings)
        tasks = state.tasks(_known_hashes(parts))
        bar = _progress(len(refs), settings) if progress is None else progress
        state.bar = bar
        if bar is not None and state.failures:
            bar.update(len(state.failures))
        try:
            import time

            t0 = time.perf_counter()
            _dispatch(tasks, state, settings, store, run_no, out_dir, lock)
            if bar is not None:
                bar.close()
            t1 = time.perf_counter()
            selection, stats = _select(refs, store.load(), state)
            selection.extra["audit"] = _batch_audit(store, selection, refs)
            counts = finalize(store, out_dir, selection, settings.formats)
            log.debug("letters processed in %.2f s, tables written in %.2f s", t1 - t0, time.perf_counter() - t1)
        except KeyboardInterrupt:
            _close(bar)
            remove_leftovers(out_dir)
            saved = sum(len(p.inputs) for p in store.load())
            raise Interrupted(f"interrupted: {saved} inputs are saved in {out_dir / '.parts'} (the tables are not "
                              "updated yet); rerun the same command to resume") from None
        except OSError as exc:
            _close(bar)
            remove_leftovers(out_dir)
            from ..io.write import NO_SPACE_ERRNOS

            if exc.errno in NO_SPACE_ERRNOS:
                raise RunFailed(f"the disk is full (or over quota) writing to {out_dir}: {exc.strerror}; what was "
                                "done is saved: free some space and rerun the same command to resume") from exc
            raise RunFailed(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
        _collect_garbage(store, selection)
        warnings = state.warnings()
        for w in warnings:
            log.warning("%s", w)
        finished = dt.datetime.now(dt.timezone.utc)
        errors_by_kind = dict(sorted(stats["errors_by_kind"].items()))
        write_json_atomic(out_dir / "manifest.json", {
            "tool": "imr-extract", "version": __version__,
            "python": sys.version.split()[0], "platform": platform.platform(),
            "inputs": [shown(x) for x in inputs_given] if inputs_given is not None else [r.display for r in refs],
            "started": started.isoformat(), "finished": finished.isoformat(),
            "seconds": round((finished - started).total_seconds(), 3),
            "settings": dict(asdict(settings).items()),
            "counts": {**counts, "inputs": len(refs), "processed_this_run": state.processed,
                       "skipped_already_done": state.unchanged, "duplicates_this_run": stats["duplicates"]},
            "errors_by_kind": errors_by_kind,
            "skipped": dict(skipped or {}),
            "warnings": warnings,
        })
    return RunSummary(out_dir, counts, errors_by_kind, state.processed, state.unchanged, stats["duplicates"],
                      warnings, dict(skipped or {}))


def _make_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise UsageProblem(f"--out {out_dir}: {exc.filename or out_dir} is a file, not a folder") from exc
    except PermissionError as exc:
        raise UsageProblem(f"--out {out_dir}: no permission to create it") from exc
    except OSError as exc:
        raise UsageProblem(f"--out {out_dir}: {exc.strerror or exc}") from exc
    if not out_dir.is_dir():
        raise UsageProblem(f"--out {out_dir} is not a folder")


def _close(bar) -> None:
    if bar is not None:
        bar.close()


class _RunState:
    """What the driver keeps while workers run: one small outcome per input, never its rows."""

    def __init__(self, refs: list[InputRef], settings: RunSettings):
        self.refs, self.settings = refs, settings
        self.outcomes: dict[int, Outcome] = {}
        self.failures: dict[int, dict[str, Any]] = {}  # ordinal -> error row decided by the driver
        self.bar = None
        self.n_errors = 0

    def tasks(self, known: dict[str, str]) -> list[Task]:
        tasks = []
        for ordinal, ref in enumerate(self.refs):
            if ref.problem:
                self.fail(ordinal, ref.problem_kind, ref.problem)
            else:
                reachable = replace(ref, path=Path(os.path.abspath(ref.path)))  # workers may run elsewhere
                tasks.append(Task(ordinal, reachable, known.get(ref.id)))
        return tasks

    def fail(self, ordinal: int, kind: str, message: str) -> None:
        self.failures[ordinal] = error_rows(self.refs[ordinal].display, None, kind, message)["errors"][0]
        self._count_error(kind, message, ordinal)

    def _count_error(self, kind: str, message: str | None, ordinal: int) -> None:
        self.n_errors += 1
        log.debug("%s: %s: %s", self.refs[ordinal].display, kind, message)
        if self.bar is not None and hasattr(self.bar, "set_postfix"):
            self.bar.set_postfix(errors=self.n_errors, refresh=False)

    def done(self, result: ChunkResult) -> None:
        for o in result.outcomes:
            self.outcomes[o.ordinal] = o
            self.failures.pop(o.ordinal, None)
            if o.status == "error":
                self._count_error(o.error_kind or "", o.message, o.ordinal)

    def progress(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.update(n)

    @property
    def unchanged(self) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == "unchanged")

    @property
    def processed(self) -> int:
        return len(self.failures) + len(self.outcomes) - self.unchanged

    def warnings(self) -> list[str]:
        return [f"{self.refs[o.ordinal].display}: a line of {o.long_line:,} characters (the text lost its line "
                "breaks?); fields are likely missing" for o in sorted(self.outcomes.values(), key=lambda o: o.ordinal)
                if o.long_line]


def _known_hashes(parts) -> dict[str, str]:
    """Input key -> content hash recorded by the newest part, unless its row is worth retrying."""
    known: dict[str, str] = {}
    for part in parts:
        for entry in part.inputs:
            if entry.get("error_kind") in TRANSIENT_KINDS or not entry.get("content_hash"):
                known.pop(entry["key"], None)
            else:
                known[entry["key"]] = entry["content_hash"]
    return known


def chunk_size(n: int, workers: int, part_size: int) -> int:
    """Letters per task: about four tasks per worker (for balance), at most ``part_size``."""
    return max(1, min(part_size, math.ceil(n / (workers * 4)) if n else 1))


def _dispatch(tasks: list[Task], state: _RunState, settings: RunSettings, store: PartStore, run_no: int,
              out_dir: Path, lock: RunLock) -> None:
    from .pool import Failure, NoSpaceError, Pool, fork_worker
    from .worker import warm_up

    size = chunk_size(len(tasks), settings.workers, settings.part_size)
    chunks = [(i // size, tasks[i:i + size]) for i in range(0, len(tasks), size)]
    if not chunks:
        return
    max_memory = settings.max_memory_mb * (1 << 20) if settings.max_memory_mb else None

    def failed(f: Failure) -> None:
        state.fail(f.task.ordinal, f.kind, f.message)

    try:
        if settings.engine == "dask":
            from .engines import run_dask

            wsettings = WorkerSettings(settings.max_bytes, settings.pdf_backend, run_no, None, max_memory, True)

            def done(result: ChunkResult) -> None:
                if result.encoded is not None:
                    assert result.stem is not None  # a part's files come with its stem (run_chunk)
                    store.commit(result.stem, result.encoded, result.inputs, run_no)
                state.done(result)

            _prepare_tables(settings)
            run_dask(chunks, wsettings, settings, done, failed, state.progress)
            return
        wsettings = WorkerSettings(settings.max_bytes, settings.pdf_backend, run_no, str(out_dir), max_memory)
        # Once, before forking, even for one letter: every worker inherits the imports, the rules and their
        # compiled patterns (read from the pattern cache, a fraction of compiling them), and Arrow.
        warm_up()
        import gc

        gc.freeze()  # what the workers inherit is never scanned by their collector (nor copied for it)
        pool = Pool(settings.workers, settings.timeout,
                    start=lambda fds: fork_worker(wsettings, (lock.fd, *fds)), memory_capped=bool(max_memory))
        pool.run(chunks, state.done, failed, state.progress, meanwhile=lambda: _prepare_tables(settings))
    except NoSpaceError as exc:
        raise OSError(28, exc.strerror) from exc


def _prepare_tables(settings: RunSettings) -> None:
    """What assembling the tables needs, imported while the workers work (the first letter's wait)."""
    _use_system_allocator()
    import pyarrow.compute
    import pyarrow.csv
    import pyarrow.json
    import pyarrow.parquet  # noqa: F401

    from ..insight import checks  # noqa: F401  (the batch-level checks)

    if "duckdb" in settings.formats:
        import duckdb  # noqa: F401
    if "xlsx" in settings.formats:
        import xlsxwriter  # noqa: F401


def _use_system_allocator() -> None:
    """Arrow's default allocator keeps freed memory, so a long run's resident size would grow with
    the number of parts assembled; the system allocator gives it back, keeping memory flat."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


# ---------------------------------------------------------------------------------------------- choosing rows


def _select(refs: list[InputRef], parts, state: _RunState) -> tuple[Selection, dict]:
    """Which part rows make the tables: per input, the newest part entry with its present bytes;
    the first input of each letter text keeps it (later ones become ``duplicate`` rows)."""
    by_key: dict[str, list[tuple[str, int, dict]]] = {}
    for part in parts:  # oldest first
        for seq, entry in enumerate(part.inputs):
            by_key.setdefault(entry["key"], []).append((part.stem, seq, entry))
    chosen: dict[str, dict[int, str]] = {}
    first: dict[str, int] = {}
    originals: dict[str, tuple[str, str | None]] = {}
    extra_errors: list[dict] = []
    kinds: Counter = Counter()
    duplicates = 0
    for ordinal, ref in enumerate(refs):
        if ordinal in state.failures:
            extra_errors.append(state.failures[ordinal])
            kinds[state.failures[ordinal]["error_kind"]] += 1
            continue
        outcome = state.outcomes.get(ordinal)
        if outcome is None:
            continue
        found = [c for c in by_key.get(ref.id, []) if c[2]["content_hash"] == outcome.content_hash]
        if not found:
            row = error_rows(ref.display, outcome.content_hash, "internal_error",
                             "the rows of this input were not found in the part files; rerun to process it "
                             "again")["errors"][0]
            extra_errors.append(row)
            kinds["internal_error"] += 1
            continue
        stem, seq, entry = found[-1]
        lid = entry.get("letter_id")
        if lid:
            if lid in originals:
                first_path, first_hash = originals[lid]
                same = "same bytes as" if first_hash == outcome.content_hash else "same letter text as"
                why = "" if first_hash == outcome.content_hash else " (other bytes: a re-saved or re-downloaded copy)"
                extra_errors.append(error_rows(ref.display, outcome.content_hash, "duplicate",
                                               f"{same} {first_path}{why}; counted once")["errors"][0])
                kinds["duplicate"] += 1
                duplicates += 1
                continue
            originals[lid] = (ref.display, outcome.content_hash)
        else:
            kinds[entry.get("error_kind") or "internal_error"] += 1
        chosen.setdefault(stem, {})[seq] = ref.display
        first.setdefault(stem, ordinal)
    order = sorted(chosen, key=first.__getitem__)
    return Selection(chosen, order, {"errors": extra_errors}), {"errors_by_kind": kinds, "duplicates": duplicates}


def _batch_audit(store: PartStore, selection: Selection, refs: list[InputRef]) -> list[dict]:
    """Checks across letters (one case number on several letters), in input order whatever the
    order the letters were processed in: clean, resumed and Dask runs give the same messages."""
    from ..insight.checks import duplicate_rows
    from ..io.write import selected_batches

    position = {ref.display: i for i, ref in enumerate(refs)}
    rows: list[tuple[int, str, str | None, str]] = []
    for t in selected_batches(store, selection, "letters", ["letter_id", "case_number", "source_path"]):
        columns = (t.column(c).to_pylist() for c in ("letter_id", "case_number", "source_path"))
        for lid, case, src in zip(*columns, strict=True):
            rows.append((position.get(src, len(position)), lid, case, src))
    rows.sort()
    return duplicate_rows({"letter_id": [r[1] for r in rows], "case_number": [r[2] for r in rows],
                           "source_path": [r[3] for r in rows]})


def _collect_garbage(store: PartStore, selection: Selection) -> None:
    """Parts none of whose rows are in the tables any more (changed, retried or removed inputs)."""
    for marker in store.marker_paths():
        if marker.stem not in selection.parts:
            for p in store.dir.glob(f"{marker.stem}.*"):
                if p.suffix != ".json":
                    p.unlink(missing_ok=True)
            marker.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- progress


class LogProgress:
    """Progress as log lines, for output that is not a terminal (nohup, CI, a notebook)."""

    def __init__(self, total: int, every: float, logger: logging.Logger = log):
        import time

        self.total, self.every, self.log = total, every, logger
        self.n = 0
        self.errors = 0
        self._clock = time.monotonic
        self.t0 = self._last = self._clock()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = self._clock()
        if now - self._last >= self.every and self.n < self.total:
            self._last = now
            self._line(now)

    def set_postfix(self, errors: int = 0, refresh: bool = False) -> None:
        self.errors = errors

    def _line(self, now: float) -> None:
        rate = self.n / max(now - self.t0, 1e-9)
        left = (self.total - self.n) / rate if rate > 0 else float("nan")
        self.log.info("letters %d/%d (%.0f%%), %.1f letters/s, %d errors, about %.0f s left",
                      self.n, self.total, 100 * self.n / max(1, self.total), rate, self.errors, left)

    def close(self) -> None:
        if self.total:
            now = self._clock()
            self.log.info("letters %d/%d done in %.1f s, %d errors", self.n, self.total, now - self.t0, self.errors)


def _progress(total: int, settings: RunSettings):
    if settings.quiet:
        return None
    if not sys.stderr.isatty():
        return LogProgress(total, settings.progress_every)
    from tqdm import tqdm

    return tqdm(total=total, unit="letter", desc="letters", smoothing=0.05, dynamic_ncols=True)
