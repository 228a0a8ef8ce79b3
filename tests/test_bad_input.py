"""Bad inputs become one error row each, with the right kind, and the batch goes on.

Every input is a real file: PDFs are made with reportlab, never mocked. A good seed letter sits in
the same folder and must still become a letter; every input is counted exactly once.
"""
from __future__ import annotations

import random
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from imr_extract.run.batch import RunSettings, run
from imr_extract.cli.main import main as cli
from imr_extract.io.inputs import expand
from imr_extract.io.read import PDF_BACKENDS, ReadError, read_bytes

from conftest import render_letter_pdf, seed_paths

MAX_BYTES = 200_000
RECIPE = """Grandmother's Banana Bread
Ingredients: three ripe bananas, a third of a cup of melted butter, a teaspoon of baking soda,
a pinch of salt, three quarters of a cup of sugar, one large egg, a teaspoon of vanilla extract,
and a cup and a half of flour.
Method: mash the bananas, stir in the butter, then the soda and salt, the sugar, egg and vanilla,
and finally the flour. Bake for about an hour until a skewer comes out clean.
"""


def pdf_with_canvas(path: Path, draw, encrypt=None) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792), encrypt=encrypt, invariant=1)
    draw(c)
    c.showPage()
    c.save()
    return path


def text_pdf(path: Path, text: str, encrypt=None) -> Path:
    def draw(c):
        c.setFont("Helvetica", 10)
        for i, line in enumerate(text.splitlines()):
            c.drawString(36, 740 - 14 * i, line)

    return pdf_with_canvas(path, draw, encrypt)


def image_only_pdf(path: Path) -> Path:
    def draw(c):
        c.setFillGray(0.4)
        c.rect(72, 300, 400, 300, fill=1, stroke=1)  # a "scanned page": shapes, no text

    return pdf_with_canvas(path, draw)


def user_password():
    from reportlab.lib.pdfencrypt import StandardEncryption

    return StandardEncryption("secret", ownerPassword="owner")


def owner_password_only():
    from reportlab.lib.pdfencrypt import StandardEncryption

    return StandardEncryption("", ownerPassword="owner", canCopy=0, canModify=0)


#: file name -> the error kind(s) it must produce
EXPECTED_KIND = {
    "empty.txt": {"empty_file"},
    "random-bytes.pdf": {"corrupt_pdf"},
    # pdfium may rebuild a damaged file; whatever it recovers must end as a clean row, not a crash
    "truncated.pdf": {"corrupt_pdf", "no_text_layer", "not_an_imr_letter"},
    "encrypted.pdf": {"encrypted_pdf"},
    "scanned.pdf": {"no_text_layer"},
    "recipe.pdf": {"not_an_imr_letter"},
    "recipe.txt": {"not_an_imr_letter"},
    "not-cp1252.txt": {"undecodable_text"},
    "binary.txt": {"undecodable_text"},
    "huge.txt": {"file_too_large"},
    "b-duplicate-of-seed.txt": {"duplicate"},
}
GOOD = ("a-seed.txt", "owner-locked-seed.pdf")


def make_bad_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    seed, other_seed = seed_paths()[0], seed_paths()[2]
    shutil.copy(seed, folder / "a-seed.txt")
    shutil.copy(seed, folder / "b-duplicate-of-seed.txt")  # same bytes under a second name, sorted after
    # the DWC posts its letters owner-password protected (no user password): they must still read
    render_letter_pdf(other_seed.read_text(encoding="utf-8"), folder / "owner-locked-seed.pdf",
                      encrypt=owner_password_only())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "random-bytes.pdf").write_bytes(random.Random(7).randbytes(4096))
    full = render_letter_pdf(other_seed.read_text(encoding="utf-8"), folder / "full.tmp")
    data = full.read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    full.unlink()
    render_letter_pdf(other_seed.read_text(encoding="utf-8"), folder / "encrypted.pdf", encrypt=user_password())
    image_only_pdf(folder / "scanned.pdf")
    text_pdf(folder / "recipe.pdf", RECIPE)
    (folder / "recipe.txt").write_text(RECIPE, encoding="utf-8")
    # bytes that are neither UTF-8 nor cp1252 (0x81 0x8D 0x8F 0x90 0x9D are undefined in cp1252)
    (folder / "not-cp1252.txt").write_bytes(b"Case summary \x81\x8d\x8f\x90\x9d end\n")
    (folder / "binary.txt").write_bytes(b"IMR\x00\x01\x02\x00binary\x00" * 64)
    (folder / "huge.txt").write_bytes(b"Independent Medical Review filler line\n" * (MAX_BYTES // 30))
    return folder


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    folder = make_bad_folder(tmp_path_factory.mktemp("bad") / "in")
    out = folder.parent / "out"
    summary = run(list(expand([str(folder)])), out, RunSettings(workers=2, max_bytes=MAX_BYTES, quiet=True))
    letters = pd.read_csv(out / "letters.csv", dtype=str, keep_default_na=False)
    errors = pd.read_csv(out / "errors.csv", dtype=str, keep_default_na=False)
    return folder, summary, letters, errors


def test_inputs_are_what_the_test_thinks():
    assert len(EXPECTED_KIND) + len(GOOD) == 13


@pytest.mark.parametrize("name", sorted(EXPECTED_KIND))
def test_bad_input_becomes_one_error_row_of_its_kind(bad_run, name):
    folder, _, letters, errors = bad_run
    rows = errors[errors["source_path"] == str(folder / name)]
    assert len(rows) == 1, f"{name}: {len(rows)} error rows"
    kind = rows.iloc[0]["error_kind"]
    assert kind in EXPECTED_KIND[name], f"{name}: {kind} ({rows.iloc[0]['message']})"
    assert rows.iloc[0]["message"].strip()
    assert str(folder / name) not in set(letters["source_path"])


@pytest.mark.parametrize("name", GOOD)
def test_good_letters_in_the_same_folder_still_become_letters(bad_run, name):
    folder, _, letters, errors = bad_run
    assert (letters["source_path"] == str(folder / name)).sum() == 1
    assert str(folder / name) not in set(errors["source_path"])


def test_every_input_is_counted_exactly_once(bad_run):
    folder, summary, letters, errors = bad_run
    inputs = sorted(str(p) for p in folder.iterdir())
    seen = sorted([*letters["source_path"], *errors["source_path"]])
    assert seen == inputs
    assert summary.counts["letters"] + summary.counts["errors"] == len(inputs)
    assert summary.duplicates == 1
    assert summary.exit_code == 1


def test_duplicate_names_the_original(bad_run):
    folder, _, _, errors = bad_run
    row = errors[errors["error_kind"] == "duplicate"].iloc[0]
    assert str(folder / "a-seed.txt") in row["message"]
    assert row["content_hash"]


@pytest.mark.parametrize("backend", PDF_BACKENDS)
@pytest.mark.parametrize("name,kind", [("random-bytes.pdf", "corrupt_pdf"), ("encrypted.pdf", "encrypted_pdf"),
                                       ("scanned.pdf", "no_text_layer"), ("truncated.pdf", "corrupt_pdf")])
def test_both_backends_classify_bad_pdfs_alike(bad_run, backend, name, kind):
    folder = bad_run[0]
    with pytest.raises(ReadError) as info:
        read_bytes((folder / name).read_bytes(), name, backend=backend)
    assert info.value.kind == kind


def test_cli_exit_code_is_1_when_some_inputs_fail(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[1], folder / "letter.txt")
    (folder / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"])
    assert result.exit_code == 1, result.output
    errors = pd.read_csv(tmp_path / "out" / "errors.csv")
    assert list(errors["error_kind"]) == ["empty_file"]
    assert len(pd.read_csv(tmp_path / "out" / "letters.csv")) == 1


def test_zip_members_are_inputs_too(tmp_path):
    archive = tmp_path / "in" / "letters.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(seed_paths()[3], "good.txt")
        zf.writestr("empty.txt", b"")
        zf.writestr("notes.md", b"not a letter suffix: ignored")
    summary = run(list(expand([str(archive.parent)])), tmp_path / "out", RunSettings(workers=1, timeout=None,
                                                                                     quiet=True))
    assert summary.counts["letters"] == 1 and summary.counts["errors"] == 1
    errors = pd.read_csv(tmp_path / "out" / "errors.csv")
    assert errors.iloc[0]["source_path"] == f"{archive}!empty.txt"
    assert errors.iloc[0]["error_kind"] == "empty_file"


def test_a_damaged_zip_in_a_folder_is_reported(tmp_path):
    """Regression: a damaged archive used to be skipped silently, its letters vanishing without a trace."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder / "letter.txt")
    (folder / "archive.zip").write_bytes(b"PK\x03\x04" + random.Random(1).randbytes(512))
    summary = run(list(expand([str(folder)])), tmp_path / "out", RunSettings(workers=1, timeout=None, quiet=True))
    assert summary.counts["letters"] + summary.counts["errors"] == 2
    assert summary.errors_by_kind == {"corrupt_archive": 1}


def test_a_corrupt_zip_member_becomes_an_error_row(tmp_path):
    """Regression: a member with a bad CRC raised BadZipFile out of the reader and stopped the whole run."""
    folder = tmp_path / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "a.zip", "w", compression=zipfile.ZIP_STORED) as zf:
        zf.write(seed_paths()[0], "letter.txt")
    data = bytearray((folder / "a.zip").read_bytes())
    at = data.find(b"HOW THE IMR")
    data[at:at + 3] = b"XXX"  # the member's bytes no longer match its CRC-32
    (folder / "a.zip").write_bytes(bytes(data))
    shutil.copy(seed_paths()[1], folder / "b.txt")
    summary = run(list(expand([str(folder)])), tmp_path / "out", RunSettings(workers=1, timeout=None, quiet=True))
    assert summary.counts["letters"] == 1
    assert summary.errors_by_kind == {"corrupt_archive": 1}
