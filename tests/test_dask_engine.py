"""The Dask engine writes the same tables as the local process pool."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from imr_extract.run.batch import RunSettings, run
from imr_extract.io.inputs import expand

from conftest import seed_paths

pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, real_pdfs):
    folder = tmp_path_factory.mktemp("dask-in")
    for p in [*seed_paths(), *real_pdfs[:10]]:
        shutil.copy(p, folder / p.name)
    return folder


def tables(out) -> tuple[pd.DataFrame, pd.DataFrame]:
    letters = pd.read_parquet(out / "letters.parquet").sort_values("source_path").reset_index(drop=True)
    decisions = pd.read_parquet(out / "decisions.parquet").sort_values(["letter_id", "item_no"]).reset_index(drop=True)
    return letters, decisions


def test_dask_and_local_engines_write_the_same_tables(mixed_folder, tmp_path):
    refs = list(expand([str(mixed_folder)]))
    local = run(refs, tmp_path / "local", RunSettings(workers=2, quiet=True))
    dask = run(refs, tmp_path / "dask", RunSettings(engine="dask", workers=2, quiet=True))
    assert local.counts == dask.counts
    assert local.counts["letters"] == 15 and local.counts["errors"] == 0
    for a, b in zip(tables(tmp_path / "local"), tables(tmp_path / "dask")):
        pd.testing.assert_frame_equal(a, b)
