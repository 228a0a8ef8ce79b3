"""Locate disputed items in the layouts that do not print "<title>: Upheld" lines.

Each locator returns item dicts with offsets into the normalized text, the same
shape the fdl locator gives, so the decision builder does not care which layout
an item came from.
"""
from __future__ import annotations

from typing import Any

import regex

from ..text.normalize import NormalizedText, unwrap
from ..rules import first_rule
from ..text.sections import Sections
from .items import labelled_parts, numbered_chunks, numbered_rule_id
from .rationale import extract_rationale_finding

def _item(title: str, title_start: int, title_end: int, outcome: str, outcome_span: tuple[int, int], rule_id: str,
          outcome_rule: str, parts: dict[str, tuple[str, int]] | None = None, base: int = 0) -> dict[str, Any]:
    parts = parts or {}

    def part(name):
        body, start = parts.get(name, (None, None))
        return body, (start + base if start is not None else None)

    claims, _ = part("claims")
    maximus, maximus_start = part("maximus")
    rationale, rationale_start = part("rationale")
    return {"title": unwrap(title).strip(" \"'"), "title_raw": title, "title_start": title_start,
            "title_end": title_end, "title_rule": rule_id, "outcome": outcome, "outcome_start": outcome_span[0],
            "outcome_end": outcome_span[1], "outcome_rule": outcome_rule,
            "claims_guideline": claims, "maximus_guideline": maximus, "maximus_start": maximus_start,
            "rationale": rationale, "rationale_start": rationale_start}


def notice_items(doc: NormalizedText, sections: Sections) -> list[dict[str, Any]]:
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
        span = (m.end("title"), m.end())
        items.append(_item(m.group("title"), m.start("title"), m.end("title"), outcome, span, determination_rule.id,
                           determination_rule.id, parts))
    return items


def professional_review_items(doc: NormalizedText, sections: Sections) -> list[dict[str, Any]]:
    """Items listed under ISSUE AT DISPUTE; guideline and rationale paragraphs matched by number."""
    text = doc.text
    issue = sections.get("issue_at_dispute")
    if issue is None:
        return []
    titles = _listed_titles(text, issue.start, issue.end)
    guide = _chunks_by_number(text, sections.get("guidelines"), len(titles))
    reasons = _chunks_by_number(text, sections.get("rationale"), len(titles))
    outcome_word = first_rule("items", "outcome-word")
    outcome_re = outcome_word.regex
    items = []
    for n, (title, t_start, t_end) in enumerate(titles, start=1):
        g = guide.get(n)
        r = reasons.get(n)
        maximus = _strip_title_prefix(text[g[0]:g[1]], title) if g else None
        rationale = _strip_title_prefix(text[r[0]:r[1]], title) if r else None
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
        parts = {}
        if maximus:
            parts["maximus"] = (maximus[0], g[0] + maximus[1])
        if rationale:
            parts["rationale"] = (rationale[0], r[0] + rationale[1])
        items.append(_item(title, t_start, t_end, outcome, outcome_span, numbered_rule_id(), outcome_rule, parts))
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


def _strip_title_prefix(chunk: str, title: str) -> tuple[str, int] | None:
    """Drop a repeated item title ("Norco 10/325mg #60:" or "... -") from the start of a chunk.

    Reviewers often repeat only the start of the title ("Physical therapy:"); a short label
    ending in a colon or dash is dropped then.
    """
    flat_title = unwrap(title)
    words = flat_title.split()
    pattern = r"^\s*" + r"\s+".join(regex.escape(w) for w in words) + r"\s*(?::|\s-\s|-)?\s*" if words else r"^\s*"
    m = regex.match(pattern, chunk, regex.IGNORECASE) or first_rule("items", "short-label").regex.match(chunk)
    offset = m.end() if m else len(chunk) - len(chunk.lstrip())
    body = chunk[offset:].strip()
    return (body, offset) if body else None
