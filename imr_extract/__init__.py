"""imr-extract: IMR Final Determination Letters in, analysis-ready tables out.

    >>> import imr_extract
    >>> record = imr_extract.parse_file("letter.pdf")
    >>> record.patient_age, [d.outcome for d in record.decisions]
    >>> tables = imr_extract.read_run("out")      # a finished run's tables as typed DataFrames
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pandas as pd

    from .records import LetterRecord

__all__ = ["__version__", "parse_file", "parse_pages", "parse_text", "read_run"]


def parse_pages(pages, source_path: str = "", source_type: str = "text") -> LetterRecord:
    from .extract.letter import parse_normalized
    from .text.normalize import normalize

    return parse_normalized(normalize(pages), source_path=source_path, source_type=source_type)


def parse_text(text: str, source_path: str = "") -> LetterRecord:
    """Parse one letter given as text (form feeds separate pages)."""
    from .io.read import split_text_pages

    return parse_pages(split_text_pages(text), source_path=source_path, source_type="text")


def parse_file(path: str | Path, pdf_backend: str | None = None) -> LetterRecord:
    """Parse one letter file (.pdf or text). Raises ReadError / NotAnIMRLetter on bad input."""
    from .io.read import DEFAULT_PDF_BACKEND, read_path

    doc = read_path(path, backend=pdf_backend or DEFAULT_PDF_BACKEND)
    return parse_pages(doc.pages, source_path=doc.source_path, source_type=doc.source_type)


def read_run(out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """A finished run's tables (letters, decisions, errors, evidence, audit) as DataFrames with Arrow-backed dtypes.

    Reads whichever format the run wrote (Parquet, else CSV, else ``imr.duckdb``);
    dates are dates, integers nullable integers, lists lists, booleans booleans.
    Raises ``imr_extract.io.tables.RunNotFound`` when the folder holds no run.
    """
    from .io.tables import read_run as read

    return read(out_dir)
