"""The per-letter function every engine runs: bytes in, table rows out.

It never raises: any failure becomes an ``errors`` row, so one bad letter
cannot stop a batch or take another letter's rows with it.
"""
from __future__ import annotations

from typing import Any

Rows = dict[str, list[dict[str, Any]]]


def process_letter(name: str, data: bytes, content_hash: str, pdf_backend: str = "pdfium") -> Rows:
    from ..extract.letter import NotAnIMRLetter, parse_normalized
    from ..text.normalize import normalize
    from ..io.read import ReadError, read_bytes

    try:
        doc = read_bytes(data, name, backend=pdf_backend)
        normalized = normalize(doc.pages)
        record = parse_normalized(normalized, source_path=name, source_type=doc.source_type)
    except ReadError as exc:
        return error_rows(name, content_hash, exc.kind, exc.message)
    except NotAnIMRLetter as exc:
        return error_rows(name, content_hash, "not_an_imr_letter", str(exc))
    except RecursionError as exc:  # pathological PDFs can recurse deeply in the parser
        return error_rows(name, content_hash, "corrupt_pdf", f"the PDF structure is too deeply nested: {exc}")
    except Exception as exc:  # a bug of ours: keep going, but say so plainly
        return error_rows(name, content_hash, "internal_error",
                          f"unexpected {type(exc).__name__}: {exc}; please report this letter")
    from ..insight.checks import audit_rows

    rows = record.rows(content_hash)
    rows["audit"] = audit_rows(record)
    rows["errors"] = []
    return rows


def read_input(ref, max_bytes: int) -> tuple[bytes | None, str | None, Rows | None]:
    """(bytes, SHA-256, None) for a readable input, else (None, None, its error rows)."""
    import hashlib

    from ..io.read import ReadError

    try:
        data = ref.read_bytes(max_bytes)
    except ReadError as exc:
        return None, None, error_rows(ref.display, None, exc.kind, exc.message)
    except OSError as exc:
        return None, None, error_rows(ref.display, None, "unreadable_file", f"cannot read: {exc.strerror or exc}")
    return data, hashlib.sha256(data).hexdigest(), None


def process_input(ref, max_bytes: int, pdf_backend: str = "pdfium") -> tuple[str | None, Rows]:
    """Read, hash and process one input inside the worker, so the driver only routes rows.

    Returns (SHA-256 of the bytes or None when unreadable, rows).
    """
    data, digest, failed = read_input(ref, max_bytes)
    if failed is not None:
        return None, failed
    return digest, process_letter(ref.display, data, digest, pdf_backend)


def process_inputs(refs: list, max_bytes: int, pdf_backend: str = "pdfium") -> list[tuple[str | None, Rows]]:
    """A chunk of inputs in one task: fewer messages between processes for the same work."""
    return [process_input(ref, max_bytes, pdf_backend) for ref in refs]


def error_rows(name: str, content_hash: str | None, kind: str, message: str) -> Rows:
    return {"letters": [], "decisions": [], "evidence": [], "audit": [],
            "errors": [{"source_path": name, "content_hash": content_hash, "error_kind": kind, "message": message}]}


def warm_up() -> None:
    """Import and compile everything once per process, so a letter's time limit measures the letter.

    Workers run it as they start, in parallel. spaCy is left to load on first use: few letters need it
    (see nlp.sentence_end), and loading it costs more than compiling every rule.
    """
    from ..insight import checks  # noqa: F401
    from ..extract import letter  # noqa: F401  (imports every extractor and check)
    from ..extract import service  # noqa: F401
    from ..rule_schema import SCHEMAS
    from ..rules import load_rules

    for kind in SCHEMAS:
        for rule in load_rules(kind):
            if "pattern" in rule.attrs:
                _ = rule.regex
    import pypdfium2  # noqa: F401
