"""Kill a run hard in the middle, rerun it, and get every letter exactly once.

The run is a real subprocess (the installed command), killed with SIGKILL, process group and all,
once at least two part files are on disk: what a power cut or an OOM kill leaves behind.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO_ROOT, seed_paths

N_LETTERS = 120
PART_SIZE = 10


def command() -> list[str]:
    """How to start the CLI: ``python -m imr_extract`` when runnable, else the console script."""
    if (REPO_ROOT / "imr_extract" / "__main__.py").exists():
        return [sys.executable, "-m", "imr_extract"]
    script = Path(sys.executable).parent / "imr-extract"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from imr_extract.cli.main import main; main()"]


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def letters_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("resume-in")
    seeds = [p.read_text(encoding="utf-8") for p in seed_paths()]
    for i in range(N_LETTERS):
        # a unique closing line makes every file's bytes (and letter text) differ: no duplicates
        text = seeds[i % len(seeds)] + f"\n \nReference R-{i:04d} for the resume test.\n"
        (folder / f"letter-{i:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def markers(out: Path) -> list[Path]:
    return sorted((out / ".parts").glob("part-*.json"))


def kill_after_two_parts(letters_dir: Path, out: Path) -> int:
    """Start a run, SIGKILL it (and its workers) once 2+ parts are durable; return the part count."""
    proc = subprocess.Popen([*command(), "run", str(letters_dir), "--out", str(out), "--part-size", str(PART_SIZE),
                             "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(markers(out)) < 2:
            if proc.poll() is not None:
                pytest.fail(f"the run ended (exit {proc.returncode}) before two parts were written: "
                            f"{proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no two part files after 120 s")
            time.sleep(0.005)
        finished = proc.poll() is not None
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
    assert not finished, "the run finished before it could be killed; make the corpus larger"
    assert not (out / "manifest.json").exists(), "the killed run got as far as its manifest"
    return len(markers(out))


def check_complete(out: Path, letters_dir: Path) -> dict:
    letters = pd.read_csv(out / "letters.csv", dtype=str, keep_default_na=False)
    decisions = pd.read_csv(out / "decisions.csv", dtype=str, keep_default_na=False)
    errors = pd.read_csv(out / "errors.csv", dtype=str, keep_default_na=False)
    inputs = sorted(str(p) for p in letters_dir.glob("*.txt"))
    assert errors.empty, errors.to_string()
    assert letters["source_path"].is_unique, "a letter was written twice"
    assert sorted(letters["source_path"]) == inputs
    assert letters["letter_id"].is_unique
    assert not decisions.duplicated(["letter_id", "item_no"]).any(), "a decision row was written twice"
    assert set(decisions["letter_id"]) == set(letters["letter_id"])
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["letters"] == N_LETTERS == len(letters)
    assert counts["decisions"] == len(decisions)
    assert counts["errors"] == 0
    assert counts["inputs"] == N_LETTERS
    return counts


def test_kill_then_resume_gives_every_letter_once(letters_dir, tmp_path):
    out = tmp_path / "out"
    parts = kill_after_two_parts(letters_dir, out)
    assert 2 <= parts < N_LETTERS // PART_SIZE
    done_before = sum(len(json.loads(m.read_text())["inputs"]) for m in markers(out))
    assert done_before == parts * PART_SIZE

    again = run_cli("run", str(letters_dir), "--out", str(out), "--part-size", str(PART_SIZE), "--workers", "2",
                    "--quiet")
    assert again.returncode == 0, again.stderr
    counts = check_complete(out, letters_dir)
    assert counts["skipped_already_done"] == done_before
    assert counts["processed_this_run"] == N_LETTERS - done_before

    # a third run has nothing left to do and changes nothing
    third = run_cli("run", str(letters_dir), "--out", str(out), "--part-size", str(PART_SIZE), "--quiet")
    assert third.returncode == 0, third.stderr
    counts = check_complete(out, letters_dir)
    assert counts["processed_this_run"] == 0
    assert counts["skipped_already_done"] == N_LETTERS

    # --fresh starts over
    fresh = run_cli("run", str(letters_dir), "--out", str(out), "--part-size", str(PART_SIZE), "--workers", "2",
                    "--fresh", "--quiet")
    assert fresh.returncode == 0, fresh.stderr
    counts = check_complete(out, letters_dir)
    assert counts["processed_this_run"] == N_LETTERS
    assert counts["skipped_already_done"] == 0
    assert len(markers(out)) == N_LETTERS // PART_SIZE
