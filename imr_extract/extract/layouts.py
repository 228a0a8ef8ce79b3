"""Locate disputed items in the layouts that do not print "<title>: Upheld" lines.

Each locator returns :class:`Item` records with offsets into the normalized text,
the same shape the fdl locator gives, so the item extractors do not care which
layout an item came from.
"""
from __future__ import annotations

import regex

from ..rules import first_rule
from ..text.normalize import NormalizedText, unwrap
from ..text.sections import Sections
from .items import Item, Span, labelled_parts, numbered_chunks, numbered_rule_id, trimmed
from .rationale import extract_rationale_finding


def notice_items(doc: NormalizedText, sections: Sections) -> list[Item]:
    """2013 notices: numbered determinations up top, one rationale block per number below."""
    text = doc.text
    determination_rule = first_rule("items", "determination")
    determination = determination_rule.regex
    blocks = {}
    for section in sections.all("issues"):
        heading_line = section.heading
        n = regex.match(r"\s*(\d{1,2})", heading_line)
        if n:
            blocks.setdefault(int(n.group(1)), section)
    items = []
    seen: set[int] = set()
    for m in determination.finditer(text):
        n = int(m.group("n"))
        if n in seen:
            break  # the notice repeats its determinations above the rationale section
        seen.add(n)
        outcome = "upheld" if m.group("neg") else "overturned"
        section = blocks.get(n)
        parts = labelled_parts(text, section.start, section.end) if section else {}
        items.append(Item(unwrap(m.group("title")).strip(" \"'"),
                          Span(m.start("title"), m.end("title"), determination_rule.id), outcome,
                          Span(m.end("title"), m.end(), determination_rule.id), parts))
    return items


def professional_review_items(doc: NormalizedText, sections: Sections) -> list[Item]:
    """Items listed under ISSUE AT DISPUTE; guideline and rationale paragraphs matched by number."""
    text = doc.text
    issue = sections.get("issue_at_dispute")
    if issue is None:
        return []
    titles = _listed_titles(text, issue.start, issue.end)
    guide_section, reason_section = sections.get("guidelines"), sections.get("rationale")
    guide = _chunks_by_number(text, guide_section, len(titles))
    reasons = _chunks_by_number(text, reason_section, len(titles))
    outcome_word = first_rule("items", "outcome-word")
    outcome_re = outcome_word.regex
    items = []
    for n, (title, t_start, t_end) in enumerate(titles, start=1):
        g = guide.get(n)
        r = reasons.get(n)
        maximus = _strip_title_prefix(text, g, title, guide_section.rule_id) if g else None
        rationale = _strip_title_prefix(text, r, title, reason_section.rule_id) if r else None
        outcome, outcome_span, outcome_rule = None, None, None
        if r:
            m = outcome_re.search(text, r[0], r[1])
            if m:
                outcome, outcome_span, outcome_rule = m.group("outcome").lower(), m.span(), outcome_word.id
            else:
                finding = extract_rationale_finding(text[r[0]:r[1]])
                if finding:
                    outcome = "upheld" if finding.value == "not_medically_necessary" else "overturned"
                    outcome_span = (r[0] + finding.start, r[0] + finding.end)
                    outcome_rule = finding.rule_id
        if outcome is None:
            continue  # no decision stated for this item: not a decided item
        parts = {name: span for name, span in (("maximus", maximus), ("rationale", rationale)) if span}
        items.append(Item(unwrap(title).strip(" \"'"), Span(t_start, t_end, numbered_rule_id()), outcome,
                          Span(*outcome_span, outcome_rule), parts))
    return items


def _listed_titles(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    body = text[start:end]
    chunks = numbered_chunks(body)
    if not chunks:
        stripped = body.strip()
        if not stripped or "\n\n" in stripped:
            return []
        lead = len(body) - len(body.lstrip())
        return [_bare_title(stripped, start + lead)]
    out = []
    for c in chunks:
        raw = body[c.body_start:c.end]
        # a title ends at a blank line; wrapped lines continue it
        raw = raw.split("\n\n")[0].rstrip()
        out.append(_bare_title(raw, start + c.body_start))
    return out


def _bare_title(raw: str, offset: int) -> tuple[str, int, int]:
    """A listed title without its framing ("Is the request for X medically necessary?" gives X)."""
    lead = first_rule("items", "title-prefix").regex.match(raw)
    cut = lead.end() if lead else 0
    tail = first_rule("items", "question-tail").regex.search(raw, cut) if lead else None
    end = tail.start() if tail else len(raw)
    return raw[cut:end], offset + cut, offset + end


def _chunks_by_number(text: str, section, count: int) -> dict[int, tuple[int, int]]:
    if section is None:
        return {}
    body = text[section.start:section.end]
    chunks = numbered_chunks(body)
    if not chunks and count == 1:
        return {1: (section.start, section.end)}
    return {c.number: (section.start + c.body_start, section.start + c.end) for c in chunks}


def _strip_title_prefix(text: str, bounds: tuple[int, int], title: str, rule_id: str) -> Span | None:
    """Drop a repeated item title ("Norco 10/325mg #60:" or "... -") from the start of a chunk.

    Reviewers often repeat only the start of the title ("Physical therapy:"); a short label
    ending in a colon or dash is dropped then.
    """
    chunk = text[bounds[0]:bounds[1]]
    flat_title = unwrap(title)
    words = flat_title.split()
    pattern = r"^\s*" + r"\s+".join(regex.escape(w) for w in words) + r"\s*(?::|\s-\s|-)?\s*" if words else r"^\s*"
    m = regex.match(pattern, chunk, regex.IGNORECASE) or first_rule("items", "short-label").regex.match(chunk)
    offset = m.end() if m else len(chunk) - len(chunk.lstrip())
    return trimmed(text, bounds[0] + offset, bounds[1], rule_id)
