"""Render docs/patterns.md from the rule schema (run: python -m imr_extract.rule_doc docs/patterns.md).

The page an editor reads is generated from the same declarations the loader enforces, so the
two cannot drift apart; a test fails when the committed page is stale.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .rule_schema import COMMON_KEYS, SCHEMAS, Key

_INTRO = """# Rule files: the vocabulary and phrasing a domain person can edit

Generated from `imr_extract/rule_schema.py` by `python -m imr_extract.rule_doc docs/patterns.md`;
a test fails when this page and the code disagree.

Everything imr-extract knows about how letters are worded lives in `patterns/*.yaml`, one file per
kind of rule. Each file is `{kind: <kind>, description: ..., rules: [...]}` and every rule is a flat
record. The loader holds each rule to its kind's schema below **when the file loads**: an unknown key,
a missing key, a value outside its closed list, a pattern that does not compile or lacks the named
group the code reads, or a duplicate id fails at once, naming the file and the rule. Code asks for
rules by their role and keys, never by id, so a new rule takes effect without a code change (a test
adds one rule of every kind to a copy of `patterns/` and checks the output changes).

Keys every rule may carry:

| key | meaning |
|---|---|
| `id` | unique across all files; it travels with every value the rule produces (`evidence.rule_id`) |
| `example` / `examples` | required: text the rule is about, **invented in your own words** (never a phrase copied from a real letter; a test looks for real letters' text in the repository). The tests check that every example matches its own pattern |
| `description` | what the rule is for, in plain words |
| `expect` | for some kinds, what the rule gives on its example |
| `role` | in kinds with several roles, which one the rule plays (below) |

Patterns are Python `regex` expressions compiled verbose + ignore-case + multi-line: spaces are
ignored (write `\\s+`), `#` starts a comment, so a long pattern is best written as a `|` block of
commented lines. `(?-i: ... )` makes a part case-sensitive.

To use an edited copy without touching the installed files, point the setting `IMR_EXTRACT_PATTERNS`
at a folder holding the changed files (kinds missing there come from the package).

## Adding a rule

1. Write an invented example of the wording that is missed (dates as `@DATE@` in `dates.yaml`).
2. Write the pattern and put the rule where its order is right (earlier rules win where the kind says so).
3. `make test`: the rule-file tests check the schema and the example; the golden tests show whether
   any letter's values changed.

Rules should be specific enough that they never fire on text that does not state the value: an empty
cell is always better than a wrong one.
"""


def _key_row(name: str, key: Key) -> str:
    allowed = ", ".join(f"`{c}`" for c in key.choices) if key.choices else key.type
    need = "yes" if key.required else ""
    return f"| `{name}` | {need} | {allowed} | {key.meaning.replace('|', '/')} |"


def render() -> str:
    """docs/patterns.md as the schema declares it."""
    parts = [_INTRO]
    for kind, schema in SCHEMAS.items():
        parts.append(f"\n## `{kind}.yaml`\n\n{schema.description}\n")
        if schema.example_form == "dates":
            parts.append("Examples are matched with every date replaced by `@DATE@`.\n")
        elif schema.example_form == "digits":
            parts.append("Examples are matched with number words read as digits.\n")
        for role, keys in schema.roles.items():
            label = "" if len(schema.roles) == 1 else f"Role `{role}`"
            meaning = schema.role_meanings.get(role, "")
            if label:
                implicit = " (the role of a rule that names none)" if role == schema.implicit_role else ""
                parts.append(f"{label}{implicit}: {meaning}\n")
            if keys:
                parts.append("| key | required | values | meaning |\n|---|---|---|---|")
                parts.extend(_key_row(name, key) for name, key in keys.items() if name not in COMMON_KEYS)
                parts.append("")
            else:
                parts.append("No keys besides the common ones.\n")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    page = render()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
