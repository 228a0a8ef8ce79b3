"""Load the editable rule files in ``patterns/`` and hold every rule to its kind's schema.

Each file is a YAML mapping ``{kind: <name>, description: ..., rules: [...]}``; each rule is
a flat record with an ``id``, an ``example`` and the keys its kind declares in
:data:`imr_extract.rule_schema.SCHEMAS`. Where a kind holds rules of several roles,
``role`` says which, and code asks for rules by role (:func:`rules_for`), never by id.
A file that breaks its schema (unknown or missing key, a value outside its closed list,
a pattern that does not compile) fails when it loads, naming the file and the rule.

The files come from the package (``imr_extract.patterns``) unless the one setting
``IMR_EXTRACT_PATTERNS`` (or :func:`use_patterns`) names another folder; a folder holding
only some kinds falls back to the shipped file for the others.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import regex
import yaml

from .rule_schema import COMMON_KEYS, SCHEMAS, KindSchema

#: Environment variable naming a folder of rule files to use instead of the shipped ones.
PATTERNS_ENV = "IMR_EXTRACT_PATTERNS"

try:  # the C loader parses the rule files ten times faster than the pure-Python one
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class RuleFileError(ValueError):
    """A rule file in ``patterns/`` is malformed."""


@dataclass(frozen=True)
class Rule:
    """One rule of a rule file: its id, kind and the keys its schema allows (``rule.<key>``)."""

    id: str
    kind: str
    attrs: dict[str, Any] = field(hash=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        attrs = self.__dict__["attrs"]
        if name in attrs:
            return attrs[name]
        if name in SCHEMAS[self.__dict__["kind"]].keys_for(attrs.get("role")):
            return None  # a declared key this rule leaves out
        raise AttributeError(f"rule {self.__dict__['id']!r} of kind {self.__dict__['kind']!r} has no key {name!r}")

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    @property
    def role(self) -> str:
        return self.attrs.get("role") or SCHEMAS[self.kind].default_role

    @property
    def examples(self) -> list[str]:
        ex = list(self.attrs.get("examples") or [])
        if "example" in self.attrs:
            ex.insert(0, self.attrs["example"])
        return [str(e) for e in ex]

    @property
    def regex(self) -> regex.Pattern:
        return compile_rule_pattern(self.attrs["pattern"])


@cache
def compile_rule_pattern(pattern: str) -> regex.Pattern:
    """Rule patterns are written whole in verbose mode, case-insensitive, multi-line."""
    return regex.compile(pattern, regex.VERBOSE | regex.IGNORECASE | regex.MULTILINE)


# ---------------------------------------------------------------- where the files are

_override: Path | None = None
_reset_hooks: list[Callable[[], None]] = []


def patterns_dir() -> Path | None:
    """The folder of rule files in use instead of the shipped ones, if any."""
    if _override is not None:
        return _override
    env = os.environ.get(PATTERNS_ENV)
    return Path(env) if env else None


def on_reset(clear: Callable[[], None]) -> Callable[[], None]:
    """Register a cache that holds something derived from the rules (cleared when the rules change)."""
    _reset_hooks.append(clear)
    return clear


def reset() -> None:
    """Forget every loaded rule and everything derived from them."""
    load_rules.cache_clear()
    for clear in _reset_hooks:
        clear()


@contextmanager
def use_patterns(folder: str | Path | None) -> Iterator[None]:
    """Within the block, read rule files from ``folder`` (None: the shipped ones)."""
    global _override
    before = _override
    _override = Path(folder) if folder is not None else None
    reset()
    try:
        yield
    finally:
        _override = before
        reset()


def rule_file_text(kind: str) -> tuple[str, str]:
    """(text, where) of the rule file of ``kind``, from the folder in use or the package."""
    folder = patterns_dir()
    if folder is not None and (folder / f"{kind}.yaml").is_file():
        path = folder / f"{kind}.yaml"
        return path.read_text(encoding="utf-8"), str(path)
    source = resources.files("imr_extract.patterns").joinpath(f"{kind}.yaml")
    try:
        return source.read_text(encoding="utf-8"), f"patterns/{kind}.yaml"
    except FileNotFoundError as exc:
        raise RuleFileError(f"patterns/{kind}.yaml is missing") from exc


# ---------------------------------------------------------------- loading and checking

@cache
def load_rules(kind: str) -> tuple[Rule, ...]:
    """Every rule of ``kind``, in file order, checked against the kind's schema."""
    if kind not in SCHEMAS:
        raise RuleFileError(f"unknown rule kind {kind!r}; known: {', '.join(sorted(SCHEMAS))}")
    text, where = rule_file_text(kind)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{where} is not valid YAML: {exc}") from exc
    return parse_rule_file(kind, data, where)


def parse_rule_file(kind: str, data: Any, where: str | None = None) -> tuple[Rule, ...]:
    """Check a parsed rule file against its schema and return its rules."""
    where = where or f"patterns/{kind}.yaml"
    schema = SCHEMAS[kind]
    if not isinstance(data, dict) or set(data) - {"kind", "description", "rules"}:
        raise RuleFileError(f"{where}: expected a mapping with 'kind', 'description', 'rules'")
    if data.get("kind") != kind:
        raise RuleFileError(f"{where}: kind is {data.get('kind')!r}, expected {kind!r}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rules") or []):
        if not isinstance(raw, dict) or not raw.get("id"):
            raise RuleFileError(f"{where}: rule #{i + 1} has no id")
        rule_id = str(raw["id"])
        if rule_id in seen:
            raise RuleFileError(f"{where}: duplicate rule id {rule_id!r}")
        seen.add(rule_id)
        problem = check_rule(schema, raw)
        if problem:
            raise RuleFileError(f"{where}: rule {rule_id!r}: {problem}")
        rules.append(Rule(id=rule_id, kind=kind, attrs={k: v for k, v in raw.items() if k != "id"}))
    return tuple(rules)


def check_rule(schema: KindSchema, raw: dict[str, Any]) -> str | None:
    """What is wrong with one raw rule under ``schema``, or None."""
    role = raw.get("role")
    if schema.roles and len(schema.roles) > 1 and role is None and not schema.implicit_role:
        return f"needs a 'role', one of {sorted(schema.roles)}"
    if role is not None and role not in schema.roles:
        return f"role {role!r} is not one of {sorted(schema.roles)}"
    keys = schema.keys_for(role)
    unknown = set(raw) - set(keys) - COMMON_KEYS - ({"role"} if schema.roles else set())
    if unknown:
        return f"unknown keys {sorted(unknown)}; this kind allows {sorted(keys)}"
    if isinstance(raw.get("pattern"), str):
        try:
            compile_rule_pattern(raw["pattern"])
        except regex.error as exc:
            return f"bad pattern: {exc}"
    for name, key in keys.items():
        if name not in raw:
            if key.required:
                return f"missing key {name!r} ({key.meaning})"
            continue
        problem = key.check(raw[name], raw)
        if problem:
            return f"{name}: {problem}"
    if not (raw.get("example") or raw.get("examples")):
        return "needs an 'example' (text the rule is about; the tests check it)"
    return None


def rules_for(kind: str, role: str | None = None, **where: Any) -> tuple[Rule, ...]:
    """The rules of ``kind`` (of ``role``, with the given key values), in file order."""
    out = []
    for rule in load_rules(kind):
        if role is not None and rule.role != role:
            continue
        if any(rule.get(k) != v for k, v in where.items()):
            continue
        out.append(rule)
    return tuple(out)


def first_rule(kind: str, role: str, **where: Any) -> Rule:
    """The one rule of a role the code needs exactly one of (e.g. the pattern that ends a title)."""
    found = rules_for(kind, role, **where)
    if not found:
        raise RuleFileError(f"patterns/{kind}.yaml has no rule of role {role!r}; the extractor needs one")
    return found[0]


@cache
def rule_index() -> dict[str, Rule]:
    """Every rule of every kind by id (ids are unique across files; a test keeps them so)."""
    out: dict[str, Rule] = {}
    for kind in SCHEMAS:
        for rule in load_rules(kind):
            out.setdefault(rule.id, rule)
    return out


on_reset(rule_index.cache_clear)


def rule_kind(rule_id: str | None) -> str | None:
    """The kind of the rule with this id (None when no rule has it)."""
    rule = rule_index().get(rule_id or "")
    return rule.kind if rule else None
