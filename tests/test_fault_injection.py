"""SIGKILL at many moments, a full disk, Ctrl-C: a rerun always ends with the clean run's tables.

Each run is the real command in its own process group. Kills come two ways: at named points of
the write path (``IMR_EXTRACT_FAULT=point:N`` makes the process SIGKILL itself, and its workers,
the N-th time it gets there: between a part's files and its marker, after a marker, between
final tables) and after a number of parts are on disk. Then the same command again, and the
tables must equal a clean run's, row for row.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO_ROOT, seed_paths

N_LETTERS = 40
PART_SIZE = 4
TABLES = ("letters", "decisions", "errors", "evidence", "audit", "decisions_enriched")


def command(folder: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "imr_extract", "run", str(folder), "--out", str(out), "--part-size",
            str(PART_SIZE), "--workers", "2", "--quiet", *extra]


@pytest.fixture(scope="module")
def letters_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("faults-in")
    seeds = [p.read_text(encoding="utf-8") for p in seed_paths()]
    for i in range(N_LETTERS):
        (folder / f"letter-{i:03d}.txt").write_text(seeds[i % 5] + f"\nReference F-{i:04d}\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "copy.txt").write_text(seeds[0] + "\nReference F-0000\n", encoding="utf-8")  # a duplicate
    return folder


def snapshot(out: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for table in TABLES:
        df = pd.read_parquet(out / f"{table}.parquet")
        frames[table] = df.sort_values(list(df.columns[:4])).reset_index(drop=True)
    return frames


@pytest.fixture(scope="module")
def clean(letters_dir, tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("faults-clean") / "out"
    proc = subprocess.run(command(letters_dir, out), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # the empty file and the copy are error rows
    return snapshot(out)


def assert_same_as_clean(out: Path, clean: dict[str, pd.DataFrame]) -> None:
    got = snapshot(out)
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], clean[table], obj=table)
    assert not list(out.rglob("*.tmp-*"))


def resume(letters_dir: Path, out: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(command(letters_dir, out), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    return proc


#: Workers reach the part points (a worker dies, a fresh one takes over its letters, the run goes on);
#: the driver reaches the final-table points (the whole run dies between two final tables).
@pytest.mark.parametrize("point", ["part-files-written:3", "part-committed:2", "final-table-published:1",
                                   "final-table-published:4"])
def test_sigkill_at_a_write_point_then_resume_equals_a_clean_run(letters_dir, clean, tmp_path, point):
    out = tmp_path / "out"
    env = {**os.environ, "IMR_EXTRACT_FAULT": point}
    proc = subprocess.run(command(letters_dir, out), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env=env, start_new_session=True)
    if point.startswith("final"):  # the driver itself was killed
        assert proc.returncode == -signal.SIGKILL, proc.stderr
    resume(letters_dir, out)
    assert_same_as_clean(out, clean)


@pytest.mark.parametrize("after_parts", [0, 3])
def test_sigkill_after_some_parts_then_resume_equals_a_clean_run(letters_dir, clean, tmp_path, after_parts):
    out = tmp_path / "out"
    proc = subprocess.Popen(command(letters_dir, out), cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(list((out / ".parts").glob("part-*.json"))) < after_parts and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.002)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    resume(letters_dir, out)
    assert_same_as_clean(out, clean)


def _limit_file_size(limit: int):
    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_is_exit_3_with_one_line_and_no_temporary_files(letters_dir, clean, tmp_path):
    """Regression: a full disk gave a traceback, exit 1 and an 8 MB temporary file left behind."""
    out = tmp_path / "out"
    proc = subprocess.run(command(letters_dir, out), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          preexec_fn=_limit_file_size(20_000))
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "disk is full" in lines[0] and "rerun" in lines[0], proc.stderr
    assert not list(out.rglob("*.tmp-*"))
    resume(letters_dir, out)
    assert_same_as_clean(out, clean)


@pytest.fixture(scope="module")
def big_dir(letters_dir, tmp_path_factory) -> Path:
    """The batch and 300 more letters: large enough (one letter per part) that a signal sent after
    two parts always arrives while the run is working, so no test passes by the run finishing first."""
    folder = tmp_path_factory.mktemp("faults-big") / "in"
    shutil.copytree(letters_dir, folder)
    seeds = [p.read_text(encoding="utf-8") for p in seed_paths()]
    for i in range(300):
        (folder / f"more-{i:03d}.txt").write_text(seeds[i % 5] + f"\nReference G-{i:04d}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def big_clean(big_dir, tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("faults-big-clean") / "out"
    assert subprocess.run(command(big_dir, out), cwd=REPO_ROOT, capture_output=True, timeout=300).returncode == 1
    return snapshot(out)


def interrupted(folder: Path, out: Path, send) -> tuple[int, str]:
    """The run, stopped by ``send(proc)`` once two parts are on disk: (exit code, stderr)."""
    proc = subprocess.Popen(command(folder, out, "--part-size", "1"), cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list((out / ".parts").glob("part-*.json"))) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    send(proc)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_ctrl_c_says_what_was_saved_and_exits_130(big_dir, big_clean, tmp_path):
    """Regression: Ctrl-C printed only "Aborted!" and exited 1, the code of "some error rows"."""
    out = tmp_path / "out"
    # what a terminal sends: SIGINT to the whole foreground group
    code, err = interrupted(big_dir, out, lambda proc: os.killpg(proc.pid, signal.SIGINT))
    assert code == 130, err
    assert "saved" in err and "rerun" in err, err
    assert not list(out.rglob("*.tmp-*"))
    resume(big_dir, out)
    assert_same_as_clean(out, big_clean)


def test_sigterm_also_exits_130_and_resumes(big_dir, big_clean, tmp_path):
    """A service manager stops a run with SIGTERM (to the driver only, as `kill PID` does): the same
    contract as Ctrl-C."""
    out = tmp_path / "out"
    code, err = interrupted(big_dir, out, lambda proc: proc.send_signal(signal.SIGTERM))
    assert code == 130, err
    assert not list(out.rglob("*.tmp-*"))
    resume(big_dir, out)
    assert_same_as_clean(out, big_clean)
