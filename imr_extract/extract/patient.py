"""Who the patient is: age, sex, injury date, diagnoses (case summary)."""
from __future__ import annotations

from typing import Iterator

import regex

from .findings import Finding
from ..text.normalize import unwrap
from ..rules import load_rules
from .dates import date_for_token, mask_dates

_HE = regex.compile(r"\b(?:he|him|his|himself)\b", regex.IGNORECASE)
_SHE = regex.compile(r"\b(?:she|her|hers|herself)\b", regex.IGNORECASE)
_DIAGNOSIS_CUE = regex.compile(
    r"""\b(?:
          diagnosed\s+(?:as\s+having|with|as)
        | diagnos[ie]s\s+(?:include[sd]?|are|were|was|is|of)(?:\s*:)?
        | diagnos[ie]s\s*:
        | diagnostic\s+impressions?\s*(?:include[sd]?|are|were|:)
      )\s+""",
    regex.VERBOSE | regex.IGNORECASE,
)
_LIST_SPLIT = regex.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|;\s*|\s+and\s+|\s+as\s+well\s+as\s+)\s*", regex.IGNORECASE)
_AGE_MIN, _AGE_MAX = 10, 110


def _rules(field: str):
    return [r for r in load_rules("patient") if r.field == field]


_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
         "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}


def _age_value(m: regex.Match) -> int:
    if m.groupdict().get("words"):
        words = regex.split(r"[\s-]+", m.group("words").lower())
        return _TENS[words[0]] + (_UNITS[words[1]] if len(words) > 1 else 0)
    return int(m.group("value"))


def extract_age(text: str) -> Iterator[Finding]:
    """The first stated age; number words ("fifty-two-year-old") are read as numbers."""
    found = []
    for rule in _rules("age"):
        m = rule.regex.search(text)
        if m:
            found.append((m.start(), m, rule))
    for _, m, rule in sorted(found, key=lambda f: f[0]):
        age = _age_value(m)
        if _AGE_MIN <= age <= _AGE_MAX:
            yield Finding("patient_age", age, m.start(), m.end(), rule.id, m.group(0))
            return


def extract_sex(text: str) -> Iterator[Finding]:
    """Explicit words decide; pronouns only when there is none and all agree."""
    for group in (("sex-male-with-age", "sex-female-with-age"), ("sex-male-noun", "sex-female-noun")):
        hits = []
        for rule in _rules("sex"):
            if rule.id in group:
                m = rule.regex.search(text)
                if m:
                    hits.append((m.start(), m, rule))
        values = {rule.value for _, _, rule in hits}
        if len(values) == 1 or (hits and group[0].endswith("with-age")):
            _, m, rule = min(hits, key=lambda h: h[0])
            yield Finding("patient_sex", rule.value, m.start(), m.end(), rule.id, m.group(0))
            return
        if len(values) > 1:
            return  # explicit words disagree: leave empty rather than pick one
    he, she = list(_HE.finditer(text)), list(_SHE.finditer(text))
    if he and not she:
        yield Finding("patient_sex", "male", he[0].start(), he[0].end(), "sex-pronouns", he[0].group(0))
    elif she and not he:
        yield Finding("patient_sex", "female", she[0].start(), she[0].end(), "sex-pronouns", she[0].group(0))


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


def extract_diagnoses(text: str) -> Iterator[Finding]:
    """The list after the first diagnosis cue, up to the end of its sentence (spaCy decides where that is)."""
    from ..text.nlp import sentence_end

    m = _DIAGNOSIS_CUE.search(text)
    if not m:
        return
    sent_end = sentence_end(text, m.end())
    span = text[m.end():sent_end].rstrip(" .;\n")
    items = []
    for part in _LIST_SPLIT.split(unwrap(span)):
        part = part.strip(" :,-\"'").removeprefix("the ").strip()
        if 2 < len(part) < 120:
            items.append(part)
    if items:
        yield Finding("diagnoses", items, m.end(), m.end() + len(span), "dx-diagnosed", text[m.start():m.end() + len(span)])
