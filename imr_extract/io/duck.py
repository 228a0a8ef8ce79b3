"""One DuckDB file of a run, for BI tools and SQL users.

Written while the run assembles its final tables (the same selected rows, the
schema's own types and column descriptions as comments), or rebuilt later from
the Parquet tables with :func:`write_duckdb`. The file appears by rename: a
reader never opens a half-built database, and a failed build leaves the
previous one in place.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..records import TABLES, Column
from .write import tmp_name

DB_NAME = "imr.duckdb"

#: Each decision with its letter's columns, for tools that want one flat table.
ENRICHED_VIEW = """
CREATE VIEW decisions_enriched AS
SELECT d.*, l.* EXCLUDE (letter_id)
FROM decisions AS d LEFT JOIN letters AS l USING (letter_id)
"""
_SQL_TYPES = {"string": "VARCHAR", "int": "BIGINT", "bool": "BOOLEAN", "date": "DATE", "list": "VARCHAR[]",
              "citations": "STRUCT(source VARCHAR, document VARCHAR, year BIGINT, sections VARCHAR[], pages VARCHAR)[]"}


def _sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class Database:
    """A DuckDB file being built under a temporary name; ``publish()`` renames it into place."""

    def __init__(self, out_dir: str | Path):
        import duckdb

        self.path = Path(out_dir) / DB_NAME
        self.tmp = tmp_name(self.path)
        self.tmp.unlink(missing_ok=True)
        self.con = duckdb.connect(str(self.tmp))

    def create(self, name: str, columns: tuple[Column, ...]) -> None:
        cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.type]}' for c in columns)
        self.con.execute(f'CREATE TABLE "{name}" ({cols})')
        for c in columns:
            self.con.execute(f'COMMENT ON COLUMN "{name}"."{c.name}" IS {_sql_text(c.description)}')

    def insert(self, name: str, batch) -> None:
        self.con.register("batch_rows", batch)
        self.con.execute(f'INSERT INTO "{name}" SELECT * FROM batch_rows')
        self.con.unregister("batch_rows")

    def close(self) -> None:
        self.con.execute(ENRICHED_VIEW)
        self.con.execute("COMMENT ON VIEW decisions_enriched IS 'Each decision joined with its letter (letters "
                         "columns after the decision columns).'")
        self.con.close()

    def publish(self) -> None:
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        try:
            self.con.close()
        finally:
            self.tmp.unlink(missing_ok=True)
            Path(f"{self.tmp}.wal").unlink(missing_ok=True)


def _arrow_table(out_dir: Path, table: str, columns):
    """A finished run's table with the schema's types; an empty table when the run wrote none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .write import arrow_schema

    schema = arrow_schema(columns, table)
    path = out_dir / f"{table}.parquet"
    if not path.exists():
        return pa.Table.from_batches([], schema=schema)  # (empty_table() would import pandas)
    return pq.ParquetFile(path).read().select([c.name for c in columns]).cast(schema)


def write_duckdb(out_dir: str | Path) -> Path:
    """(Re)build ``imr.duckdb`` from a finished run's Parquet tables."""
    out_dir = Path(out_dir)
    db = Database(out_dir)
    try:
        for name, columns in TABLES.items():
            db.create(name, columns)
            db.insert(name, _arrow_table(out_dir, name, columns))
        db.close()
    except BaseException:
        db.discard()
        raise
    db.publish()
    return db.path
