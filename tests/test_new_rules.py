"""Rules really are data: for every rule kind, a new rule written into a copy of patterns/ changes the
output of a letter it matches (cases in tests/cases/new_rules.yaml), with no code change."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import imr_extract
from imr_extract.insight.checks import audit_rows
from imr_extract.rule_schema import SCHEMAS
from imr_extract.rules import use_patterns

from conftest import REPO_ROOT

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "new_rules.yaml").read_text(encoding="utf-8"))

#: An invented letter (synthetic; every name, date and sentence made up for this test).
BASE_LETTER = """[SYNTHETIC LETTER - invented for the rule-file tests; not a real IMR decision]
Independent Medical Review Final Determination Letter
Case Number: CM15-0100001
Date Assigned: 09/14/2015 Decision Date: 10/19/2015
Priority: Standard
HOW THE IMR FINAL DETERMINATION WAS MADE
MAXIMUS Federal Services sent the case file to an expert reviewer with no tie to any party. The expert
reviewer is Board Certified in Orthopaedic Surgery and is licensed to practice in California.
CLINICAL CASE SUMMARY
The patient is a 47 year old gentleman who hurt his right shoulder on March 2, 2013 while stacking boxes.
The diagnoses are right shoulder impingement syndrome and chronic shoulder pain. Rest and medicine helped
little. A utilization review decision dated August 27, 2015 non-certified both requests.
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
Physical therapy eight sessions for the right shoulder: Upheld
Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009, Section(s): Physical Medicine.
Decision rationale: The guideline allows a short course of therapy, and many visits were already given
without lasting gain. The request is not medically necessary.
Consultation with a shoulder specialist: Upheld
Claims Administrator guideline: Decision based on MTUS Shoulder Complaints 2004.
MAXIMUS guideline: Decision based on Non-MTUS Citation Shoulder Care Handbook 2012.
Decision rationale: No red flag or failed conservative course is described, so a referral is not
supported. The request is not medically necessary.
"""


def letter_for(case: dict) -> str:
    text = BASE_LETTER
    for old, new in (case.get("edits") or {}).items():
        assert old in text, f"the edit's text is not in the base letter: {old!r}"
        text = text.replace(old, new)
    return text


def outcome(text: str, key: str):
    record = imr_extract.parse_text(text)
    if key == "audit":
        return sorted(r["message"] for r in audit_rows(record))
    if key.startswith("item"):
        n, _, name = key.partition(".")
        index = int(n[4:]) - 1
        return getattr(record.decisions[index], name) if index < len(record.decisions) else None
    value = getattr(record, key)
    return value.isoformat() if hasattr(value, "isoformat") else value


def with_rule(tmp_path: Path, case: dict) -> Path:
    folder = tmp_path / "patterns"
    shutil.copytree(REPO_ROOT / "patterns", folder)
    path = folder / f"{case['kind']}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if case["position"] == "first":
        data["rules"].insert(0, case["rule"])
    else:
        data["rules"].append(case["rule"])
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def test_every_rule_kind_has_a_case():
    assert {c["kind"] for c in CASES} == set(SCHEMAS)


@pytest.mark.parametrize("case", CASES, ids=[c["kind"] for c in CASES])
def test_a_new_rule_changes_the_output_of_a_letter_it_matches(tmp_path, case):
    text = letter_for(case)
    (key, want), = case["expect"].items()
    before = outcome(text, key)
    with use_patterns(with_rule(tmp_path, case)):
        after = outcome(text, key)
    if key == "audit":
        assert not any(want in m for m in before) and any(want in m for m in after), (before, after)
    else:
        assert before != want and after == want, f"before {before!r}, with the rule {after!r}"
    assert outcome(text, key) == before, "leaving the block restores the shipped rules"
