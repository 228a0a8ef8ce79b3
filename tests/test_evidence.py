"""Every value is traceable: an evidence row per extracted value, its snippet being the letter's own text."""
from __future__ import annotations

import json

import pytest

import imr_extract
from conftest import CORPUS_DIR, seed_paths

#: Letter columns that are bookkeeping or computed from other rows, not read from a span of text.
DERIVED = {"letter_id", "source_path", "source_type", "content_hash", "page_count", "n_items", "n_upheld",
           "n_overturned", "overall_outcome", "reviewer_specialties_canonical"}
#: Decision columns derived from another column's value rather than from their own span.
DERIVED_DECISION = {"letter_id", "item_no", "service", "service_category", "service_subcategory", "drug_name",
                    "drug_strength", "claims_administrator_guideline", "maximus_guideline", "guideline_document",
                    "guideline_section", "guideline_work", "rationale", "body_part_canonical", "body_region",
                    "laterality"}
LETTERS = seed_paths() + sorted((CORPUS_DIR / "synthetic").glob("*.txt"))


def _filled(v) -> bool:
    return v not in (None, "", []) and v == v


@pytest.mark.parametrize("path", LETTERS, ids=[p.stem for p in LETTERS])
def test_every_value_has_evidence_whose_snippet_is_in_the_letter(path):
    record = imr_extract.parse_file(path)
    by_field = {}
    for e in record.evidence:
        assert 0 <= e["char_start"] <= e["char_end"] <= len(record.text)
        assert e["text"] == record.text[e["char_start"]:e["char_end"]]
        assert e["text"].strip(), e
        assert 1 <= e["page"] <= record["page_count"]
        by_field.setdefault((e["item_no"], e["field"]), e)
    missing = [name for name, v in record.values.items()
               if name not in DERIVED and _filled(v) and (None, name) not in by_field]
    for d in record.decisions:
        missing += [f"item {d['item_no']} {name}" for name, v in d.values.items()
                    if name not in DERIVED_DECISION and _filled(v) and (d["item_no"], name) not in by_field]
    assert not missing, f"values without evidence: {missing}"


def test_evidence_value_is_the_output_value():
    record = imr_extract.parse_file(seed_paths()[4])
    ev = {(e["item_no"], e["field"]): e for e in record.evidence}
    assert ev[(None, "patient_age")]["value"] == "65"
    assert "65" in ev[(None, "patient_age")]["text"]
    assert json.loads(ev[(None, "reviewer_license_states")]["value"]) == ["California"]
    assert ev[(1, "quantity")]["value"] == "12"
    assert "Upheld" in ev[(1, "outcome")]["text"]


def test_show_evidence_marks_spans(tmp_path):
    from click.testing import CliRunner

    from imr_extract.cli.main import main

    result = CliRunner().invoke(main, ["show", str(seed_paths()[4]), "--evidence"])
    assert result.exit_code == 0, result.output
    assert "\u27e6" in result.output and "{patient_age=65}" in result.output
    assert "{outcome#1=upheld}" in result.output
