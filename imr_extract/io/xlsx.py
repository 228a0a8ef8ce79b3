"""An Excel workbook of a run (``--formats xlsx``): one sheet per table, text never run as a formula.

Excel reads CSV in the machine's code page, so the "®" of a citation garbles;
an .xlsx file carries its own encoding. Every text cell is written as text
(XlsxWriter's ``strings_to_formulas`` off), so a letter's ``=HYPERLINK(...)``
shows as the words it is. Dates are Excel dates, lists JSON text. A table
longer than a sheet's 1,048,576 rows continues on ``NAME (2)``. The evidence
table stays in CSV/Parquet: it is meant for tracing values, not for a sheet.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path

from ..records import Column
from .write import tmp_name

XLSX_NAME = "imr.xlsx"
_MAX_ROWS = 1_048_576


class _Sheet:
    def __init__(self, book: Workbook, name: str, columns: tuple[Column, ...]):
        self.book, self.name, self.columns = book, name, columns
        self.pages = 0
        self._new_page()

    def _new_page(self) -> None:
        self.pages += 1
        title = self.name if self.pages == 1 else f"{self.name} ({self.pages})"
        self.ws = self.book.wb.add_worksheet(title[:31])
        self.ws.write_row(0, 0, [c.name for c in self.columns], self.book.bold)
        self.ws.freeze_panes(1, 0)
        self.row = 1

    def write(self, batch) -> None:
        types = [c.type for c in self.columns]
        for record in batch.to_pylist():
            if self.row >= _MAX_ROWS:
                self._new_page()
            for col, (c, kind) in enumerate(zip(self.columns, types, strict=False)):
                value = record[c.name]
                if value is None:
                    continue
                if kind == "date":
                    self.ws.write_datetime(self.row, col, dt.datetime.combine(value, dt.time()), self.book.date)
                elif kind in ("list", "citations"):
                    self.ws.write_string(self.row, col, json.dumps(value, ensure_ascii=False))
                elif kind == "int":
                    self.ws.write_number(self.row, col, value)
                elif kind == "bool":
                    self.ws.write_boolean(self.row, col, value)
                else:
                    self.ws.write_string(self.row, col, value)
            self.row += 1


class Workbook:
    """``imr.xlsx`` being written under a temporary name; ``publish()`` renames it into place."""

    def __init__(self, out_dir: str | Path):
        import xlsxwriter

        self.path = Path(out_dir) / XLSX_NAME
        self.tmp = tmp_name(self.path)
        self.wb = xlsxwriter.Workbook(str(self.tmp), {"constant_memory": True, "strings_to_formulas": False,
                                                      "strings_to_urls": False, "strings_to_numbers": False})
        self.bold = self.wb.add_format({"bold": True})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})

    def sheet(self, name: str, columns: tuple[Column, ...]) -> _Sheet:
        return _Sheet(self, name, columns)

    def close(self) -> None:
        self.wb.close()

    def publish(self) -> None:
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        with contextlib.suppress(Exception):  # already closed or half written: the file goes anyway
            self.wb.close()
        self.tmp.unlink(missing_ok=True)
