"""Item titles → service category, drug and body part; specialty names → one spelling.

The vocabularies are data (patterns/services.yaml, drugs.yaml, body_parts.yaml,
specialties.yaml); this module only fixes how each list is consulted: services by
first matching rule, drugs and body parts by the name printed first.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import regex

from ..rule_schema import CATEGORIES, REGIONS  # noqa: F401  (the closed lists, re-exported)
from ..rules import Rule, compile_cached, first_rule, on_reset, rule_index, rules_for
from ..text.normalize import unwrap
from .findings import Finding

#: A side printed before the spine or the head names the approach, not another part.
_UNSIDED_REGIONS = {"spine", "head"}


@dataclass(frozen=True)
class ServiceInfo:
    """What a title is: service, DWC category, subcategory, drug, strength; ``findings`` say where each was read
    (offsets within the title) and by which rule."""

    service: str | None
    service_category: str | None
    service_subcategory: str | None
    drug_name: str | None
    drug_strength: str | None
    rule_id: str | None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class BodyPart:
    """The body part a title names (``part``) and the side printed with it (``side``: the laterality finding)."""

    part: Finding
    side: Finding | None


@cache
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
    """The drug named first in ``text``, as a drug_name finding, or None."""
    found = _first_printed("drugs", text or "")
    if not found:
        return None
    rule, m = found
    return Finding("drug_name", rule.drug, m.start(), m.end(), rule.id, m.group())


def drug_strength(text: str) -> str | None:
    """The drug strength printed in ``text``, lowercase and without spaces, or None."""
    found = _strength(text)
    return found.value if found else None


def _strength(text: str) -> Finding | None:
    rule = first_rule("drugs", "strength")
    m = rule.regex.search(text)
    if not m:
        return None
    return Finding("drug_strength", regex.sub(r"\s+", "", m.group()).lower(), m.start(), m.end(), rule.id, m.group())


def _f(field: str, value: str | None, m: regex.Match, rule: Rule) -> Finding:
    return Finding(field, value, m.start(), m.end(), rule.id, m.group())


@lru_cache(maxsize=1)
def _tiers() -> tuple[tuple[tuple[Rule, regex.Pattern], ...], ...]:
    """(tier-1, tier-2, tier-3, tier-4) service rules with their patterns, each in file order."""
    rules = _compiled("services", "service")
    return tuple(tuple(rp for rp in rules if (rp[0].tier or 2) == t) for t in (1, 2, 3, 4))


on_reset(_tiers.cache_clear)


def _service(rule: Rule, m: regex.Match) -> ServiceInfo:
    found = [_f("service", rule.service, m, rule), _f("service_category", rule.category, m, rule)]
    if rule.get("subcategory"):
        found.append(_f("service_subcategory", rule.subcategory, m, rule))
    return ServiceInfo(rule.service, rule.category, rule.get("subcategory"), None, None, rule.id, tuple(found))


def _named_first(text: str, candidates) -> tuple[Rule, regex.Match] | None:
    """The service (or drug) of ``candidates`` named first in ``text``; at one place the longer name, then file
    order."""
    best = None
    for order, (rule, pattern) in enumerate(candidates):
        m = pattern.search(text)
        if m and m.end() > m.start():
            key = (m.start(), m.start() - m.end(), order)
            if best is None or key < best[0]:
                best = (key, rule, m)
    return (best[1], best[2]) if best else None


@lru_cache(maxsize=8192)
def classify_service(service_text: str) -> ServiceInfo:
    """What the item is (see patterns/services.yaml). Memoized: archives repeat the same titles."""
    text = service_text or ""
    framing = None
    for rule, pattern in _compiled("services", "framing"):
        m = pattern.search(text)
        if m:
            framing = (rule, m)
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]  # offsets stay
    for rule, pattern in _tiers()[0]:
        m = pattern.search(text)
        if m:
            return _service(rule, m) if rule.category != "Pharmaceuticals" else \
                _medication(text, (rule, m), _first_printed("drugs", text))
    named = _named_first(text, [*_tiers()[1], *_compiled("drugs", "drug")]) or _named_first(text, _tiers()[2])
    if named is not None:
        rule, m = named
        if rule.kind == "drugs":
            return _medication(text, _first_match(_tiers()[3], text), named)
        if rule.category != "Pharmaceuticals":
            return _service(rule, m)
        return _medication(text, named, _first_printed("drugs", text))
    sign = _first_match(_tiers()[3], text)
    if sign is not None:
        return _medication(text, sign, None)
    if framing is not None:
        return _service(*framing)
    fallback = first_rule("services", "fallback")
    m = fallback.regex.search(text)
    findings = (_f("service_category", fallback.category, m, fallback),) if m else ()
    return ServiceInfo(None, fallback.category, None, None, None, fallback.id, findings)


def _first_match(rules, text: str) -> tuple[Rule, regex.Match] | None:
    for rule, pattern in rules:
        m = pattern.search(text)
        if m:
            return rule, m
    return None


def _drugs_named(text: str) -> list[tuple[Rule, regex.Match]]:
    """Every drug the title names, in printed order, each generic once (a compound lists several)."""
    found = sorted(((r, m) for r, p in _compiled("drugs", "drug") for m in p.finditer(text) if m.end() > m.start()),
                   key=lambda f: (f[1].start(), f[1].start() - f[1].end()))
    out: list[tuple[Rule, regex.Match]] = []
    end = -1
    for rule, m in found:
        if m.start() < end:
            continue
        end = m.end()
        if rule.drug and all(o[0].drug != rule.drug for o in out):
            out.append((rule, m))
    return out


def _medication(text: str, by_rule: tuple[Rule, regex.Match] | None,
                by_drug: tuple[Rule, regex.Match] | None) -> ServiceInfo:
    """A pharmaceutical item: its drug(s), in printed order, and its class (a topical compound of several
    ingredients is one; a single drug's class is the drug's, a topical form's the topical rule's)."""
    source = by_rule or by_drug
    assert source is not None
    rule, m = source
    service = rule.service if rule.kind == "services" else "medication"
    named = by_drug or source  # a drug named decides the category; a dosage form alone only suggests it
    found = [_f("service", service, m, rule), _f("service_category", "Pharmaceuticals", named[1], named[0])]
    named_all = _drugs_named(text) if by_drug else []
    topical = by_rule is not None and by_rule[0].get("subcategory") == "topical analgesics"
    if len(named_all) > 1 and (topical or _COMPOUND.search(text)):
        drug: str | None = "/".join(str(r.drug) for r, _ in named_all)
        subcategory = "topical compounds" if topical else (by_drug[0].subcategory if by_drug else "other")
        start, end = named_all[0][1].start(), named_all[-1][1].end()
        found.append(Finding("drug_name", drug, start, end, named_all[0][0].id, text[start:end]))
        found.append(Finding("service_subcategory", subcategory, start, end,
                             (by_rule or named_all[0])[0].id, text[start:end]))
    else:
        drug = by_drug[0].drug if by_drug else None
        if by_drug and drug:
            found.append(_f("drug_name", drug, by_drug[1], by_drug[0]))
        subcategory = by_rule[0].get("subcategory") if by_rule else None
        base = None if by_drug else _base_dictionary_drug(text)
        if base is not None and (by_rule is None or (by_rule[0].get("tier") or 2) >= 4):
            subcategory = None  # a drug the dictionary names: its class is unknown, a dosage form does not make one
        if subcategory:
            assert by_rule is not None  # a subcategory here is the rule's
            found.append(_f("service_subcategory", subcategory, by_rule[1], by_rule[0]))
        elif by_drug:
            subcategory = by_drug[0].subcategory
            found.append(_f("service_subcategory", subcategory, by_drug[1], by_drug[0]))
        else:
            subcategory = "other"
            found.append(_f("service_subcategory", subcategory, m, rule))
        if base is not None:
            drug = base.value
            found.append(base)
    strength = _strength(text)
    if strength:
        found.append(strength)
    return ServiceInfo(service, "Pharmaceuticals", subcategory, drug, strength.value if strength else None,
                       rule.id, tuple(found))


#: Ingredients joined as one product: "A/B", "A, B and C in a base", "compound".
_COMPOUND = compile_cached(r"\bcompound|\b(?:in|with)\s+(?:a\s+)?(?:cream|gel|ointment|lotion)?\s*base\b",
                          regex.IGNORECASE)


def _base_dictionary_drug(text: str) -> Finding | None:
    """A medication the vocabulary does not know: its generic from the broad drug dictionary."""
    from .drugbase import lookup_generic

    found = lookup_generic(text)
    if found is None:
        return None
    generic, start, end = found
    return Finding("drug_name", generic, start, end, first_rule("drugs", "dictionary").id, text[start:end])


@lru_cache(maxsize=8192)
def find_body_part(text: str) -> BodyPart | None:
    """The body part printed first (and its side). Memoized like classify_service; findings are immutable."""
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
        after_rule = first_rule("body_parts", "side-after")
        after = after_rule.regex.search(text, m.end())
        if after and _side_words().get(after.group("side").lower()):
            side = Finding("laterality", _side_words()[after.group("side").lower()], after.start("side"),
                           after.end("side"), after_rule.id, after.group("side"))
            end = after.end()
    if side:
        start, value = min(start, side.start), f"{side.value} {value}"
    return BodyPart(Finding("body_part", value, start, end, rule.id, text[start:end]), side)


def _side_before(text: str, at: int, rule: Rule) -> Finding | None:
    if rule.region in _UNSIDED_REGIONS:
        return None
    side_rule = first_rule("body_parts", "side-before")
    side = side_rule.regex.search(text, max(0, at - 30), at)
    if not side:
        return None
    word = unwrap(side.group("side").lower())
    named = _side_words().get(word)
    return Finding("laterality", named, side.start(), side.end("side"), side_rule.id, side.group("side")) if named \
        else None


def body_part_canonical(finding: Finding) -> tuple[str, str]:
    """(canonical part, region) for grouping; the finding's value keeps the printed form."""
    assert finding.rule_id is not None  # a body part is always found by a body_parts rule
    rule = rule_index()[finding.rule_id]
    return rule.body_part, rule.region


def specialty_rule(name: str) -> Rule | None:
    """The specialties rule that knows this name (whole-name patterns), if any."""
    cleaned = unwrap(name or "").strip(" \t.,;:")
    for rule, pattern in _compiled("specialties"):
        if pattern.search(cleaned):
            return rule
    return None


def canonical_specialty(name: str) -> str | None:
    """The one spelling of a specialty name, or None when no specialties rule knows it."""
    rule = specialty_rule(name)
    return rule.canonical if rule else None


for _memo in (classify_service, find_body_part):
    on_reset(_memo.cache_clear)
