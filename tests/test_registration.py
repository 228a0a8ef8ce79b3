"""The one table that says which extractors read which section and which read each item: a snapshot, so
none disappears unnoticed."""
from __future__ import annotations

from imr_extract.extract.letter import EXTRACTORS, ITEM_LOCATORS


def _names(extractors) -> list[str]:
    return [getattr(f, "__name__", repr(f)) for f in extractors]


def test_section_kinds_and_their_extractors():
    assert {kind: _names(fns) for kind, fns in EXTRACTORS.items()} == {
        "header": ["extract_header"],
        "credentials": ["extract_reviewer"],
        "summary": ["extract_age", "extract_sex", "_injury_date", "_ur_date", "extract_diagnoses"],
        "decision_intro": ["_ur_date"],
        "item": ["item_heading", "item_quantity", "item_body_part", "item_service", "item_guideline",
                 "item_rationale"],
    }


def test_item_locators_are_tried_in_order():
    assert _names(ITEM_LOCATORS) == ["by_decision_lines", "by_determination_list", "by_issue_list",
                                     "by_decision_sentences", "by_marked_blocks", "by_outcome_list",
                                     "by_labelled_blocks"]
