"""The one currency extractors pay in: a value plus where it came from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """A value found in the normalized text.

    ``start``/``end`` are offsets into the normalized letter text (or into the
    string handed to the extractor, which callers shift with :meth:`shifted`),
    ``rule_id`` names the pattern rule that produced it, ``text`` is the matched
    source snippet. Provenance travels with the value so every output cell can be
    traced back to the sentence it came from.
    """

    field: str
    value: Any
    start: int
    end: int
    rule_id: str | None
    text: str

    def shifted(self, offset: int) -> Finding:
        if offset == 0:
            return self
        return Finding(self.field, self.value, self.start + offset, self.end + offset, self.rule_id, self.text)
