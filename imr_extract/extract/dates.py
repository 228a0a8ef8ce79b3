"""Find calendar dates and resolve them to ISO strings, refusing anything ambiguous.

One grammar covers the forms the letters print ("August 17, 2012", "Aug. 7,
2012", "Sept 3 2014", "10-29-2010", "1/24/12"). A match that is not a real
calendar day is dropped rather than repaired.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..rules import compile_cached

DATE_PATTERN = compile_cached(
    r"""
    (?<![\w/.-])
    (?:
        (?P<m>\d{1,2}) (?P<sep>[/-]) (?P<d>\d{1,2}) (?P=sep) (?:[ ](?=\d{4}))? (?P<y>\d{4}|\d{2})
      | (?P<y4>(?:19|20)\d{2}) - (?P<m4>\d{1,2}) - (?P<d4>\d{1,2})      # ISO
      | (?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?
              |sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)
        \.?\s{0,2}(?P<md>\d{1,2})(?:st|nd|rd|th)?\s{0,2},?\s{0,2}(?P<my>(?:19|20)\d{2})
      | (?P<dm>\d{1,2})(?:st|nd|rd|th)?\s(?:of\s)?
        (?P<mon2>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?
              |sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)
        \.?,?\s(?P<dy>(?:19|20)\d{2})
    )
    (?![\w/]|-\d)
    """,
    regex.VERBOSE | regex.IGNORECASE,
)

_MONTHS = {name: i for i, names in enumerate(
    [("jan",), ("feb",), ("mar",), ("apr",), ("may",), ("jun",), ("jul",), ("aug",), ("sep",), ("oct",), ("nov",),
     ("dec",)], start=1) for name in names}

#: Token standing for a date in the masked text that context rules are matched against.
DATE_TOKEN = "@DATE@"


@dataclass(frozen=True)
class DateMatch:
    """A date found in the text: its ISO form, its offsets (start, end) and the text as printed."""

    iso: str
    start: int
    end: int
    text: str


def expand_year(year: str) -> int:
    """Two-digit years 00-30 are 20xx, the rest 19xx (FIELDS.md)."""
    y = int(year)
    if len(year) == 2:
        return 2000 + y if y <= 30 else 1900 + y
    return y


def to_iso(m: regex.Match) -> str | None:
    """The ISO date a DATE_PATTERN match names, or None when it is not a real calendar day."""
    g = m.groupdict()
    try:
        if g["m"]:
            day = dt.date(expand_year(g["y"]), int(g["m"]), int(g["d"]))
        elif g["y4"]:
            day = dt.date(int(g["y4"]), int(g["m4"]), int(g["d4"]))
        elif g["mon"]:
            day = dt.date(int(g["my"]), _MONTHS[g["mon"][:3].lower()], int(g["md"]))
        else:
            day = dt.date(int(g["dy"]), _MONTHS[g["mon2"][:3].lower()], int(g["dm"]))
    except ValueError:
        return None
    return day.isoformat()


def find_dates(text: str) -> Iterator[DateMatch]:
    """Every real calendar date printed in ``text``, in order; a match that is no real day is skipped."""
    for m in DATE_PATTERN.finditer(text):
        iso = to_iso(m)
        if iso:
            yield DateMatch(iso, m.start(), m.end(), m.group(0))


def parse_date(text: str) -> str | None:
    """The ISO date when ``text`` is exactly one date, else None."""
    text = text.strip()
    m = DATE_PATTERN.fullmatch(text)
    return to_iso(m) if m else None


@lru_cache(maxsize=16)
def mask_dates(text: str) -> tuple[str, tuple[DateMatch, ...]]:
    """Replace each date by DATE_TOKEN so context rules can be written plainly (cached: several rules ask)."""
    dates = tuple(find_dates(text))
    parts, pos = [], 0
    for d in dates:
        parts.append(text[pos:d.start])
        parts.append(DATE_TOKEN)
        pos = d.end
    parts.append(text[pos:])
    return "".join(parts), dates


def date_for_token(masked: str, token_start: int, dates: tuple[DateMatch, ...]) -> DateMatch:
    """The date that the DATE_TOKEN at ``token_start`` of ``masked`` stands for (``dates`` as mask_dates gives them)."""
    return dates[masked.count(DATE_TOKEN, 0, token_start)]
