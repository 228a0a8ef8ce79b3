"""`--formats duckdb`: one database file with the tables and a decisions_enriched view."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from conftest import seed_paths
from imr_extract.io import duck
from imr_extract.insight.audit import findings_frame
from imr_extract.run.batch import RunSettings, run
from imr_extract.io.inputs import expand
from imr_extract.records import DECISION_COLUMNS, LETTER_COLUMNS, TABLES


def run_seeds(out, formats):
    run(list(expand([str(p) for p in seed_paths()])), out,
        RunSettings(workers=1, timeout=None, quiet=True, formats=formats))
    return out


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    return run_seeds(tmp_path_factory.mktemp("duck-full"), ("csv", "parquet", "duckdb"))


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_run_writes_every_table(full_run):
    db = full_run / duck.DB_NAME
    assert db.exists()
    names = {r[0] for r in query(db, "SELECT table_name FROM information_schema.tables")}
    assert names >= set(TABLES) | {"decisions_enriched"}
    for table in TABLES:
        expected = len(pd.read_parquet(full_run / f"{table}.parquet"))
        assert query(db, f"SELECT count(*) FROM {table}")[0][0] == expected, table
    assert not list(full_run.glob(".*tmp*")) and not list(full_run.glob("*.wal"))


def test_types_follow_the_schema(full_run):
    db = full_run / duck.DB_NAME
    types = dict(query(db, "SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_name = 'letters'"))
    assert types["injury_date"] == "DATE" and types["patient_age"] == "BIGINT"
    assert types["reviewer_specialties"] == "VARCHAR[]" and types["reviewer_board_certified"] == "BOOLEAN"
    (day,) = query(db, "SELECT min(injury_date) FROM letters")[0]
    assert isinstance(day, dt.date)
    comments = dict(query(db, "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'decisions'"))
    assert comments["quantity"] == next(c.description for c in DECISION_COLUMNS if c.name == "quantity")


def test_enriched_view_joins_each_decision_with_its_letter(full_run):
    db = full_run / duck.DB_NAME
    columns = [r[0] for r in query(db, "DESCRIBE decisions_enriched")]
    assert columns == [c.name for c in DECISION_COLUMNS] + [c.name for c in LETTER_COLUMNS if c.name != "letter_id"]
    n_decisions = query(db, "SELECT count(*) FROM decisions")[0][0]
    joined = query(db, "SELECT count(*), count(source_path) FROM decisions_enriched")[0]
    assert joined == (n_decisions, n_decisions)  # every decision found its letter, none doubled
    ages = query(db, "SELECT DISTINCT e.patient_age = l.patient_age FROM decisions_enriched e "
                     "JOIN letters l USING (letter_id)")
    assert ages == [(True,)]


def test_duckdb_alone_reads_the_parts(full_run, tmp_path):
    out = run_seeds(tmp_path / "only", ("duckdb",))
    assert not list(out.glob("*.parquet")) and not list(out.glob("*.csv"))
    for table in TABLES:
        sql = f"SELECT count(*) FROM {table}"
        assert query(out / duck.DB_NAME, sql) == query(full_run / duck.DB_NAME, sql), table


def test_audit_table_included_when_written(full_run, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(full_run, out)
    findings_frame([{"letter_id": "x", "item_no": 1, "check": "quantity_mismatch", "severity": "warning",
                     "message": "m"}]).to_parquet(out / "audit.parquet")
    duck.write_duckdb(out)
    assert query(out / duck.DB_NAME, 'SELECT "check", item_no FROM audit') == [("quantity_mismatch", 1)]


def test_failed_build_keeps_the_previous_file(full_run, tmp_path, monkeypatch):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(full_run, out)
    before = (out / duck.DB_NAME).read_bytes()
    calls = []

    def fail_on_second(out_dir, table, columns):
        calls.append(table)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return original(out_dir, table, columns)

    original = duck._arrow_table
    monkeypatch.setattr(duck, "_arrow_table", fail_on_second)
    with pytest.raises(OSError):
        duck.write_duckdb(out)
    assert (out / duck.DB_NAME).read_bytes() == before
    assert not list(out.glob(f".{duck.DB_NAME}*"))


def test_run_without_letters_gives_empty_tables(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "note.txt").write_text("Not a determination letter at all.\n")
    out = tmp_path / "out"
    run(list(expand([str(tmp_path / "in")])), out, RunSettings(workers=1, timeout=None, quiet=True,
                                                              formats=("parquet", "duckdb")))
    db = out / duck.DB_NAME
    assert query(db, "SELECT count(*) FROM letters") == [(0,)]
    assert query(db, "SELECT count(*) FROM errors") == [(1,)]
    assert query(db, "SELECT count(*) FROM decisions_enriched") == [(0,)]
