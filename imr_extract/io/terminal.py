"""Text made safe to print on a terminal: control characters from letters and file names shown, never obeyed.

Letter text and file names come from outside: they can carry escape sequences (clear the screen,
set the window title, OSC-8 hyperlinks, move the cursor), carriage returns that overwrite a line,
or bidirectional overrides that reorder what is shown. ``printable`` writes each such character as
a visible ``\\uXXXX`` escape, whether the output goes to a terminal or a pipe, so what is printed is
what the data holds. Tabs and (by default) line breaks stay. The escapes are JSON's own, so JSON
text stays valid JSON. Every command prints through it, and log lines through
:class:`PrintableFormatter`.
"""
from __future__ import annotations

import logging
import re

#: C0 controls but tab and line feed, DEL, C1 controls (8-bit CSI/OSC), bidi marks and overrides,
#: and the Unicode line/paragraph separators.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: object, keep_newlines: bool = True) -> str:
    """``str(text)`` with every character that could drive a terminal shown as a ``\\uXXXX`` escape
    (line breaks too, with ``keep_newlines=False``)."""
    s = UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))
    return s if keep_newlines else s.replace("\n", "\\n")


class PrintableFormatter(logging.Formatter):
    """A log formatter whose lines carry no control characters from the data they mention."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))
