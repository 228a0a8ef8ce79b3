"""What a rerun keeps: rows of exactly this run's inputs, by path and content; one run at a time.

Regression tests for issue 14 (resume, lock, damaged parts) and issue 12 (a letter seen twice is
one letter; join keys unique). Every run is real, into a real output folder.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO_ROOT, render_letter_pdf, seed_paths
from imr_extract.io.inputs import expand
from imr_extract.run.batch import RunSettings, UsageProblem, run
from imr_extract.run.lock import RunLock

SETTINGS = RunSettings(workers=1, timeout=None, quiet=True)


def seed_text(i: int) -> str:
    return seed_paths()[i].read_text(encoding="utf-8")


def read(out: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{table}.parquet")


def assert_keys_unique(out: Path) -> None:
    letters, decisions, errors = read(out, "letters"), read(out, "decisions"), read(out, "errors")
    assert letters["letter_id"].is_unique, "letter_id repeats: decisions_enriched would multiply rows"
    assert pd.concat([letters["source_path"], errors["source_path"]]).is_unique
    assert not decisions.duplicated(["letter_id", "item_no"]).any()
    assert set(decisions["letter_id"]) <= set(letters["letter_id"])
    enriched = read(out, "decisions_enriched")
    assert len(enriched) == len(decisions)


@pytest.fixture
def folder(tmp_path) -> Path:
    f = tmp_path / "in"
    f.mkdir()
    for i in range(3):
        (f / f"letter-{i}.txt").write_text(seed_text(i), encoding="utf-8")
    return f


def test_a_changed_file_is_processed_again(folder, tmp_path):
    """Regression: resume trusted the path only; a file changed since the last run kept its old row."""
    out = tmp_path / "out"
    run(list(expand([folder])), out, SETTINGS)
    before = read(out, "letters").set_index("source_path")
    changed = folder / "letter-1.txt"
    changed.write_text(seed_text(3), encoding="utf-8")
    second = run(list(expand([folder])), out, SETTINGS)
    assert second.processed == 1 and second.skipped_done == 2
    after = read(out, "letters").set_index("source_path")
    assert after.loc[str(changed), "letter_id"] != before.loc[str(changed), "letter_id"]
    assert after.loc[str(changed), "letter_id"] == run_alone(seed_paths()[3], tmp_path)["letter_id"]
    assert len(after) == 3
    assert_keys_unique(out)


def run_alone(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / "alone"
    run(list(expand([path])), out, RunSettings(workers=1, timeout=None, quiet=True, fresh=True))
    return read(out, "letters").iloc[0].to_dict()


def test_a_deleted_file_loses_its_rows(folder, tmp_path):
    """Regression: a deleted file's rows stayed in every table after a rerun."""
    out = tmp_path / "out"
    run(list(expand([folder])), out, SETTINGS)
    gone = folder / "letter-0.txt"
    lid = read(out, "letters").set_index("source_path").loc[str(gone), "letter_id"]
    gone.unlink()
    second = run(list(expand([folder])), out, SETTINGS)
    assert second.counts["letters"] == 2
    for table in ("letters", "decisions", "evidence", "audit"):
        assert lid not in set(read(out, table)["letter_id"]), table
    assert_keys_unique(out)


def test_the_same_folder_by_absolute_and_relative_path_is_one_input(folder, tmp_path, monkeypatch):
    """Regression: the same folder given as an absolute path was processed again (two rows per file)."""
    out = tmp_path / "out"
    monkeypatch.chdir(folder.parent)
    run(list(expand(["in"])), out, SETTINGS)
    second = run(list(expand([str(folder.resolve())])), out, SETTINGS)
    assert second.processed == 0 and second.skipped_done == 3
    letters = read(out, "letters")
    assert len(letters) == 3
    assert all(Path(p).is_absolute() for p in letters["source_path"])  # as given this time
    assert_keys_unique(out)


def test_transient_error_rows_are_retried(tmp_path):
    """Regression: `timeout` and other transient rows were never retried on a rerun."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder / "quick.txt")
    render_letter_pdf("\n".join([seed_text(0)] * 300), folder / "slow.pdf")
    out = tmp_path / "out"
    first = run(list(expand([folder])), out, RunSettings(workers=1, timeout=0.3, quiet=True))
    assert first.errors_by_kind == {"timeout": 1}
    second = run(list(expand([folder])), out, RunSettings(workers=1, timeout=120, quiet=True))
    assert second.processed == 1 and second.skipped_done == 1
    assert second.errors_by_kind == {} and second.counts["letters"] == 2


def test_the_same_text_in_files_with_other_bytes_is_one_letter(tmp_path, letter_pdf):
    """Regression (issue 12): a re-saved PDF (other bytes, same text) gave a second letter with the same
    letter_id, so decisions_enriched multiplied its decisions."""
    folder = tmp_path / "in"
    folder.mkdir()
    pdf = letter_pdf(seed_paths()[1])
    shutil.copy(pdf, folder / "a-original.pdf")
    data = pdf.read_bytes()
    (folder / "b-resaved.pdf").write_bytes(data + b"\n% saved again by another tool\n")  # same text, other bytes
    (folder / "c-copy.pdf").write_bytes(data)
    summary = run(list(expand([folder])), tmp_path / "out", RunSettings(workers=2, quiet=True, formats=(
        "csv", "parquet", "duckdb")))
    assert summary.counts["letters"] == 1 and summary.errors_by_kind == {"duplicate": 2}
    errors = read(tmp_path / "out", "errors").set_index("source_path")
    original = str(folder / "a-original.pdf")
    assert original in errors.loc[str(folder / "b-resaved.pdf"), "message"]
    assert "same letter text" in errors.loc[str(folder / "b-resaved.pdf"), "message"]
    assert "same bytes" in errors.loc[str(folder / "c-copy.pdf"), "message"]
    assert_keys_unique(tmp_path / "out")
    import duckdb

    with duckdb.connect(str(tmp_path / "out" / "imr.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM decisions_enriched").fetchall()[0][0] == len(read(tmp_path / "out",
                                                                                             "decisions"))


def test_a_second_run_into_a_locked_out_is_refused(folder, tmp_path):
    """Regression: two runs into one --out at once duplicated rows; the second is now refused at once."""
    out = tmp_path / "out"
    out.mkdir()
    with RunLock(out):  # the first run, holding the folder
        with pytest.raises(UsageProblem) as info:
            run(list(expand([folder])), out, SETTINGS)
        assert "another run" in str(info.value) and str(os.getpid()) in str(info.value)
        proc = subprocess.run([sys.executable, "-m", "imr_extract", "run", str(folder), "--out", str(out)],
                              capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().count("\n") == 0 and "another run" in proc.stderr
    summary = run(list(expand([folder])), out, SETTINGS)  # once released, the folder is usable
    assert summary.counts["letters"] == 3


def test_a_concurrent_real_run_is_refused_while_the_first_runs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(60):
        (folder / f"l{i:03d}.txt").write_text(seed_text(i % 5) + f"\nReference L-{i}\n", encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "imr_extract", "run", str(folder), "--out", str(out), "--workers", "1", "--quiet"]
    first = subprocess.Popen(cmd, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(2000):  # until the first run holds the lock
            if (out / ".lock").exists() and (out / ".lock").read_text().strip():
                break
            import time

            time.sleep(0.01)
        second = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        still_running = first.poll() is None
    finally:
        first.wait(timeout=180)
    assert still_running, "the first run ended before the second started; give it more letters"
    assert second.returncode == 2 and "another run" in second.stderr
    assert first.returncode == 0, first.stderr.read()
    letters = read(out, "letters")
    assert len(letters) == 60 and letters["source_path"].is_unique


def test_a_truncated_part_or_empty_marker_is_redone_not_fatal(folder, tmp_path):
    """Regression: a truncated part file or an empty marker (a power cut, nothing fsync'd) made every
    resume crash until --fresh."""
    out = tmp_path / "out"
    for i in range(3, 5):
        (folder / f"letter-{i}.txt").write_text(seed_text(i), encoding="utf-8")
    run(list(expand([folder])), out, RunSettings(workers=1, timeout=None, quiet=True, part_size=1))
    markers = sorted((out / ".parts").glob("part-*.json"))
    assert len(markers) == 5
    markers[0].write_bytes(b"")  # an empty marker
    part = next((out / ".parts").glob(f"{markers[1].stem}.evidence.parquet"))
    part.write_bytes(part.read_bytes()[:100])  # a part file cut short
    markers[2].write_bytes(markers[2].read_bytes()[:40])  # a marker cut short
    second = run(list(expand([folder])), out, SETTINGS)
    assert second.processed == 3 and second.skipped_done == 2
    assert second.counts["letters"] == 5
    assert_keys_unique(out)


def test_leftover_temporary_files_are_removed(folder, tmp_path):
    """Regression: *.tmp-PID files of an interrupted run were never cleaned up."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".letters.csv.tmp-99999").write_bytes(b"half a table")
    (out / ".parts").mkdir()
    (out / ".parts" / ".part-x.letters.parquet.tmp-99999").write_bytes(b"half a part")
    run(list(expand([folder])), out, SETTINGS)
    assert not list(out.rglob("*.tmp-*"))


def test_audit_messages_do_not_depend_on_processing_order(tmp_path):
    """Regression: batch-level findings named copies in processing order (clean, resumed and Dask
    runs differed)."""
    folder = tmp_path / "in"
    folder.mkdir()
    from conftest import CORPUS_DIR

    base = (CORPUS_DIR / "synthetic" / "syn-fdl-01.txt").read_text(encoding="utf-8")
    case = next(line for line in base.splitlines() if "CM1" in line)
    for i in range(8):  # one case number on eight letters with different texts
        (folder / f"{i}.txt").write_text(base + f"\nAddendum {i}\n", encoding="utf-8")
    outs = []

    def findings(out: Path) -> pd.DataFrame:
        return read(out, "audit").query("check == 'duplicate_case_number'").sort_values("letter_id")

    for name, settings in (("w1", RunSettings(workers=1, quiet=True, part_size=500)),
                           ("w2", RunSettings(workers=2, quiet=True, part_size=1)),
                           ("dask", RunSettings(engine="dask", workers=2, quiet=True, part_size=1))):
        if name == "dask":
            pytest.importorskip("distributed")
        out = tmp_path / f"out-{name}"
        run(list(expand([folder])), out, settings)
        outs.append(findings(out))
    # resumed: half the letters first, the rest in a second run into the same folder
    resumed = tmp_path / "out-resumed"
    files = sorted(folder.iterdir())
    run(list(expand(files[4:])), resumed, RunSettings(workers=1, quiet=True, part_size=2))
    run(list(expand([folder])), resumed, RunSettings(workers=2, quiet=True, part_size=1))
    outs.append(findings(resumed))
    assert len(outs[0]) == 8 and case
    for other in outs[1:]:
        assert other["message"].tolist() == outs[0]["message"].tolist()
    manifest = json.loads((tmp_path / "out-w1" / "manifest.json").read_text())
    assert manifest["counts"]["letters"] == 8
