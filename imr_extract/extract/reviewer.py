"""The expert reviewer: specialties, licensure states, board certification."""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import regex

from ..rules import Rule, compile_cached, on_reset, rules_for
from ..text.normalize import unwrap
from .findings import Finding

#: A list's comma; in "A, B, and C" the last "and" goes with its comma.
_COMMA = compile_cached(r"\s*[,;]\s*(?:(?:and|&)\s+)?", regex.IGNORECASE)
_AND_IN = compile_cached(r"\s+and\s+in\s+", regex.IGNORECASE)
_STATE_OF = compile_cached(r"^(?:the\s+)?(?:State|Commonwealth)\s+of\s+", regex.IGNORECASE)
_AND = compile_cached(r"\s+(?:and|&)\s+", regex.IGNORECASE)


@lru_cache(maxsize=1)
def known_states() -> frozenset[str]:
    """Lowercase state names of patterns/states.yaml."""
    return frozenset(str(r.state).lower() for r in rules_for("states"))


on_reset(known_states.cache_clear)


_SENTENCE_END = compile_cached(r"(?<![A-Z])\.\s+(?=[A-Z][a-z])")


def _clean(item: str) -> str:
    return unwrap(item).strip(" .,;:")


def split_states(raw: str, prose: bool = False) -> list[str]:
    """States as listed; in prose, only recognisable state names (a sentence may run on after the list).
    A list ends with its sentence ("Licensure: California, Oregon. The reviewer ..."), an initial's
    period ("D.C.") aside."""
    raw = _SENTENCE_END.split(raw, maxsplit=1)[0]
    out: list[str] = []
    for part in _COMMA.split(raw):
        part = _clean(part)
        if not part:
            continue
        pieces = _AND.split(part)
        if len(pieces) > 1 and all(_clean(p).lower() in known_states() for p in pieces):
            out.extend(_clean(p) for p in pieces)
        else:
            out.append(part)
    if prose:
        # a sentence may run on after the list ("California and Texas and devotes ..."): keep the names
        kept = []
        for part in out:
            for piece in _AND.split(part):
                name = _STATE_OF.sub("", _clean(piece))
                if name.lower() in known_states():
                    kept.append(name)
        out = kept
    return out


def split_specialties(raw: str, prose: bool) -> list[str]:
    """Specialties as listed (split at commas and semicolons); in prose also at "and in", and at "and" or "&" when
    the whole is no known specialty but each piece is one."""
    from .service import canonical_specialty

    out = []
    for part in _COMMA.split(raw):
        part = _clean(part)
        if not part:
            continue
        if prose:
            part = _AND_IN.sub(", ", part)  # "X and in Y" names two
            if "," in part:
                out.extend(split_specialties(part, prose))
                continue
        if prose and canonical_specialty(part) is None:
            pieces = [_clean(p) for p in _AND.split(part)]
            if len(pieces) > 1 and all(canonical_specialty(p) for p in pieces):
                out.extend(pieces)
                continue
        out.append(part)
    return out


def extract_reviewer(text: str) -> Iterator[Finding]:
    """Specialties, licence states and board certification, as the credentials section states them."""
    from .service import canonical_specialty

    specialties: list[tuple[Finding, Rule]] = []
    tier_one_found = False
    states: Finding | None = None
    certified: Finding | None = None
    for rule in rules_for("reviewer"):
        prose = rule.form == "prose"
        if rule.field == "board_certified":
            m = rule.regex.search(text)
            if m and certified is None:
                certified = Finding("reviewer_board_certified", True, m.start(), m.end(), rule.id, m.group(0))
            continue
        for m in rule.regex.finditer(text):
            raw = m.group("value")
            if rule.field == "license_states" and states is None:
                values = split_states(raw, prose=rule.require == "known_state")
                if values:
                    states = Finding("reviewer_license_states", values, m.start("value"), m.end("value"), rule.id,
                                     m.group(0))
            elif rule.field == "specialties":
                if specialties and specialties[0][1].form == "block":
                    continue  # the block is authoritative; prose repeats it
                if (rule.tier or 1) > 1 and tier_one_found:
                    continue  # a fallback rule: only when no tier-1 rule found the specialties
                values = split_specialties(raw, prose=prose)
                if rule.require == "known_specialty":
                    values = [v for v in values if canonical_specialty(v)]  # "licensed in California" is a state
                if values:
                    specialties.append((Finding("reviewer_specialties", values, m.start("value"), m.end("value"),
                                                rule.id, m.group(0)), rule))
                    tier_one_found = tier_one_found or (rule.tier or 1) == 1
    if specialties:
        ordered = sorted((f for f, _ in specialties), key=lambda f: f.start)
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
