"""Inputs as an attacker or a careless operator hands them over: each one becomes exactly one row.

Regression tests for issue 14 (inputs and reading). Every file is real, made here: a Latin-1 file
name, named pipes, devices, dangling and looping links, nested and oddly named zip members,
encrypted and Deflate64 members, damaged page trees, UTF-16 text, a 10,000-entry zip.
"""
from __future__ import annotations

import os
import shutil
import struct
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import raw_pdf, seed_paths
from imr_extract.cli.main import main as cli
from imr_extract.io import inputs
from imr_extract.io.inputs import expand
from imr_extract.io.read import ReadError, read_bytes, read_path
from imr_extract.run.batch import RunSettings, run

SETTINGS = RunSettings(workers=1, timeout=None, quiet=True)


def seed_text(i: int = 0) -> str:
    return seed_paths()[i].read_text(encoding="utf-8")


def tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    letters = pd.read_parquet(out / "letters.parquet")
    errors = pd.read_parquet(out / "errors.parquet")
    return letters, errors


def every_input_once(letters: pd.DataFrame, errors: pd.DataFrame) -> list[str]:
    seen = [*letters["source_path"], *errors["source_path"]]
    assert len(seen) == len(set(seen)), Counter(seen).most_common(3)
    return sorted(seen)


def test_a_latin1_file_name_does_not_lose_the_batch(tmp_path):
    """Regression: one non-UTF-8 name (café.pdf in Latin-1) made the driver die with UnicodeEncodeError."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder / "good.txt")
    latin1 = os.fsdecode(b"caf\xe9.txt")
    (folder / latin1).write_text(seed_text(1), encoding="utf-8")
    summary = run(list(expand([folder])), tmp_path / "out", SETTINGS)
    assert summary.counts["letters"] == 2 and summary.counts["errors"] == 0
    letters, _ = tables(tmp_path / "out")
    assert str(folder / "caf\\xe9.txt") in set(letters["source_path"])
    csv_text = (tmp_path / "out" / "letters.csv").read_text(encoding="utf-8")
    assert "caf\\xe9.txt" in csv_text
    named = CliRunner().invoke(cli, ["run", str(folder / latin1), "--out", str(tmp_path / "out2"), "--quiet"])
    assert named.exit_code == 0, named.output  # the name given on the command line, in the manifest too


def test_special_files_in_a_folder_each_get_a_row(tmp_path):
    """Regression: a FIFO, a dangling link, a looping link and a device in a folder walk had no row."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder / "good.txt")
    os.mkfifo(folder / "pipe.pdf")
    os.symlink(folder / "missing.pdf", folder / "dangling.pdf")
    os.symlink(folder / "loop-b.txt", folder / "loop-a.txt")
    os.symlink(folder / "loop-a.txt", folder / "loop-b.txt")
    os.symlink("/dev/null", folder / "device.txt")
    summary = run(list(expand([folder], symlinks="follow")), tmp_path / "out", SETTINGS)
    letters, errors = tables(tmp_path / "out")
    assert every_input_once(letters, errors) == sorted(str(folder / n) for n in (
        "good.txt", "pipe.pdf", "dangling.pdf", "loop-a.txt", "loop-b.txt", "device.txt"))
    kinds = dict(zip(errors["source_path"].map(lambda s: Path(s).name), errors["message"]))
    assert "named pipe" in kinds["pipe.pdf"]
    assert "does not exist" in kinds["dangling.pdf"]
    assert "loop" in kinds["loop-a.txt"]
    assert "character device" in kinds["device.txt"]
    assert summary.errors_by_kind == {"unreadable_file": 5}


def test_a_fifo_given_as_a_path_does_not_hang_without_a_time_limit(tmp_path):
    """Regression: a named pipe given with --timeout 0 (and to `show`) waited forever for a writer."""
    fifo = tmp_path / "letter.pdf"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli, ["run", str(fifo), "--out", str(tmp_path / "out"), "--timeout", "0",
                                      "--workers", "1", "--quiet"])
    assert result.exit_code == 1, result.output
    _, errors = tables(tmp_path / "out")
    assert list(errors["error_kind"]) == ["unreadable_file"] and "named pipe" in errors["message"][0]
    shown = CliRunner().invoke(cli, ["show", str(fifo)])
    assert shown.exit_code == 1 and "named pipe" in shown.output


def test_the_zero_device_and_proc_files_are_cut_off_at_the_byte_limit(tmp_path):
    """Regression: /dev/zero reported 0 bytes, passed the size check and was read until memory ran out."""
    with pytest.raises(ReadError) as info:
        read_path("/dev/zero", max_bytes=1000)
    assert info.value.kind == "unreadable_file" and "character device" in info.value.message
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0  # what makes a size check useless
    with pytest.raises(ReadError) as info:
        read_path(status, max_bytes=100)
    assert info.value.kind == "file_too_large"


@pytest.mark.parametrize("policy,kind", [("inside", "refused_symlink"), ("refuse", "refused_symlink"),
                                         ("follow", None)])
def test_symlink_policy(tmp_path, policy, kind):
    """Regression: a link out of the input folder was followed silently; now --symlinks decides."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(seed_paths()[1], outside / "secret.txt")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_paths()[0], folder / "good.txt")
    shutil.copy(seed_paths()[2], folder / "inner.txt")
    os.symlink(outside / "secret.txt", folder / "out-link.txt")
    os.symlink(folder / "inner.txt", folder / "in-link.txt")
    refs = list(expand([folder], symlinks=policy))
    by_name = {Path(r.display).name: r for r in refs}
    assert set(by_name) == {"good.txt", "inner.txt", "out-link.txt", "in-link.txt"}
    assert by_name["out-link.txt"].problem_kind == (kind or by_name["out-link.txt"].problem_kind)
    assert (by_name["out-link.txt"].problem is not None) == (kind is not None)
    assert (by_name["in-link.txt"].problem is not None) == (policy == "refuse")
    summary = run(refs, tmp_path / "out", SETTINGS)
    assert summary.counts["letters"] + summary.counts["errors"] == 4


def zip_with(path: Path, members: list[tuple[str, bytes]], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


def test_nested_and_oddly_named_zip_members_each_get_a_row(tmp_path):
    """Regression: letters in a nested zip, members named '.x' or '..\\x', and the first of two members
    with one name got no row at all."""
    import io
    import warnings

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("deep/letter.txt", seed_text(0))
    folder = tmp_path / "in"
    folder.mkdir()
    archive = folder / "batch.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        zip_with(archive, [("inner.zip", inner.getvalue()), (".hidden.txt", seed_text(1).encode()),
                           ("..\\escape.txt", seed_text(2).encode()), ("same.txt", seed_text(3).encode()),
                           ("same.txt", seed_text(4).encode())])
    refs = list(expand([folder]))
    assert [r.display for r in refs] == [f"{archive}!inner.zip!deep/letter.txt", f"{archive}!.hidden.txt",
                                         f"{archive}!..\\escape.txt", f"{archive}!same.txt", f"{archive}!same.txt#2"]
    summary = run(refs, tmp_path / "out", SETTINGS)
    assert summary.counts["letters"] == 5 and summary.counts["errors"] == 0
    letters, _ = tables(tmp_path / "out")
    assert letters["letter_id"].is_unique  # the two same-named members are two different letters
    assert not any(tmp_path.rglob("escape.txt"))  # nothing is extracted to disk


def _flag_member(path: Path, name: str, *, flag: int | None = None, method: int | None = None) -> None:
    """Rewrite a member's local and central headers: set a general-purpose flag bit or the method."""
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at, name_len_at, name_at in ((b"PK\x03\x04", 6, 8, 26, 30),
                                                          (b"PK\x01\x02", 8, 10, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if data[pos + name_at:pos + name_at + n] == name.encode():
                if flag is not None:
                    struct.pack_into("<H", data, pos + flag_at, struct.unpack_from("<H", data, pos + flag_at)[0] | flag)
                if method is not None:
                    struct.pack_into("<H", data, pos + method_at, method)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def _zipcrypto(data: bytes, password: bytes, check: int) -> bytes:
    """Traditional PKWARE encryption (what `zip -e` writes), for a real encrypted member."""
    import zlib

    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(c: int) -> None:
        keys[0] = zlib.crc32(bytes([c]), keys[0] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = zlib.crc32(bytes([keys[1] >> 24]), keys[2] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    for c in password:
        update(c)
    out = bytearray()
    for c in bytes(11) + bytes([check]) + data:
        k = keys[2] | 2
        out.append(c ^ (((k * (k ^ 1)) >> 8) & 0xFF))
        update(c)
    return bytes(out)


def encrypted_zip(path: Path, name: str, data: bytes) -> Path:
    import zlib

    crc = zlib.crc32(data)
    body = _zipcrypto(data, b"secret", crc >> 24)
    name_b = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 1, 0, 0, 0, crc, len(body), len(data), len(name_b), 0)
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 1, 0, 0, 0, crc, len(body), len(data),
                          len(name_b), 0, 0, 0, 0, 0, 0)
    records = local + name_b + body
    cd = central + name_b
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(cd), len(records), 0)
    path.write_bytes(records + cd + end)
    return path


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_encrypted_and_deflate64_members_are_classified(tmp_path, engine):
    """Regression: such members were internal_error rows locally and crashed the Dask engine (which also
    hung on a named pipe)."""
    if engine == "dask":
        pytest.importorskip("distributed")
    folder = tmp_path / "in"
    folder.mkdir()
    encrypted_zip(folder / "locked.zip", "letter.txt", seed_text(0).encode())
    zip_with(folder / "d64.zip", [("letter.txt", seed_text(1).encode())])
    _flag_member(folder / "d64.zip", "letter.txt", method=9)
    shutil.copy(seed_paths()[2], folder / "good.txt")
    os.mkfifo(folder / "pipe.pdf")  # the Dask engine used to hang on one for good
    with zipfile.ZipFile(folder / "locked.zip") as zf:  # a genuine encrypted member, as zipfile sees it
        assert zf.infolist()[0].flag_bits & 1
        with pytest.raises(RuntimeError):
            zf.read("letter.txt")
    summary = run(list(expand([folder])), tmp_path / "out",
                  RunSettings(workers=1, timeout=30, quiet=True, engine=engine))
    assert summary.errors_by_kind == {"encrypted_archive": 1, "unsupported_archive": 1, "unreadable_file": 1}
    _, errors = tables(tmp_path / "out")
    message = dict(zip(errors["error_kind"], errors["message"]))
    assert "Deflate64" in message["unsupported_archive"] and "password" in message["encrypted_archive"]
    assert summary.counts["letters"] == 1


def test_a_10000_entry_zip_is_opened_once_not_once_per_member(tmp_path, monkeypatch):
    """Regression: every member re-opened the archive (8 min for 10,000 entries: quadratic)."""
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(10_000):
            zf.writestr(f"letters/{i:05d}.txt", b"")
    refs = list(expand([archive]))
    assert len(refs) == 10_000
    opened = []
    real_init = zipfile.ZipFile.__init__

    def counting_init(self, file, *args, **kwargs):
        opened.append(file)
        real_init(self, file, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting_init)
    monkeypatch.setattr(inputs, "_ARCHIVES", inputs._ArchiveCache())
    for ref in refs:
        with pytest.raises(ReadError) as info:
            read_bytes(ref.read_bytes(1000), ref.display)
        assert info.value.kind == "empty_file"
    assert len(opened) == 1, f"the archive was opened {len(opened)} times for {len(refs)} members"


def test_a_10000_entry_zip_gives_10000_rows(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(10_000):
            zf.writestr(f"{i:05d}.txt", b"")
    summary = run(list(expand([archive])), tmp_path / "out", RunSettings(workers=2, quiet=True, part_size=2000))
    assert summary.errors_by_kind == {"empty_file": 10_000}


_CONTENT = b"BT /F1 12 Tf 72 700 Td (Page one of a damaged file) Tj ET"
_PAGE_TAIL = [b"<< /Length %d >>\nstream\n" % len(_CONTENT) + _CONTENT + b"\nendstream",
              b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]


def cyclic_page_tree() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
                     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                     b"/Resources << /Font << /F1 5 0 R >> >> >>", *_PAGE_TAIL])


def deep_page_tree(depth: int = 5000) -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for k in range(depth):
        parent = b"/Parent %d 0 R " % (k + 1) if k else b""
        objs.append(b"<< /Type /Pages " + parent + b"/Kids [%d 0 R] /Count 1 >>" % (k + 3))
    page = depth + 2
    objs.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page - 1, page + 1, page + 2))
    return raw_pdf(objs + _PAGE_TAIL)


@pytest.mark.parametrize("backend", ["pdfium", "pdfplumber"])
@pytest.mark.parametrize("make", [cyclic_page_tree, deep_page_tree], ids=["cyclic", "deep"])
def test_damaged_page_trees_are_corrupt_pdf_rows(tmp_path, make, backend):
    """Regression: cyclic or very deep page trees were internal_error rows asking to report a bug."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "tree.pdf").write_bytes(make())
    summary = run(list(expand([folder])), tmp_path / "out",
                  RunSettings(workers=1, timeout=60, quiet=True, pdf_backend=backend))
    kinds = summary.errors_by_kind
    # pdfplumber reads the cyclic tree's one real page; it is no IMR letter, but no crash either
    assert kinds in ({"corrupt_pdf": 1}, {"not_an_imr_letter": 1}) and "internal_error" not in kinds
    if backend == "pdfium":
        assert kinds == {"corrupt_pdf": 1}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_text_with_a_byte_order_mark_is_read(tmp_path, encoding):
    """Regression: UTF-16 text (Notepad's "Unicode") was rejected as binary."""
    text = seed_text(0)
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "letter.txt"
    path.write_bytes(data)
    record = CliRunner().invoke(cli, ["show", str(path)])
    assert record.exit_code == 0, record.output
    from imr_extract import parse_text

    expected = parse_text(text)
    assert '"patient_age": %d' % expected["patient_age"] in record.output


def test_text_that_merely_mentions_imr_is_not_a_letter(tmp_path):
    """Regression: any text containing "imr" was accepted (a process-status file became a letter)."""
    status = tmp_path / "status.txt"
    status.write_text("Name:\timr-extract\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\n"
                      "PPid:\t1\nVmPeak:\t  402312 kB\nThreads:\t1\n", encoding="utf-8")
    summary = run(list(expand([status])), tmp_path / "out", SETTINGS)
    assert summary.errors_by_kind == {"not_an_imr_letter": 1}
    from imr_extract import parse_text

    record = parse_text("MAXIMUS Federal Services sent the case file to a reviewer.\nIMR Case Number: CM16-1")
    assert record["layout"] == "unknown"


def test_a_line_of_100k_characters_is_warned_about(tmp_path):
    """Regression: a letter whose line breaks were lost gave zero fields and no word of why."""
    flat = seed_text(0).replace("\n", " ")
    (tmp_path / "flat.txt").write_text(flat + " x" * 50_000, encoding="utf-8")
    summary = run(list(expand([tmp_path / "flat.txt"])), tmp_path / "out", SETTINGS)
    assert len(summary.warnings) == 1 and "characters" in summary.warnings[0]
    import json

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["warnings"] == summary.warnings
