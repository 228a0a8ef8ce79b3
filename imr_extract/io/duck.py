"""One DuckDB file of a run, for BI tools and SQL users.

Built from the Parquet tables the run wrote (or, with ``--formats duckdb``
alone, from the run's part files, which hold the same rows), so the types are
the schema's own. The file appears by rename: a reader never opens a half-built
database, and a failed build leaves the previous one in place.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..records import TABLES
from .write import _atomic_path

DB_NAME = "imr.duckdb"

#: Each decision with its letter's columns, for tools that want one flat table.
ENRICHED_VIEW = """
CREATE VIEW decisions_enriched AS
SELECT d.*, l.* EXCLUDE (letter_id)
FROM decisions AS d LEFT JOIN letters AS l USING (letter_id)
"""


def _table_sources(out_dir: Path, table: str) -> list[Path]:
    final = out_dir / f"{table}.parquet"
    if final.exists():
        return [final]
    from .write import PartStore

    return PartStore(out_dir).part_files(table)


def _arrow_table(out_dir: Path, table: str, columns):
    """The table's rows with the schema's types; an empty table when the run has none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .write import arrow_schema

    schema = arrow_schema(columns)
    batches = [pq.read_table(p).cast(schema) for p in _table_sources(out_dir, table) if p.exists()]
    return pa.concat_tables(batches) if batches else schema.empty_table()


def _sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def write_duckdb(out_dir: str | Path) -> Path:
    import duckdb

    out_dir = Path(out_dir)
    tables = dict(TABLES)
    if (out_dir / "audit.parquet").exists():
        from ..insight.audit import AUDIT_COLUMNS

        tables["audit"] = AUDIT_COLUMNS
    path = out_dir / DB_NAME
    tmp = _atomic_path(path)
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, columns in tables.items():
            data = _arrow_table(out_dir, name, columns)  # noqa: F841 - read by name in the SQL below
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM data')
            for c in columns:
                con.execute(f"COMMENT ON COLUMN \"{name}\".\"{c.name}\" IS {_sql_text(c.description)}")
        con.execute(ENRICHED_VIEW)
        con.execute("COMMENT ON VIEW decisions_enriched IS 'Each decision joined with its letter (letters columns "
                    "after the decision columns).'")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, path)
    return path
