"""What `run` writes and prints: safe spreadsheets, a flat table, a codebook in every Parquet file,
no terminal control codes, progress without a terminal, and one clear line with the right exit code.

Regression tests for issue 14 (formula and escape payloads) and issue 12 (outputs an analyst can use).
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import seed_paths
from imr_extract.cli.main import main as cli
from imr_extract.io.write import ENRICHED_COLUMNS
from imr_extract.records import DECISION_COLUMNS, LETTER_COLUMNS, TABLES

PAYLOAD = '=HYPERLINK("example.invalid","click")'
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b]8;;example.invalid\x1b\\"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A run over a zip whose member names and letter text carry formula and escape payloads."""
    root = tmp_path_factory.mktemp("hostile")
    text = seed_paths()[0].read_text(encoding="utf-8")
    lines = text.splitlines()
    # an item title that starts with a formula, and a diagnosis list it may reach
    title = "ACTIVE RELEASE TECHNIQUE THERAPY NOS:  Upheld"
    assert title in text
    hostile = text.replace(title, "=HYPERLINK(1) " + title, 1)  # an item title that starts with a formula
    archive = root / "in" / "letters.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{PAYLOAD}.txt", hostile)
        zf.writestr(f"{ESCAPES}name.txt", b"")
        zf.writestr("@SUM(1+1).txt", text + "\nReference copy\n")
    out = root / "out"
    (root / f"{PAYLOAD}.txt").write_text(text + "\nReference by a formula name\n", encoding="utf-8")
    import os

    cwd = os.getcwd()
    os.chdir(root)  # a relative name: source_path then starts with the formula
    try:
        result = invoke("run", "in", f"{PAYLOAD}.txt", "--out", str(out), "--workers", "1", "--formats",
                        "csv,parquet,duckdb,xlsx")
    finally:
        os.chdir(cwd)
    assert lines
    return result, out, Path("in") / "letters.zip"


def test_csv_cells_that_would_run_as_formulas_are_neutralised(hostile_run):
    """Regression: text and file names starting with = + - @ went to CSV as they were (=HYPERLINK ran)."""
    _, out, archive = hostile_run
    letters = pd.read_csv(out / "letters.csv", dtype=str, keep_default_na=False)
    assert f"'{PAYLOAD}.txt" in set(letters["source_path"])
    for path in out.glob("*.csv"):
        cells = pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel()
        bad = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert not bad, (path.name, bad[:3])
    exact = pq.read_table(out / "letters.parquet").column("source_path").to_pylist()
    assert f"{PAYLOAD}.txt" in exact and f"{archive}!{PAYLOAD}.txt" in exact  # Parquet keeps the exact value
    decisions = pq.read_table(out / "decisions.parquet").column("service_text").to_pylist()
    assert any(s.startswith("=HYPERLINK") for s in decisions if s)
    csv_decisions = pd.read_csv(out / "decisions.csv", dtype=str, keep_default_na=False)["service_text"]
    assert any(s.startswith("'=HYPERLINK") for s in csv_decisions)


def test_the_workbook_holds_text_not_formulas(hostile_run):
    _, out, _ = hostile_run
    with zipfile.ZipFile(out / "imr.xlsx") as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(zf.read(n).decode("utf-8") for n in sheets)
        strings = zf.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in zf.namelist() else ""
    assert "<f>" not in xml and "<f " not in xml
    assert "HYPERLINK" in xml + strings
    assert {"letters", "decisions", "decisions_enriched", "errors", "audit"} <= {
        n.split("/")[-1] for n in sheets} | {"letters", "decisions", "decisions_enriched", "errors", "audit"}


def test_run_output_carries_no_terminal_control_codes(hostile_run):
    """Regression: file names from a hostile archive reached the terminal with their escape codes."""
    result, _, _ = hostile_run
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_verbose_run_escapes_names_it_logs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / f"{ESCAPES}.txt").write_bytes(b"")
    log_file = tmp_path / "run.log"
    result = invoke("run", str(folder), "--out", str(tmp_path / "out"), "--workers", "1", "--verbose",
                    "--log-file", str(log_file))
    assert result.exit_code == 1
    assert "empty_file" in result.output and "\\u001b" in result.output and "\x1b" not in result.output
    logged = log_file.read_text(encoding="utf-8")
    assert "empty_file" in logged and "\x1b" not in logged


def test_progress_is_logged_when_output_is_not_a_terminal(tmp_path):
    """Regression: under nohup, CI or a notebook a run printed nothing until the end."""
    from imr_extract.io.inputs import expand
    from imr_extract.run.batch import LogProgress, RunSettings, run

    folder = tmp_path / "in"
    folder.mkdir()
    for i, seed in enumerate(seed_paths()):
        shutil.copy(seed, folder / f"{i}.txt")
    lines: list[str] = []

    class Capture:
        def info(self, fmt, *args):
            lines.append(fmt % args)

    progress = LogProgress(5, every=0, logger=Capture())
    run(list(expand([folder])), tmp_path / "out", RunSettings(workers=1, timeout=None), progress=progress)
    assert any("letters 1/5" in ln or "letters 2/5" in ln for ln in lines), lines
    assert lines[-1].startswith("letters 5/5 done")
    result = invoke("run", str(folder), "--out", str(tmp_path / "out2"), "--workers", "1")
    assert "letters 5/5 done" in result.output  # CliRunner's stderr is no terminal


def test_decisions_enriched_is_a_flat_table_beside_the_others(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in seed_paths():
        shutil.copy(seed, folder / seed.name)
    out = tmp_path / "out"
    assert invoke("run", str(folder), "--out", str(out), "--workers", "2", "--quiet").exit_code == 0
    enriched = pd.read_parquet(out / "decisions_enriched.parquet")
    decisions, letters = pd.read_parquet(out / "decisions.parquet"), pd.read_parquet(out / "letters.parquet")
    assert list(enriched.columns) == [c.name for c in ENRICHED_COLUMNS]
    assert len(enriched) == len(decisions)
    merged = decisions.merge(letters, on="letter_id")
    pairs = sorted(zip(merged["letter_id"], merged["item_no"], merged["patient_age"]))
    assert sorted(zip(enriched["letter_id"], enriched["item_no"], enriched["patient_age"])) == pairs
    csv = pd.read_csv(out / "decisions_enriched.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == list(enriched.columns) and len(csv) == len(enriched)


def test_parquet_files_carry_the_codebook(tmp_path):
    """Regression: field descriptions lived only in docs/schema.md, not with the files."""
    out = tmp_path / "out"
    assert invoke("run", str(seed_paths()[0]), "--out", str(out), "--workers", "1", "--quiet").exit_code == 0
    tables = {**TABLES, "decisions_enriched": DECISION_COLUMNS + tuple(c for c in LETTER_COLUMNS
                                                                       if c.name != "letter_id")}
    for table, columns in tables.items():
        schema = pq.read_schema(out / f"{table}.parquet")
        for c in columns:
            assert schema.field(c.name).metadata[b"description"].decode() == c.description, (table, c.name)
        assert schema.metadata[b"imr_extract.table"].decode() == table


def test_the_registered_sign_survives_in_the_workbook(tmp_path):
    """Regression: the "®" of citations garbled when Excel opened the CSV; the workbook keeps it."""
    text = seed_paths()[0].read_text(encoding="utf-8").replace("Guidelines", "Guidelines\u00ae", 1)
    path = tmp_path / "letter.txt"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert invoke("run", str(path), "--out", str(out), "--workers", "1", "--quiet", "--formats",
                  "parquet,xlsx").exit_code == 0
    with zipfile.ZipFile(out / "imr.xlsx") as zf:
        xml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/"))
    assert "Guidelines\u00ae" in xml


def test_show_fills_content_hash_like_run(tmp_path):
    """Regression: `show` left content_hash empty while `run` filled it."""
    import hashlib

    seed = seed_paths()[0]
    record = json.loads(invoke("show", str(seed)).output)
    assert record["content_hash"] == hashlib.sha256(seed.read_bytes()).hexdigest()
    out = tmp_path / "out"
    invoke("run", str(seed), "--out", str(out), "--workers", "1", "--quiet")
    assert pd.read_parquet(out / "letters.parquet")["content_hash"][0] == record["content_hash"]


# ---------------------------------------------------------------------------------------------- exit codes


def one_line(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_a_folder_without_letters_says_what_was_skipped(tmp_path):
    """Regression: a folder of .docx files (or an empty one) gave "0 letters" and exit 0."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.docx").write_bytes(b"PK")
    (folder / "b.docx").write_bytes(b"PK")
    (folder / ".hidden.txt").write_text("x")
    result = invoke("run", str(folder), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    line = one_line(result.output)
    assert "no letters found" in line and "2 not a letter (.docx)" in line and "1 hidden" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("run", str(empty), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "no letters found" in one_line(result.output)


def test_out_below_a_file_is_a_usage_error(tmp_path):
    """Regression: `--out a_file/sub` ended in a traceback."""
    (tmp_path / "a_file").write_text("x")
    result = invoke("run", str(seed_paths()[0]), "--out", str(tmp_path / "a_file" / "sub"))
    assert result.exit_code == 2 and "not a folder" in one_line(result.output)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """Regression: an unreachable --scheduler waited 30 s, printed a 60-line traceback, exit 1."""
    pytest.importorskip("distributed")
    import socket

    from imr_extract.run import batch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nobody listens there
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class QuickToGiveUp(batch.RunSettings):  # the command's settings, with a 2 s wait for the scheduler
        scheduler_timeout: float = 2.0

    monkeypatch.setattr(batch, "RunSettings", QuickToGiveUp)
    result = invoke("run", str(seed_paths()[0]), "--out", str(tmp_path / "out"), "--engine", "dask",
                    "--scheduler", f"tcp://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in one_line(result.output)


def test_missing_dask_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """Regression: without Dask installed, --engine dask raised a RuntimeError traceback, exit 1."""
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # what an import of a missing package meets
    result = invoke("run", str(seed_paths()[0]), "--out", str(tmp_path / "out"), "--engine", "dask")
    assert result.exit_code == 2
    assert "needs the 'distributed' package" in one_line(result.output)
