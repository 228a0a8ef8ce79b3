"""Cut an issues section into disputed items: title, outcome, guidelines, rationale."""
from __future__ import annotations

from dataclasses import dataclass, field

import regex

from ..rules import Rule, compile_cached, first_rule, rules_for
from ..text.nlp import abbreviation_before
from ..text.normalize import NormalizedText, unwrap

_SENTENCE_END = compile_cached(r"""[.;!?]["')\]]*$""")
_MAX_TITLE_LINES = 6


@dataclass(frozen=True)
class Span:
    """A stretch of the normalized letter text and the rule that found it."""

    start: int
    end: int
    rule_id: str

    def text(self, doc: NormalizedText) -> str:
        return doc.text[self.start:self.end]

    def shifted(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset, self.rule_id)


@dataclass(frozen=True)
class Item:
    """A disputed item as located in the letter: its title, its outcome, and the spans of its parts
    (``claims``, ``maximus`` guideline paragraphs and ``rationale``), all offsets into the normalized text.

    Every locator gives items of this one shape; the item extractors read nothing else."""

    title: str  # as titled: wrapped lines joined, framing and a trailing "is" trimmed
    title_span: Span
    outcome: str  # upheld | overturned
    outcome_span: Span
    parts: dict[str, Span] = field(default_factory=dict, hash=False)

    def shifted(self, offset: int) -> Item:
        return Item(self.title, self.title_span.shifted(offset), self.outcome, self.outcome_span.shifted(offset),
                    {k: v.shifted(offset) for k, v in self.parts.items()})


def line_start(text: str, pos: int) -> int:
    """Where the line holding ``pos`` starts."""
    return text.rfind("\n", 0, pos) + 1


def walk_back(text: str, first_line: int, floor: int) -> int:
    """Extend a title upwards over wrapped lines until a sentence or block ends."""
    start = first_line
    for _ in range(_MAX_TITLE_LINES - 1):
        if start <= floor:
            return floor
        prev_end = start - 1
        prev_start = line_start(text, prev_end)
        prev = text[prev_start:prev_end].strip()
        ends_sentence = _SENTENCE_END.search(prev) and not abbreviation_before(prev, len(prev) - 1, "title")
        if not prev or ends_sentence or any(r.regex.search(prev) for r in rules_for("items", "title-stop")):
            break
        start = prev_start
    return max(start, floor)


def _first_match(rules: tuple[Rule, ...], text: str) -> regex.Match | None:
    """The earliest match of any of the rules."""
    found = [m for r in rules if (m := r.regex.search(text))]
    return min(found, key=lambda m: m.start()) if found else None


def trim_title(title: str) -> str:
    """A title without the words the `title-trim` rules cut from its end ("... is")."""
    for rule in rules_for("items", "title-trim"):
        title = rule.regex.sub("", title)
    return title


def split_items(text: str) -> list[Item]:
    """The items of an issues section (offsets within ``text``): each title ends in an outcome line."""
    outcome_rule = first_rule("items", "outcome-line")
    outcome_re = outcome_rule.regex
    heads = []  # (title_start, title_end, block_start, outcome, outcome span, end of outcome line, rule)
    intro = _first_match(rules_for("items", "intro"), text)
    floor = intro.end() if intro else 0  # titles never reach back into the section's opening sentence
    for m in outcome_re.finditer(text):
        colon = m.start("end")
        window = text[floor:m.end()]
        title_start: int | None = None
        title_end: int | None = None
        block_start: int | None = None
        rule_id = outcome_rule.id
        for partial in rules_for("items", "partial-title"):
            pm = None
            for pm in partial.regex.finditer(window, overlapped=False):  # noqa: B007 - the last match is the one
                pass
            if pm is not None:
                title_start, title_end = floor + pm.start("title"), floor + pm.end("title")
                rule_id = partial.id
                lead = None
                for lead_rule in rules_for("items", "lead-in"):
                    for found in lead_rule.regex.finditer(text, floor, title_start):
                        if lead is None or found.start() > lead.start():
                            lead = found
                anchor = lead.start() if lead else floor + pm.start()
                block_start = walk_back(text, line_start(text, anchor), floor)
                break
        if title_start is None:
            title_start = walk_back(text, line_start(text, colon), floor)
            title_end = colon
            block_start = title_start
            if title_end <= title_start or not text[title_start:title_end].strip() or \
                    any(r.regex.search(text, title_start, title_end) for r in rules_for("items", "not-a-title")):
                continue  # "Determination: Upheld" states an outcome; it does not title an item
        assert title_end is not None  # set with title_start by a partial title, else just above
        heads.append((title_start, title_end, block_start, m.group("outcome").lower(), m.start("outcome"),
                      m.end("outcome"), m.end(), rule_id))
        floor = m.end()
    items = []
    for i, (ts, te, _bs, outcome, os_, oe_word, oe, rule_id) in enumerate(heads):
        block_end = heads[i + 1][2] if i + 1 < len(heads) else len(text)
        title = trim_title(unwrap(text[ts:te])).strip(" \"'")
        items.append(Item(title, Span(ts, te, rule_id), outcome, Span(os_, oe_word, outcome_rule.id),
                          labelled_parts(text, oe, block_end)))
    return items


def labelled_parts(text: str, start: int = 0, end: int | None = None,
                   roles: tuple[str, ...] = ("label",)) -> dict[str, Span]:
    """Cut ``text[start:end]`` at its guideline/rationale labels (rules of ``roles``): part -> span of its body
    (label excluded, surrounding whitespace trimmed), with the label's rule."""
    end = len(text) if end is None else end
    marks: list[tuple[int, int, str, str]] = []
    for rule in (r for role in roles for r in rules_for("items", role)):
        part = rule.part
        if part:
            m = rule.regex.search(text, start, end)
            if m and not any(p == part for _, _, p, _ in marks):
                marks.append((m.start(), m.end(), part, rule.id))
    marks.sort()
    parts = {}
    for j, (_a, b, part, rule_id) in enumerate(marks):
        stop = marks[j + 1][0] if j + 1 < len(marks) else end
        span = trimmed(text, b, stop, rule_id)
        if span is not None:
            parts[part] = span
    return parts


def trimmed(text: str, start: int, end: int, rule_id: str) -> Span | None:
    """The span of ``text[start:end]`` without surrounding whitespace; None when nothing is left."""
    raw = text[start:end]
    body = raw.strip()
    if not body:
        return None
    lead = len(raw) - len(raw.lstrip())
    return Span(start + lead, start + lead + len(body), rule_id)
