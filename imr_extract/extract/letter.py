"""Extract stage: normalized text -> sections -> findings -> one LetterRecord.

Finding values and assigning them to record fields are separate steps: the
extractors registered in ``EXTRACTORS`` only report what they found; the
``assign_*`` functions decide which finding fills which column.
"""
from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Iterator

from . import header, patient, reviewer
from .decisions import decisions_for
from .findings import Finding
from ..text.normalize import NormalizedText
from ..records import LetterRecord, evidence_row
from ..text.sections import Section, Sections, detect_layout, split_sections


class NotAnIMRLetter(ValueError):
    """The text carries none of the markers of an IMR determination letter."""


Extractor = Callable[[str], Iterable[Finding]]

#: Which extractors read which kind of section, in order. One place to see the whole pipeline.
EXTRACTORS: dict[str, tuple[Extractor, ...]] = {
    "header": (header.extract_header,),
    "credentials": (reviewer.extract_reviewer,),
    "summary": (
        patient.extract_age,
        patient.extract_sex,
        lambda t: patient.extract_dated(t, "injury_date"),
        lambda t: patient.extract_dated(t, "ur_date"),
        patient.extract_diagnoses,
    ),
    "decision_intro": (lambda t: patient.extract_dated(t, "ur_date"),),
}


#: Finding fields used only to keep other findings straight (header labels we do not output).
_NOT_OUTPUT = {"none", "ignored"}


def letter_id_for(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def collect_findings(doc: NormalizedText, sections: Sections) -> Iterator[tuple[str, Finding]]:
    parts = list(sections.parts)
    if sections.get("summary") is None:
        # No summary heading recognised: read the patient facts from the letter body rather than lose them.
        header = sections.get("header")
        start = header.end if header else 0
        parts.append(Section("summary", start, len(doc.text), "", "sec-summary-fallback"))
    for section in parts:
        body = section.text(doc)
        for extractor in EXTRACTORS.get(section.kind, ()):
            for f in extractor(body):
                yield section.kind, f.shifted(section.start)


# Precedence when several sections report the same field: the header wins.
_PRECEDENCE = {"header": 0, "decision_intro": 1, "summary": 2, "credentials": 3}


def assign_letter_fields(found: list[tuple[str, Finding]]) -> dict[str, Finding]:
    chosen: dict[str, tuple[int, Finding]] = {}
    for kind, f in found:
        rank = _PRECEDENCE.get(kind, 9)
        if f.field not in chosen or rank < chosen[f.field][0]:
            chosen[f.field] = (rank, f)
    return {k: v[1] for k, v in chosen.items()}


def parse_normalized(doc: NormalizedText, source_path: str = "", source_type: str = "text") -> LetterRecord:
    layout, layout_rule, marker = detect_layout(doc.text)
    if layout is None:
        raise NotAnIMRLetter(
            "no IMR marker found (no 'HOW THE IMR FINAL DETERMINATION WAS MADE', 'Independent Medical Review' or "
            "'MAXIMUS' text); is this an IMR determination letter?"
        )
    sections = split_sections(doc, layout, layout_rule)
    letter_id = letter_id_for(doc.text)
    chosen = assign_letter_fields(list(collect_findings(doc, sections)))
    values = {
        "letter_id": letter_id,
        "source_path": source_path,
        "source_type": source_type,
        "page_count": doc.page_count,
        "layout": layout,
    }
    for name, f in chosen.items():
        if name not in _NOT_OUTPUT:
            values[name] = f.value
    from .service import canonical_specialty

    if values.get("reviewer_specialties"):
        values["reviewer_specialties_canonical"] = [canonical_specialty(s) or s for s in values["reviewer_specialties"]]
    decisions, decision_evidence = decisions_for(doc, sections, letter_id)
    outcomes = [d.values["outcome"] for d in decisions]
    values["n_items"] = len(decisions)
    values["n_upheld"] = outcomes.count("upheld")
    values["n_overturned"] = outcomes.count("overturned")
    if outcomes:
        values["overall_outcome"] = outcomes[0] if len(set(outcomes)) == 1 else "partial"
    evidence = [evidence_row(letter_id, None, Finding("layout", layout, *marker, layout_rule, ""), doc)]
    evidence += [evidence_row(letter_id, None, f, doc) for f in chosen.values() if f.field not in _NOT_OUTPUT]
    evidence.extend(decision_evidence)
    return LetterRecord(values=values, decisions=decisions, evidence=evidence, text=doc.text, sections=sections)
