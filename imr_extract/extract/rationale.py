"""The rationale's own conclusion: was the item found medically necessary?"""
from __future__ import annotations

import regex

from .findings import Finding

_CONCLUSION = regex.compile(
    r"""(?P<neg>\b(?:not|non|no\s+longer|neither|cannot|can't|never)\b[\w\s,/-]{0,40}?|\bun)?
        (?:medically\s+(?:necessary|reasonable|indicated|appropriate)|medical\s+necessity\s+(?:has|is|was)\s+(?P<est>(?:not\s+)?(?:been\s+)?established))""",
    regex.VERBOSE | regex.IGNORECASE,
)


def extract_rationale_finding(text: str) -> Finding | None:
    last = None
    for m in _CONCLUSION.finditer(text):
        last = m
    if last is None:
        return None
    negative = bool(last.group("neg")) or bool(last.group("est") and last.group("est").lower().startswith("not"))
    value = "not_medically_necessary" if negative else "medically_necessary"
    return Finding("rationale_finding", value, last.start(), last.end(), "rationale-conclusion", last.group(0))
