"""The vocabulary rule files (services, drugs, body parts, specialties) and their lookups.

Rule-file tests catch a bad edit to the YAML (an example its own pattern misses, an
example an earlier rule steals, a category outside the closed list); the CSV tables pin
the behaviour on real-looking item titles.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from importlib import resources

from imr_extract.extract.service import (
    CATEGORIES,
    REGIONS,
    canonical_specialty,
    classify_service,
    body_part_canonical,
    find_body_part,
    find_drug,
)
from imr_extract.rules import load_rules, rules_for

CASES = Path(__file__).parent / "cases"
REAL = Path(__file__).resolve().parents[2] / "shared" / "expected" / "real.json"
KINDS = ("services", "drugs", "body_parts", "specialties")


def _rules(kind, role=None):
    return [pytest.param(rule, id=rule.id) for rule in rules_for(kind, role)]


def _rows(name):
    with open(CASES / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [pytest.param({k: (v or None) for k, v in row.items()}, id=row["text"][:60]) for row in rows]


# ---------------------------------------------------------------- the rule files themselves

@pytest.mark.parametrize("kind", KINDS)
def test_rule_ids_unique(kind):
    raw = yaml.safe_load(resources.files("imr_extract.patterns").joinpath(f"{kind}.yaml").read_text("utf-8"))
    ids = [r["id"] for r in raw["rules"]]
    assert len(ids) == len(set(ids))
    assert len(load_rules(kind)) == len(ids)


def _examples_match(rule):
    assert rule.examples, "every rule carries an example"
    for example in rule.examples:
        assert rule.regex.search(example), example


@pytest.mark.parametrize("rule", _rules("services", "service"))
def test_service_rule(rule):
    _examples_match(rule)
    assert rule.category in CATEGORIES
    sub = rule.get("subcategory")
    assert sub in CATEGORIES[rule.category] or (sub is None and rule.category == "Pharmaceuticals")
    assert rule.service
    # No earlier rule steals the example: the order in the file is part of the rule.
    assert classify_service(rule.example).rule_id in {rule.id} | {r.id for r in load_rules("drugs")}
    if rule.category != "Pharmaceuticals":
        assert classify_service(rule.example).rule_id == rule.id


@pytest.mark.parametrize("rule", _rules("drugs", "drug"))
def test_drug_rule(rule):
    _examples_match(rule)
    assert rule.subcategory in CATEGORIES["Pharmaceuticals"]
    assert rule.drug is None or rule.drug == rule.drug.lower()
    found = find_drug(rule.example)
    assert found is not None and found.rule_id == rule.id
    info = classify_service(rule.example)
    assert info.service_category == "Pharmaceuticals" and info.drug_name == rule.drug


@pytest.mark.parametrize("rule", _rules("body_parts", "part"))
def test_body_part_rule(rule):
    _examples_match(rule)
    assert rule.region in REGIONS
    assert rule.body_part == rule.body_part.lower()
    found = find_body_part(rule.example)
    assert found is not None and found.part.rule_id == rule.id


@pytest.mark.parametrize("rule", _rules("specialties"))
def test_specialty_rule(rule):
    _examples_match(rule)
    pattern = rule.pattern.strip()
    assert pattern.startswith("^") and pattern.endswith("$")
    assert canonical_specialty(rule.example) == rule.canonical
    assert canonical_specialty(rule.canonical) == rule.canonical


# ---------------------------------------------------------------- table-driven cases

@pytest.mark.parametrize("row", _rows("service.csv"))
def test_classify_service(row):
    info = classify_service(row["text"])
    got = {k: getattr(info, k) for k in
           ("service", "service_category", "service_subcategory", "drug_name", "drug_strength")}
    assert got == {k: row[k] for k in got}


@pytest.mark.parametrize("row", _rows("body_part.csv"))
def test_find_body_part(row):
    bp = find_body_part(row["text"])
    found = bp.part if bp else None
    assert (found.value if found else None) == row["expected"]
    if found:
        assert row["text"][found.start:found.end] == found.text
        assert found.field == "body_part"


@pytest.mark.parametrize("row", _rows("specialty.csv"))
def test_canonical_specialty(row):
    assert canonical_specialty(row["text"]) == row["expected"]


def test_body_part_offsets_cover_the_side():
    found = find_body_part("Massage Therapy 2 Times A Week for 6 Weeks to The Right Wrist")
    assert (found.part.start, found.part.end, found.part.text, found.part.rule_id) == (50, 61, "Right Wrist", "bp-wrist")
    assert (found.side.value, found.side.text) == ("right", "Right")


@pytest.mark.skipif(not REAL.exists(), reason="shared expected values not present")
def test_every_real_title_is_classified():
    letters = json.loads(REAL.read_text("utf-8"))["letters"]
    titles = [d["service_text"] for letter in letters.values() for d in letter.get("decisions", [])]
    fallback = {r.id for r in rules_for("services", "fallback")}
    unmatched = [t for t in titles if classify_service(t).rule_id in fallback]
    assert titles and not unmatched


def test_body_part_canonical_groups_the_printed_form():
    found = find_body_part("Aquatic therapy 2 times a week for 4 weeks for the bilateral knees")
    assert found.part.value == "bilateral knees"
    assert body_part_canonical(found.part) == ("knee", "lower extremity")
