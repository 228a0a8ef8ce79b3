"""What guideline the MAXIMUS reviewer cited: source, document, section, year, pages."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from ..text.normalize import unwrap
from ..rules import load_rules
from .dates import DATE_PATTERN

_YEAR = regex.compile(r"(?<![\d/.-])(?:19[89]\d|20[0-4]\d)(?![\d/-])")
_PAGES = regex.compile(
    r"""\b(?:page\(s\)|pages?|pgs?\.?|pp\.|p\.)\s*:?\s*
        (?P<list>\d{1,4}(?:\s*-\s*\d{1,4})?(?:\s*(?:[;,&]|and)\s*\d{1,4}(?:\s*-\s*\d{1,4})?)*)
        (?![\d.]\d)""",
    regex.VERBOSE | regex.IGNORECASE,
)
_PAGE_ITEM = regex.compile(r"\d{1,4}(?:\s*-\s*\d{1,4})?")
_SECTION = regex.compile(
    r"""\bSection\(?s?\)?\s*:?\s*(?P<value>[^\n]+?)
        (?=\s*(?:,?\s*Page\(?s?\)?|\.\s|\.$|;\s*Decision|$
                |,?\s+and\s+[^.;]*?\b(?:19|20)\d\d\b))   # "..., and <next document> 2016, Section(s)"
    """,
    regex.IGNORECASE | regex.VERBOSE,
)
_MTUS_DOC = regex.compile(
    r"""\bMTUS\s+(?:\(?ACOEM\)?\s+)?(?:Guidelines?\s*,?\s*)?
        (?P<doc>(?:[A-Z][\w&/-]*|and|of|the|for)(?:[ ,]+(?:[A-Z][\w&/-]*|and|of|the|for|\(\w+\)))*?)
        (?=\s*(?:,|\(|\bSection|\b(?:19|20)\d\d\b|\bGuidelines?\b|\.|$))""",
    regex.VERBOSE,
)


@dataclass(frozen=True)
class Citation:
    source: str | None  # MTUS | ODG | ACOEM | other | none
    year: int | None
    pages: str | None
    document: str | None
    section: str | None
    work: str | None  # for non-MTUS citations: the cited work as printed
    rule_id: str | None
    start: int  # offset of the first citation in the paragraph
    end: int


def _claims_administrator_sentences() -> regex.Pattern:
    """Sentences about the Claims Administrator's own citation, to drop from the reviewer's paragraph."""
    return next(r for r in load_rules("guidelines") if r.id == "skip-claims-administrator").regex


def _citations(text: str):
    starts = []
    for rule in load_rules("guidelines"):
        if rule.id.startswith("cite-"):
            for m in rule.regex.finditer(text):
                starts.append((m.start(), m.end(), rule))
    starts.sort(key=lambda s: (s[0], -s[1]))
    kept = []
    for s in starts:
        if kept and s[0] < kept[-1][1]:
            continue
        kept.append(s)
    return kept


def _classify_work(work: str, rule_ids: tuple[str, ...]) -> tuple[str | None, str | None]:
    for rule in load_rules("guidelines"):
        if rule.id in rule_ids and rule.regex.search(work):
            return rule.source, rule.id
    return None, None


#: Which work rules apply, by how the citation was introduced.
_NON_MTUS_WORKS = ("work-odg", "work-odg-last", "work-acoem")
_PROSE_WORKS = ("work-part-of-mtus", "work-not-part-of-mtus", "work-odg", "work-odg-last", "work-acoem", "work-mtus")
_BARE_WORKS = ("work-odg", "work-odg-last", "work-acoem", "work-mtus")


@lru_cache(maxsize=8192)
def parse_guideline(text: str) -> Citation:
    """The first citation decides; a paragraph with no recognisable citation gives no source."""
    flat = _claims_administrator_sentences().sub(" ", unwrap(text)).strip()
    pages = extract_pages(flat)
    cites = _citations(flat)
    if cites:
        start, end, rule = cites[0]
        stop = cites[1][0] if len(cites) > 1 else len(flat)
        body = flat[end:stop].strip(" :")
        source, rule_id = rule.source, rule.id
    else:
        start, stop, body = 0, len(flat), flat
        source, rule_id = _classify_work(flat, _BARE_WORKS)
        if source is None:
            return Citation(None, None, pages, None, None, None, None, 0, 0)
    if source == "none":
        return Citation("none", None, pages, None, None, None, rule_id, start, stop)
    work = None
    if source == "prose":
        source, rule_id = _classify_work(body, _PROSE_WORKS)
        if source is None:
            source, rule_id = "other", "work-other"
    if source == "non-MTUS":
        source, rule_id = _classify_work(body, _NON_MTUS_WORKS)
        if source is None:
            source, rule_id = "other", "work-other"
        work = body.rstrip(" .") or None
    year = first_year(body)
    document = section = None
    if source == "MTUS":
        m = _MTUS_DOC.search(flat[start:stop])
        if m and m.group("doc").strip():
            document = m.group("doc").strip(" ,")
        s = _SECTION.search(body)
        if s:
            section = s.group("value").strip(" ,.")
    return Citation(source, year, pages, document, section, work, rule_id, start, stop)


def first_year(text: str) -> int | None:
    masked = DATE_PATTERN.sub(" ", text)
    m = _YEAR.search(masked)
    return int(m.group(0)) if m else None


def extract_pages(text: str) -> str | None:
    pages = []
    for m in _PAGES.finditer(text):
        for p in _PAGE_ITEM.findall(m.group("list")):
            p = regex.sub(r"\s+", "", p)
            if p not in pages:
                pages.append(p)
    return "; ".join(pages) or None
