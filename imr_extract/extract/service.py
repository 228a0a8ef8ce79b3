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
from ..rules import Rule, load_rules

#: The closed category list of the DWC annual IMR reports, each with its subcategories.
#: Rule files are tested against it, so a new subcategory is added here first.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Pharmaceuticals": (
        "opioids", "topical analgesics", "muscle relaxants", "NSAIDs", "anticonvulsants",
        "antidepressants", "proton pump inhibitors", "H2 blockers", "sleep aids",
        "benzodiazepines", "antiemetics", "compounded/medical foods", "other",
    ),
    "Rehabilitation": (
        "physical therapy", "chiropractic", "acupuncture", "occupational therapy", "massage",
        "aquatic therapy", "modalities", "other",
    ),
    "Diagnostic testing": (
        "MRI", "CT", "X-ray", "EMG/NCV", "labs", "ultrasound", "functional testing", "other",
    ),
    "DMEPOS": (
        "electrotherapy devices", "cold/heat therapy", "compression devices",
        "braces and supports", "mobility aids", "home equipment", "ergonomic equipment",
        "supplies", "other",
    ),
    "Surgery": (
        "spine", "arthroscopy", "joint replacement", "repair/reconstruction",
        "nerve/tendon release", "implantable devices", "associated services", "other",
    ),
    "Injections": (
        "epidural steroid injection", "facet/medial branch", "neurolysis/ablation",
        "trigger point", "joint injection", "nerve block", "viscosupplementation",
        "regenerative", "other",
    ),
    "Evaluation and management": (
        "consultation", "office visit", "pre-operative clearance", "medication management", "other",
    ),
    "Programs": (
        "functional restoration", "pain program", "detoxification", "weight loss",
        "work conditioning", "inpatient rehabilitation", "gym membership", "other",
    ),
    "Behavioral and mental health": (
        "psychotherapy", "psychological evaluation", "psychiatric care", "biofeedback", "other",
    ),
    "Home health": ("home health aide", "nursing", "other"),
    "Other": ("transportation", "interpreter", "dental", "other"),
}

REGIONS = ("spine", "upper extremity", "lower extremity", "head", "trunk", "other")

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


# The strength as printed, not the amount dispensed: "240g", "420ml" and "#60" are
# quantities, so bare g/ml never count; "10/325" without a unit is Norco's convention.
_STRENGTH = regex.compile(
    r"""
    (?<![\w.,])
    (?: (?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)
        (?:\s*[-/]\s*\d+(?:\.\d+)?)*
        \s*(?:mg|mcg|µg|meq|iu|units?|%)
        (?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:ml|hr|h|g|gm|actuation|dose))?
      | \d+(?:\.\d+)?\s*/\s*\d{2,4}(?![\d.])
    )
    (?![a-z])
    """,
    regex.VERBOSE | regex.IGNORECASE,
)

_SIDE = regex.compile(
    r"\b(right\s+and\s+left|left\s+and\s+right|right|left|bilateral|bilat|both|rt|lt)\.?\s+$",
    regex.IGNORECASE,
)
_SIDE_NAMES = {"rt": "right", "lt": "left", "bilat": "bilateral", "both": "bilateral"}


@lru_cache(maxsize=None)
def _compiled(kind: str) -> tuple[tuple[Rule, regex.Pattern], ...]:
    return tuple((rule, rule.regex) for rule in load_rules(kind))


def _first_printed(kind: str, text: str, pos: int = 0) -> tuple[Rule, regex.Match] | None:
    """The name printed first (from ``pos``) wins; at one position the longer name, then file order."""
    best: tuple[tuple[int, int, int], Rule, regex.Match] | None = None
    for order, (rule, pattern) in enumerate(_compiled(kind)):
        m = pattern.search(text, pos)
        if m and m.end() > m.start():
            key = (m.start(), m.start() - m.end(), order)
            if best is None or key < best[0]:
                best = (key, rule, m)
    return (best[1], best[2]) if best else None


def find_drug(text: str) -> Finding | None:
    found = _first_printed("drugs", text or "")
    if not found:
        return None
    rule, m = found
    return Finding("drug_name", rule.drug, m.start(), m.end(), rule.id, m.group())


def drug_strength(text: str) -> str | None:
    m = _STRENGTH.search(text)
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
    while found and _NAMES_A_SPECIALIST.match(text, found[1].end()):
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
        after = _SIDE_AT_END.search(text, m.end())
        if after:
            side, end = (start, _SIDE_NAMES.get(after.group(1).lower(), after.group(1).lower())), after.end()
    if side:
        start, value = side[0], f"{side[1]} {value}"
    return Finding("body_part", value, start, end, rule.id, text[start:end])


_NAMES_A_SPECIALIST = regex.compile(r"\s+(?:surgeon|specialist|physician|doctor|consult\w*|clinic)\b",
                                    regex.IGNORECASE)
_SIDE_AT_END = regex.compile(r",\s*(right|left|bilateral)\s*$", regex.IGNORECASE)


def _side_before(text: str, at: int, rule: Rule) -> tuple[int, str] | None:
    if rule.region in _UNSIDED_REGIONS:
        return None
    side = _SIDE.search(text, max(0, at - 30), at)
    if not side:
        return None
    word = unwrap(side.group(1).lower())
    return side.start(), ("bilateral" if " and " in word else _SIDE_NAMES.get(word, word))


def body_part_canonical(finding: Finding) -> tuple[str, str]:
    """(canonical part, region) for grouping; the finding's value keeps the printed form."""
    rule = next(r for r in load_rules("body_parts") if r.id == finding.rule_id)
    return rule.body_part, rule.region


def canonical_specialty(name: str) -> str | None:
    cleaned = unwrap(name or "").strip(" \t.,;:")
    for rule, pattern in _compiled("specialties"):
        if pattern.search(cleaned):
            return rule.canonical
    return None
