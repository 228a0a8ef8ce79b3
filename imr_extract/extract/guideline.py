"""What guideline the MAXIMUS reviewer cited: source, document, section, year, pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import regex

from ..rules import Rule, compile_cached, first_rule, on_reset, rules_for
from ..text.normalize import unwrap
from .dates import DATE_PATTERN


@dataclass(frozen=True)
class Citation:
    """A guideline paragraph's citation: source, year, pages, document, section, the cited work as printed, the rule
    that found it and where it lies in the paragraph, and the rule behind each column."""

    source: str | None  # MTUS | ODG | ACOEM | other | none
    year: int | None
    pages: str | None
    document: str | None
    section: str | None
    work: str | None  # for non-MTUS citations: the cited work as printed
    rule_id: str | None
    start: int  # offset of the first citation in the paragraph
    end: int
    rule_ids: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # column -> rule behind it


def _pattern(role: str) -> regex.Pattern:
    return first_rule("guidelines", role).regex


def citation_starts(text: str):
    """(start, end, rule) of each `citation` rule match in ``text``, in printed order; a match overlapping one kept
    before it is dropped (at one start, the longer is kept)."""
    starts = []
    for rule in rules_for("guidelines", "citation"):
        for m in rule.regex.finditer(text):
            starts.append((m.start(), m.end(), rule))
    starts.sort(key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int, Rule]] = []
    for s in starts:
        if kept and s[0] < kept[-1][1]:
            continue
        kept.append(s)
    return kept


def classify_work(work: str, introduced: str) -> tuple[str | None, str | None]:
    """The first `work` rule that applies to citations introduced this way and matches the cited work."""
    for rule in rules_for("guidelines", "work"):
        if introduced in rule.applies_to and rule.regex.search(work):
            return rule.source, rule.id
    return None, None


@lru_cache(maxsize=8192)
def parse_guideline(text: str) -> Citation:
    """The first citation decides; a paragraph with no recognisable citation gives no source."""
    flat = _pattern("skip").sub(" ", unwrap(text)).strip()
    pages = extract_pages(flat)
    cites = citation_starts(flat)
    if cites:
        start, end, rule = cites[0]
        stop = cites[1][0] if len(cites) > 1 else len(flat)
        body = flat[end:stop].strip(" :")
        source, rule_id = rule.source, rule.id
    else:
        start, stop, body = 0, len(flat), flat
        source, rule_id = classify_work(flat, "bare")
        if source is None:
            mention = _first_mention(flat)
            if mention is None:
                return Citation(None, None, pages, None, None, None, None, 0, 0, page_rule_ids(pages))
            start, stop = mention
            body = flat[start:stop]
            source, rule_id = classify_work(body, "prose")
            year_text = flat[_sentence_start(flat, start):stop]
            year = first_year(year_text)
            return Citation(source, year, pages, None, None, body.rstrip(" .") if source != "MTUS" else None,
                            rule_id, start, stop,
                            {**page_rule_ids(pages),
                             **({"guideline_year": first_rule("guidelines", "year").id} if year else {})})
    page_rule = page_rule_ids(pages)
    if source == "none":
        return Citation("none", None, pages, None, None, None, rule_id, start, stop, page_rule)
    work = None
    if source == "prose":
        source, rule_id = classify_work(body, "prose")
    if source == "non-MTUS":
        body = body[:first_work_end(body)]
        source, rule_id = classify_work(body, "non-mtus")
        work = body.rstrip(" .;") or None
    year = (revision_year(body) if source != "MTUS" else None) or first_year(body) or revision_year(body)
    document = section = None
    if source == "MTUS":
        m = _pattern("document").search(flat[start:stop])
        if m and m.group("doc").strip():
            document = m.group("doc").strip(" ,")
        s = _pattern("section").search(body)
        if s:
            section = s.group("value").strip(" ,.;")
    rule_ids = dict(page_rule)
    if year is not None:
        rule_ids["guideline_year"] = first_rule("guidelines", "year").id
    if document:
        rule_ids["guideline_document"] = first_rule("guidelines", "document").id
    if section:
        rule_ids["guideline_section"] = first_rule("guidelines", "section").id
    return Citation(source, year, pages, document, section, work, rule_id, start, stop, rule_ids)


def page_rule_ids(pages: str | None) -> dict[str, str]:
    """{column: rule id} for guideline_pages when pages were found, else {}."""
    return {"guideline_pages": first_rule("guidelines", "pages").id} if pages else {}


def _first_mention(flat: str) -> tuple[int, int] | None:
    """(start, end) of the first guideline named in prose: to the next guideline named or its sentence's end."""
    found = sorted((m.start(), m.end(), r.id) for r in rules_for("guidelines", "mention")
                   for m in r.regex.finditer(flat))
    if not found:
        return None
    start, end, first = found[0]
    later = [a for a, _, rid in found if a >= end and rid != first]  # another kind of evidence named next
    sentence_end = flat.find(". ", end)
    stops = [x for x in (later[0] if later else None, sentence_end if sentence_end >= 0 else None) if x is not None]
    return start, min(stops) if stops else len(flat)


def _sentence_start(flat: str, pos: int) -> int:
    cut = flat.rfind(". ", 0, pos)
    return 0 if cut < 0 else cut + 2


_SECTION_WORD = compile_cached(r"\bSection\(?s?\)?\s*:?", regex.IGNORECASE)
_NEXT_IS_PAGES = compile_cached(r"\s*(?:Page\(?s?\)?|pages?|pgs?\.?|pp\.)?\s*\d", regex.IGNORECASE)


def first_work_end(body: str) -> int:
    """Where the first work of a non-MTUS citation ends: at a semicolon that starts another work
    ("ODG Low Back, Preoperative testing; American Society of Anesthesiologists ..., 2012"), never
    inside parentheses, in a "Section(s):" list, or before page numbers."""
    label = _SECTION_WORD.search(body)
    limit = label.start() if label else len(body)
    odg = classify_work(body, "non-mtus")[0] == "ODG"
    depth = 0
    for i, ch in enumerate(body):
        depth += (ch == "(") - (ch == ")")
        if depth:
            continue
        if ch == ";" and i < limit and not _NEXT_IS_PAGES.match(body, i + 1):
            if odg and not _another_work(body[i + 1:]):
                continue  # "ODG Knee & Leg, Cryotherapy; Venous thrombosis, updated 01/16/2020": topics of one chapter
            return i
        if ch == "." and _NEXT_SENTENCE.match(body, i + 1) and _names_a_work(body[i + 1:].lstrip()):
            return i  # "... Injections. Official Disability Guidelines (ODG), Elbow ...": a sentence per work
    return len(body)


#: What follows a period that ends a sentence.
_NEXT_SENTENCE = compile_cached(r"\s+(?=[A-Z])")


def _another_work(rest: str) -> bool:
    """Whether what follows a semicolon in an ODG citation is another work: it names one (or another ODG
    chapter: "...; Shoulder, Home exercise kits"), or prints a year of its own (not a revision date of the
    chapter: "..., updated 01/16/2020")."""
    piece = rest.split(";", 1)[0].lstrip()
    chapter = any(r.source == "ODG" and r.regex.match(piece) for r in rules_for("chapters"))
    return chapter or _names_a_work(piece) or first_year(piece) is not None


def _names_a_work(text: str) -> bool:
    """Whether ``text`` opens with a named guideline (ODG, ACOEM, the MTUS), not any other words."""
    source, _ = classify_work(text, "non-mtus")
    return source in ("ODG", "ACOEM", "MTUS")


def revision_year(text: str) -> int | None:
    """The year of a revision date printed with a citation ("Revised 05/2021", "updated 06/05/2014")."""
    for rule in rules_for("guidelines", "revision-year"):
        m = rule.regex.search(text)
        if m:
            return int(m.group("year"))
    return None


def first_year(text: str) -> int | None:
    """The first year the `year` rule finds in ``text`` once its dates are blanked out, or None."""
    masked = DATE_PATTERN.sub(" ", text)
    m = _pattern("year").search(masked)
    return int(m.group(0)) if m else None


def extract_pages(text: str) -> str | None:
    """The page numbers ``text`` cites, each once in printed order and without spaces, joined by "; "; None if none."""
    pages = []
    item = _pattern("page-item")
    for m in _pattern("pages").finditer(text):
        for p in item.findall(m.group("list")):
            p = regex.sub(r"\s+", "", p)
            if p not in pages:
                pages.append(p)
    return "; ".join(pages) or None


on_reset(parse_guideline.cache_clear)
