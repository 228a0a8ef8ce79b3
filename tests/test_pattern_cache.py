"""The compiled-pattern and parsed-rule cache: written once when a process ends, read by the next,
and never trusted blindly (a corrupt or foreign file only means compiling again)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPET = """
import sys
from imr_extract import parse_text
from imr_extract import rules
text = open(sys.argv[1], encoding='utf-8').read()
record = parse_text(text)
print(len(rules._compiled_store()), record.patient_age)
"""

ROOT = Path(__file__).resolve().parents[1]


def _run(cache: Path, letter: Path) -> tuple[int, str]:
    env = dict(os.environ, IMR_EXTRACT_CACHE=str(cache))
    env.pop("IMR_EXTRACT_PATTERNS", None)
    out = subprocess.run([sys.executable, "-c", SNIPPET, str(letter)], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), out[1]


@pytest.fixture(scope="module")
def letter() -> Path:
    return sorted((ROOT / "corpus").rglob("*.txt"))[0]


def _store_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("patterns-*.pickle"))


def test_the_store_is_written_once_and_read_back(tmp_path: Path, letter: Path) -> None:
    entries, age = _run(tmp_path, letter)
    files = _store_files(tmp_path)
    assert len(files) == 1 and entries > 100
    written = files[0].stat().st_mtime_ns
    again, age_again = _run(tmp_path, letter)
    assert (again, age_again) == (entries, age)
    # nothing new was compiled the second time, so the file was not rewritten
    assert files[0].stat().st_mtime_ns == written
    assert not list(tmp_path.glob("*.tmp-*"))


def test_a_corrupt_store_is_ignored_and_replaced(tmp_path: Path, letter: Path) -> None:
    entries, age = _run(tmp_path, letter)
    path = _store_files(tmp_path)[0]
    path.write_bytes(b"not a pickle at all")
    assert _run(tmp_path, letter) == (entries, age)
    assert path.read_bytes()[:1] == b"\x80"  # a pickle again


def test_a_store_of_foreign_objects_is_ignored(tmp_path: Path, letter: Path) -> None:
    import pickle

    entries, age = _run(tmp_path, letter)
    path = _store_files(tmp_path)[0]
    path.write_bytes(pickle.dumps({"0\x00a(b": "not a pattern", 3: 4}))
    assert _run(tmp_path, letter) == (entries, age)
