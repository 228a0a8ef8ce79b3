"""Shared fixtures: where the corpus and the shared letters are, and a letter-to-PDF renderer.

The shared letters (``../shared`` beside the repository: real PDFs and their
expected values) are not part of the project; tests that need them skip with
the reason when the folder is absent. ``IMR_SHARED_DIR`` points elsewhere.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT / "corpus"
SHARED_DIR = Path(os.environ.get("IMR_SHARED_DIR", REPO_ROOT.parent / "shared"))

#: PDF page geometry used by :func:`render_letter_pdf` (US letter, points).
PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0
MARGIN = 36.0
FONT, FONT_SIZE, LEADING = "Helvetica", 9.0, 12.5
LINES_PER_PAGE = 55


def seed_paths() -> list[Path]:
    """The five seed letters (corpus/NNN_*.txt)."""
    return sorted(CORPUS_DIR.glob("[0-9][0-9][0-9]_*.txt"))


def require_shared() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared letters not found at {SHARED_DIR} (the folder beside the repository; "
                    f"set IMR_SHARED_DIR to use another)")
    return SHARED_DIR


def real_pdf_paths() -> list[Path]:
    """The real letters, or [] when the shared folder is absent (tests then skip via ``shared_dir``)."""
    return sorted((SHARED_DIR / "real").glob("*.pdf")) if SHARED_DIR.is_dir() else []


def letter_lines(text: str) -> list[str]:
    """The letter's printed lines: the normalized text, one line per line, paragraph breaks dropped.

    Seeds write every line break twice; normalizing first gives one printed line per letter line,
    which is what a PDF's text layer holds.
    """
    from imr_extract.text.normalize import normalize
    from imr_extract.io.read import split_text_pages

    return [line for line in normalize(split_text_pages(text)).text.split("\n") if line.strip()]


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF file holding ``objects`` (object 1 the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def render_letter_pdf(text: str, path: Path, encrypt=None) -> Path:
    """Print a text letter into a PDF with reportlab: one letter line per PDF line, a new page every 55 lines."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), encrypt=encrypt, invariant=1)
    usable = PAGE_WIDTH - 2 * MARGIN
    lines = letter_lines(text)
    for start in range(0, len(lines), LINES_PER_PAGE):
        y = PAGE_HEIGHT - MARGIN - FONT_SIZE
        for line in lines[start:start + LINES_PER_PAGE]:
            size = FONT_SIZE
            width = stringWidth(line, FONT, size)
            if width > usable:  # a rare over-long line: shrink it to fit rather than run off the page
                size = max(4.0, size * usable / width)
            c.setFont(FONT, size)
            c.drawString(MARGIN, y, line)
            y -= LEADING
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS_DIR


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    paths = seed_paths()
    assert len(paths) == 5, f"expected the 5 seed letters in {CORPUS_DIR}, found {len(paths)}"
    return paths


@pytest.fixture(scope="session")
def real_pdfs(shared_dir) -> list[Path]:
    paths = sorted((shared_dir / "real").glob("*.pdf"))
    if not paths:
        pytest.skip(f"no real letters in {shared_dir / 'real'}")
    return paths


@pytest.fixture(scope="session")
def letter_pdf(tmp_path_factory) -> Callable[[Path], Path]:
    """Render a text letter (by path) to a PDF once per session; returns the PDF's path."""
    folder = tmp_path_factory.mktemp("letter-pdfs")
    cache: dict[Path, Path] = {}

    def render(text_path: Path) -> Path:
        text_path = Path(text_path)
        if text_path not in cache:
            text = text_path.read_text(encoding="utf-8")
            cache[text_path] = render_letter_pdf(text, folder / f"{text_path.stem}.pdf")
        return cache[text_path]

    return render
