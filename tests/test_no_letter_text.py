"""The real letters' own text stays out of the repository.

Every line of 60 or more characters in a tracked file (the five seed letters the user gave
excepted) is looked for in the text of the shared real letters, case and spacing folded. A hit
fails the test unless the words are template wording every letter shares (found in at least
three letters) or a guideline citation line (a chapter and section of the guidelines as cited).
"""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from functools import lru_cache

import pytest

from conftest import REPO_ROOT, SHARED_DIR

WINDOW = 60
TEMPLATE_LETTERS = 3
#: The guideline paragraphs of a letter: citation lines (chapter and section names as the guidelines title them).
CITATION_PARAGRAPH = re.compile(r"(?:claims administrator|maximus) guidelines?:.*?(?=decision rationale:|$)",
                                re.IGNORECASE | re.DOTALL)
#: A line that cites a guideline: its chapter and section names are the guidelines' own, not a letter's.
CITATION = re.compile(r"\b(?:decision based on|section\(s\)|page\(s\)|official disability guidelines|"
                      r"american college of occupational and environmental medicine|"
                      r"non-mtus citation|mtus (?:guidelines )?(?:chronic|acupuncture|post-?surgical|"
                      r"[a-z ,]+ complaints))\b", re.IGNORECASE)
SEED = re.compile(r"^corpus/\d{3}_[0-9a-f]+\.txt$")


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\ufffe", "-")).strip().lower()


@lru_cache(maxsize=1)
def window_counts() -> Counter:
    """How many real letters hold each 60-character stretch of folded text (by hash, to stay small)."""
    import pypdfium2 as pdfium

    counts: Counter = Counter()
    for path in sorted((SHARED_DIR / "real").glob("*.pdf")):
        pdf = pdfium.PdfDocument(str(path))
        try:
            text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
        for part in CITATION_PARAGRAPH.split(text):
            part = fold(part)
            counts.update({hash(part[i:i + WINDOW]) for i in range(len(part) - WINDOW + 1)})
    return counts


def tracked_text_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
    return [n for n in names if not SEED.match(n) and not n.endswith((".png", ".parquet"))]


def file_text(path: str) -> str | None:
    """A tracked file's text; for a PDF, the text of its pages."""
    full = REPO_ROOT / path
    if path.endswith(".pdf"):
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(full))
        try:
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
    try:
        return full.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError):
        return None


def copied_lines(path: str, counts: Counter) -> list[tuple[int, str]]:
    text = file_text(path)
    if text is None:
        return []
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        folded = fold(line)
        if len(folded) < WINDOW or CITATION.search(folded):
            continue
        if any(0 < counts.get(hash(folded[i:i + WINDOW]), 0) < TEMPLATE_LETTERS
               for i in range(len(folded) - WINDOW + 1)):
            hits.append((number, line.strip()[:120]))
    return hits


def test_no_line_of_a_real_letter_is_in_the_repository():
    if not (SHARED_DIR / "real").is_dir():
        pytest.skip(f"the shared real letters are not at {SHARED_DIR}")
    counts = window_counts()
    assert counts, "no real letter text was read"
    found = {path: hits for path in tracked_text_files() if (hits := copied_lines(path, counts))}
    report = [f"{path}:{n}: {line}" for path, hits in sorted(found.items()) for n, line in hits]
    assert not report, f"{len(report)} lines hold a real letter's own text:\n" + "\n".join(report)


def test_the_check_finds_a_copied_line(tmp_path):
    """The detector itself: a real letter's own line is caught, template and citation lines are not."""
    if not (SHARED_DIR / "real").is_dir():
        pytest.skip(f"the shared real letters are not at {SHARED_DIR}")
    import pypdfium2 as pdfium

    counts = window_counts()
    pdf = pdfium.PdfDocument(str(sorted((SHARED_DIR / "real").glob("*.pdf"))[0]))
    lines = [ln for i in range(len(pdf)) for ln in pdf[i].get_textpage().get_text_range().splitlines()]
    pdf.close()
    own = [ln for ln in lines if len(fold(ln)) >= WINDOW and not CITATION.search(fold(ln))
           and any(0 < counts.get(hash(fold(ln)[i:i + WINDOW]), 0) < TEMPLATE_LETTERS
                   for i in range(len(fold(ln)) - WINDOW + 1))]
    assert own, "a real letter has lines of its own"
    template = "MAXIMUS Federal Services sent the complete case file to an expert reviewer"
    assert not any(0 < counts.get(hash(fold(template * 2)[i:i + WINDOW]), 0) < TEMPLATE_LETTERS
                   for i in range(10))

