"""The rationale's own conclusion: was the item found medically necessary?"""
from __future__ import annotations

import regex

from ..rules import rules_for
from .findings import Finding


def conclusions(text: str, start: int = 0, end: int | None = None) -> list[tuple[regex.Match, str, str]]:
    """Every conclusion on medical necessity in ``text[start:end]``: (match, finding value, rule id), in order."""
    end = len(text) if end is None else end
    found = []
    for rule in rules_for("items", "conclusion"):
        for m in rule.regex.finditer(text, start, end):
            est = m.groupdict().get("est") or ""
            negative = bool(m.group("neg")) or est.lower().startswith("not")
            found.append((m, "not_medically_necessary" if negative else "medically_necessary", rule.id))
    found.sort(key=lambda f: (f[0].start(), -f[0].end()))
    kept: list[tuple[regex.Match, str, str]] = []
    for f in found:
        if kept and f[0].start() < kept[-1][0].end():
            continue
        kept.append(f)
    return kept


def extract_rationale_finding(text: str) -> Finding | None:
    """The rationale's last conclusion."""
    found = conclusions(text)
    if not found:
        return None
    m, value, rule_id = found[-1]
    return Finding("rationale_finding", value, m.start(), m.end(), rule_id, m.group(0))
