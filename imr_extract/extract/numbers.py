"""Number words as numbers (patterns/numbers.yaml): "twelve" is 12, "fifty-two" is 52, "twice" is 2 times."""
from __future__ import annotations

from functools import lru_cache

import regex

from ..rules import compile_cached, on_reset, rules_for


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, int], dict[str, int]]:
    """(number word -> value, adverb -> times), lowercase."""
    numbers: dict[str, int] = {}
    adverbs: dict[str, int] = {}
    for rule in rules_for("numbers"):
        table = adverbs if rule.role == "adverb" else numbers
        for word in rule.words:
            table[str(word).lower()] = int(rule.value)
    return numbers, adverbs


@lru_cache(maxsize=1)
def _word_pattern() -> regex.Pattern:
    """Every number word; a tens word may take a unit word after a hyphen or space ("forty-five")."""
    numbers, adverbs = _tables()
    tens = sorted((w for w, v in numbers.items() if 20 <= v <= 90 and v % 10 == 0), key=len, reverse=True)
    units = sorted((w for w, v in numbers.items() if 1 <= v <= 9), key=len, reverse=True)
    words = sorted([*numbers, *adverbs], key=len, reverse=True)
    alt = "|".join(regex.escape(w) for w in words)
    compound = (rf"(?:{'|'.join(map(regex.escape, tens))})[\s-](?:{'|'.join(map(regex.escape, units))})"
                if tens and units else r"(?!)")
    return compile_cached(rf"\b(?:{compound}|{alt})\b", regex.IGNORECASE)


_ECHO = compile_cached(r"\s*\(\s*(\d{1,4})\s*\)")

on_reset(_tables.cache_clear)
on_reset(_word_pattern.cache_clear)


def word_value(words: str) -> int | None:
    """The number a phrase of number words says ("fifty two", "fifty-two", "twelve"), or None."""
    numbers, _ = _tables()
    parts = [p for p in regex.split(r"[\s-]+", words.lower()) if p]
    if not parts or any(p not in numbers for p in parts):
        return None
    return sum(numbers[p] for p in parts)


def digitize(text: str) -> tuple[str, list[int]]:
    """``text`` with number words as digits (adverbs as "<n> times"), and each character's offset in ``text``."""
    numbers, adverbs = _tables()
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _word_pattern().finditer(text):
        word = m.group(0).lower()
        if word in adverbs:
            rep = f"{adverbs[word]} times"
        else:
            value = numbers.get(word)
            rep = str(value if value is not None else word_value(word))
        out.append(text[pos:m.start()])
        index.extend(range(pos, m.start()))
        out.append(rep)
        index.extend([m.start()] * len(rep))
        pos = m.end()
        echo = _ECHO.match(text, pos)
        if echo and echo.group(1) == rep:
            pos = echo.end()  # "three (3)": the digits repeat the word
    out.append(text[pos:])
    index.extend(range(pos, len(text)))
    index.append(len(text))
    return "".join(out), index
