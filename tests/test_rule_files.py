"""The rule files in patterns/ themselves: they load, ids are unique, every example matches its own
pattern, values come from closed lists, and the loader refuses what it should."""
from __future__ import annotations

import pytest
import yaml

from imr_extract.rules import COMMON_KEYS, RULE_KEYS, RuleFileError, compile_rule_pattern, load_rules, parse_rule_file

from conftest import REPO_ROOT

PATTERNS = REPO_ROOT / "patterns"
FILES = sorted(PATTERNS.glob("*.yaml"))
KINDS = [p.stem for p in FILES]
LAYOUTS = {"fdl", "fdl-documents-reviewed", "professional-review", "notice-2013", "unknown"}  # FIELDS.md


def raw(kind: str) -> dict:
    return yaml.safe_load((PATTERNS / f"{kind}.yaml").read_text(encoding="utf-8"))


def example_cases():
    for kind in KINDS:
        if kind not in RULE_KEYS:
            continue
        for rule in raw(kind).get("rules") or []:
            if isinstance(rule, dict) and "pattern" in rule:
                examples = ([rule["example"]] if "example" in rule else []) + list(rule.get("examples") or [])
                for i, example in enumerate(examples):
                    yield pytest.param(kind, rule["pattern"], str(example), id=f"{kind}:{rule.get('id')}:{i}")


def test_there_are_rule_files():
    assert FILES, f"no rule files in {PATTERNS}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_file_is_a_known_kind(kind):
    assert kind in RULE_KEYS, f"patterns/{kind}.yaml has no entry in imr_extract.rules.RULE_KEYS"


@pytest.mark.parametrize("kind", [k for k in RULE_KEYS if (PATTERNS / f"{k}.yaml").exists()])
def test_rule_file_loads_with_unique_ids(kind):
    rules = load_rules(kind)
    assert rules, f"patterns/{kind}.yaml has no rules"
    ids = [r["id"] for r in raw(kind)["rules"]]
    assert len(ids) == len(set(ids)), f"duplicate ids in {kind}: {sorted(i for i in ids if ids.count(i) > 1)}"
    assert [r.id for r in rules] == ids


@pytest.mark.parametrize("kind", [k for k in RULE_KEYS if (PATTERNS / f"{k}.yaml").exists()])
def test_every_pattern_rule_has_an_example(kind):
    missing = [r["id"] for r in raw(kind)["rules"] if "pattern" in r and not (r.get("example") or r.get("examples"))]
    assert not missing, f"{kind}: rules without an example: {missing}"


def prepared(kind: str, text: str) -> str:
    """The text a rule of ``kind`` is matched against in the code: frequency rules see number words as
    digits (quantity.digitize), date-context rules see dates as a token (dates.mask_dates)."""
    if kind == "frequencies":
        from imr_extract.extract.quantity import digitize

        return digitize(text)[0]
    if kind == "dates":
        from imr_extract.extract.dates import mask_dates

        return mask_dates(text)[0]
    return text


@pytest.mark.parametrize("kind,pattern,example", list(example_cases()))
def test_example_matches_its_own_pattern(kind, pattern, example):
    assert compile_rule_pattern(pattern).search(prepared(kind, example)), f"{example!r} does not match its rule"


# ---- closed lists --------------------------------------------------------------------------------------------

def values(kind: str, key: str) -> list:
    if not (PATTERNS / f"{kind}.yaml").exists():
        pytest.skip(f"patterns/{kind}.yaml not present")
    return [r[key] for r in raw(kind)["rules"] if key in r]


def test_layout_names_are_the_documented_ones():
    assert set(values("layouts", "layout")) <= LAYOUTS
    for layouts in values("sections", "layouts"):
        assert set(layouts) <= LAYOUTS - {"unknown"}, layouts


def test_frequency_roles_are_the_ones_the_grammar_reads():
    assert set(values("frequencies", "role")) <= {"total", "frequency", "duration", "frequency_duration", "void"}


def test_header_value_types_are_the_ones_the_header_reader_pairs():
    assert set(values("header", "value_type")) <= {"date", "case_number", "priority", "none"}


def test_service_categories_and_subcategories_are_the_dwc_list():
    service = pytest.importorskip("imr_extract.extract.service")
    for rule in raw("services")["rules"] if (PATTERNS / "services.yaml").exists() else []:
        assert rule["category"] in service.CATEGORIES, rule["id"]
        if rule.get("subcategory"):
            assert rule["subcategory"] in service.CATEGORIES[rule["category"]], rule["id"]
    for sub in values("drugs", "subcategory"):
        assert sub in service.CATEGORIES["Pharmaceuticals"], sub


def test_body_part_regions_are_the_closed_list():
    service = pytest.importorskip("imr_extract.extract.service")
    assert set(values("body_parts", "region")) <= set(service.REGIONS)


def test_audit_severities_are_the_closed_list():
    audit = pytest.importorskip("imr_extract.insight.audit")
    assert set(values("audit", "severity")) <= set(audit.SEVERITIES)


# ---- the loader refuses malformed files ----------------------------------------------------------------------

def good_rule(**extra) -> dict:
    return {"id": "d-test", "field": "injury_date", "pattern": r"injured\s+on\s+(?P<date>@DATE@)",
            "example": "injured on @DATE@", **extra}


def test_loader_accepts_a_well_formed_file():
    rules = parse_rule_file("dates", {"kind": "dates", "description": "x", "rules": [good_rule()]})
    assert rules[0].id == "d-test" and rules[0].field == "injury_date"
    assert rules[0].examples == ["injured on @DATE@"]


def test_loader_rejects_an_unknown_key():
    with pytest.raises(RuleFileError, match="unknown keys"):
        parse_rule_file("dates", {"kind": "dates", "rules": [good_rule(feild="typo")]})


def test_loader_rejects_a_duplicate_id():
    with pytest.raises(RuleFileError, match="duplicate"):
        parse_rule_file("dates", {"kind": "dates", "rules": [good_rule(), good_rule()]})


def test_loader_rejects_a_bad_pattern():
    with pytest.raises(RuleFileError, match="bad pattern"):
        parse_rule_file("dates", {"kind": "dates", "rules": [good_rule(pattern="(unclosed")]})


def test_loader_rejects_the_wrong_kind_and_a_rule_without_id():
    with pytest.raises(RuleFileError):
        parse_rule_file("dates", {"kind": "header", "rules": [good_rule()]})
    with pytest.raises(RuleFileError, match="no id"):
        parse_rule_file("dates", {"kind": "dates", "rules": [{"pattern": "x"}]})
    with pytest.raises(RuleFileError):
        parse_rule_file("dates", ["not", "a", "mapping"])


def test_common_keys_are_allowed_everywhere():
    assert {"id", "example", "examples"} <= COMMON_KEYS
