"""Item titles → service category, drug and body part; specialty names → one spelling.

The vocabularies are data (patterns/services.yaml, drugs.yaml, body_parts.yaml,
specialties.yaml); this module only fixes how each list is consulted: services by
first matching rule, drugs and body parts by the name printed first.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from .findings import Finding
from ..text.normalize import unwrap
from ..rule_schema import CATEGORIES, REGIONS  # noqa: F401  (the closed lists, re-exported)
from ..rules import Rule, first_rule, on_reset, rule_index, rules_for

#: A side printed before the spine or the head names the approach, not another part.
_UNSIDED_REGIONS = {"spine", "head"}


@dataclass(frozen=True)
class ServiceInfo:
    service: str | None
    service_category: str | None
    service_subcategory: str | None
    drug_name: str | None
    drug_strength: str | None
    rule_id: str | None


@lru_cache(maxsize=None)
def _compiled(kind: str, role: str | None = None) -> tuple[tuple[Rule, regex.Pattern], ...]:
    return tuple((rule, rule.regex) for rule in rules_for(kind, role))


@lru_cache(maxsize=1)
def _side_words() -> dict[str, str]:
    return {" ".join(str(r.word).lower().split()): r.side for r in rules_for("body_parts", "side-word")}


for _cache in (_compiled, _side_words):
    on_reset(_cache.cache_clear)


def _first_printed(kind: str, text: str, pos: int = 0) -> tuple[Rule, regex.Match] | None:
    """The name printed first (from ``pos``) wins; at one position the longer name, then file order."""
    best: tuple[tuple[int, int, int], Rule, regex.Match] | None = None
    for order, (rule, pattern) in enumerate(_compiled(kind, _LOOKUP_ROLE.get(kind))):
        m = pattern.search(text, pos)
        if m and m.end() > m.start():
            key = (m.start(), m.start() - m.end(), order)
            if best is None or key < best[0]:
                best = (key, rule, m)
    return (best[1], best[2]) if best else None


#: The role of the rules a lookup consults, in kinds that hold rules of several roles.
_LOOKUP_ROLE = {"drugs": "drug", "body_parts": "part"}


def find_drug(text: str) -> Finding | None:
    found = _first_printed("drugs", text or "")
    if not found:
        return None
    rule, m = found
    return Finding("drug_name", rule.drug, m.start(), m.end(), rule.id, m.group())


def drug_strength(text: str) -> str | None:
    m = first_rule("drugs", "strength").regex.search(text)
    return regex.sub(r"\s+", "", m.group()).lower() if m else None


@lru_cache(maxsize=8192)
def classify_service(service_text: str) -> ServiceInfo:
    """First matching services rule. Memoized: archives repeat the same titles thousands of times."""
    text = service_text or ""
    for rule, pattern in _compiled("services"):
        if pattern.search(text):
            if rule.category != "Pharmaceuticals":
                return ServiceInfo(rule.service, rule.category, rule.get("subcategory"), None, None, rule.id)
            return _medication(text, rule, _first_printed("drugs", text))
    # A bare brand name ("Deprizine (unknown quantity)") carries no strength to be spotted by.
    found = _first_printed("drugs", text)
    if found:
        return _medication(text, None, found)
    return ServiceInfo(None, "Other", None, None, None, None)


def _medication(text: str, rule: Rule | None, found: tuple[Rule, regex.Match] | None) -> ServiceInfo:
    drug = found[0] if found else None
    subcategory = (rule.get("subcategory") if rule else None) or (drug.subcategory if drug else "other")
    return ServiceInfo(
        rule.service if rule else "medication",
        "Pharmaceuticals",
        subcategory,
        drug.drug if drug else None,
        drug_strength(text),
        rule.id if rule else drug.id,
    )


@lru_cache(maxsize=8192)
def find_body_part(text: str) -> Finding | None:
    """Memoized like classify_service; a Finding is immutable, so sharing it is safe."""
    text = text or ""
    found = _first_printed("body_parts", text)
    specialist = first_rule("body_parts", "specialist").regex
    while found and specialist.match(text, found[1].end()):
        # "spine surgeon consultation": the word names a specialist, not the body part treated
        found = _first_printed("body_parts", text, found[1].end())
    if not found:
        return None
    rule, m = found
    side = _side_before(text, m.start(), rule)
    if side is None:
        # "Hinged knee brace for the left knee": the part named again with its side is the one meant.
        for later in rule.regex.finditer(text, m.end()):
            side = _side_before(text, later.start(), rule)
            if side:
                m = later
                break
    written = unwrap(m.group()).lower()
    value = rule.body_part if regex.search(r"\d", written) else written
    start, end = m.start(), m.end()
    if side is None and rule.region not in _UNSIDED_REGIONS:
        # "Wrist brace (cock-up splint), right": a side closing the title names the part's side
        after = first_rule("body_parts", "side-after").regex.search(text, m.end())
        if after and _side_words().get(after.group("side").lower()):
            side, end = (start, _side_words()[after.group("side").lower()]), after.end()
    if side:
        start, value = side[0], f"{side[1]} {value}"
    return Finding("body_part", value, start, end, rule.id, text[start:end])


def _side_before(text: str, at: int, rule: Rule) -> tuple[int, str] | None:
    if rule.region in _UNSIDED_REGIONS:
        return None
    side = first_rule("body_parts", "side-before").regex.search(text, max(0, at - 30), at)
    if not side:
        return None
    word = unwrap(side.group("side").lower())
    named = _side_words().get(word)
    return (side.start(), named) if named else None


def body_part_canonical(finding: Finding) -> tuple[str, str]:
    """(canonical part, region) for grouping; the finding's value keeps the printed form."""
    rule = rule_index()[finding.rule_id]
    return rule.body_part, rule.region


def canonical_specialty(name: str) -> str | None:
    cleaned = unwrap(name or "").strip(" \t.,;:")
    for rule, pattern in _compiled("specialties"):
        if pattern.search(cleaned):
            return rule.canonical
    return None


for _memo in (classify_service, find_body_part):
    on_reset(_memo.cache_clear)
