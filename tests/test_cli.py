"""The command line, in-process: help texts, the README, and what `run`, `show` and `eval` write."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from imr_extract.cli.main import main
from imr_extract.records import TABLES

from conftest import REPO_ROOT, seed_paths

COMMANDS = sorted(main.commands)
TABLE_NAMES = ("letters", "decisions", "errors", "evidence")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def long_options(command) -> list[str]:
    """Each option's longest spelling (what a user reads in the help)."""
    import click

    out = []
    for p in command.params:
        if isinstance(p, click.Option):
            out.append(max(p.opts + p.secondary_opts, key=len))
    return out


def test_main_help_lists_every_command(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert name in result.output


def test_version(runner):
    from imr_extract import __version__

    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_mentions_its_options(runner, name):
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    missing = [opt for opt in long_options(main.commands[name]) if opt not in result.output]
    assert not missing, f"`{name} --help` does not mention {missing}"


def test_every_command_is_in_the_readme():
    readme = REPO_ROOT / "README.md"
    assert readme.exists(), "README.md is missing"
    text = readme.read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if not re.search(rf"imr-extract\s+{re.escape(name)}\b", text)]
    assert not missing, f"README.md never shows `imr-extract <command>` for: {missing}"


@pytest.fixture(scope="module")
def two_seed_run(tmp_path_factory):
    """`imr-extract run` over a folder holding two seed letters."""
    folder = tmp_path_factory.mktemp("two-seeds")
    for seed in seed_paths()[:2]:
        shutil.copy(seed, folder / seed.name)
    out = folder.parent / (folder.name + "-out")
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(out), "--workers", "1", "--quiet"])
    return result, out


def test_run_writes_every_table_and_a_manifest(two_seed_run):
    result, out = two_seed_run
    assert result.exit_code == 0, result.output
    for table in TABLE_NAMES:
        assert (out / f"{table}.csv").is_file(), f"{table}.csv missing"
        assert (out / f"{table}.parquet").is_file(), f"{table}.parquet missing"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["letters"] == 2
    assert manifest["counts"]["errors"] == 0
    assert manifest["counts"]["inputs"] == 2


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_csv_header_is_the_declared_schema(two_seed_run, table):
    _, out = two_seed_run
    with open(out / f"{table}.csv", newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == [c.name for c in TABLES[table]]


def test_csv_lists_are_json_arrays_and_dates_are_iso(two_seed_run):
    _, out = two_seed_run
    for table in ("letters", "decisions"):
        rows = read_csv(out / f"{table}.csv")
        assert rows
        for col in TABLES[table]:
            cells = [r[col.name] for r in rows if r[col.name] != ""]
            for cell in cells:
                if col.type == "list":
                    value = json.loads(cell)
                    assert isinstance(value, list) and all(isinstance(v, str) for v in value), (col.name, cell)
                elif col.type == "date":
                    assert ISO_DATE.match(cell), (col.name, cell)
                elif col.type == "int":
                    assert re.fullmatch(r"-?\d+", cell), (col.name, cell)
                elif col.type == "bool":
                    assert cell in ("true", "false"), (col.name, cell)
    letters = read_csv(out / "letters.csv")
    assert any(r["reviewer_specialties"] for r in letters), "no list cell to check"
    assert any(r["injury_date"] for r in letters), "no date cell to check"


def test_parquet_types_follow_the_schema(two_seed_run):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    _, out = two_seed_run
    for table in TABLE_NAMES:
        t = pq.read_table(out / f"{table}.parquet")
        assert t.column_names == [c.name for c in TABLES[table]]
        for col in TABLES[table]:
            typ = t.schema.field(col.name).type
            if col.type == "list":
                assert pa.types.is_list(typ), (table, col.name, typ)
            elif col.type == "date":
                assert pa.types.is_date(typ), (table, col.name, typ)
            elif col.type == "int":
                assert pa.types.is_integer(typ), (table, col.name, typ)
    letters = pq.read_table(out / "letters.parquet").to_pylist()
    specialties = [r["reviewer_specialties"] for r in letters if r["reviewer_specialties"]]
    assert specialties and all(isinstance(v, list) for v in specialties)
    dates = [r["injury_date"] for r in letters if r["injury_date"]]
    assert dates and all(isinstance(d, dt.date) for d in dates)


def test_run_csv_and_parquet_hold_the_same_rows(two_seed_run):
    import pandas as pd

    _, out = two_seed_run
    for table in ("letters", "decisions"):
        from_csv = pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False)
        from_pq = pd.read_parquet(out / f"{table}.parquet")
        assert len(from_csv) == len(from_pq)
        assert list(from_csv["letter_id"]) == list(from_pq["letter_id"])


def test_run_with_a_missing_path_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["run", str(tmp_path / "no-such-folder"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_run_without_paths_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["run", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2


def test_show_prints_the_record_as_json(runner):
    seed = seed_paths()[0]
    result = runner.invoke(main, ["show", str(seed)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert "patient_age" in record
    assert record["patient_age"] == 40
    assert record["decisions"] and record["decisions"][0]["outcome"] in ("upheld", "overturned")


def test_show_evidence_marks_spans(runner):
    result = runner.invoke(main, ["show", "--evidence", str(seed_paths()[0])])
    assert result.exit_code == 0, result.output
    assert "\u27e6" in result.output and "patient_age=40" in result.output


def test_show_a_non_letter_fails_cleanly(runner, tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Buy milk and eggs.\n")
    result = runner.invoke(main, ["show", str(path)])
    assert result.exit_code == 1
    assert "not_an_imr_letter" in result.output


def test_eval_prints_overall_accuracy(runner, two_seed_run, corpus_dir):
    _, out = two_seed_run
    result = runner.invoke(main, ["eval", str(out), "--gold", str(corpus_dir / "expected")])
    assert result.exit_code == 0, result.output
    assert "overall" in result.output


def _make_run(tmp_path: Path, corpus: Path) -> int:
    import subprocess
    import sys

    venv_bin = Path(sys.executable).parent
    if shutil.which("make") is None or not (venv_bin / "imr-extract").exists():
        pytest.skip("needs make and an installed imr-extract beside this python")
    # -o: treat the install stamp as up to date, so make runs only the command under test
    proc = subprocess.run(["make", "-s", "-C", str(REPO_ROOT), "-o", f"{venv_bin.parent}/.installed", "run",
                           f"VENV={venv_bin.parent}", f"CORPUS={corpus}", f"OUT={tmp_path / 'out'}"],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode


def test_make_run_fails_when_the_run_fails(tmp_path):
    # a path that does not exist is a usage error (exit 2): make must fail, not point at tables never written
    assert _make_run(tmp_path, tmp_path / "no-such-folder") != 0
    assert not (tmp_path / "out" / "letters.csv").exists()


def test_make_run_succeeds_when_only_some_inputs_are_error_rows(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    assert _make_run(tmp_path, folder) == 0
    assert (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8").count("broken.pdf") == 1
