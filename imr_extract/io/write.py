"""Write the tables: part files while a run goes on, final tables at its end.

Rows reach disk in parts of a bounded size, each written to a temporary name
and renamed, with a small JSON marker renamed last: a part without its marker
never happened. Final tables are assembled part by part (memory bounded by one
part) and also appear by rename, so a crash never leaves a table that looks whole.
"""
from __future__ import annotations

import itertools
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..records import TABLES, Column

PARTS_DIR = ".parts"


def _csv_options():
    import pyarrow.csv as pacsv

    return pacsv.WriteOptions(include_header=True, quoting_style="needed")


def arrow_schema(columns: tuple[Column, ...]):
    import pyarrow as pa

    citation = pa.struct([("source", pa.string()), ("document", pa.string()), ("year", pa.int64()),
                          ("sections", pa.list_(pa.string())), ("pages", pa.string())])
    types = {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "date": pa.date32(),
             "list": pa.list_(pa.string()), "citations": pa.list_(citation)}
    return pa.schema([pa.field(c.name, types[c.type]) for c in columns])


def _arrow_value(col: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if col.type == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if col.type == "list":
        return [None if v is None else str(v) for v in value] or None
    if col.type == "citations":
        return list(value) or None
    if col.type == "int":
        return int(value)
    if col.type == "bool":
        return bool(value)
    return str(value)


def to_arrow(table: str, rows: list[dict[str, Any]]):
    """Rows -> Arrow table of the declared schema, column by column (the driver's hot path)."""
    import pyarrow as pa

    columns = TABLES[table]
    schema = arrow_schema(columns)
    arrays = []
    for col, fld in zip(columns, schema):
        values = [r.get(col.name) for r in rows]
        try:
            arrays.append(_fast_array(col, values, fld.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            arrays.append(pa.array([_arrow_value(col, v) for v in values], type=fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _fast_array(col: Column, values: list[Any], arrow_type):
    import pyarrow as pa

    if col.type == "date":
        return pa.array([v or None for v in values], type=pa.string()).cast(arrow_type)
    if col.type in ("list", "citations"):
        return pa.array([list(v) if v else None for v in values], type=arrow_type)
    if col.type == "string":
        return pa.array([v if v != "" else None for v in values], type=arrow_type)
    return pa.array([None if v == "" else v for v in values], type=arrow_type)


def csv_ready(batch, columns: tuple[Column, ...]):
    """The batch with list columns as JSON arrays and booleans as true/false, ready for a CSV writer."""
    import pyarrow as pa

    arrays = []
    for c in columns:
        col = batch.column(c.name)
        if c.type in ("list", "citations"):
            col = pa.array([json.dumps(v, ensure_ascii=False) if v else None for v in col.to_pylist()],
                           type=pa.string())
        arrays.append(col)
    return pa.table(arrays, names=[c.name for c in columns])


def _atomic_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


class PartStore:
    """Durable batches of rows under ``OUT/.parts``; the resume state is the parts themselves."""

    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir) / PARTS_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self._clean_incomplete()
        self._seq = max((int(p.stem.split("-")[1]) for p in self.markers()), default=0)

    def markers(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.json"))

    def _clean_incomplete(self) -> None:
        done = {p.stem for p in self.dir.glob("part-*.json")}
        for p in self.dir.iterdir():
            stem = p.name.split(".")[0]
            if p.name.startswith(".") or (p.suffix == ".parquet" and stem not in done):
                p.unlink(missing_ok=True)

    def done_inputs(self) -> tuple[set[str], set[str]]:
        """(source paths, content hashes) already recorded by earlier parts."""
        paths, hashes = set(), set()
        for marker in self.markers():
            info = json.loads(marker.read_text())
            for path, digest in info["inputs"]:
                paths.add(path)
                if digest:
                    hashes.add(digest)
        return paths, hashes

    def write(self, rows: dict[str, list[dict[str, Any]]], inputs: list[tuple[str, str | None]]) -> None:
        import pyarrow.parquet as pq

        self._seq += 1
        stem = f"part-{self._seq:06d}"
        for table in TABLES:
            path = self.dir / f"{stem}.{table}.parquet"
            tmp = _atomic_path(path)
            pq.write_table(to_arrow(table, rows.get(table, [])), tmp)
            os.replace(tmp, path)
        marker = self.dir / f"{stem}.json"
        tmp = _atomic_path(marker)
        tmp.write_text(json.dumps({"inputs": inputs, "counts": {t: len(rows.get(t, [])) for t in TABLES}}))
        os.replace(tmp, marker)

    def part_files(self, table: str) -> list[Path]:
        return [self.dir / f"{m.stem}.{table}.parquet" for m in self.markers()]

    def iter_batches(self, table: str) -> Iterator:
        import pyarrow.parquet as pq

        for path in self.part_files(table):
            yield pq.read_table(path)

    def clear(self) -> None:
        for p in self.dir.iterdir():
            p.unlink(missing_ok=True)


def finalize(store: PartStore, out_dir: Path, formats: Iterable[str] = ("csv", "parquet"),
             extra: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, int]:
    """Assemble every table from the parts (plus ``extra`` rows computed over the whole run)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    import pyarrow as pa

    pool = pa.default_memory_pool()
    formats = set(formats)
    counts = {}
    for table, columns in TABLES.items():
        schema = arrow_schema(columns)
        pq_path, csv_path = out_dir / f"{table}.parquet", out_dir / f"{table}.csv"
        pq_tmp, csv_tmp = _atomic_path(pq_path), _atomic_path(csv_path)
        batches = store.iter_batches(table)
        if extra and extra.get(table):
            batches = itertools.chain(batches, [to_arrow(table, extra[table])])
        writer = pq.ParquetWriter(pq_tmp, schema) if "parquet" in formats else None
        csv_writer = None
        n = 0
        try:
            for batch in batches:
                pool.release_unused()  # hand the previous part's buffers back before reading the next
                batch = batch.cast(schema)
                n += batch.num_rows
                if writer:
                    writer.write_table(batch)
                if "csv" in formats:
                    flat = csv_ready(batch, columns)
                    if csv_writer is None:
                        csv_writer = pacsv.CSVWriter(csv_tmp, flat.schema, write_options=_csv_options())
                    csv_writer.write_table(flat)
            if "csv" in formats and csv_writer is None:  # no rows: still a file with the header
                csv_writer = pacsv.CSVWriter(csv_tmp, csv_ready(to_arrow(table, []), columns).schema,
                                             write_options=_csv_options())
        finally:
            if writer:
                writer.close()
            if csv_writer:
                csv_writer.close()
        if writer:
            os.replace(pq_tmp, pq_path)
        if "csv" in formats:
            os.replace(csv_tmp, csv_path)
        counts[table] = n
    return counts


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = _atomic_path(path)
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)
