"""Enumerate the letters a run is asked to read: files, folders, zips (nested too), lists.

Every input a run is given, or finds in a folder or archive, becomes one
:class:`InputRef`, so nothing a user handed over can vanish without a row:
a damaged archive, a named pipe, a dangling or refused symbolic link are
refs whose ``problem`` says why they cannot be read. Reading is bounded: never
more than ``max_bytes`` from a file, a device or an archive member, and a named
pipe is never opened for a blocking read.
"""
from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: File name endings read as letters when a folder or zip is walked.
LETTER_SUFFIXES = (".pdf", ".txt", ".text")
MEMBER_SEPARATOR = "!"
#: What ``--symlinks`` may say: follow every link, only links whose target stays inside the folder walked,
#: or none (each link becomes a ``refused_symlink`` error row).
SYMLINK_POLICIES = ("inside", "follow", "refuse")
DEFAULT_SYMLINK_POLICY = "inside"
#: Zips inside zips are opened this deep; deeper ones become an error row.
MAX_ARCHIVE_DEPTH = 3
#: Compression methods Python's zipfile can inflate (stored, deflate, bzip2, lzma).
_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
                zipfile.ZIP_LZMA: "lzma"}
_ZIP_METHOD_NAMES = {9: "Deflate64", 10: "PKWARE DCL Implode", 6: "Implode", 98: "PPMd", 95: "xz", 93: "Zstandard"}


def shown(path: str | os.PathLike) -> str:
    """A path as valid text: bytes of a name that are not UTF-8 are written as ``\\xNN`` escapes.

    File names on Linux are bytes; a Latin-1 ``café.pdf`` cannot be written to a UTF-8
    table, a JSON marker or a terminal as it is, so every name the run stores goes through here.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class InputRef:
    """One letter to read: a file on disk or a member of a zip archive (possibly nested).

    ``display`` is what goes to ``source_path``; ``key`` identifies the input across runs
    (absolute path, and the member's place in its archive). ``problem`` is set for an input
    that cannot be read at all, with ``problem_kind`` the error kind its row gets.
    """

    display: str
    path: Path
    member: str | None = None  # the member's name in the archive at ``path`` (innermost one when nested)
    problem: str | None = None
    problem_kind: str = "corrupt_archive"
    members: tuple[tuple[int, str], ...] = ()  # (index, name) of each member, outermost archive first
    key: str = ""

    @property
    def id(self) -> str:
        """The identity a run resumes by (the absolute path when expand() made the ref)."""
        return self.key or self.display

    def read_bytes(self, max_bytes: int) -> bytes:
        """The input's bytes, at most ``max_bytes``; raises ReadError with the error kind otherwise."""
        from .read import ReadError

        if self.problem:
            raise ReadError(self.problem_kind, self.problem)
        chain = self.members or (((None, self.member),) if self.member is not None else ())
        if not chain:
            return read_file_bytes(self.path, max_bytes)
        return _ARCHIVES.member_bytes(self.path, chain, max_bytes)


class InputError(ValueError):
    """A path given on the command line does not exist (a usage error)."""


# ---------------------------------------------------------------------------------------------- reading


def read_file_bytes(path: str | os.PathLike, max_bytes: int) -> bytes:
    """A regular file's bytes, never more than ``max_bytes``.

    Opened without blocking, so a named pipe is refused instead of waiting for a writer; a
    device or a /proc file (which report 0 bytes) are cut off at the limit, not read to the end.
    """
    from .read import ReadError

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ReadError("unreadable_file", f"cannot open: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb", buffering=0) as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadError("unreadable_file", f"not a regular file ({_file_type(info.st_mode)}); "
                                               "only regular files are read")
        if info.st_size > max_bytes:
            raise ReadError("file_too_large", f"{info.st_size} bytes is over the {max_bytes}-byte limit (--max-bytes)")
        try:
            data = _read_at_most(f, max_bytes + 1)
        except OSError as exc:
            raise ReadError("unreadable_file", f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ReadError("file_too_large", f"more than the {max_bytes}-byte limit (--max-bytes) could be read "
                                          "although the file reported a smaller size")
    return data


def _read_at_most(f, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = f.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a file"


class _ArchiveCache:
    """Open zip archives kept per process: a 10,000-member zip is opened once, not once per member."""

    def __init__(self, size: int = 4):
        self.size = size
        self._open: OrderedDict = OrderedDict()

    def _get(self, key, opener):
        zf = self._open.get(key)
        if zf is None:
            zf = opener()
            self._open[key] = zf
            while len(self._open) > self.size:
                self._open.popitem(last=False)[1].close()
        else:
            self._open.move_to_end(key)
        return zf

    def member_bytes(self, path: Path, chain, max_bytes: int) -> bytes:
        from .read import ReadError

        try:
            st = os.stat(path)
            key: tuple = (os.fspath(path), st.st_mtime_ns, st.st_size)
            zf = self._get(key, lambda: zipfile.ZipFile(path))
            for depth, (index, name) in enumerate(chain):
                info = _member_info(zf, index, name)
                data = member_data(zf, info, max_bytes)
                if depth == len(chain) - 1:
                    return data
                key = (*key, index, name)
                zf = self._get(key, lambda data=data: _zip_from_bytes(data))
        except ReadError:
            raise
        except OSError as exc:
            raise ReadError("unreadable_file", f"cannot read the archive: {exc.strerror or exc}") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
            raise ReadError("corrupt_archive", f"this member of the zip archive cannot be extracted: {exc}") from exc
        raise AssertionError("unreachable")


_ARCHIVES = _ArchiveCache()


def _zip_from_bytes(data: bytes) -> zipfile.ZipFile:
    import io

    return zipfile.ZipFile(io.BytesIO(data))


def _member_info(zf: zipfile.ZipFile, index: int | None, name: str) -> zipfile.ZipInfo:
    if index is None:
        return zf.getinfo(name)
    infos = zf.infolist()
    if index >= len(infos) or infos[index].filename != name:
        raise KeyError(f"{name!r} is no longer member #{index + 1} (the archive changed)")
    return infos[index]


def member_data(zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """A member's bytes, at most ``max_bytes`` however much it claims or inflates to."""
    from .read import ReadError

    problem = member_problem(info)
    if problem:
        raise ReadError(*problem)
    if info.file_size > max_bytes:
        raise ReadError("file_too_large", f"{info.file_size} bytes is over the {max_bytes}-byte limit (--max-bytes)")
    try:
        with zf.open(info) as f:
            data = f.read(max_bytes + 1)
    except RuntimeError as exc:  # zipfile's words for an encrypted member
        raise ReadError("encrypted_archive", f"the member is password-protected ({exc}); extract it first") from exc
    except NotImplementedError as exc:
        raise ReadError("unsupported_archive", f"the member cannot be inflated here ({exc})") from exc
    if len(data) > max_bytes:
        raise ReadError("file_too_large", f"the member inflates past the {max_bytes}-byte limit (--max-bytes)")
    return data


def member_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    """(error kind, message) for a member this reader cannot inflate, before trying."""
    if info.flag_bits & 0x1:
        return ("encrypted_archive", "the member is password-protected (an encrypted zip); extract it with its "
                                     "password first")
    if info.compress_type not in _ZIP_METHODS:
        method = _ZIP_METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        return ("unsupported_archive", f"the member is compressed with {method}, which this reader cannot inflate; "
                                       "re-zip it with ordinary (Deflate) compression")
    return None


# ---------------------------------------------------------------------------------------------- finding inputs


def _is_letter(name: str) -> bool:
    return name.lower().endswith(LETTER_SUFFIXES)


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def expand(paths: Iterable[str | Path], symlinks: str = DEFAULT_SYMLINK_POLICY, skipped: Counter | None = None,
           max_bytes: int | None = None) -> Iterator[InputRef]:
    """Every input under ``paths``, each once (by absolute path), in a stable order.

    Folders are walked recursively (hidden entries skipped), .zip archives opened, zips in
    zips too. ``skipped`` (when given) counts what was passed over and why, e.g.
    ``{"not a letter (.docx)": 3, "hidden": 1}``. Raises InputError for a path that does not exist.
    """
    from .read import DEFAULT_MAX_BYTES

    if symlinks not in SYMLINK_POLICIES:
        raise ValueError(f"symlinks must be one of {', '.join(SYMLINK_POLICIES)}")
    skipped = Counter() if skipped is None else skipped
    limit = max_bytes or DEFAULT_MAX_BYTES
    seen_keys: set[str] = set()
    seen_displays: Counter = Counter()
    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):
            raise InputError(f"no such file or folder: {shown(raw)}")
        if path.is_dir():
            found = _walk(path, symlinks, skipped)
        else:
            found = [(path, None)]
        for child, problem in found:
            if problem is None and _is_zip(child.name):
                refs = _zip_members(child, shown(child), _key(child), (), 0, None, skipped, limit)
            else:
                kind, message = problem if problem else ("", None)
                refs = [InputRef(shown(child), child, problem=message, problem_kind=kind or "corrupt_archive",
                                 key=_key(child))]
            for ref in refs:
                if ref.key in seen_keys:
                    continue
                seen_keys.add(ref.key)
                seen_displays[ref.display] += 1
                if seen_displays[ref.display] > 1:  # two members of one name: both get a row, told apart
                    ref = _renamed(ref, f"{ref.display}#{seen_displays[ref.display]}")
                yield ref


def _renamed(ref: InputRef, display: str) -> InputRef:
    from dataclasses import replace

    return replace(ref, display=display)


def _key(path: Path) -> str:
    return shown(os.path.abspath(path))


def _walk(root: Path, policy: str, skipped: Counter) -> list[tuple[Path, tuple[str, str] | None]]:
    """(path, problem) for every letter, archive or unreadable entry under ``root``, sorted by path."""
    real_root = os.path.realpath(root)
    found: list[tuple[Path, tuple[str, str] | None]] = []
    visited = {_identity(root)}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            found.append((folder, ("unreadable_file", f"cannot list this folder: {exc.strerror or exc}")))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                skipped["hidden"] += 1
                continue
            problem = _link_problem(path, real_root, policy) if entry.is_symlink() else None
            if problem:
                found.append((path, problem))
                continue
            try:
                mode = os.stat(path).st_mode  # follows an accepted link
            except OSError as exc:
                found.append((path, ("unreadable_file", f"cannot read: {exc.strerror or exc}")))
                continue
            if stat.S_ISDIR(mode):
                ident = _identity(path)
                if ident in visited:
                    found.append((path, ("unreadable_file", "a symbolic link back into a folder already read "
                                                            "(a loop); not read twice")))
                    continue
                visited.add(ident)
                stack.append(path)
            elif not stat.S_ISREG(mode):
                found.append((path, ("unreadable_file", f"not a regular file ({_file_type(mode)}); "
                                                        "only regular files are read")))
            elif _is_letter(entry.name) or _is_zip(entry.name):
                found.append((path, None))
            else:
                skipped[f"not a letter ({Path(entry.name).suffix.lower() or 'no suffix'})"] += 1
    found.sort(key=lambda item: item[0])
    return found


def _identity(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _link_problem(path: Path, real_root: str, policy: str) -> tuple[str, str] | None:
    """Why a symbolic link found in a folder walk is not read, or None to follow it."""
    target = shown(os.readlink(path))
    if policy == "refuse":
        return ("refused_symlink", f"a symbolic link (to {target}); links are not followed (--symlinks refuse)")
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return ("unreadable_file", f"a symbolic link loop (to {target})")
        return ("unreadable_file", f"a symbolic link to {target}, which does not exist")
    if policy == "inside":
        real = os.path.realpath(path)
        if os.path.commonpath([real, real_root]) != real_root:
            return ("refused_symlink", f"a symbolic link to {shown(real)}, outside the folder given; "
                                       "--symlinks follow reads it")
    return None


def _zip_members(path: Path, display: str, key: str, chain: tuple, depth: int, zf: zipfile.ZipFile | None,
                 skipped: Counter, max_bytes: int) -> list[InputRef]:
    """Each letter in the archive (and in archives inside it); a damaged one is an input that becomes a row."""
    try:
        if zf is None:
            zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        message = getattr(exc, "strerror", None) or exc
        return [InputRef(display, path, problem=f"the zip archive cannot be opened ({message}); its letters were "
                                                "not read", key=key)]
    refs = []
    for index, info in enumerate(infos):
        name = info.filename
        if info.is_dir():
            continue
        if name.startswith("__MACOSX/"):
            skipped["macOS metadata in a zip"] += 1
            continue
        here = (*chain, (index, name))
        member_display, member_key = f"{display}{MEMBER_SEPARATOR}{name}", f"{key}{MEMBER_SEPARATOR}{index}:{name}"
        if _is_zip(name):
            refs += _nested_members(zf, info, path, member_display, member_key, here, depth, skipped, max_bytes)
        elif _is_letter(name):
            refs.append(InputRef(member_display, path, name, members=here, key=member_key))
        else:
            skipped[f"not a letter ({Path(name).suffix.lower() or 'no suffix'})"] += 1
    if chain == () and zf is not None:
        zf.close()
    return refs


def _nested_members(zf, info, path, display, key, chain, depth, skipped, max_bytes) -> list[InputRef]:
    from .read import ReadError

    if depth + 1 >= MAX_ARCHIVE_DEPTH:
        return [InputRef(display, path, problem=f"a zip nested more than {MAX_ARCHIVE_DEPTH} deep; not opened",
                         key=key)]
    try:
        inner = _zip_from_bytes(member_data(zf, info, max_bytes))
    except ReadError as exc:
        return [InputRef(display, path, problem=exc.message, problem_kind=exc.kind, key=key)]
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        return [InputRef(display, path, problem=f"the zip archive inside cannot be opened ({exc}); its letters "
                                                "were not read", key=key)]
    refs = _zip_members(path, display, key, chain, depth + 1, inner, skipped, max_bytes)
    inner.close()
    return refs


def read_list(list_file: str | Path) -> list[str]:
    """Paths from a file, one a line; blank lines and # comments skipped."""
    lines = Path(list_file).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
