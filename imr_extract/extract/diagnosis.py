"""The diagnoses the case summary states: one finding per diagnosis, the cue words never part of it.

Every cue of patterns/diagnoses.yaml opens a list that runs to the end of its sentence (or over the
numbered lines after it). A list with semicolons or numbers keeps each entry's commas; otherwise it is
cut at commas and at its last "and", and a piece that only qualifies the one before it, or that
completes an ICD-10-CM title with it, stays joined to it.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import regex

from ..rules import Rule, compile_cached, first_rule, on_reset, rules_for
from ..text.nlp import abbreviation_before
from ..text.normalize import unwrap
from .findings import Finding

_MARKER = compile_cached(r"(?:^|(?<=[\s:;]))(?:\(?\d{1,2}[.)]|\(\d{1,2}\)|[-\u2022*])\s+", regex.MULTILINE)
_ARTICLE = compile_cached(r"(?:an?|the)\s+", regex.IGNORECASE)
_AND = compile_cached(r"\s+(?:and|&)\s+", regex.IGNORECASE)
_MAX_LIST = 700
#: How far a bracket may run before its closer; past that it is a stray character.
_MAX_BRACKET = 120
_MAX_ENTRY = 160


@lru_cache(maxsize=1)
def _cues() -> tuple[Rule, ...]:
    return rules_for("diagnoses", "cue")


on_reset(_cues.cache_clear)


def _cue_matches(text: str) -> list[tuple[regex.Match, Rule]]:
    """Every cue in order; where two overlap, the earlier (then the longer) one."""
    found = sorted(((m, r) for r in _cues() for m in r.regex.finditer(text)),
                   key=lambda f: (f[0].start(), -f[0].end()))
    kept: list[tuple[regex.Match, Rule]] = []
    for m, r in found:
        if kept and m.start() < kept[-1][0].end():
            continue
        kept.append((m, r))
    return kept


def _list_end(text: str, start: int, limit: int) -> int:
    """Where a diagnosis list that begins at ``start`` ends: its sentence's end, or its numbered lines' end."""
    gap = text[start - 1:start + 1] if start else ""
    if "\n" in gap and _MARKER.match(text, start):  # a list on the lines below the cue
        pos = start
        while True:
            line_end = text.find("\n", pos + 1)
            line_end = limit if line_end < 0 or line_end > limit else line_end
            nxt = text[line_end + 1:line_end + 6] if line_end < limit else ""
            if line_end >= limit or not (_MARKER.match(text, line_end + 1) or (nxt[:1].islower() and nxt.strip())):
                return line_end
            pos = line_end
    depth = 0
    for i in range(start, min(limit, start + _MAX_LIST)):
        ch = text[i]
        if ch in "([":
            closer = ")" if ch == "(" else "]"
            if closer in text[i + 1:min(limit, i + _MAX_BRACKET)]:
                depth += 1  # an unclosed bracket is debris and hides no sentence end
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "\n" and text[i + 1:i + 2] == "\n":
            return i
        elif ch == "." and depth == 0:
            after = text[i + 1:i + 3]
            if text[i - 1:i].isdigit() and text[i + 1:i + 2].isdigit():
                continue  # a decimal or a code (M54.16)
            marker = regex.search(r"(?:^|\s)(\d{1,2})\Z", text[max(0, i - 3):i])
            if marker and _is_list_marker(text, start, i, int(marker.group(1))):
                continue  # the period of a list marker ("2. Lateral epicondylitis")
            if abbreviation_before(text, i, "sentence"):
                continue
            if not after.strip() or (after[:1].isspace() and (after[1:2].isupper() or after[1:2].isdigit()
                                                                   or after[1:2] in "\"'(")):
                return i
    return min(limit, start + _MAX_LIST)


def _is_list_marker(text: str, start: int, at: int, n: int) -> bool:
    """"n." at ``at`` numbers a list entry when it is a first entry, or the list so far holds entry n-1
    ("... chronic kidney disease, stage 3. Standing ..." ends the sentence)."""
    return n == 1 or regex.search(rf"(?:^|[\s(]){n - 1}[.)]\s", text[start:at]) is not None


_TRAILING_AND = compile_cached(r"(?:\s*,)?\s+(?:and|or)\s*\Z", regex.IGNORECASE)


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\n:,;-\"'":
        a += 1
    while b > a and text[b - 1] in " \t\n.,;:-\"'":
        b -= 1
    tail = _TRAILING_AND.search(text, a, b)
    if tail:
        b = tail.start()
    m = _ARTICLE.match(text, a, b)
    if m:
        a = m.end()
    stop = first_rule("diagnoses", "stop").regex.search(text, a, b)
    if stop:
        b = stop.start()
        while b > a and text[b - 1] in " \t\n.,;:":
            b -= 1
    return a, b


def _pieces(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """The diagnoses of the list ``text[a:b]`` as spans."""
    markers = list(_MARKER.finditer(text, a, b))
    if len(markers) >= 2:
        bounds = [m.end() for m in markers]
        return [(s, markers[i + 1].start() if i + 1 < len(markers) else b) for i, s in enumerate(bounds)]
    if ";" in text[a:b]:
        out, pos = [], a
        for m in regex.finditer(r"\s*;\s*(?:and\s+)?", text[a:b]):
            out.append((pos, a + m.start()))
            pos = a + m.end()
        out.append((pos, b))
        # an entry of a semicolon list is cut at a comma only between two diagnoses, never at "and"
        return [piece for s, e in out for piece in _comma_pieces(text, s, e, cut_and=False)]
    return _comma_pieces(text, a, b)


def _comma_pieces(text: str, a: int, b: int, cut_and: bool = True) -> list[tuple[int, int]]:
    """A list written with commas: cut at each comma and at the last piece's "and", then a piece that only
    qualifies (or completes an ICD-10-CM title with) the one before is joined back to it."""
    from .icd import lookup

    separator = first_rule("diagnoses", "separator").regex
    qualifier = first_rule("diagnoses", "qualifier").regex
    raw: list[tuple[int, int]] = []
    pos = a
    for m in separator.finditer(text, a, b):
        raw.append((pos, m.start()))
        pos = m.end()
    raw.append((pos, b))
    raw = [(s, e) for s, e in raw if text[s:e].strip()]
    if not raw:
        return []
    if cut_and:
        raw = _cut_after_qualifier(text, raw, qualifier, lookup)
    if not cut_and:
        pass
    elif len(raw) > 1:  # "A, B and C": the last piece holds two (or the one before its qualifiers)
        last = len(raw) - 1
        while (last > 0 and qualifier.match(text[raw[last][0]:raw[last][1]].strip())
               and not _AND.search(text, *raw[last])):
            last -= 1
        raw[last:last + 1] = _and_split(text, *raw[last], last_only=True)
    else:
        raw = _and_split(text, *raw[0], last_only=False)
    merged: list[list[int]] = []  # [start, end, kind]: 1 joined, 2 a lone site word waiting for its noun
    for s, e in raw:
        piece = text[s:e].strip()
        lone_site = len(piece.split()) == 1 and piece.lower() in _SITE_WORDS
        if merged and (merged[-1][2] == 2 or qualifier.match(piece)
                       or _completes_title(text, merged[-1][0], e, lookup)):
            # "neck, back and shoulder pain": each lone site waits for the noun the last one takes
            merged[-1][1], merged[-1][2] = e, 2 if merged[-1][2] == 2 and lone_site else 1
            continue
        merged.append([s, e, 2 if lone_site else 0])
    return [(s, e) for s, e, _ in merged]


def _cut_after_qualifier(text: str, raw: list[tuple[int, int]], qualifier, lookup) -> list[tuple[int, int]]:
    """"A, lumbar region and B": a piece whose words before its first "and" only qualify (or complete an
    ICD-10-CM title with) the piece before ends the entry there; what follows "and" opens the next."""
    out = raw[:1]
    for s, e in raw[1:]:
        m = _AND.search(text, s, e)
        if m:
            left = text[s:m.start()].strip(" \t\n,")
            if left and (qualifier.fullmatch(left) or _completes_title(text, out[-1][0], m.start(), lookup)):
                out += [(s, m.start()), (m.end(), e)]
                continue
        out.append((s, e))
    return out


def _and_split(text: str, s: int, e: int, last_only: bool) -> list[tuple[int, int]]:
    """A piece cut at "and" where both sides are diagnoses: at its last "and" (the end of a comma list), or, for a
    list of one piece, at each "and" not inside a "with ..." phrase (after one, only before a diagnosis of two
    words or more), not after a shared modifier, both sides two words or more, and the piece not itself an
    ICD-10-CM title."""
    from .icd import lookup

    if _completes_title(text, s, e, lookup, need_comma=False):
        return [(s, e)]
    modifier = first_rule("diagnoses", "modifier").regex
    condition = first_rule("diagnoses", "condition-end").regex
    ands = list(_AND.finditer(text, s, e))
    if last_only:
        ands = ands[-1:]
    out, pos = [], s
    for m in ands:
        left, right = text[pos:m.start()], text[m.end():e]
        if regex.search(r"\bwith\b", left, regex.IGNORECASE) and not last_only:
            # "A with B and C": where B ends in a condition, C of two words or more is a diagnosis of its own
            # ("... with radiculopathy and chronic low back pain"); else C shares B's noun or belongs to the
            # "with" phrase ("with lateral recess and foraminal stenosis"), and the entry stays whole
            if len(right.split()) >= 2 and not _AND.search(right) and condition.search(text, pos, m.start()):
                out.append((pos, m.start()))
                pos = m.end()
            break
        if modifier.search(text, pos, m.start()):
            continue
        if not last_only and not all(len(side.split()) >= 2 or _standalone(side) for side in (left, right)):
            continue
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, e))
    return out


#: Single words naming a site, which a list like "neck, back and shoulder pain" shares with the last entry.
_SITE_WORDS = frozenset((
    "neck", "back", "shoulder", "shoulders", "knee", "knees", "hip", "hips", "wrist", "wrists", "elbow", "elbows",
    "ankle", "ankles", "hand", "hands", "foot", "feet", "arm", "arms", "leg", "legs", "head", "chest", "abdomen",
    "groin"
))


def _standalone(words: str) -> bool:
    return any(rule.regex.search(words.strip(" ,.;")) for rule in rules_for("diagnoses", "standalone"))


def _completes_title(text: str, s: int, e: int, lookup, need_comma: bool = True) -> bool:
    joined = unwrap(text[s:e]).strip(" .,;")
    return (not need_comma or "," in joined) and lookup(joined) is not None


def extract_diagnoses(text: str) -> Iterator[Finding]:
    """One finding per diagnosis stated with a cue, in order, each once."""
    seen: set[str] = set()
    cues = _cue_matches(text)
    for i, (m, rule) in enumerate(cues):
        limit = cues[i + 1][0].start() if i + 1 < len(cues) else len(text)
        end = _list_end(text, m.end(), limit)
        for rule_end in rules_for("diagnoses", "list-end"):
            cut = rule_end.regex.search(text, m.end(), end)
            end = cut.start() if cut else end
        for a, b in _pieces(text, m.end(), end):
            a, b = _trim(text, a, b)
            value = unwrap(text[a:b])
            key = value.lower()
            if not 2 < len(value) <= _MAX_ENTRY or key in seen:
                continue
            seen.add(key)
            yield Finding("diagnoses", [value], a, b, rule.id, text[a:b])
