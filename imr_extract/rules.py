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

import atexit
import copy
import hashlib
import os
import pickle
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


_FLAGS = regex.VERBOSE | regex.IGNORECASE | regex.MULTILINE


@cache
def compile_rule_pattern(pattern: str) -> regex.Pattern:
    """Rule patterns are written whole in verbose mode, case-insensitive, multi-line.

    Compiling is the costliest start-up step (the `regex` module parses patterns in Python: about
    0.5 s for all the rule files), so compiled patterns are kept on disk in the cache folder (see
    :mod:`imr_extract.cache`), keyed by the pattern text and the module's version: a pickled
    `regex` pattern holds its compiled program and loads in microseconds. The cache is the user's
    own folder, like any tool's cache; a pattern not in it is compiled as always."""
    return compile_cached(pattern, _FLAGS)


def compile_cached(pattern: str, flags: int = 0) -> regex.Pattern:
    """``regex.compile``, through the compiled-pattern cache kept on disk (every module's patterns use it)."""
    store = _compiled_store()
    key = f"{int(flags)}\x00{pattern}"
    found = store.get(key)
    if found is None:
        found = store[key] = regex.compile(pattern, flags)
        _mark_dirty()
    _store_used.add(key)
    return found


def _mark_dirty() -> None:
    """Something new was compiled or parsed: write the store once, when the process ends (or when
    :func:`save_compiled_patterns` is called, as before workers fork). Writing it after every rule
    file made a process that loads many edited rule sets (a test suite) rewrite it hundreds of times."""
    global _store_dirty, _save_registered
    _store_dirty = True
    if not _save_registered:
        _save_registered = True
        atexit.register(save_compiled_patterns)


_store: dict[str, Any] | None = None  # "<flags>\0<pattern>" -> compiled; "yaml\0<sha256>" -> parsed file
_store_dirty = False
_save_registered = False
_store_used: set[str] = set()  # keys this process asked for: kept first when the store is trimmed
_STORE_LIMIT = 5000  # patterns kept at most (edited rules leave old ones behind)


def _store_path() -> Path:
    from .cache import cache_dir

    return cache_dir() / f"patterns-v2-regex{getattr(regex, '__version__', '0')}.pickle"


def _compiled_store() -> dict[str, Any]:
    global _store
    if _store is None:
        _store = {}
        try:
            loaded = pickle.loads(_store_path().read_bytes())  # the user's own cache folder
            if isinstance(loaded, dict):
                _store = {k: v for k, v in loaded.items()
                          if isinstance(k, str) and (isinstance(v, regex.Pattern) or k.startswith("yaml\x00"))}
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, ImportError):
            pass  # no cache yet, or one written by another version: compile as always
    return _store


def _parsed_yaml(text: str, where: str) -> Any:
    """A rule file's YAML, parsed; kept in the same cache by the file text's hash (the C loader still
    builds every object in Python: about 0.1 s for all the files)."""
    store: dict = _compiled_store()
    key = "yaml\x00" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    _store_used.add(key)
    if key in store:
        return copy.deepcopy(store[key])  # the rules keep (and tests edit) what they are given
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{where} is not valid YAML: {exc}") from exc
    store[key] = copy.deepcopy(data)
    _mark_dirty()
    return data


def save_compiled_patterns() -> None:
    """Write the compiled patterns to the cache folder when some were compiled here (atomically;
    a folder that cannot be written only means the next process compiles them again)."""
    global _store_dirty
    if not _store_dirty or _store is None:
        return
    _store_dirty = False
    # what this process used goes last, so trimming drops what no recent process asked for
    items = [kv for kv in _store.items() if kv[0] not in _store_used]
    items += [kv for kv in _store.items() if kv[0] in _store_used]
    items = items[-_STORE_LIMIT:]
    path = _store_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(pickle.dumps(dict(items), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass


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
    data = _parsed_yaml(text, where)
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
    """The rules of ``kind`` (of ``role``, with the given key values), in file order. Memoized: the
    extractors ask thousands of times a letter."""
    return _rules_for(kind, role, tuple(sorted(where.items())))


@cache
def _rules_for(kind: str, role: str | None, where: tuple[tuple[str, Any], ...]) -> tuple[Rule, ...]:
    out = []
    for rule in load_rules(kind):
        if role is not None and rule.role != role:
            continue
        if any(rule.get(k) != v for k, v in where):
            continue
        out.append(rule)
    return tuple(out)


on_reset(_rules_for.cache_clear)


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
