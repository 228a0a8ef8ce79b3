"""The expert reviewer: specialties, licensure states, board certification."""
from __future__ import annotations

from typing import Iterator

import regex

from .findings import Finding
from ..text.normalize import unwrap
from ..rules import load_rules

_COMMA = regex.compile(r"\s*,\s*")
_AND = regex.compile(r"\s+(?:and|&)\s+", regex.IGNORECASE)
_US_STATES = frozenset(
    s.lower() for s in (
        "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho "
        "Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota "
        "Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah "
        "Vermont Virginia Washington Wisconsin Wyoming"
    ).split()
) | {"new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "rhode island",
     "south carolina", "south dakota", "west virginia", "district of columbia", "puerto rico"}


def _clean(item: str) -> str:
    return unwrap(item).strip(" .,;:")


def split_states(raw: str, prose: bool = False) -> list[str]:
    """States as listed; in prose, only recognisable state names (a sentence may run on after the list)."""
    out = []
    for part in _COMMA.split(raw):
        part = _clean(part)
        if not part:
            continue
        pieces = _AND.split(part)
        if len(pieces) > 1 and all(_clean(p).lower() in _US_STATES for p in pieces):
            out.extend(_clean(p) for p in pieces)
        else:
            out.append(part)
    if prose:
        out = [s for s in out if s.lower() in _US_STATES]
    return out


def split_specialties(raw: str, prose: bool) -> list[str]:
    from .service import canonical_specialty

    out = []
    for part in _COMMA.split(raw):
        part = _clean(part)
        if not part:
            continue
        if prose and canonical_specialty(part) is None:
            pieces = [_clean(p) for p in _AND.split(part)]
            if len(pieces) > 1 and all(canonical_specialty(p) for p in pieces):
                out.extend(pieces)
                continue
        out.append(part)
    return out


def extract_reviewer(text: str) -> Iterator[Finding]:
    from .service import canonical_specialty

    specialties: list[Finding] = []
    states: Finding | None = None
    certified: Finding | None = None
    for rule in load_rules("reviewer"):
        if rule.field == "board_certified":
            m = rule.regex.search(text)
            if m and certified is None:
                certified = Finding("reviewer_board_certified", True, m.start(), m.end(), rule.id, m.group(0))
            continue
        for m in rule.regex.finditer(text):
            raw = m.group("value")
            if rule.field == "license_states" and states is None:
                values = split_states(raw, prose=rule.id != "rev-block-states")
                if values:
                    states = Finding("reviewer_license_states", values, m.start("value"), m.end("value"), rule.id,
                                     m.group(0))
            elif rule.field == "specialties":
                if specialties and specialties[0].rule_id == "rev-block-specialties":
                    continue  # the block is authoritative; prose repeats it
                if rule.id == "rev-prose-specialty-in" and specialties:
                    continue
                values = split_specialties(raw, prose=rule.id != "rev-block-specialties")
                if rule.id == "rev-prose-licensed-specialty":
                    values = [v for v in values if canonical_specialty(v)]  # "licensed in California" is a state
                if values:
                    specialties.append(Finding("reviewer_specialties", values, m.start("value"), m.end("value"),
                                               rule.id, m.group(0)))
    if specialties:
        ordered = sorted(specialties, key=lambda f: f.start)
        merged: list[str] = []
        for f in ordered:
            for v in f.value:
                if v not in merged:
                    merged.append(v)
        first = ordered[0]
        yield Finding("reviewer_specialties", merged, first.start, ordered[-1].end, first.rule_id,
                      " ... ".join(f.text for f in ordered))
    if states:
        yield states
    if certified:
        yield certified
