"""Where letters come from: lists of paths, folders, zips; and what a rerun sees."""
from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from conftest import seed_paths

from imr_extract.run.batch import RunSettings, run
from imr_extract.cli.main import main
from imr_extract.io.inputs import expand, read_list


def test_from_list_reads_the_listed_paths(tmp_path):
    seeds = seed_paths()
    listing = tmp_path / "letters.txt"
    listing.write_text("# two seeds\n" + f"{seeds[0]}\n\n{seeds[1]}\n", encoding="utf-8")
    assert read_list(listing) == [str(seeds[0]), str(seeds[1])]
    result = CliRunner().invoke(main, ["run", "--from-list", str(listing), "--out", str(tmp_path / "out"),
                                       "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["letters"] == 2 and manifest["inputs"] == [str(seeds[0]), str(seeds[1])]


def test_new_copy_of_a_letter_done_in_an_earlier_run_is_a_duplicate(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    seed = seed_paths()[2]
    shutil.copy(seed, folder / "a.txt")
    out = tmp_path / "out"
    first = run(list(expand([folder])), out, RunSettings(workers=1, timeout=None, quiet=True))
    assert first.counts == {**first.counts, "letters": 1, "errors": 0}
    shutil.copy(seed, folder / "b.txt")  # same bytes under a new name
    second = run(list(expand([folder])), out, RunSettings(workers=1, timeout=None, quiet=True))
    assert second.skipped_done == 1 and second.processed == 1
    assert second.counts["letters"] == 1 and second.errors_by_kind == {"duplicate": 1}


def test_progress_bar_shows_rate_and_errors(tmp_path):
    """The bar run() drives (tqdm, as on a terminal) counts letters, shows their rate and the errors so far."""
    import io

    from tqdm import tqdm

    stream = io.StringIO()
    progress = tqdm(total=2, file=stream, unit="letter", desc="letters", mininterval=0)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    run(list(expand([folder])), tmp_path / "out", RunSettings(workers=1, timeout=None), progress=progress)
    shown = stream.getvalue()
    assert "2/2" in shown and "letter/s" in shown and "errors=1" in shown
