"""Write the tables: part files while a run goes on, final tables at its end.

Workers write their rows as *parts*: one Parquet file per table and a JSON
marker naming the inputs they hold, each written to a temporary name, flushed
to disk (fsync) and renamed, the marker last. A part without a valid marker,
or whose files are not the size its marker says (what a power cut can leave),
never happened: it is removed and its inputs are processed again.

Every row of a part carries ``_seq``, the position of its input in the
marker, so the run can choose, input by input, which rows go into the final
tables (the newest for an input whose bytes changed, none for an input no
longer given, the first of several copies of one letter). Final tables are
assembled part by part (memory bounded by one part) and appear by rename.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..records import DECISION_COLUMNS, LETTER_COLUMNS, TABLES, Column
from .arrow import json_lists, neutralized, schema_for, table_from_rows

PARTS_DIR = ".parts"
SEQ = "_seq"
MARKER_VERSION = 2
#: The flat table written beside the others: each decision with its letter's columns.
ENRICHED = "decisions_enriched"
ENRICHED_COLUMNS: tuple[Column, ...] = DECISION_COLUMNS + tuple(c for c in LETTER_COLUMNS if c.name != "letter_id")
#: File formats a run can write; ``duckdb`` and ``xlsx`` are one file each for the whole run.
FORMATS = ("csv", "parquet", "duckdb", "xlsx")
#: Disk-full and quota errors: the run stops and says so instead of writing half a table.
NO_SPACE_ERRNOS = {28, 27, 122}  # ENOSPC, EFBIG, EDQUOT


def arrow_schema(columns: tuple[Column, ...], table: str | None = None):
    """The Arrow schema of a declared table (field descriptions in the metadata)."""
    return schema_for(columns, table)


def part_schema(table: str):
    """The Arrow schema of a table's part files: the declared columns and ``_seq``."""
    import pyarrow as pa

    return schema_for(TABLES[table], table, extra=[pa.field(SEQ, pa.int64())])


def to_arrow(table: str, rows: list[dict[str, Any]]):
    """Rows -> Arrow table of the declared schema."""
    return table_from_rows(rows, TABLES[table], arrow_schema(TABLES[table], table))


def fault_point(name: str) -> None:
    """Fault injection for the crash tests: ``IMR_EXTRACT_FAULT=name:N`` kills this process (SIGKILL)
    the N-th time it reaches ``name`` (its process group too when it leads one), as a power cut would."""
    spec = os.environ.get("IMR_EXTRACT_FAULT")
    if not spec or spec.split(":")[0] != name:
        return
    _FAULT_HITS[name] = _FAULT_HITS.get(name, 0) + 1
    if _FAULT_HITS[name] >= int(spec.split(":")[1] if ":" in spec else 1):
        import signal

        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


_FAULT_HITS: dict[str, int] = {}


def tmp_name(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place (``.NAME.tmp-PID``)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


_atomic_path = tmp_name  # the name other modules used


def write_durable(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` by temporary file, fsync and rename (the folder is fsync'd by the caller)."""
    tmp = tmp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (its renames) to disk; a file system that cannot sync a folder is let be."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the files themselves are synced
        pass
    finally:
        os.close(fd)


def encode_part(rows: dict[str, list[dict[str, Any]]], seqs: dict[str, list[int]]) -> dict[str, bytes]:
    """One part's rows as Parquet bytes per table (every row tagged with its input's ``_seq``)."""
    import io

    import pyarrow.parquet as pq

    out = {}
    for table, columns in TABLES.items():
        t = table_from_rows(rows.get(table, []), columns, part_schema(table), ints={SEQ: seqs.get(table, [])})
        buf = io.BytesIO()
        pq.write_table(t, buf, compression="zstd")
        out[table] = buf.getvalue()
    return out


@dataclass
class Part:
    """A durable part: its file stem, the run that wrote it, and the inputs its rows belong to."""

    stem: str
    run: int
    inputs: list[dict[str, Any]]
    sizes: dict[str, int] = field(default_factory=dict)


class PartStore:
    """Durable batches of rows under ``OUT/.parts``; the resume state is the parts themselves."""

    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir) / PARTS_DIR
        self.dir.mkdir(parents=True, exist_ok=True)

    def marker_paths(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.json"))

    markers = marker_paths

    def load(self, on_dropped: Callable[[str], None] | None = None) -> list[Part]:
        """Every complete part, oldest first. Damaged or unfinished parts are removed (their inputs
        are then processed again); ``on_dropped`` hears why."""
        parts, keep = [], set()
        for marker in self.marker_paths():
            part, why = self._read_marker(marker)
            if part is None:
                self._remove(marker.stem)
                if on_dropped:
                    on_dropped(f"{marker.name}: {why}; its letters will be processed again")
                continue
            parts.append(part)
            keep.add(part.stem)
        self._remove_strays(keep)
        parts.sort(key=lambda p: (p.run, p.stem))
        return parts

    def _read_marker(self, marker: Path) -> tuple[Part | None, str]:
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return None, f"the marker cannot be read ({type(exc).__name__}: it was cut short?)"
        if not isinstance(info, dict) or info.get("version") != MARKER_VERSION:
            return None, "written by an older version of imr-extract"
        sizes = info.get("sizes", {})
        for table in TABLES:
            path = self.dir / f"{marker.stem}.{table}.parquet"
            try:
                size = path.stat().st_size
            except OSError:
                return None, f"its {table} file is missing"
            if size != sizes.get(table):
                return None, f"its {table} file is {size} bytes, not the {sizes.get(table)} written (cut short?)"
        return Part(marker.stem, int(info.get("run", 0)), info["inputs"], sizes), ""

    def _remove(self, stem: str) -> None:
        for p in self.dir.glob(f"{stem}.*"):
            p.unlink(missing_ok=True)

    def _remove_strays(self, keep: set[str]) -> None:
        """Temporary files and part files without a marker: what an interrupted writer left."""
        for p in self.dir.iterdir():
            if p.name.startswith(".") or p.name.split(".")[0] not in keep:
                p.unlink(missing_ok=True)

    def commit(self, stem: str, encoded: dict[str, bytes], inputs: list[dict[str, Any]], run: int) -> None:
        """Make one part durable: table files first, the marker (naming them and their sizes) last."""
        for table, data in encoded.items():
            write_durable(self.dir / f"{stem}.{table}.parquet", data)
        fault_point("part-files-written")
        marker = {"version": MARKER_VERSION, "run": run, "inputs": inputs,
                  "sizes": {t: len(d) for t, d in encoded.items()}}
        write_durable(self.dir / f"{stem}.json", json.dumps(marker).encode("utf-8"))
        fsync_dir(self.dir)
        fault_point("part-committed")

    def part_file(self, stem: str, table: str) -> Path:
        return self.dir / f"{stem}.{table}.parquet"

    def part_files(self, table: str) -> list[Path]:
        return [self.part_file(m.stem, table) for m in self.marker_paths()]

    def clear(self) -> None:
        for p in self.dir.iterdir():
            p.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- final tables


@dataclass
class Selection:
    """Which rows of which parts make the final tables: part stem -> {seq: source_path to write}."""

    parts: dict[str, dict[int, str]]
    order: list[str]  # part stems in the order their rows are written
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # rows computed by the driver


def selected_batches(store: PartStore, selection: Selection, table: str, columns: list[str] | None = None
                     ) -> Iterator:
    """The selected rows of ``table``, part by part, ``_seq`` kept, ``source_path`` as given this run."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from .arrow import int_array, string_array

    for stem in selection.order:
        chosen = selection.parts[stem]
        # ParquetFile, not read_table: read_table goes through pyarrow.dataset, which imports pandas
        t = pq.ParquetFile(store.part_file(stem, table)).read(columns=columns and [*columns, SEQ])
        if not t.num_rows:
            continue
        seqs = t.column(SEQ)
        t = t.filter(pc.is_in(seqs, value_set=int_array(sorted(chosen))))
        if "source_path" in t.column_names and t.num_rows:
            wanted = sorted(chosen)
            names = string_array([chosen[s] for s in wanted])
            at = pc.index_in(t.column(SEQ), value_set=int_array(wanted))
            t = t.set_column(t.column_names.index("source_path"), "source_path", names.take(at))
        if t.num_rows:
            yield t


def _enriched_batches(store: PartStore, selection: Selection) -> Iterator:
    """Each decision with its letter's columns, part by part (a letter and its decisions share a part)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for stem in selection.order:
        sub = Selection({stem: selection.parts[stem]}, [stem])
        decisions = list(selected_batches(store, sub, "decisions"))
        if not decisions:
            continue
        letter_rows = list(selected_batches(store, sub, "letters"))
        if not letter_rows:
            continue
        d, lt = decisions[0], letter_rows[0]
        at = pc.index_in(d.column(SEQ), value_set=lt.column(SEQ))
        joined = lt.take(at)
        cols = [d.column(c.name) for c in DECISION_COLUMNS]
        cols += [joined.column(c.name) for c in LETTER_COLUMNS if c.name != "letter_id"]
        yield pa.Table.from_arrays(cols, names=[c.name for c in ENRICHED_COLUMNS])


class _Sinks:
    """The files one table is written to (Parquet, CSV, a sheet of the workbook), by temporary name."""

    def __init__(self, out_dir: Path, table: str, columns: tuple[Column, ...], formats: set[str], workbook=None,
                 database=None):
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        self.table, self.columns = table, columns
        self.schema = arrow_schema(columns, table)
        self.finals: list[tuple[Path, Path]] = []
        self.parquet = self.csv = None
        self.sheet = workbook.sheet(table, columns) if workbook is not None else None
        self.database = database
        if database is not None:
            database.create(table, columns)
        if "parquet" in formats:
            path = out_dir / f"{table}.parquet"
            self.finals.append((tmp_name(path), path))
            self.parquet = pq.ParquetWriter(tmp_name(path), self.schema)
        if "csv" in formats:
            path = out_dir / f"{table}.csv"
            self.finals.append((tmp_name(path), path))
            self.csv = pacsv.CSVWriter(tmp_name(path), csv_schema(columns),
                                       write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"))
        self.rows = 0

    def write(self, batch) -> None:
        batch = batch.select([c.name for c in self.columns]).cast(self.schema)
        self.rows += batch.num_rows
        if self.parquet:
            self.parquet.write_table(batch)
        if self.csv:
            self.csv.write_table(csv_ready(batch, self.columns))
        if self.sheet is not None:
            self.sheet.write(batch)
        if self.database is not None:
            self.database.insert(self.table, batch)

    def close(self) -> None:
        for w in (self.parquet, self.csv):
            if w is not None:
                w.close()

    def publish(self) -> None:
        for tmp, path in self.finals:
            os.replace(tmp, path)

    def discard(self) -> None:
        self.close()
        for tmp, _ in self.finals:
            tmp.unlink(missing_ok=True)


def csv_schema(columns: tuple[Column, ...]):
    """The Arrow schema of a table's CSV file: list and citations columns as text (JSON arrays), others as declared."""
    import pyarrow as pa

    from .arrow import arrow_type

    return pa.schema([pa.field(c.name, pa.string() if c.type in ("list", "citations") else arrow_type(c.type))
                      for c in columns])


def csv_ready(batch, columns: tuple[Column, ...]):
    """The batch for a CSV file: lists as JSON arrays, text that a spreadsheet would run as a formula
    (``=``, ``+``, ``-``, ``@`` first) prefixed with ``'``. Parquet and DuckDB keep the exact values."""
    import pyarrow as pa

    arrays = []
    for c in columns:
        col = batch.column(c.name).combine_chunks()
        if c.type in ("list", "citations"):
            col = json_lists(col)
        elif c.type == "string":
            col = neutralized(col)
        arrays.append(col)
    return pa.Table.from_arrays(arrays, schema=csv_schema(columns))


def finalize(store: PartStore, out_dir: Path, selection: Selection, formats: Iterable[str] = ("csv", "parquet")
             ) -> dict[str, int]:
    """Assemble every table (and ``decisions_enriched``) from the selected part rows plus the extra rows.

    Each file is written under a temporary name and renamed once complete; the previous
    tables stay in place until then. Returns the row count of each table.
    """
    import pyarrow as pa

    formats = set(formats)
    out_dir = Path(out_dir)
    pool = pa.default_memory_pool()
    workbook = database = None
    if "xlsx" in formats:
        from .xlsx import Workbook

        workbook = Workbook(out_dir)
    if "duckdb" in formats:
        from .duck import Database

        database = Database(out_dir)
    counts: dict[str, int] = {}
    sinks_all: list[_Sinks] = []
    try:
        plan: list[tuple[str, tuple[Column, ...], Callable[[], Iterator[Any]]]] = [
            (t, c, partial(selected_batches, store, selection, t)) for t, c in TABLES.items()]
        plan.append((ENRICHED, ENRICHED_COLUMNS, lambda: _enriched_batches(store, selection)))
        for table, columns, batches in plan:
            sinks = _Sinks(out_dir, table, columns, formats, workbook if table != "evidence" else None,
                           database if table in TABLES else None)
            sinks_all.append(sinks)
            for batch in batches():
                pool.release_unused()  # hand the previous part's buffers back before reading the next
                sinks.write(batch)
            extra = selection.extra.get(table)
            if extra:
                sinks.write(to_arrow(table, extra))
            sinks.close()
            counts[table] = sinks.rows
        for whole in (workbook, database):
            if whole is not None:
                whole.close()
        for sinks in sinks_all:
            sinks.publish()
            fault_point("final-table-published")
        for whole in (workbook, database):
            if whole is not None:
                whole.publish()
    except BaseException:
        for sinks in sinks_all:
            sinks.discard()
        for whole in (workbook, database):
            if whole is not None:
                whole.discard()
        raise
    return counts


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` as indented JSON, durably (temporary file, fsync, rename)."""
    write_durable(path, (json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n").encode("utf-8"))


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Temporary files (``.NAME.tmp-PID``) an interrupted run left in ``out_dir`` and its parts folder
    (called with no worker running); returns what was removed."""
    gone = []
    for folder in (Path(out_dir), Path(out_dir) / PARTS_DIR):
        for p in folder.glob(".*.tmp-*"):
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone
