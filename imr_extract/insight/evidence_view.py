"""Show a letter with the span behind every extracted value marked.

Spans may nest or cross (the sex read from "40 year old male" overlaps the age
read from "40 year old"): every span is marked, each overlapping one with its
own kind of bracket, so which bracket closes which span stays visible. The
field and value follow each closing bracket. Letter text is printed through
``printable``: escape sequences in a letter cannot drive the terminal.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..io.terminal import printable
from ..records import Evidence, LetterRecord

#: An evidence row: an ``Evidence`` record or a plain row of its columns.
EvidenceRow = Mapping[str, Any] | Evidence

#: Bracket pairs, one per overlap level (a span overlapping two marked spans gets the third pair, ...).
BRACKETS = (("\u27e6", "\u27e7"), ("\u27e8", "\u27e9"), ("\u27ea", "\u27eb"), ("\u2983", "\u2984"))
_LEVEL_COLORS = ("\x1b[1;33m", "\x1b[1;35m", "\x1b[1;32m", "\x1b[1;36m")
_TAG, _OFF = "\x1b[2;36m", "\x1b[0m"
_VALUE_SHOWN = 60


def render_marked(record: LetterRecord, color: bool = False) -> str:
    """The letter text with every evidence span marked as ⟦text⟧{field=value} (⟨text⟩ where spans overlap)."""
    return mark_spans(record.text, record.evidence, color=color)


def mark_spans(text: str, evidence: Iterable[EvidenceRow], color: bool = False) -> str:
    """``text`` with each evidence row's span (``char_start``..``char_end``) marked; empty spans are skipped."""
    spans = sorted(((int(e["char_start"]), int(e["char_end"]), i, e) for i, e in enumerate(evidence)
                    if int(e["char_end"]) > int(e["char_start"])), key=lambda s: (s[0], -s[1], s[2]))
    level_end: list[int] = []
    opens: dict[int, list[tuple[int, int, int, EvidenceRow]]] = {}
    closes: dict[int, list[tuple[int, int, int, EvidenceRow]]] = {}
    for start, end, _i, e in spans:
        level = next((lv for lv, busy_until in enumerate(level_end) if busy_until <= start), len(level_end))
        if level == len(level_end):
            level_end.append(end)
        level_end[level] = end
        opens.setdefault(start, []).append((start, end, level, e))
        closes.setdefault(end, []).append((start, end, level, e))
    out, pos = [], 0
    for at in sorted(set(opens) | set(closes)):
        out.append(printable(text[pos:at]))
        pos = at
        for _, _, level, e in sorted(closes.get(at, []), key=lambda s: (-s[0], -s[2])):  # innermost first
            out.append(_close(level, e, color))
        for _, _, level, _ in opens.get(at, []):  # longest first (the sort above)
            out.append(_bracket(level, 0, color))
    out.append(printable(text[pos:]))
    return "".join(out)


def _bracket(level: int, side: int, color: bool) -> str:
    mark = BRACKETS[level % len(BRACKETS)][side]
    return f"{_LEVEL_COLORS[level % len(_LEVEL_COLORS)]}{mark}{_OFF}" if color else mark


def _close(level: int, e: EvidenceRow, color: bool) -> str:
    item = e.get("item_no")
    label = printable(f"{e['field']}{f'#{item}' if item else ''}={str(e['value'])[:_VALUE_SHOWN]}")
    return _bracket(level, 1, color) + (f"{_TAG}{{{label}}}{_OFF}" if color else f"{{{label}}}")
