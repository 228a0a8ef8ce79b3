"""Extract stage: normalized text -> sections -> findings -> one LetterRecord.

Finding values and assigning them to record fields are separate steps: the
extractors registered in ``EXTRACTORS`` only report what they found; the
``assign_*`` functions decide which finding fills which column. Letter
extractors read one kind of section; item extractors read one located item.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..records import DECISION_COLUMNS, LETTER_COLUMNS, Decision, LetterRecord, evidence_for
from ..text.normalize import NormalizedText
from ..text.sections import Section, Sections, detect_layout, split_sections
from . import decisions, diagnosis, header, patient, reviewer
from .findings import Finding
from .items import Item
from .locate import (
    Located,
    by_decision_lines,
    by_decision_sentences,
    by_determination_list,
    by_issue_list,
    by_labelled_blocks,
    by_marked_blocks,
    by_outcome_list,
    locate_items,
)


class NotAnIMRLetter(ValueError):
    """The text carries none of the markers of an IMR determination letter."""


SectionExtractor = Callable[[str], Iterable[Finding]]
ItemExtractor = Callable[[Item, NormalizedText], Iterable[Finding]]


def _injury_date(text: str) -> Iterator[Finding]:
    return patient.extract_dated(text, "injury_date")


def _ur_date(text: str) -> Iterator[Finding]:
    return patient.extract_dated(text, "ur_date")


#: Which extractors read which kind of section, and which read each disputed item, in order.
#: One place to see the whole extraction; a snapshot test fails if one disappears.
EXTRACTORS: dict[str, tuple[Any, ...]] = {
    "header": (header.extract_header,),
    "credentials": (reviewer.extract_reviewer,),
    "summary": (patient.extract_age, patient.extract_sex, _injury_date, _ur_date, diagnosis.extract_diagnoses),
    "decision_intro": (_ur_date,),
    "item": (decisions.item_heading, decisions.item_quantity, decisions.item_body_part, decisions.item_service,
             decisions.item_guideline, decisions.item_rationale),
}


#: How the disputed items are found, tried in order: the first that decides any item wins (the layout is
#: only a hint; each strategy recognises its own form wherever it stands).
ITEM_LOCATORS = (by_decision_lines, by_determination_list, by_issue_list, by_decision_sentences, by_marked_blocks,
                 by_outcome_list, by_labelled_blocks)

#: Precedence when several sections report the same letter field: the header wins.
SECTION_PRECEDENCE = ("header", "decision_intro", "summary", "credentials")


def letter_id_for(text: str) -> str:
    """The letter id: the first 16 hex digits of the SHA-256 of ``text`` (the normalized letter text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def collect_findings(doc: NormalizedText, sections: Sections) -> Iterator[tuple[str, Finding]]:
    """(section kind, finding) for every letter extractor over every section it reads."""
    parts = list(sections.parts)
    if sections.get("summary") is None:
        # No summary heading recognised: read the patient facts from the letter body rather than lose them.
        head = sections.get("header")
        start = head.end if head else 0
        parts.append(Section("summary", start, len(doc.text), "", ""))
    for section in parts:
        body = section.text(doc)
        for extractor in EXTRACTORS.get(section.kind, ()):
            for f in extractor(body):
                yield section.kind, f.shifted(section.start)


#: List columns whose findings add up: each finding is one entry (one diagnosis), all of one section's kept.
ACCUMULATING = frozenset({"diagnoses"})


def assign_letter_fields(found: Iterable[tuple[str, Finding]]) -> dict[str, list[Finding]]:
    """The findings of each letter column: the highest-precedence section's first one (for a column of
    ACCUMULATING, all of that section's, in order)."""
    rank = {kind: i for i, kind in enumerate(SECTION_PRECEDENCE)}
    chosen: dict[str, tuple[int, list[Finding]]] = {}
    columns = {c.name for c in LETTER_COLUMNS}
    for kind, f in found:
        if f.field not in columns:
            continue  # a finding kept only to pair others (an ignored header label)
        r = rank.get(kind, len(rank))
        if f.field not in chosen or r < chosen[f.field][0]:
            chosen[f.field] = (r, [f])
        elif r == chosen[f.field][0] and f.field in ACCUMULATING:
            chosen[f.field][1].append(f)
    return {k: v[1] for k, v in chosen.items()}


def assign_decision(found: Iterable[Finding]) -> dict[str, Finding]:
    """One finding per decision column: the first reported."""
    columns = {c.name for c in DECISION_COLUMNS}
    chosen: dict[str, Finding] = {}
    for f in found:
        if f.field in columns and f.field not in chosen and f.value is not None:
            chosen[f.field] = f
    return chosen


_DATE_COLUMNS = frozenset(c.name for c in LETTER_COLUMNS if c.type == "date")


def _typed(name: str, value: Any) -> Any:
    if name in _DATE_COLUMNS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def parse_normalized(doc: NormalizedText, source_path: str = "", source_type: str = "text") -> LetterRecord:
    """Extract every field of one normalized letter."""
    layout, layout_rule, marker = detect_layout(doc.text)
    if layout is None or layout_rule is None or marker is None:
        raise NotAnIMRLetter(
            "no IMR marker found (no 'HOW THE IMR FINAL DETERMINATION WAS MADE', 'Independent Medical Review' or "
            "'MAXIMUS' text); is this an IMR determination letter?"
        )
    sections = split_sections(doc, layout, layout_rule)
    letter_id = letter_id_for(doc.text)
    found = list(collect_findings(doc, sections))
    located: Located = locate_items(doc, sections, ITEM_LOCATORS)
    found = _before_the_items(found, located)
    chosen = assign_letter_fields(found)
    layout_finding = Finding("layout", layout, marker[0], marker[1], layout_rule, doc.text[marker[0]:marker[1]])
    record = LetterRecord(letter_id=letter_id, source_path=source_path, source_type=source_type,
                          page_count=doc.page_count, layout=layout, text=doc.text, sections=sections,
                          findings=found)
    for name, fs in chosen.items():
        value = [v for f in fs for v in f.value] if name in ACCUMULATING else fs[0].value
        setattr(record, name, _typed(name, value))
    evidence = [evidence_for(letter_id, None, layout_finding, doc)]
    evidence += [evidence_for(letter_id, None, f, doc) for fs in chosen.values() for f in fs]
    specialties = chosen.get("reviewer_specialties")
    evidence += _canonical_specialties(record, specialties[0] if specialties else None, doc)
    evidence += _diagnosis_codes(record, chosen.get("diagnoses", []), doc)
    record.findings += [("items", note) for note in located.notes]
    for n, item in enumerate(located.items, start=1):
        item_found = [f for extractor in EXTRACTORS["item"] for f in extractor(item, doc)]
        picked = assign_decision(item_found)
        record.decisions.append(Decision(letter_id=letter_id, item_no=n, **{k: f.value for k, f in picked.items()}))
        evidence += [evidence_for(letter_id, n, f, doc) for f in picked.values()]
    outcomes = [d.outcome for d in record.decisions]
    record.n_items = len(outcomes)
    record.n_upheld = outcomes.count("upheld")
    record.n_overturned = outcomes.count("overturned")
    if outcomes:
        record.overall_outcome = outcomes[0] if len(set(outcomes)) == 1 else "partial"
    record.evidence = evidence
    return record


def _before_the_items(found: list[tuple[str, Finding]], located: Located) -> list[tuple[str, Finding]]:
    """Drop diagnoses read where the items are discussed: a summary section that runs on into the decisions
    (its end unmarked) must not lend the rationale's words to the case summary."""
    starts = [span.start for item in located.items for span in item.parts.values()]
    if not starts:
        return found
    first = min(starts)
    return [(k, f) for k, f in found if not (f.field in ACCUMULATING and f.start >= first)]


def _diagnosis_codes(record: LetterRecord, found: list[Finding], doc: NormalizedText) -> list:
    """diagnosis_codes and diagnosis_chapters, aligned with diagnoses; an evidence row per code given."""
    if not record.diagnoses:
        return []
    from ..rules import first_rule
    from .icd import lookup

    rule_id = first_rule("diagnoses", "code-title").id
    codes: list[str | None] = []
    chapters: list[str | None] = []
    rows = []
    for f in found:
        match = lookup(f.value[0])
        codes.append(match.code if match else None)
        chapters.append(match.chapter_label if match else None)
        if match:
            rows.append(evidence_for(record.letter_id or "", None,
                                     Finding("diagnosis_codes", match.code, f.start, f.end, rule_id, f.text), doc))
            rows.append(evidence_for(record.letter_id or "", None,
                                     Finding("diagnosis_chapters", match.chapter_label, f.start, f.end, rule_id,
                                             f.text), doc))
    if rows:  # aligned with diagnoses; empty when no diagnosis is a code title
        record.diagnosis_codes = codes
        record.diagnosis_chapters = chapters
    return rows


def _canonical_specialties(record: LetterRecord, found: Finding | None, doc: NormalizedText) -> list:
    """reviewer_specialties_canonical, with one evidence row per name."""
    from .service import specialty_rule

    if found is None or not record.reviewer_specialties:
        return []
    canonical, rows = [], []
    for name in record.reviewer_specialties:
        rule = specialty_rule(name)
        canonical.append(rule.canonical if rule else name)
        # a name the vocabulary does not know is kept as printed: the reviewer rule that read it is its source
        rows.append(evidence_for(record.letter_id or "", None,
                                 Finding("reviewer_specialties_canonical", canonical[-1], found.start, found.end,
                                         rule.id if rule else found.rule_id, found.text), doc))
    record.reviewer_specialties_canonical = canonical
    return rows
