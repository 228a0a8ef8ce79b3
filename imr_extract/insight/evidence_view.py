"""Show a letter with the span behind every extracted value marked."""
from __future__ import annotations

from ..records import LetterRecord

_ON, _OFF, _TAG = "\x1b[1;33m", "\x1b[0m", "\x1b[2;36m"


def render_marked(record: LetterRecord, color: bool = False) -> str:
    """Mark spans as ⟦text⟧{field=value}; overlapping spans keep the first."""
    text = record.text
    spans = sorted(
        ((e["char_start"], e["char_end"], e) for e in record.evidence if e["char_end"] > e["char_start"]),
        key=lambda s: (s[0], -s[1]),
    )
    out, pos = [], 0
    for start, end, e in spans:
        if start < pos:
            continue  # nested or overlapping: already inside a marked span
        label = e["field"] + (f"#{e['item_no']}" if e.get("item_no") else "") + "=" + str(e["value"])[:60]
        out.append(text[pos:start])
        if color:
            out.append(f"{_ON}{text[start:end]}{_OFF}{_TAG}{{{label}}}{_OFF}")
        else:
            out.append(f"\u27e6{text[start:end]}\u27e7{{{label}}}")
        pos = end
    out.append(text[pos:])
    return "".join(out)
