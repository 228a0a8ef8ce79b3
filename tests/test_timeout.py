"""The per-letter time limit really kills a worker and the batch goes on.

No fake hang is injected: a genuine, very long PDF (hundreds of pages) takes far
longer than a tiny --timeout to read, so its worker is killed by the limit,
while a short letter beside it still becomes a letter.
"""
from __future__ import annotations

import shutil

from conftest import CORPUS_DIR, render_letter_pdf, seed_paths

from imr_extract.run.batch import RunSettings, run
from imr_extract.io.inputs import expand


def test_a_letter_over_the_time_limit_becomes_a_timeout_row_and_the_batch_goes_on(tmp_path):
    seed = seed_paths()[0]
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(seed, inputs / seed.name)
    long_text = "\n".join([seed.read_text(encoding="utf-8")] * 400)
    render_letter_pdf(long_text, inputs / "very-long.pdf")

    summary = run(list(expand([inputs])), tmp_path / "out", RunSettings(workers=1, timeout=0.5, quiet=True))

    assert summary.errors_by_kind == {"timeout": 1}
    assert summary.counts["letters"] == 1
    assert summary.exit_code == 1
    errors = (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")
    assert "very-long.pdf" in errors and "--timeout" in errors
    assert CORPUS_DIR.is_dir()


def test_a_chunk_that_times_out_is_retried_letter_by_letter(tmp_path):
    """Letters travel to workers in chunks; only the letter over the limit may become an error row."""
    seeds = seed_paths()
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(40):  # enough inputs for chunks of more than one letter
        seed = seeds[i % len(seeds)]
        (inputs / f"{i:02d}-{seed.name}").write_text(seed.read_text(encoding="utf-8") + f"\nSynthetic copy {i}\n",
                                                     encoding="utf-8")
    long_text = "\n".join([seeds[0].read_text(encoding="utf-8")] * 400)
    render_letter_pdf(long_text, inputs / "20-very-long.pdf")

    summary = run(list(expand([inputs])), tmp_path / "out", RunSettings(workers=2, timeout=0.3, quiet=True))

    assert summary.errors_by_kind == {"timeout": 1}
    assert summary.counts["letters"] == 40
