"""Text for a terminal: control characters from letters and file names shown, never obeyed.

A hostile archive can name a member ``\\x1b]0;title\\x07letter.pdf`` or ``\\x1b[2J``: printed as it
is, that retitles the window, clears the screen or plants a hyperlink. Everything a command
prints goes through :func:`printable` (or a handler with :class:`PrintableFormatter`).
"""
from __future__ import annotations

import logging
import re

#: C0 and C1 controls, DEL, and the bidirectional overrides that can reorder what a line shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, keep_newlines: bool = True, json: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, or ``\\u001b`` in JSON
    text, which stays valid JSON); newlines kept or escaped."""
    s = str(text)
    s = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}" if json else _escape(m.group()), s)
    if not keep_newlines:
        s = s.replace("\n", "\\n")
    return s.replace("\t", " ") if keep_newlines else s.replace("\t", "\\t")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class PrintableFormatter(logging.Formatter):
    """A log formatter whose lines carry no control characters from the data they mention."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), keep_newlines=True)
