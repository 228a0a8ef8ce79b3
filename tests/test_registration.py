"""The one table that says which extractors read which section: a snapshot, so none disappears unnoticed."""
from __future__ import annotations

from imr_extract.extract.decisions import _LAYOUT_PARSERS
from imr_extract.extract.letter import EXTRACTORS


def _names(extractors) -> list[str]:
    return [getattr(f, "__name__", repr(f)) for f in extractors]


def test_section_kinds_and_their_extractors():
    assert {kind: len(fns) for kind, fns in EXTRACTORS.items()} == {
        "header": 1, "credentials": 1, "summary": 5, "decision_intro": 1}
    assert _names(EXTRACTORS["header"]) == ["extract_header"]
    assert _names(EXTRACTORS["credentials"]) == ["extract_reviewer"]
    assert _names(EXTRACTORS["summary"])[:2] == ["extract_age", "extract_sex"]
    assert _names(EXTRACTORS["summary"])[-1] == "extract_diagnoses"


def test_every_layout_has_an_item_locator():
    assert set(_LAYOUT_PARSERS) == {"fdl", "fdl-documents-reviewed", "notice-2013", "professional-review"}
