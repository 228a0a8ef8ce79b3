"""Recognise the layout and cut the letter into sections by their headings."""
from __future__ import annotations

from dataclasses import dataclass

from ..rules import Rule, load_rules
from .normalize import NormalizedText

#: How far into the letter layout markers are looked for.
_HEAD_CHARS = 6000


@dataclass(frozen=True)
class Section:
    """One section of a letter: its kind, where its heading and body lie in the normalized text, the heading as
    printed, and the rule that found it."""

    kind: str  # header | credentials | summary | documents | issues | ...
    start: int  # offset of the body (after the heading) in the normalized text
    end: int
    heading: str
    rule_id: str
    head: int = -1  # where the heading begins (the body's start when there is none)

    @property
    def outer_start(self) -> int:
        """Where the section begins, heading included."""
        return self.head if self.head >= 0 else self.start

    def text(self, doc: NormalizedText) -> str:
        return doc.text[self.start:self.end]


@dataclass(frozen=True)
class Sections:
    """A letter's layout, the rule that recognised it, and its sections in printed order."""

    layout: str
    layout_rule: str | None
    parts: tuple[Section, ...]

    def get(self, kind: str) -> Section | None:
        for s in self.parts:
            if s.kind == kind:
                return s
        return None

    def all(self, kind: str) -> list[Section]:
        return [s for s in self.parts if s.kind == kind]


def detect_layout(text: str) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """Return (layout, rule id, span of the marker); layout None means no IMR marker at all."""
    head = text[:_HEAD_CHARS]
    for rule in load_rules("layouts"):
        m = rule.regex.search(head)
        if m:
            return rule.layout, rule.id, m.span()
    return None, None, None


def split_sections(doc: NormalizedText, layout: str, layout_rule: str | None = None) -> Sections:
    """The letter cut at the headings its layout's section rules find (every rule's when the layout is unknown),
    the first of overlapping headings kept; text before the first heading is the header section."""
    text = doc.text
    hits = []
    for rule in load_rules("sections"):
        if layout != "unknown" and layout not in rule.layouts:
            continue
        for m in rule.regex.finditer(text):
            hits.append((m.start(), m.end(), rule))
    hits.sort(key=lambda h: h[0])
    # keep the first heading of overlapping hits
    kept: list[tuple[int, int, Rule]] = []
    for h in hits:
        if kept and h[0] < kept[-1][1]:
            continue
        kept.append(h)
    parts = []
    first = kept[0][0] if kept else len(text)
    if first > 0:
        parts.append(Section("header", 0, first, "", "sec-header"))
    for i, (start, end, rule) in enumerate(kept):
        stop = kept[i + 1][0] if i + 1 < len(kept) else len(text)
        parts.append(Section(rule.section, end, stop, text[start:end], rule.id, start))
    return Sections(layout, layout_rule, tuple(parts))
