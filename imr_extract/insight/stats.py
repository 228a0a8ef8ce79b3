"""Overturn rates with their counts and 95% Wilson score intervals, per group of decisions."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``k`` successes in ``n`` trials (95% by default); (0, 1) when n is 0.

    Unlike the normal approximation it stays inside [0, 1] and is honest for
    small groups and rates near 0 or 1, which most groups of decisions are.
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """One group's decisions: how many, how many overturned, and the overturn rate with its interval."""

    label: str
    n: int
    overturned: int

    @property
    def upheld(self) -> int:
        return self.n - self.overturned

    @property
    def rate(self) -> float:
        return self.overturned / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.overturned, self.n)


def overturn_rates(labels: Iterable[str], outcomes: Iterable[object], top: int | None = None,
                   other: str = "(all other)") -> list[Rate]:
    """One Rate per label, most decisions first; only upheld/overturned decisions count.

    With ``top``, groups beyond the ``top`` largest are pooled under ``other``
    (listed last), so the chart stays readable and no decision is dropped.
    """
    n: dict[str, int] = {}
    k: dict[str, int] = {}
    for label, outcome in zip(labels, outcomes, strict=False):
        if outcome not in ("upheld", "overturned"):
            continue
        n[label] = n.get(label, 0) + 1
        k[label] = k.get(label, 0) + (outcome == "overturned")
    order = sorted(n, key=lambda g: (-n[g], g))
    rates = [Rate(g, n[g], k[g]) for g in order]
    if top is not None and len(rates) > top + 1:
        rest = rates[top:]
        rates = [*rates[:top], Rate(f"{other} ({len(rest)} groups)", sum(r.n for r in rest),
                                    sum(r.overturned for r in rest))]
    return rates


def overall(outcomes: Iterable[object]) -> Rate:
    """Every upheld/overturned decision as one group."""
    values = [o for o in outcomes if o in ("upheld", "overturned")]
    return Rate("all decisions", len(values), sum(o == "overturned" for o in values))
