"""Where a period does not end a sentence or a title line: the abbreviations of patterns/abbreviations.yaml."""
from __future__ import annotations

from functools import lru_cache

import regex

from ..rules import compile_cached, on_reset, rules_for


@lru_cache(maxsize=4)
def _abbreviations(where: str) -> regex.Pattern:
    words = sorted((str(r.abbreviation) for r in rules_for("abbreviations") if where in r.applies_to),
                   key=len, reverse=True)
    return compile_cached(r"\b(?:" + "|".join(regex.escape(w) for w in words) + r")\Z" if words else r"(?!)",
                         regex.IGNORECASE)


on_reset(_abbreviations.cache_clear)


def abbreviation_before(text: str, dot: int, where: str) -> bool:
    """Whether the period at ``text[dot]`` closes an abbreviation of patterns/abbreviations.yaml
    that applies ``where`` ("sentence" or "title")."""
    if text[dot:dot + 1] != ".":
        return False
    return bool(_abbreviations(where).search(text, max(0, dot - 12), dot))
