"""One reader of a run's tables: the same typed DataFrames from Parquet, CSV or the DuckDB file.

The runs here are real `run`s: of the 64 published letters (all three formats, then each format
alone in a folder of its own, and a run written with `--formats duckdb` only) and of the seed
letters when the published ones are absent.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import imr_extract
from conftest import SHARED_DIR, seed_paths
from imr_extract.io import tables
from imr_extract.io.inputs import expand
from imr_extract.records import TABLES
from imr_extract.run.batch import RunSettings, run

FORMATS = ("parquet", "csv", "duckdb")
ARROW = {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "date": pa.date32(),
         "list": pa.list_(pa.string()),
         "citations": pa.list_(pa.struct([("source", pa.string()), ("document", pa.string()), ("year", pa.int64()),
                                          ("sections", pa.list_(pa.string())), ("pages", pa.string())]))}


def letters_folder() -> Path:
    real = SHARED_DIR / "real"
    return real if real.is_dir() and any(real.glob("*.pdf")) else seed_paths()[0].parent


def run_into(out: Path, formats: tuple[str, ...], source: Path | None = None) -> Path:
    paths = [str(source)] if source else [str(p) for p in seed_paths()]
    run(list(expand(paths)), out, RunSettings(workers=2, timeout=None, quiet=True, formats=formats))
    return out


def one_format(full: Path, fmt: str, dest: Path) -> Path:
    """A copy of a full run holding only ``fmt``'s files (and the manifest, which names all three)."""
    dest.mkdir()
    shutil.copy(full / "manifest.json", dest)
    for p in full.glob("*.duckdb" if fmt == "duckdb" else f"*.{fmt}"):
        shutil.copy(p, dest)
    return dest


@pytest.fixture(scope="module")
def source() -> Path:
    folder = letters_folder()
    return folder if folder.name == "real" else None


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, source) -> Path:
    return run_into(tmp_path_factory.mktemp("all-formats"), ("csv", "parquet", "duckdb"), source)


@pytest.fixture(scope="module")
def by_format(full_run, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("by-format")
    return {fmt: one_format(full_run, fmt, base / fmt) for fmt in FORMATS}


@pytest.fixture(scope="module")
def duckdb_only_run(tmp_path_factory, source) -> Path:
    return run_into(tmp_path_factory.mktemp("duckdb-only"), ("duckdb",), source)


@pytest.mark.parametrize("fmt", FORMATS)
def test_types_are_the_schemas_in_every_format(by_format, fmt):
    run_tables = imr_extract.read_run(by_format[fmt])
    assert set(run_tables) == set(TABLES)
    for table, columns in TABLES.items():
        df = run_tables[table]
        assert list(df.columns) == [c.name for c in columns], table
        for c in columns:
            assert df[c.name].dtype == pd.ArrowDtype(ARROW[c.type]), (fmt, table, c.name, df[c.name].dtype)
    letters = run_tables["letters"].to_dict("records")
    assert letters and all(isinstance(r["injury_date"], dt.date) for r in letters if r["injury_date"] is not None)
    assert any(isinstance(r["reviewer_specialties"], list) for r in letters)
    assert all(isinstance(r["patient_age"], int) for r in letters if r["patient_age"] is not None)
    quantities = run_tables["decisions"]["quantity"]
    assert quantities.notna().any() and quantities.isna().any()  # nullable integers stay integers


@pytest.mark.parametrize("fmt", ["csv", "duckdb"])
def test_every_format_reads_the_same_as_parquet(by_format, fmt):
    expected = tables.read_run(by_format["parquet"])
    got = tables.read_run(by_format[fmt])
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], expected[table], obj=f"{fmt} {table}")


def test_a_run_written_as_duckdb_only_reads_like_a_full_run(duckdb_only_run, full_run):
    assert not list(duckdb_only_run.glob("*.parquet")) and not list(duckdb_only_run.glob("*.csv"))
    got, expected = tables.read_run(duckdb_only_run), tables.read_run(full_run)
    for table in TABLES:
        key = [c.name for c in TABLES[table]][:3]  # two runs finish their letters in different orders
        pd.testing.assert_frame_equal(got[table].sort_values(key, ignore_index=True),
                                      expected[table].sort_values(key, ignore_index=True), obj=table)
    assert len(got["letters"]) > 0


def test_the_manifest_names_the_format_to_read(by_format, tmp_path):
    """A rerun with another --formats leaves stale files of the old format: the manifest says which is current."""
    out = tmp_path / "rerun"
    shutil.copytree(by_format["csv"], out)
    stale = tables.read_table(out, "letters").iloc[:1]
    stale.to_parquet(out / "letters.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["settings"]["formats"] = ["csv"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert len(tables.read_table(out, "letters")) == len(tables.read_table(by_format["csv"], "letters")) > 1
    (out / "manifest.json").unlink()  # without a manifest: parquet first
    assert len(tables.read_table(out, "letters")) == 1


def test_columns_outside_the_schema_are_kept(by_format, tmp_path):
    out = tmp_path / "newer"
    shutil.copytree(by_format["parquet"], out)
    letters = pa.parquet.read_table(out / "letters.parquet")
    extra = pa.array([["a later column"]] + [None] * (letters.num_rows - 1), type=pa.list_(pa.string()))
    pa.parquet.write_table(letters.append_column("column_of_a_later_version", extra), out / "letters.parquet")
    got = tables.read_table(out, "letters")
    assert got["column_of_a_later_version"].iloc[0] == ["a later column"]
    assert got["patient_age"].dtype == pd.ArrowDtype(pa.int64())


def test_nested_csv_cells_are_json(tmp_path):
    out = tmp_path / "csv"
    out.mkdir()
    (out / "letters.csv").write_text('\ufeffletter_id,reviewer_specialties,patient_age,injury_date,'
                                     'reviewer_board_certified,case_number\n'
                                     'L1,"[""Neurology"", ""Pain, Medicine""]",40,2016-10-16,true,None\n'
                                     'L2,,,,,\n', encoding="utf-8")
    got = tables.read_table(out, "letters").to_dict("records")
    assert got[0] == {"letter_id": "L1", "reviewer_specialties": ["Neurology", "Pain, Medicine"], "patient_age": 40,
                      "injury_date": dt.date(2016, 10, 16), "reviewer_board_certified": True, "case_number": "None"}
    assert set(got[1].values()) == {"L2", None}


def test_a_folder_without_a_run_is_refused(tmp_path):
    with pytest.raises(tables.RunNotFound, match="holds no run") as exc:
        tables.read_run(tmp_path)
    assert "\n" not in str(exc.value)
    (tmp_path / ".parts").mkdir()
    (tmp_path / ".parts" / "part-000001.json").write_text("{}")
    with pytest.raises(tables.RunNotFound, match="unfinished run"):
        tables.read_run(tmp_path)


def test_a_table_the_run_lacks_is_left_out(by_format, tmp_path):
    out = tmp_path / "older"
    shutil.copytree(by_format["parquet"], out)
    (out / "audit.parquet").unlink()
    assert "audit" not in tables.read_run(out)
    with pytest.raises(KeyError):
        tables.read_table(out, "audit")


def test_the_readme_loading_recipes_run(full_run, tmp_path, monkeypatch):
    """The pandas and DuckDB recipes of the README, run as written on a real run in ./out."""
    import re

    from conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Loading a run"):]
    section = section[:section.index("\n## ", 3)]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2
    (tmp_path / "out").symlink_to(full_run, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the README's own code
    assert scope["decisions"]["quantity"].dtype == pd.ArrowDtype(pa.int64())
    assert len(scope["per_month"]) > 0 and scope["overturned"].between(0, 1).all()
