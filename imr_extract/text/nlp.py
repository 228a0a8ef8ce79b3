"""spaCy, used only on the short spans that need real sentence boundaries.

A blank English pipeline with the rule-based sentencizer: no model download, and
its tokenizer knows abbreviations ("Dr.", "Aug.", "approx.") that a plain
"split at the period" rule gets wrong. It is built once per process, lazily,
so letters that never reach it pay nothing.
"""
from __future__ import annotations

from functools import lru_cache

import regex

from ..rules import on_reset, rules_for

#: How much text around a position is handed to spaCy to find its sentence.
_WINDOW_BEFORE, _WINDOW_AFTER = 400, 800


@lru_cache(maxsize=1)
def blank_pipeline():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


#: A period that plainly ends a sentence: after a word of 3+ letters, a number or a closing bracket, before a
#: capital letter or the end of the text.
_PLAIN_END = regex.compile(r"(?<=[a-z]{3}|\d{2}|[)\]])\.(?=\s+[A-Z]|\s*$)")
_ANY_PERIOD = regex.compile(r"\.")


def sentence_end(text: str, pos: int) -> int:
    """End of the sentence running from ``pos``; spaCy decides only when the first period is ambiguous."""
    first = _ANY_PERIOD.search(text, pos)
    if first is None:
        return len(text)
    plain = _PLAIN_END.match(text, first.start())
    if plain and not abbreviation_before(text, first.start(), "sentence"):
        return first.start()
    return sentence_around(text, pos)[1]


@lru_cache(maxsize=4)
def _abbreviations(where: str) -> regex.Pattern:
    words = sorted((str(r.abbreviation) for r in rules_for("abbreviations") if where in r.applies_to),
                   key=len, reverse=True)
    return regex.compile(r"\b(?:" + "|".join(regex.escape(w) for w in words) + r")\Z" if words else r"(?!)",
                         regex.IGNORECASE)


on_reset(_abbreviations.cache_clear)


def abbreviation_before(text: str, dot: int, where: str) -> bool:
    """Whether the period at ``text[dot]`` closes an abbreviation of patterns/abbreviations.yaml
    that applies ``where`` ("sentence" or "title")."""
    if text[dot:dot + 1] != ".":
        return False
    return bool(_abbreviations(where).search(text, max(0, dot - 12), dot))


def sentence_around(text: str, pos: int) -> tuple[int, int]:
    """Offsets of the sentence holding ``text[pos]``, found within a window around it."""
    lo = max(0, pos - _WINDOW_BEFORE)
    hi = min(len(text), pos + _WINDOW_AFTER)
    doc = blank_pipeline()(text[lo:hi].replace("\n", " "))
    for sent in doc.sents:
        if sent.start_char <= pos - lo < sent.end_char:
            return lo + sent.start_char, lo + sent.end_char
    return pos, hi
