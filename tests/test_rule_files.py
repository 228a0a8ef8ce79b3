"""The rule files in patterns/ themselves: every file is a kind with a schema, every rule keeps its
schema (the loader refuses what breaks it), ids are unique across files, every example matches its
own pattern, and values come from the closed lists."""
from __future__ import annotations

import pytest
import yaml

from imr_extract.rule_schema import CATEGORIES, COMMON_KEYS, LAYOUTS, SCHEMAS
from imr_extract.rules import RuleFileError, compile_rule_pattern, load_rules, parse_rule_file, rule_index

from conftest import REPO_ROOT

PATTERNS = REPO_ROOT / "patterns"
FILES = sorted(PATTERNS.glob("*.yaml"))
KINDS = [p.stem for p in FILES]


def raw(kind: str) -> dict:
    return yaml.safe_load((PATTERNS / f"{kind}.yaml").read_text(encoding="utf-8"))


def prepared(kind: str, text: str) -> str:
    """The text a rule of ``kind`` is matched against in the code: frequency rules see number words as
    digits, date-context rules see dates as a token."""
    form = SCHEMAS[kind].example_form
    if form == "digits":
        from imr_extract.extract.numbers import digitize

        return digitize(text)[0]
    if form == "dates":
        from imr_extract.extract.dates import mask_dates

        return mask_dates(text)[0]
    return text


def example_cases():
    for kind in KINDS:
        for rule in load_rules(kind):
            if "pattern" not in rule.attrs or SCHEMAS[kind].example_form == "none":
                continue
            for i, example in enumerate(rule.examples):
                yield pytest.param(kind, rule.attrs["pattern"], example, id=f"{kind}:{rule.id}:{i}")


def test_every_rule_file_is_a_kind_with_a_schema_and_every_kind_has_a_file():
    assert set(KINDS) == set(SCHEMAS), (set(KINDS) ^ set(SCHEMAS))


@pytest.mark.parametrize("kind", KINDS)
def test_rule_file_loads_in_file_order(kind):
    rules = load_rules(kind)
    assert rules, f"patterns/{kind}.yaml has no rules"
    assert [r.id for r in rules] == [r["id"] for r in raw(kind)["rules"]]


def test_rule_ids_are_unique_across_files():
    ids = [r["id"] for kind in KINDS for r in raw(kind)["rules"]]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"ids used twice: {dupes}"
    assert len(rule_index()) == len(ids)


@pytest.mark.parametrize("kind,pattern,example", list(example_cases()))
def test_example_matches_its_own_pattern(kind, pattern, example):
    assert compile_rule_pattern(pattern).search(prepared(kind, example)), f"{example!r} does not match its rule"


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_has_an_example(kind):
    assert all(rule.examples for rule in load_rules(kind))


def test_roles_are_declared_where_a_kind_has_several():
    for kind, schema in SCHEMAS.items():
        for rule in load_rules(kind):
            assert rule.role in schema.roles, (kind, rule.id, rule.role)


def test_sex_tiers_agree_on_their_policy():
    policy: dict[int, set[str]] = {}
    for rule in load_rules("patient"):
        if rule.role == "sex":
            policy.setdefault(rule.tier, set()).add(rule.agreement)
    assert policy and all(len(p) == 1 for p in policy.values()), policy


def test_closed_lists_are_the_documented_ones():
    assert LAYOUTS == ("fdl", "fdl-documents-reviewed", "professional-review", "notice-2013", "unknown")  # FIELDS.md
    assert set(CATEGORIES) == {"Pharmaceuticals", "Rehabilitation", "Diagnostic testing", "DMEPOS", "Surgery",
                               "Injections", "Evaluation and management", "Programs", "Behavioral and mental health",
                               "Home health", "Other"}


# ---- the loader refuses what breaks a schema -------------------------------------------------------------------

def good_rule(**extra) -> dict:
    return {"id": "d-test", "field": "injury_date", "pattern": r"injured\s+on\s+(?P<date>@DATE@)",
            "example": "injured on @DATE@", **extra}


def load(kind: str, *rules: dict):
    return parse_rule_file(kind, {"kind": kind, "description": "x", "rules": list(rules)})


def test_loader_accepts_a_well_formed_file():
    rules = load("dates", good_rule())
    assert rules[0].id == "d-test" and rules[0].field == "injury_date"
    assert rules[0].examples == ["injured on @DATE@"]


@pytest.mark.parametrize("kind,rule,message", [
    ("dates", good_rule(feild="typo"), "unknown keys"),
    ("dates", good_rule(field="ur_dat"), "is not one of"),
    ("dates", {k: v for k, v in good_rule().items() if k != "field"}, "missing key 'field'"),
    ("dates", good_rule(pattern="(unclosed"), "bad pattern"),
    ("dates", good_rule(pattern=r"injured on @DATE@"), "group named date"),
    ("dates", {k: v for k, v in good_rule().items() if k != "example"}, "needs an 'example'"),
    ("sections", {"id": "s", "section": "summary", "layouts": ["fdl", "fdl-old"], "pattern": "x", "example": "x"},
     "'fdl-old' is not one of"),
    ("patient", {"id": "p", "value": "male", "tier": 1, "agreement": "first", "pattern": "x", "example": "x"},
     "needs a 'role'"),
    ("patient", {"id": "p", "role": "gender", "pattern": "x", "example": "x"}, "role 'gender' is not one of"),
    ("patient", {"id": "p", "role": "sex", "value": "man", "tier": 1, "agreement": "first", "pattern": "x",
                 "example": "x"}, "'man' is not one of"),
    ("patient", {"id": "p", "role": "sex", "value": "male", "tier": "one", "agreement": "first", "pattern": "x",
                 "example": "x"}, "not a whole number"),
    ("services", {"id": "s", "category": "Surgery", "subcategory": "opioids", "service": "x", "pattern": "x",
                  "example": "x"}, "not a subcategory of Surgery"),
    ("numbers", {"id": "n", "role": "number", "value": 3, "words": [], "example": "x"}, "non-empty list"),
])
def test_loader_refuses_a_rule_that_breaks_its_schema(kind, rule, message):
    with pytest.raises(RuleFileError, match=message):
        load(kind, rule)


def test_loader_refuses_a_duplicate_id_the_wrong_kind_and_a_rule_without_id():
    with pytest.raises(RuleFileError, match="duplicate"):
        load("dates", good_rule(), good_rule())
    with pytest.raises(RuleFileError):
        parse_rule_file("dates", {"kind": "header", "rules": [good_rule()]})
    with pytest.raises(RuleFileError, match="no id"):
        load("dates", {"pattern": "x"})
    with pytest.raises(RuleFileError):
        parse_rule_file("dates", ["not", "a", "mapping"])


def test_common_keys_are_allowed_everywhere():
    assert {"id", "example", "examples", "description"} <= COMMON_KEYS


def test_a_rule_reports_a_declared_key_it_leaves_out_as_none_and_refuses_an_undeclared_one():
    rule = load("reviewer", {"id": "r", "field": "specialties", "form": "prose", "pattern": "(?P<value>x)",
                             "example": "x"})[0]
    assert rule.tier is None and rule.require is None
    with pytest.raises(AttributeError):
        rule.colour  # noqa: B018
