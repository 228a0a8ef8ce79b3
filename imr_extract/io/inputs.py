"""Enumerate the letters a run is asked to read: files, folders, zips, lists."""
from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

#: File name endings read as letters when a folder or zip is walked.
LETTER_SUFFIXES = (".pdf", ".txt", ".text")
MEMBER_SEPARATOR = "!"


@dataclass(frozen=True)
class InputRef:
    """One letter to read: a file on disk or a member of a zip archive."""

    display: str  # what goes to source_path
    path: Path
    member: str | None = None
    problem: str | None = None  # why this input cannot be read at all (a damaged archive)

    def read_bytes(self, max_bytes: int) -> bytes:
        from .read import ReadError

        if self.problem:
            raise ReadError("corrupt_archive", self.problem)
        if self.member is None:
            size = self.path.stat().st_size
            if size > max_bytes:
                raise ReadError("file_too_large", f"{size} bytes is over the {max_bytes}-byte limit (--max-bytes)")
            return self.path.read_bytes()
        try:
            with zipfile.ZipFile(self.path) as zf:
                info = zf.getinfo(self.member)
                if info.file_size > max_bytes:
                    raise ReadError("file_too_large",
                                    f"{info.file_size} bytes is over the {max_bytes}-byte limit (--max-bytes)")
                return zf.read(self.member)
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
            raise ReadError("corrupt_archive", f"this member of the zip archive cannot be extracted: {exc}") from exc


class InputError(ValueError):
    """A path given on the command line does not exist (a usage error)."""


def _is_letter(name: str) -> bool:
    return name.lower().endswith(LETTER_SUFFIXES)


def expand(paths: Iterable[str | Path]) -> Iterator[InputRef]:
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"no such file or folder: {raw}")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)):
                if _is_letter(child.name):
                    yield InputRef(str(child), child)
                elif child.suffix.lower() == ".zip":
                    yield from _zip_members(child)
        elif path.suffix.lower() == ".zip":
            yield from _zip_members(path)
        else:
            yield InputRef(str(path), path)


def _hidden(p: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in p.relative_to(root).parts)


def _zip_members(path: Path) -> Iterator[InputRef]:
    """Each letter in the archive; a damaged archive is one input that becomes an error row."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(i.filename for i in zf.infolist() if not i.is_dir())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield InputRef(str(path), path, problem=f"the zip archive cannot be opened ({exc}); its letters were not read")
        return
    for name in names:
        if _is_letter(name) and not Path(name).name.startswith("."):
            yield InputRef(f"{path}{MEMBER_SEPARATOR}{name}", path, name)


def read_list(list_file: str | Path) -> list[str]:
    """Paths from a file, one a line; blank lines and # comments skipped."""
    lines = Path(list_file).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
