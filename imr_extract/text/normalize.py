"""Clean extracted page text into one normalized letter text.

The result keeps one printed line per line, because item titles and headings
are recognised by where lines start and end; paragraph breaks, where the
source marks them, become one empty line. Every character of the normalized
text maps back to its page through ``page_starts``; the raw pages are never
edited in place.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..rules import compile_cached, on_reset, rules_for

# Characters that PDF text layers vary on and that no pattern should have to.
_CHAR_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\ufffe": "-",  # pdfium's marker for a hyphen it took for a line-break hyphen
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\t": " ", "\u3000": " ",
    "\u00ad": None, "\u200b": None, "\ufeff": None, "\x00": None,
    "\ufb01": "fi", "\ufb02": "fl", "\ufb00": "ff", "\ufb03": "ffi", "\ufb04": "ffl",
})
_SPACES = compile_cached(r"[ \x0b\x0c]{2,}")
#: A line ending in a hyphen or slash continues on the next line without a space ("7-23-" / "2015").
_HYPHEN_END = compile_cached(r"[\p{L}\p{N}][-/]$")
_CONTINUES = compile_cached(r"^[\p{Ll}\p{N}]")


@dataclass(frozen=True)
class NormalizedText:
    """A letter's normalized text and the offset where each page's text begins."""

    text: str
    page_starts: tuple[int, ...]  # offset where each page's text begins

    @property
    def page_count(self) -> int:
        return len(self.page_starts)

    def page_at(self, offset: int) -> int:
        """1-based page number holding ``offset``."""
        return max(1, bisect.bisect_right(self.page_starts, offset))


def normalize(pages: tuple[str, ...] | list[str]) -> NormalizedText:
    """The pages as one normalized text: lines cleaned, running headers and footers dropped, a line ending in a
    hyphen or slash joined to the line continuing it, one empty line per paragraph break."""
    page_lines = [_clean_lines(p) for p in pages]
    page_lines = _drop_running_lines(page_lines)
    out: list[str] = []
    starts: list[int] = []
    length = 0
    seen_text: list[str] = []  # lines so far, to recognise a case number printed again as a running header
    skip_gap = False
    for lines in page_lines:
        starts.append(length)
        for line in lines:
            lone = _lone_case_number(line)
            if lone and any(lone in earlier for earlier in seen_text):
                if out and out[-1] == "":
                    out.pop()  # the gap before a running header is part of it
                    length -= 1
                skip_gap = True
                continue
            if skip_gap and line == "":
                continue
            skip_gap = False
            seen_text.append(line)
            if line == "" and (not out or out[-1] == ""):
                continue  # no paragraph break at the very start or twice in a row
            if out and out[-1] and _HYPHEN_END.search(out[-1]) and _CONTINUES.match(line):
                # join onto the previous line; the offset map stays valid because
                # only the separating newline disappears
                length -= len(out[-1]) + 1
                out[-1] = out[-1] + line
                length += len(out[-1]) + 1
                continue
            out.append(line)
            length += len(line) + 1
    while out and out[-1] == "":
        out.pop()
        length -= 1
    text = "\n".join(out)
    starts = [min(s, len(text)) for s in starts] or [0]
    return NormalizedText(text, tuple(starts))


def _clean_lines(page: str) -> list[str]:
    page = page.translate(_CHAR_MAP).replace("\r\n", "\n").replace("\r", "\n")
    if _is_doubled(page):
        # Some exporters write every line break twice; a line holding only a
        # space is then the paragraph break and an empty line is just a wrap.
        page = page.replace("\n\n", "\n")
    raw = _SPACES.sub(" ", page).split("\n")  # one pass over the page, not one per line
    cleaned: list[str] = []
    after_debris = False
    for line in raw:
        line = line.strip()
        if line and _page_line().match(line):
            if cleaned and cleaned[-1] == "":
                cleaned.pop()  # the gap around a page footer is part of the footer
            after_debris = True
            continue
        if after_debris and line == "":
            continue
        after_debris = False
        cleaned.append(line)
    return cleaned


@lru_cache(maxsize=1)
def _page_line() -> regex.Pattern:
    """Every page-line rule of patterns/debris.yaml as one pattern (each line of every page meets it)."""
    return compile_cached("|".join(f"(?:{r.attrs['pattern']})" for r in rules_for("debris", "page-line")),
                         regex.VERBOSE | regex.IGNORECASE)


def _lone_case_number(line: str) -> str | None:
    """The case number when ``line`` holds nothing else."""
    if not line:
        return None
    for rule in rules_for("debris", "case-number-line"):
        m = rule.regex.match(line)
        if m:
            return m.group("case")
    return None


on_reset(_page_line.cache_clear)


def _is_doubled(page: str) -> bool:
    breaks = page.count("\n")
    return breaks >= 10 and page.count("\n\n") * 2 >= 0.9 * breaks


def _drop_running_lines(page_lines: list[list[str]]) -> list[list[str]]:
    """Remove running headers/footers: the same first or last line on most pages."""
    if len(page_lines) < 3:
        return page_lines
    from collections import Counter

    edges: Counter[str] = Counter()
    for lines in page_lines:
        content = [x for x in lines if x]
        for line in set(content[:2] + content[-2:]):
            edges[line] += 1
    running = {line for line, n in edges.items() if n >= max(3, 0.6 * len(page_lines)) and len(line) < 120}
    if not running:
        return page_lines
    result = [page_lines[0]]
    for lines in page_lines[1:]:
        result.append([x for x in lines if x not in running])
    return result


_WHITESPACE = compile_cached(r"\s+")


def unwrap(text: str) -> str:
    """Join a span's wrapped lines into one line with single spaces."""
    return _WHITESPACE.sub(" ", text).strip()
