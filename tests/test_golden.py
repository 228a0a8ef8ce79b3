"""Golden files: every corpus letter with corpus/expected/<stem>.json gives the expected values.

One test per letter; a failure lists every mismatched field of that letter, not just the first.
Only keys present in the expected file are scored (an absent key was a judgement call); ``null``
means the letter states no value, so the output must be empty there.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import imr_extract
from imr_extract.insight.evaluate import DECISION_FIELDS, LETTER_FIELDS, values_match

from conftest import CORPUS_DIR

EXPECTED_DIR = CORPUS_DIR / "expected"
LETTERS = [p for p in sorted([*CORPUS_DIR.glob("*.txt"), *CORPUS_DIR.glob("synthetic/*.txt"),
                              *CORPUS_DIR.glob("heldout/*.txt"), *CORPUS_DIR.glob("heldout2/*.txt"),
                              *CORPUS_DIR.glob("heldout3/*.txt"), *CORPUS_DIR.glob("heldout4/*.txt"),
                              *CORPUS_DIR.glob("heldout5/*.pdf"), *CORPUS_DIR.glob("heldout5/*.txt"), *CORPUS_DIR.glob("heldout6/*.txt")])
           if (EXPECTED_DIR / f"{p.stem}.json").exists()]


def mismatches(expected: dict, record) -> list[str]:
    out = []
    for name in LETTER_FIELDS:
        if name in expected and not values_match(name, expected[name], record[name]):
            out.append(f"{name}: expected {expected[name]!r}, got {record[name]!r}")
    got_items = record.decisions
    for i, exp_item in enumerate(expected.get("decisions", []), start=1):
        item = got_items[i - 1].row() if i <= len(got_items) else {}
        for name in DECISION_FIELDS:
            if name in exp_item and not values_match(name, exp_item[name], item.get(name)):
                out.append(f"item {i} {name}: expected {exp_item[name]!r}, got {item.get(name)!r}")
    if len(got_items) > len(expected.get("decisions", [])) and "decisions" in expected:
        extra = [d["service_text"] for d in got_items[len(expected["decisions"]):]]
        out.append(f"extra items: {extra!r}")
    return out


def test_every_expected_file_has_a_letter():
    letters = {p.stem for p in LETTERS}
    orphans = sorted(p.stem for p in EXPECTED_DIR.glob("*.json") if p.stem not in letters)
    assert not orphans, f"expected files without a letter: {orphans}"
    assert len(LETTERS) >= 5, "the golden corpus is missing"


@pytest.mark.parametrize("path", LETTERS, ids=[p.stem for p in LETTERS])
def test_golden_letter(path: Path):
    expected = json.loads((EXPECTED_DIR / f"{path.stem}.json").read_text(encoding="utf-8"))
    record = imr_extract.parse_file(path)
    wrong = mismatches(expected, record)
    assert not wrong, f"{path.name}: {len(wrong)} field(s) wrong:\n  " + "\n  ".join(wrong)
