"""Read a letter into page texts: PDF through pdfium or pdfplumber, text as is.

Failures raise :class:`ReadError` with an ``error_kind`` a batch can tabulate;
nothing here decides whether the text is an IMR letter (that is sections' job).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PDF_BACKENDS = ("pdfium", "pdfplumber")
DEFAULT_PDF_BACKEND = "pdfium"
#: Files larger than this are refused rather than read into memory.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """A letter read into page texts: its path as shown, whether it was a PDF or text, and each page's text."""

    source_path: str
    source_type: str  # "pdf" | "text"
    pages: tuple[str, ...]


class ReadError(Exception):
    """An input that cannot become text; ``kind`` goes to the errors table."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def read_path(path: str | Path, backend: str = DEFAULT_PDF_BACKEND, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one letter file into pages (a named pipe or device is refused, never read without end)."""
    from .inputs import read_file_bytes, shown

    return read_bytes(read_file_bytes(path, max_bytes), shown(path), backend=backend)


def read_bytes(data: bytes, name: str, backend: str = DEFAULT_PDF_BACKEND) -> Document:
    """A letter's bytes (PDF or text) into pages; raises ReadError with the error kind."""
    if not data.strip():
        raise ReadError("empty_file", "the file is empty (0 bytes or only whitespace)")
    if is_pdf(data, name):
        pages = read_pdf(data, backend)
        if not any(p.strip() for p in pages):
            raise ReadError(
                "no_text_layer",
                "the PDF has no extractable text (scanned image?); run OCR first",
            )
        return Document(name, "pdf", pages)
    return Document(name, "text", split_text_pages(decode_text(data)))


def is_pdf(data: bytes, name: str) -> bool:
    """Whether the bytes start with a PDF header (leading whitespace aside) or the name ends in .pdf."""
    return data[:1024].lstrip().startswith(b"%PDF") or name.lower().endswith(".pdf")


#: Byte-order marks of the UTF-16 and UTF-32 text that Windows tools write ("Unicode" in Notepad).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_text(data: bytes) -> str:
    """Text of a letter file: UTF-8 (with or without BOM), UTF-16/32 with a BOM, else cp1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ReadError("undecodable_text", f"starts with a {encoding} byte-order mark but is not "
                                                    f"{encoding} text: {exc.reason} at byte {exc.start}") from exc
    if b"\x00" in data[:4096]:
        raise ReadError("undecodable_text", "the file looks binary (NUL bytes), not a text letter")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ReadError("undecodable_text", f"not UTF-8 and not cp1252 text: {exc.reason} at byte {exc.start}") from exc
    return text


def split_text_pages(text: str) -> tuple[str, ...]:
    """A form feed marks a page break in text exports; otherwise one page."""
    return tuple(text.split("\f"))


def read_pdf(data: bytes, backend: str) -> tuple[str, ...]:
    """Each page's text of a PDF by ``backend`` (pdfium or pdfplumber); ReadError when there is no PDF header."""
    if not data.lstrip().startswith(b"%PDF"):
        raise ReadError("corrupt_pdf", "the file is named .pdf but does not start with a PDF header")
    if backend == "pdfium":
        return _read_pdfium(data)
    if backend == "pdfplumber":
        return _read_pdfplumber(data)
    raise ValueError(f"unknown PDF backend {backend!r}; choose one of {', '.join(PDF_BACKENDS)}")


def _read_pdfium(data: bytes) -> tuple[str, ...]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _pdf_open_error(str(exc)) from exc
    try:
        pages = []
        for i in range(len(pdf)):
            try:
                page = pdf[i]
                textpage = page.get_textpage()
            except pdfium.PdfiumError as exc:
                raise ReadError("corrupt_pdf", f"page {i + 1} cannot be loaded ({exc}); the page tree is damaged, "
                                               "cyclic or too deeply nested") from exc
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return tuple(pages)
    finally:
        pdf.close()


def _read_pdfplumber(data: bytes) -> tuple[str, ...]:
    import io

    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return tuple((page.extract_text() or "") for page in pdf.pages)
    except PdfminerException as exc:
        inner = exc.args[0] if exc.args else exc
        if isinstance(inner, PDFPasswordIncorrect):
            raise ReadError("encrypted_pdf", "the PDF needs a user password to open; decrypt it first") from exc
        raise ReadError("corrupt_pdf", f"the PDF cannot be parsed: {inner!r}") from exc
    except Exception as exc:  # pdfminer raises many unrelated types on broken files
        raise ReadError("corrupt_pdf", f"the PDF cannot be parsed: {exc!r}") from exc


def _pdf_open_error(message: str) -> ReadError:
    if "password" in message.lower():
        return ReadError("encrypted_pdf", "the PDF needs a user password to open; decrypt it first")
    return ReadError("corrupt_pdf", f"the PDF cannot be opened ({message}); the file may be truncated or damaged")
