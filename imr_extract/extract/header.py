"""Header table fields, whichever order the PDF library emitted the cells in."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..rules import Rule, rules_for
from .dates import find_dates
from .findings import Finding

_CASING = {"upper": str.upper, "capitalize": str.capitalize}


def _value_tokens(text: str, label_spans: list[tuple[int, int]]) -> list[tuple[int, int, str, object]]:
    """Every value outside a label: dates by the date grammar, the rest by the `value` rules."""
    def inside_label(pos: int) -> bool:
        return any(a <= pos < b for a, b in label_spans)

    tokens: list[tuple[int, int, str, object]] = []
    for rule in rules_for("header", "value"):
        write = _CASING.get(rule.casing or "", str)
        for m in rule.regex.finditer(text):
            if not inside_label(m.start()):
                tokens.append((m.start(), m.end(), rule.value_type, write(m.group(0))))
    for d in find_dates(text):
        if not inside_label(d.start):
            tokens.append((d.start, d.end, "date", d.iso))
    return tokens


def extract_header(text: str) -> Iterator[Finding]:
    """The header table's fields: each label takes the next value of its type printed after it (else one printed
    above the table, never a date); each field is reported once."""
    labels = []
    for rule in rules_for("header", "label"):
        for m in rule.regex.finditer(text):
            labels.append((m.start(), m.end(), rule))
    labels.sort(key=lambda x: x[0])
    if not any(rule.value_type != "none" for _, _, rule in labels):
        return
    tokens = _value_tokens(text, [(a, b) for a, b, _ in labels])
    events: list[tuple[int, int, tuple[Any, ...]]] = sorted(  # (pos, order, label or value event)
        [(a, 0, ("label", a, b, rule)) for a, b, rule in labels] + [(t[0], 1, ("value", *t)) for t in tokens],
        key=lambda e: (e[0], e[1]),
    )
    pending: list[tuple[int, int, Rule]] = []  # labels still waiting for a value, in order
    seen_fields: set[str] = set()
    first_label = labels[0][0] if labels else 0
    early = [t for t in tokens if t[1] <= first_label and t[2] != "date"]  # printed above the table
    for _, _, event in events:
        if event[0] == "label":
            _, a, b, rule = event
            if rule.value_type != "none":
                pending.append((a, b, rule))
            continue
        _, start, end, vtype, value = event
        for i, (la, _lb, rule) in enumerate(pending):
            if rule.value_type == vtype:
                del pending[i]
                if rule.field in seen_fields:
                    break
                seen_fields.add(rule.field)
                snippet = text[la:end] if end - la < 200 else text[start:end]
                yield Finding(rule.field, value, start, end, rule.id, snippet)
                break

    # A label left without its value, when the value is printed just above the table (a page-top
    # "CM22-0012345 | IMR Final Determination" over an empty "Case Number:" cell). Dates never: a
    # date above the table may be any date.
    for _la, _lb, rule in pending:
        if rule.field in seen_fields:
            continue
        match = next((t for t in early if t[2] == rule.value_type), None)
        if match is not None:
            seen_fields.add(rule.field)
            yield Finding(rule.field, match[3], match[0], match[1], rule.id, text[match[0]:match[1]])
