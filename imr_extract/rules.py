"""Load the editable rule files in ``patterns/`` (shipped as package data).

Each file is a YAML mapping ``{kind: <name>, rules: [...]}``; each rule is a flat
record with an ``id`` and an ``example``. Unknown keys are rejected so a typo in a
rule file fails loudly instead of silently switching a rule off.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import regex
import yaml

#: Keys each rule file may use, besides the common ``id`` and ``example``.
RULE_KEYS: dict[str, set[str]] = {
    "sections": {"section", "layouts", "pattern", "description"},
    "layouts": {"layout", "pattern", "priority", "description"},
    "header": {"field", "pattern", "value_type", "description"},
    "dates": {"field", "pattern", "description"},
    "patient": {"field", "value", "pattern", "description"},
    "reviewer": {"field", "pattern", "description"},
    "items": {"part", "layouts", "pattern", "description"},
    "guidelines": {"source", "pattern", "description"},
    "frequencies": {"role", "pattern", "description"},
    "numbers": {"value", "words", "description"},
    "services": {"category", "subcategory", "service", "pattern", "description"},
    "drugs": {"drug", "subcategory", "pattern", "description"},
    "body_parts": {"body_part", "region", "pattern", "description"},
    "specialties": {"canonical", "pattern", "description"},
    "audit": {"severity", "description", "pattern"},
}

COMMON_KEYS = {"id", "example", "examples", "expect"}


class RuleFileError(ValueError):
    """A rule file in ``patterns/`` is malformed."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    attrs: dict[str, Any] = field(hash=False)

    def __getattr__(self, name: str) -> Any:  # attribute access to rule fields
        try:
            return self.__dict__["attrs"][name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    @property
    def examples(self) -> list[str]:
        ex = self.attrs.get("examples") or []
        if "example" in self.attrs:
            ex = [self.attrs["example"], *ex]
        return list(ex)

    @property
    def regex(self) -> regex.Pattern:
        return compile_rule_pattern(self.attrs["pattern"])


@lru_cache(maxsize=None)
def compile_rule_pattern(pattern: str) -> regex.Pattern:
    """Rule patterns are written whole in verbose mode, case-insensitive."""
    return regex.compile(pattern, regex.VERBOSE | regex.IGNORECASE | regex.MULTILINE)


@lru_cache(maxsize=None)
def load_rules(kind: str) -> tuple[Rule, ...]:
    if kind not in RULE_KEYS:
        raise RuleFileError(f"unknown rule kind {kind!r}")
    source = resources.files("imr_extract.patterns").joinpath(f"{kind}.yaml")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleFileError(f"patterns/{kind}.yaml is missing") from exc
    except yaml.YAMLError as exc:
        raise RuleFileError(f"patterns/{kind}.yaml is not valid YAML: {exc}") from exc
    return parse_rule_file(kind, data)


def parse_rule_file(kind: str, data: Any) -> tuple[Rule, ...]:
    where = f"patterns/{kind}.yaml"
    if not isinstance(data, dict) or set(data) - {"kind", "description", "rules"}:
        raise RuleFileError(f"{where}: expected a mapping with 'kind', 'description', 'rules'")
    if data.get("kind") != kind:
        raise RuleFileError(f"{where}: kind is {data.get('kind')!r}, expected {kind!r}")
    allowed = RULE_KEYS[kind] | COMMON_KEYS
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rules") or []):
        if not isinstance(raw, dict) or "id" not in raw:
            raise RuleFileError(f"{where}: rule #{i + 1} has no id")
        unknown = set(raw) - allowed
        if unknown:
            raise RuleFileError(f"{where}: rule {raw['id']!r} has unknown keys {sorted(unknown)}")
        if raw["id"] in seen:
            raise RuleFileError(f"{where}: duplicate rule id {raw['id']!r}")
        seen.add(raw["id"])
        if "pattern" in raw:
            try:
                compile_rule_pattern(raw["pattern"])
            except regex.error as exc:
                raise RuleFileError(f"{where}: rule {raw['id']!r}: bad pattern: {exc}") from exc
        rules.append(Rule(id=raw["id"], kind=kind, attrs={k: v for k, v in raw.items() if k != "id"}))
    return tuple(rules)


def rules_by_id(kind: str) -> dict[str, Rule]:
    return {r.id: r for r in load_rules(kind)}
