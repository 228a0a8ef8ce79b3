"""The rationale's own conclusion: was the item found medically necessary?"""
from __future__ import annotations

from ..rules import first_rule
from .findings import Finding


def extract_rationale_finding(text: str) -> Finding | None:
    rule = first_rule("items", "conclusion")
    last = None
    for m in rule.regex.finditer(text):
        last = m
    if last is None:
        return None
    negative = bool(last.group("neg")) or bool(last.group("est") and last.group("est").lower().startswith("not"))
    value = "not_medically_necessary" if negative else "medically_necessary"
    return Finding("rationale_finding", value, last.start(), last.end(), rule.id, last.group(0))
