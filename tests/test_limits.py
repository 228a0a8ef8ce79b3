"""Per-letter limits: time (--timeout, on both engines) and memory (--max-memory).

Regression tests for issue 14: the time limit applied to chunks of 8 letters (a letter over the
limit passed when its chunk was quick), the Dask engine ignored it, and nothing capped memory (a
3 MB compression-bomb PDF drove a worker to 4 GB). The slow letter is a real long PDF whose reading
time is measured here first, so the limit is set well below it whatever the machine's speed.
"""
from __future__ import annotations

import time
import zlib
from pathlib import Path

import pytest

from conftest import raw_pdf, render_letter_pdf, seed_paths
from imr_extract.io.inputs import expand
from imr_extract.run.batch import RunSettings, run


def bomb_pdf(path: Path, inflated_mb: int) -> Path:
    """A one-page PDF whose content stream is ``inflated_mb`` MB of spaces in about a thousandth of that.

    The stream is one deflate block repeated (each is self-contained after a full flush), so making a
    gigabyte bomb takes a moment, not the time to compress a gigabyte.
    """
    block_src = b" " * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(block_src) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    text = b"BT /F1 12 Tf 72 700 Td (Independent Medical Review) Tj ET\n"
    first = head.compress(text) + head.flush(zlib.Z_FULL_FLUSH)
    adler = zlib.adler32(text)
    for _ in range(inflated_mb):
        adler = zlib.adler32(block_src, adler)
    stream = b"\x78\xda" + first + block * inflated_mb + tail + adler.to_bytes(4, "big")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    path.write_bytes(raw_pdf(objs))
    return path


def test_the_bomb_is_a_real_pdf_that_inflates(tmp_path):
    from imr_extract.io.read import read_bytes

    small = bomb_pdf(tmp_path / "small.pdf", inflated_mb=8)
    assert small.stat().st_size < 64 * 1024
    assert "Independent Medical Review" in read_bytes(small.read_bytes(), "small.pdf").pages[0]


def test_a_compression_bomb_under_the_memory_cap_becomes_an_error_row(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bomb = bomb_pdf(folder / "bomb.pdf", inflated_mb=1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # well under --max-bytes: only inflating finds it out
    import shutil

    shutil.copy(seed_paths()[0], folder / "good.txt")
    summary = run(list(expand([folder])), tmp_path / "out",
                  RunSettings(workers=1, timeout=120, quiet=True, max_memory_mb=256))
    assert summary.errors_by_kind == {"memory_limit": 1}, summary.errors_by_kind
    assert summary.counts["letters"] == 1
    import pandas as pd

    errors = pd.read_parquet(tmp_path / "out" / "errors.parquet")
    assert errors["source_path"].tolist() == [str(folder / "bomb.pdf")] and "--max-memory" in errors["message"][0]


@pytest.fixture(scope="module")
def slow_letter(tmp_path_factory) -> tuple[Path, float]:
    """A real letter PDF of hundreds of pages and how long this machine takes to parse it (2 s or more)."""
    import imr_extract

    folder = tmp_path_factory.mktemp("slow")
    text = seed_paths()[0].read_text(encoding="utf-8")
    imr_extract.parse_text(text)  # rules loaded before timing
    copies = 350
    for _ in range(4):  # at least 2 s here, so a quarter of it leaves quick letters ample time
        path = render_letter_pdf("\n".join([text] * copies), folder / "very-long.pdf")
        t0 = time.perf_counter()
        imr_extract.parse_file(path)
        seconds = time.perf_counter() - t0
        if seconds >= 2.0:
            break
        copies = int(copies * 2.5 / max(seconds, 0.1))
    return path, seconds


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_the_time_limit_is_per_letter_not_per_chunk(tmp_path, slow_letter, engine):
    """A letter four times over the limit is stopped even in a chunk of quick letters whose total
    allowance (the limit times the chunk size) it fits in."""
    if engine == "dask":
        pytest.importorskip("distributed")
    slow, seconds = slow_letter
    limit = seconds / 4
    folder = tmp_path / "in"
    folder.mkdir()
    seeds = seed_paths()
    for i in range(63):  # 64 inputs: the old engine's chunks were 8 letters, allowed 8 x the limit
        (folder / f"{i:02d}.txt").write_text(seeds[i % 5].read_text(encoding="utf-8") + f"\nCopy {i}\n",
                                             encoding="utf-8")
    import shutil

    shutil.copy(slow, folder / "07-very-long.pdf")
    settings = RunSettings(workers=1, timeout=limit, quiet=True, engine=engine)
    summary = run(list(expand([folder])), tmp_path / "out", settings)
    assert summary.errors_by_kind == {"timeout": 1}, (summary.errors_by_kind, seconds)
    assert summary.counts["letters"] == 63
