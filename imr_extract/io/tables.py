"""Read a finished run's tables back, typed by the schema, from whichever format the run wrote.

One reader serves the audit, the evaluation, the dashboard and anyone loading
a run in Python. A table comes from ``TABLE.parquet``, else ``TABLE.csv``, else
``imr.duckdb`` (when ``manifest.json`` names the formats the run wrote, those
are tried first, so a rerun that changed ``--formats`` is not read from stale
files). Every column the schema declares gets the schema's Arrow type whatever
the format: dates as dates, integers as nullable integers, lists as lists,
booleans as booleans. Columns the schema does not know are kept as stored.

    >>> tables = read_run("out")
    >>> tables["decisions"].dtypes["item_no"]
    int64[pyarrow]
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..records import TABLES
from .duck import DB_NAME
from .write import PARTS_DIR, arrow_schema

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FORMATS = ("parquet", "csv", "duckdb")
MANIFEST = "manifest.json"


class RunNotFound(Exception):
    """The folder holds no finished run (no letters table in any format); the message is one line."""


def run_formats(out_dir: str | Path) -> list[str]:
    """The formats holding the run's ``letters`` table, in the order they are read from.

    Raises RunNotFound when there is none.
    """
    return [fmt for fmt, _ in _sources(Path(out_dir))]


def read_table(out_dir: str | Path, table: str) -> pd.DataFrame:
    """One table of a run as a DataFrame with Arrow-backed dtypes.

    Raises RunNotFound when the folder holds no run, KeyError when the run lacks
    this table (an older run without ``audit``, say).
    """
    out_dir = Path(out_dir)
    for fmt, held in _sources(out_dir):
        if table in held:
            return to_frame(_read_arrow(out_dir, table, fmt), table)
    raise KeyError(f"the run in {out_dir} has no {table} table")


def read_run(out_dir: str | Path, tables: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the run in ``out_dir`` (or only ``tables``), as DataFrames with Arrow-backed dtypes.

    A table the run does not hold (``audit`` of an older run) is left out of the
    result. Raises RunNotFound when the folder holds no run.
    """
    out_dir = Path(out_dir)
    sources = _sources(out_dir)
    out: dict[str, pd.DataFrame] = {}
    for table in tables if tables is not None else TABLES:
        fmt = next((f for f, held in sources if table in held), None)
        if fmt is not None:
            out[table] = to_frame(_read_arrow(out_dir, table, fmt), table)
    return out


def to_frame(data: pa.Table, table: str | None = None) -> pd.DataFrame:
    """An Arrow table as a DataFrame of ``pd.ArrowDtype`` columns, the schema's columns cast to their types."""
    import pandas as pd

    if table is not None:
        data = conform(data, table)
    return data.to_pandas(types_mapper=pd.ArrowDtype)


def empty_frame(table: str) -> pd.DataFrame:
    """A table with the schema's columns and types and no rows."""
    return to_frame(arrow_schema(TABLES[table]).empty_table())


def conform(data: pa.Table, table: str) -> pa.Table:
    """Cast the columns the schema declares for ``table`` to their declared types; others stay as they are."""
    import pyarrow as pa

    declared = {f.name: f.type for f in arrow_schema(TABLES[table])} if table in TABLES else {}
    columns = []
    for name, column in zip(data.column_names, data.columns, strict=False):
        want = declared.get(name)
        if want is not None and str(column.type) != str(want):  # equals() ignores a list's item name
            try:
                column = column.cast(want)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"{table}.{name} is {column.type}, not {want}: {exc}") from exc
        columns.append(column)
    return pa.table(columns, names=data.column_names)


# ---------------------------------------------------------------- where each table is

def _preferred_order(out_dir: Path) -> list[str]:
    """FORMATS, the formats the manifest says the run wrote first."""
    try:
        written = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))["settings"]["formats"]
    except (OSError, ValueError, KeyError, TypeError):
        written = []
    return [f for f in FORMATS if f in written] + [f for f in FORMATS if f not in written]


def _sources(out_dir: Path) -> list[tuple[str, set[str]]]:
    """(format, the tables it holds) for each format holding a ``letters`` table, in reading order."""
    found = []
    for fmt in _preferred_order(out_dir):
        held = _duckdb_tables(out_dir / DB_NAME) if fmt == "duckdb" else \
            {p.name[:-len(fmt) - 1] for p in out_dir.glob(f"*.{fmt}") if p.is_file()}
        if "letters" in held:
            found.append((fmt, held))
    if not found:
        raise RunNotFound(_why_no_run(out_dir))
    return found


def _duckdb_tables(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return {r[0] for r in con.sql("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_type = 'BASE TABLE'").fetchall()}
    except duckdb.Error:
        return set()


def _why_no_run(out_dir: Path) -> str:
    if not out_dir.is_dir():
        return f"{out_dir} is not a folder"
    if (out_dir / PARTS_DIR).is_dir() and any((out_dir / PARTS_DIR).glob("part-*.json")):
        return (f"{out_dir} holds an unfinished run (part files, no tables): rerun `imr-extract run ... "
                f"--out {out_dir}` to finish it")
    return (f"{out_dir} holds no run: no letters.parquet, letters.csv or {DB_NAME} "
            f"(make one with `imr-extract run LETTERS --out {out_dir}`)")


# ---------------------------------------------------------------- reading one table

def _read_arrow(out_dir: Path, table: str, fmt: str) -> pa.Table:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(out_dir / f"{table}.parquet")
    if fmt == "csv":
        return _read_csv(out_dir / f"{table}.csv", table)
    return _read_duckdb(out_dir / DB_NAME, table)


def _read_duckdb(path: Path, table: str) -> pa.Table:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        rel = con.sql(f'SELECT * FROM "{table}"')
        fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table  # the name changed in duckdb 1.4
        return fetch()


def _read_csv(path: Path, table: str) -> pa.Table:
    """Every cell read as text (an empty cell is a missing value), then typed: JSON cells for nested types."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, newline="", encoding="utf-8-sig") as f:
        names = next(csv.reader(f), [])
    options = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                   null_values=[""], quoted_strings_can_be_null=True)
    data = pacsv.read_csv(path, convert_options=options)
    declared = {f.name: f.type for f in arrow_schema(TABLES[table])} if table in TABLES else {}
    columns = []
    for name, column in zip(data.column_names, data.columns, strict=False):
        want = declared.get(name)
        if want is not None and pa.types.is_nested(want):
            values = [None if v is None else json.loads(v) for v in column.to_pylist()]
            column = pa.chunked_array([pa.array(values, type=want)])
        columns.append(column)
    return pa.table(columns, names=data.column_names)
