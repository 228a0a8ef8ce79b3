"""spaCy, used only on the short spans that need real sentence boundaries.

A blank English pipeline with the rule-based sentencizer: no model download, and
its tokenizer knows abbreviations ("Dr.", "Aug.", "approx.") that a plain
"split at the period" rule gets wrong. It is built once per process, lazily,
so letters that never reach it pay nothing.
"""
from __future__ import annotations

from functools import lru_cache

#: How much text around a position is handed to spaCy to find its sentence.
_WINDOW_BEFORE, _WINDOW_AFTER = 400, 800


@lru_cache(maxsize=1)
def blank_pipeline():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def sentence_around(text: str, pos: int) -> tuple[int, int]:
    """Offsets of the sentence holding ``text[pos]``, found within a window around it."""
    lo = max(0, pos - _WINDOW_BEFORE)
    hi = min(len(text), pos + _WINDOW_AFTER)
    doc = blank_pipeline()(text[lo:hi].replace("\n", " "))
    for sent in doc.sents:
        if sent.start_char <= pos - lo < sent.end_char:
            return lo + sent.start_char, lo + sent.end_char
    return pos, hi
