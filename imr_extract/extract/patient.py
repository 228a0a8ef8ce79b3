"""Who the patient is: age, sex, injury date, diagnoses (case summary)."""
from __future__ import annotations

from collections.abc import Iterator

import regex

from ..rules import load_rules, rules_for
from .dates import date_for_token, mask_dates
from .findings import Finding
from .numbers import word_value

_AGE_MIN, _AGE_MAX = 10, 110


def _age_value(m: regex.Match) -> int | None:
    if m.groupdict().get("words"):
        return word_value(m.group("words"))
    return int(m.group("value"))


def extract_age(text: str) -> Iterator[Finding]:
    """The first stated age; number words ("fifty-two-year-old") are read as numbers."""
    found = []
    for rule in rules_for("patient", "age"):
        m = rule.regex.search(text)
        if m:
            found.append((m.start(), m, rule))
    for _, m, rule in sorted(found, key=lambda f: f[0]):
        age = _age_value(m)
        if age is not None and _AGE_MIN <= age <= _AGE_MAX:
            yield Finding("patient_age", age, m.start(), m.end(), rule.id, m.group(0))
            return


def extract_sex(text: str) -> Iterator[Finding]:
    """Tier by tier (patterns/patient.yaml): the first tier with a match decides, by its agreement policy."""
    tiers: dict[int, list] = {}
    for rule in rules_for("patient", "sex"):
        tiers.setdefault(int(rule.tier), []).append(rule)
    for tier in sorted(tiers):
        hits = []
        for rule in tiers[tier]:
            m = rule.regex.search(text)
            if m:
                hits.append((m.start(), m, rule))
        if not hits:
            continue
        _, m, rule = min(hits, key=lambda h: h[0])
        agreeing = len({r.value for _, _, r in hits}) == 1
        if agreeing or rule.agreement == "first":
            yield Finding("patient_sex", rule.value, m.start(), m.end(), rule.id, m.group(0))
        return  # a unanimous tier that disagrees leaves the value empty


def extract_dated(text: str, field: str) -> Iterator[Finding]:
    """The date a ``dates.yaml`` rule of ``field`` points at; first rule wins."""
    masked, dates = mask_dates(text)
    if not dates:
        return
    for rule in load_rules("dates"):
        if rule.field != field:
            continue
        m = rule.regex.search(masked)
        if m:
            d = date_for_token(masked, m.start("date"), dates)
            yield Finding(field, d.iso, d.start, d.end, rule.id, d.text)
            return
