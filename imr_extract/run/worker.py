"""The work of one worker process: inputs in, a part file and small outcomes out.

``process_letter`` turns one letter's bytes into table rows and never raises:
any failure becomes an ``errors`` row, so one bad letter cannot stop a batch
or take another letter's rows with it. ``run_chunk`` does that for a list of
tasks and writes their rows as one part (the driver receives only an
:class:`Outcome` per input: hash, letter id, error kind).
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..io.inputs import InputRef

Rows = dict[str, list[dict[str, Any]]]

#: Error kinds worth another try on the next run (the machine, not the letter, may have been the cause).
TRANSIENT_KINDS = frozenset({"timeout", "worker_crashed", "memory_limit", "internal_error", "unreadable_file"})
#: A normalized line this long means the text lost its line breaks: fields are likely missing.
LONG_LINE = 10_000


@dataclass(frozen=True)
class Task:
    """One input for a worker; ``known_hash`` is its SHA-256 in an earlier run (unchanged bytes are skipped)."""

    ordinal: int
    ref: InputRef
    known_hash: str | None = None


@dataclass
class Outcome:
    """What the driver learns about one input (never its rows)."""

    ordinal: int
    content_hash: str | None
    status: str  # "letter" | "error" | "unchanged"
    letter_id: str | None = None
    error_kind: str | None = None
    message: str | None = None
    long_line: int = 0


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs to know; ``out_dir`` None means parts are returned, not written (Dask)."""

    max_bytes: int
    pdf_backend: str
    run: int
    out_dir: str | None = None
    max_memory: int | None = None  # bytes of address space a worker may add to its start-up size
    warm_up: bool = False  # compile every rule before the first letter (a worker that serves many chunks)


@dataclass
class ChunkResult:
    """What a chunk gives back: each input's outcome and, when it made rows, the part's stem, the inputs it holds
    and (when the worker did not write them) the part's files."""

    chunk_id: int
    outcomes: list[Outcome]
    stem: str | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    encoded: dict[str, bytes] | None = None  # the part's files, when the worker did not write them


def process_letter(name: str, data: bytes, content_hash: str, pdf_backend: str = "pdfium") -> Rows:
    """One letter's bytes -> its table rows (``letters``, ``decisions``, ``evidence``, ``audit``, ``errors``)."""
    from ..extract.letter import NotAnIMRLetter, parse_normalized
    from ..io.read import ReadError, read_bytes
    from ..text.normalize import normalize

    try:
        doc = read_bytes(data, name, backend=pdf_backend)
        normalized = normalize(doc.pages)
        record = parse_normalized(normalized, source_path=name, source_type=doc.source_type)
    except ReadError as exc:
        return error_rows(name, content_hash, exc.kind, exc.message)
    except NotAnIMRLetter as exc:
        return error_rows(name, content_hash, "not_an_imr_letter", str(exc))
    except RecursionError as exc:  # pathological PDFs can recurse deeply in the parser
        return error_rows(name, content_hash, "corrupt_pdf", f"the PDF structure is too deeply nested: {exc}")
    except MemoryError:
        return error_rows(name, content_hash, "memory_limit", "the letter needed more memory than a worker may "
                                                              "use (--max-memory); a decompression bomb?")
    except Exception as exc:  # noqa: BLE001 - a bug of ours: keep going, but say so plainly
        return error_rows(name, content_hash, "internal_error",
                          f"unexpected {type(exc).__name__}: {exc}; please report this letter")
    from ..insight.checks import audit_rows

    rows: dict[str, Any] = record.rows(content_hash)  # Rows, and "_long_line" (an int) for process_task
    rows["audit"] = audit_rows(record)
    rows["errors"] = []
    rows["_long_line"] = max(map(len, normalized.text.split("\n")), default=0)
    return rows


def error_rows(name: str, content_hash: str | None, kind: str, message: str) -> Rows:
    """The rows of an input that gave no letter: one ``errors`` row, every other table empty."""
    return {"letters": [], "decisions": [], "evidence": [], "audit": [],
            "errors": [{"source_path": name, "content_hash": content_hash, "error_kind": kind, "message": message}]}


def process_task(task: Task, settings: WorkerSettings) -> tuple[Outcome, Rows | None]:
    """Read, hash and (unless unchanged since an earlier run) process one input."""
    from ..io.read import ReadError

    ref = task.ref
    try:
        data = ref.read_bytes(settings.max_bytes)
    except ReadError as exc:
        rows = error_rows(ref.display, None, exc.kind, exc.message)
        return Outcome(task.ordinal, None, "error", error_kind=exc.kind, message=exc.message), rows
    except OSError as exc:
        message = f"cannot read: {exc.strerror or exc}"
        return (Outcome(task.ordinal, None, "error", error_kind="unreadable_file", message=message),
                error_rows(ref.display, None, "unreadable_file", message))
    digest = hashlib.sha256(data).hexdigest()
    if digest == task.known_hash:
        return Outcome(task.ordinal, digest, "unchanged"), None
    rows = process_letter(ref.display, data, digest, settings.pdf_backend)
    long_line = cast(int, rows.pop("_long_line", 0))  # process_letter's one non-table entry
    if rows["errors"]:
        err = rows["errors"][0]
        return Outcome(task.ordinal, digest, "error", error_kind=err["error_kind"], message=err["message"]), rows
    lid = rows["letters"][0]["letter_id"]
    return Outcome(task.ordinal, digest, "letter", letter_id=lid,
                   long_line=long_line if long_line >= LONG_LINE else 0), rows


def part_stem(run: int, chunk_id: int) -> str:
    """A part's file stem: the run, the chunk, and a random tag (a retried chunk never overwrites)."""
    return f"part-r{run:05d}-c{chunk_id:07d}-{secrets.token_hex(3)}"


def run_chunk(chunk_id: int, tasks: list[Task], settings: WorkerSettings,
              started: Callable[[int], None] = lambda ordinal: None,
              stop: Callable[[], bool] = lambda: False) -> ChunkResult:
    """Process ``tasks`` in order and write (or return) their rows as one part.

    ``started(ordinal)`` is told before each letter (the driver's per-letter clock);
    ``stop()`` true ends the chunk early: what is done so far is still written.
    """
    from ..io.write import TABLES, PartStore, encode_part

    rows: Rows = {t: [] for t in TABLES}
    seqs: dict[str, list[int]] = {t: [] for t in TABLES}
    inputs: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    for task in tasks:
        if stop():
            break
        started(task.ordinal)
        outcome, letter_rows = process_task(task, settings)
        outcomes.append(outcome)
        if letter_rows is None:
            continue
        seq = len(inputs)
        inputs.append({"key": task.ref.id, "source_path": task.ref.display, "content_hash": outcome.content_hash,
                       "letter_id": outcome.letter_id, "error_kind": outcome.error_kind})
        for table in TABLES:
            table_rows = letter_rows.get(table, [])
            rows[table].extend(table_rows)
            seqs[table].extend([seq] * len(table_rows))
    started(-1)
    result = ChunkResult(chunk_id, outcomes)
    if inputs:
        result.stem, result.inputs = part_stem(settings.run, chunk_id), inputs
        encoded = encode_part(rows, seqs)
        if settings.out_dir is None:
            result.encoded = encoded
        else:
            PartStore(Path(settings.out_dir)).commit(result.stem, encoded, inputs, settings.run)
    return result


def warm_up() -> None:
    """Import and compile everything once, so a letter's time limit measures the letter.

    The driver runs it before forking its workers (they inherit the compiled patterns);
    a worker started afresh (the Dask engine's) runs it itself. spaCy is left to load on
    first use: few letters need it (see nlp.sentence_end).
    """
    from ..extract import (
        letter,  # noqa: F401  (imports every extractor and check)
        service,  # noqa: F401
    )
    from ..insight import checks  # noqa: F401
    from ..rule_schema import SCHEMAS
    from ..rules import load_rules, save_compiled_patterns

    for kind in SCHEMAS:
        for rule in load_rules(kind):
            if "pattern" in rule.attrs:
                _ = rule.regex
    import_writers()
    save_compiled_patterns()  # before any fork: a worker's exit does not run atexit hooks
    import pypdfium2  # noqa: F401


def import_writers() -> None:
    """The Arrow modules a part is written with (0.3 s of imports: once per process, before any letter)."""
    import pyarrow.compute
    import pyarrow.json
    import pyarrow.parquet  # noqa: F401


def limit_memory(extra_bytes: int | None) -> None:
    """Cap this process's address space at its present size plus ``extra_bytes`` (a bomb then fails here)."""
    if not extra_bytes:
        return
    import resource

    try:
        with open("/proc/self/statm") as f:
            now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return  # no /proc: no cap rather than a wrong one
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = now + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
