"""Every value is traceable: an evidence row per extracted value, its snippet being the letter's own text."""
from __future__ import annotations

import json

import pytest

import imr_extract
from conftest import CORPUS_DIR, seed_paths

LETTERS = sorted(p for p in CORPUS_DIR.rglob("*") if p.suffix in (".txt", ".pdf") and "expected" not in p.parts)


def _filled(v) -> bool:
    return v not in (None, "", []) and v == v


def _text_columns(record_type) -> list[str]:
    """Columns read from the letter (origin ``text`` in records.py): each needs an evidence row."""
    return [c.name for c in record_type.columns() if c.origin == "text"]


def check_evidence(record) -> list[str]:
    """What is wrong with a record's evidence: values without a row, rows whose rule or snippet is not real."""
    from imr_extract.records import Decision, Letter
    from imr_extract.rules import rule_index

    problems = []
    by_field = {}
    rules = rule_index()
    for e in record.evidence:
        if not (0 <= e.char_start <= e.char_end <= len(record.text)):
            problems.append(f"offsets outside the text: {e}")
        if e.text != record.text[e.char_start:e.char_end] or not e.text.strip():
            problems.append(f"snippet is not the letter's text between the offsets: {e}")
        if not 1 <= e.page <= record.page_count:
            problems.append(f"page outside the letter: {e}")
        if e.rule_id not in rules:
            problems.append(f"rule {e.rule_id!r} of {e.field} names no rule in patterns/")
        by_field.setdefault((e.item_no, e.field), e)
    problems += [f"{name} has no evidence" for name in _text_columns(Letter)
                 if _filled(getattr(record, name)) and (None, name) not in by_field]
    for d in record.decisions:
        problems += [f"item {d.item_no} {name} has no evidence" for name in _text_columns(Decision)
                     if _filled(getattr(d, name)) and (d.item_no, name) not in by_field]
    return problems


@pytest.mark.parametrize("path", LETTERS, ids=[p.stem for p in LETTERS])
def test_every_value_has_evidence_whose_rule_and_snippet_are_real(path):
    problems = check_evidence(imr_extract.parse_file(path))
    assert not problems, "\n".join(problems)


def test_every_value_of_the_real_letters_has_evidence(real_pdfs):
    problems = [f"{p.stem}: {x}" for p in real_pdfs for x in check_evidence(imr_extract.parse_file(p))]
    assert not problems, "\n".join(problems[:20])


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
