"""The same letter gives the same record from text and from PDF, and both PDF backends agree.

The seeds are printed into PDFs with reportlab (one letter line per PDF line); the real letters
are read by both backends. Agreement of the backends on all 64 real letters is the evidence that
the fast default (pdfium) loses nothing against pdfplumber.
"""
from __future__ import annotations

import pytest

import imr_extract
from imr_extract.insight.evaluate import DECISION_FIELDS, LETTER_FIELDS, values_match
from imr_extract.io.read import PDF_BACKENDS

from conftest import real_pdf_paths, seed_paths

SEEDS = seed_paths()
REAL = [pytest.param(p, id=p.stem) for p in real_pdf_paths()]
#: Columns that legitimately differ between two readings of one letter.
VOLATILE = {"source_path", "source_type", "letter_id"}


def differences(a, b) -> list[str]:
    out = [f"{n}: {a[n]!r} != {b[n]!r}" for n in LETTER_FIELDS if not values_match(n, a[n], b[n])]
    if len(a.decisions) != len(b.decisions):
        out.append(f"items: {len(a.decisions)} != {len(b.decisions)}")
    for i, (x, y) in enumerate(zip(a.decisions, b.decisions), start=1):
        out.extend(f"item {i} {n}: {x[n]!r} != {y[n]!r}" for n in DECISION_FIELDS if not values_match(n, x[n], y[n]))
    return out


@pytest.mark.parametrize("backend", PDF_BACKENDS)
@pytest.mark.parametrize("seed", SEEDS, ids=[p.stem for p in SEEDS])
def test_seed_pdf_gives_the_text_record(seed, backend, letter_pdf):
    from_text = imr_extract.parse_file(seed)
    from_pdf = imr_extract.parse_file(letter_pdf(seed), pdf_backend=backend)
    assert from_pdf["source_type"] == "pdf"
    assert from_pdf["page_count"] >= 1
    diff = differences(from_text, from_pdf)
    assert not diff, f"{seed.stem} via {backend}:\n  " + "\n  ".join(diff)


def comparable(record) -> dict:
    d = record.to_dict()
    for key in VOLATILE:
        d.pop(key, None)
    for item in d["decisions"]:
        item.pop("letter_id", None)
    return d


@pytest.mark.parametrize("pdf", REAL)
def test_real_letter_same_record_with_both_backends(pdf, shared_dir):
    fast = comparable(imr_extract.parse_file(pdf, pdf_backend="pdfium"))
    slow = comparable(imr_extract.parse_file(pdf, pdf_backend="pdfplumber"))
    diff = [f"{k}: pdfium {fast[k]!r} != pdfplumber {slow[k]!r}" for k in fast if k != "decisions" and fast[k] != slow[k]]
    if len(fast["decisions"]) != len(slow["decisions"]):
        diff.append(f"items: {len(fast['decisions'])} != {len(slow['decisions'])}")
    for i, (x, y) in enumerate(zip(fast["decisions"], slow["decisions"]), start=1):
        diff.extend(f"item {i} {k}: pdfium {x[k]!r} != pdfplumber {y[k]!r}" for k in x if x[k] != y[k])
    assert not diff, f"{pdf.stem}:\n  " + "\n  ".join(diff)


def test_pdfium_hyphen_marker_ufffe_becomes_a_hyphen():
    """Regression: pdfium marks some hyphens U+FFFE; records must carry a plain hyphen."""
    from imr_extract.text.normalize import normalize

    assert normalize(["anti\ufffeinflammatories, well\ufffeestablished"]).text == \
        "anti-inflammatories, well-established"
