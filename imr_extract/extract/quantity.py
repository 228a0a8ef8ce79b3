"""How much was requested: a small grammar over an item title.

Number words are read as digits first (keeping a map back to the title's
offsets); the ``frequencies.yaml`` phrase rules then give stated totals,
per-week frequencies and week durations. A stated total wins; otherwise
frequency x weeks when both are single numbers; otherwise nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from ..rules import first_rule, on_reset, rules_for
from .findings import Finding
from .numbers import digitize


@dataclass(frozen=True)
class Quantity:
    """How much an item asks for: total, per-week frequency and week-duration bounds, frequency x weeks, a range of
    counts, and the findings they were read from."""

    quantity: int | None = None
    frequency_per_week_min: int | None = None
    frequency_per_week_max: int | None = None
    duration_weeks_min: int | None = None
    duration_weeks_max: int | None = None
    from_schedule: int | None = None  # frequency x weeks, whether or not a total was stated
    quantity_min: int | None = None  # a range of counts ("10-16 sessions"): its bounds, and no quantity
    quantity_max: int | None = None
    findings: tuple[Finding, ...] = ()


def blank_dates(text: str) -> str:
    """``text`` with every date replaced by spaces of its length: a date holds no count."""
    from .dates import find_dates

    for d in find_dates(text):
        text = text[:d.start] + " " * (d.end - d.start) + text[d.end:]
    return text


def _range(m: regex.Match, lo: str, hi: str) -> tuple[int, int]:
    a = int(m.group(lo))
    b = int(m.group(hi)) if hi in m.groupdict() and m.group(hi) else a
    return (a, b) if a <= b else (b, a)


@lru_cache(maxsize=8192)
def parse_quantity(title: str) -> Quantity:
    """The quantity an item title asks for, read by the ``frequencies`` rules; empty when a `void` rule matches."""
    text, index = digitize(blank_dates(title))

    def finding(field: str, value, m: regex.Match, rule_id: str) -> Finding:
        a, b = index[m.start()], index[m.end()]
        return Finding(field, value, a, b, rule_id, title[a:b])

    total = freq = dur = counts = None
    found: list[Finding] = []
    for rule in rules_for("frequencies"):
        if rule.role == "product":
            continue
        m = rule.regex.search(text)
        if not m:
            continue
        if rule.role == "void":
            return Quantity()
        if rule.role == "frequency_duration" and freq is None and dur is None:
            freq = (int(m.group("fmin")),) * 2
            dur = (int(m.group("dmin")),) * 2
            found.append(finding("frequency_per_week", freq, m, rule.id))
            found.append(finding("duration_weeks", dur, m, rule.id))
        elif rule.role == "frequency" and freq is None:
            freq = _range(m, "min", "max")
            found.append(finding("frequency_per_week", freq, m, rule.id))
        elif rule.role == "duration" and dur is None:
            dur = _range(m, "min", "max")
            found.append(finding("duration_weeks", dur, m, rule.id))
        elif rule.role == "range" and counts is None:
            counts = _range(m, "min", "max")
            if counts[0] < counts[1]:
                found.append(finding("quantity_min", counts[0], m, rule.id))
                found.append(finding("quantity_max", counts[1], m, rule.id))
            else:
                counts = None
        elif rule.role == "total" and total is None:
            n = int(m.group("n"))
            if n > 0:
                total = n
                found.append(finding("quantity", n, m, rule.id))
    # implausible schedules are misreadings (a strength, a year): drop them
    if freq and not 0 < freq[1] <= 14:
        freq = None
    if dur and not 0 < dur[1] <= 104:
        dur = None
    from_schedule = freq[0] * dur[0] if freq and dur and freq[0] == freq[1] and dur[0] == dur[1] else None
    if total is None and counts is None:
        total = from_schedule
    return Quantity(
        quantity=total,
        frequency_per_week_min=freq[0] if freq else None,
        frequency_per_week_max=freq[1] if freq else None,
        duration_weeks_min=dur[0] if dur else None,
        duration_weeks_max=dur[1] if dur else None,
        from_schedule=from_schedule,
        quantity_min=counts[0] if counts else None,
        quantity_max=counts[1] if counts else None,
        findings=tuple(found),
    )


on_reset(parse_quantity.cache_clear)


def product_rule_id() -> str:
    """The rule that names the frequency x weeks computation (its evidence rows cite it)."""
    return first_rule("frequencies", "product").id
