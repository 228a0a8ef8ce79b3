"""Golden files: every corpus letter with corpus/expected/<stem>.json gives its whole expected record.

Every column records.py declares is compared, exactly up to what FIELDS.md says does not count
(tests/golden.py says how, and how the files are kept). A golden file lacking a column, or holding a
key that is no column, fails: a new column must be added to every golden file (``python
tests/golden.py update``), a renamed one renamed there. One test per letter lists every mismatch.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import golden

LETTERS = golden.letters()


def test_every_expected_file_has_a_letter():
    stems = {p.stem for p in LETTERS}
    orphans = sorted(p.stem for p in golden.EXPECTED.glob("*.json") if p.stem not in stems)
    assert not orphans, f"expected files without a letter: {orphans}"
    assert len(LETTERS) >= 150, "the golden corpus is missing"


@pytest.mark.parametrize("path", LETTERS, ids=[p.stem for p in LETTERS])
def test_golden_file_is_whole_and_known(path: Path):
    expected = golden.load(path.stem)
    assert not golden.unknown_keys(expected), f"keys that are no column: {golden.unknown_keys(expected)}"
    assert not golden.missing_keys(expected), f"columns missing (run tests/golden.py update): " \
                                              f"{golden.missing_keys(expected)}"


@pytest.mark.parametrize("path", LETTERS, ids=[p.stem for p in LETTERS])
def test_golden_letter(path: Path):
    expected = golden.load(path.stem)
    known = expected.get("_known_wrong", {})
    letter, decisions = golden.output_of(path)
    wrong = golden.compare(expected, letter, decisions)
    unexpected = [w for w in wrong if w[0] not in known]
    assert not unexpected, f"{path.name}: {len(unexpected)} value(s) wrong:\n  " + "\n  ".join(
        f"{k}: expected {e!r}, got {g!r}" for k, e, g in unexpected)
    fixed = sorted(set(known) - {w[0] for w in wrong})
    assert not fixed, f"{path.name}: now right, drop from _known_wrong: {fixed}"


def test_the_comparison_catches_a_change_in_any_column():
    """Each column, changed in a copy of one golden record, is reported: no column goes unscored."""
    path = next(p for p in LETTERS if len(golden.load(p.stem).get("decisions", [])) >= 1)
    expected = golden.load(path.stem)
    letter, decisions = golden.output_of(path)
    assert golden.compare(expected, letter, decisions) == [] or expected.get("_known_wrong")
    for name in golden.LETTER_FIELDS:
        changed = dict(letter, **{name: _other_value(letter[name], name)})
        assert name in {k for k, _, _ in golden.compare(expected, changed, decisions)}, name
    for name in golden.DECISION_FIELDS:
        items = [dict(decisions[0], **{name: _other_value(decisions[0][name], name)}), *decisions[1:]]
        assert f"decisions.1.{name}" in {k for k, _, _ in golden.compare(expected, letter, items)}, name


def _other_value(value, name):
    if name == "guideline_pages":
        return "999"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7
    if isinstance(value, list):
        return [*value, "an extra entry"] if value else ["an entry"]
    if value is None:
        return "a value"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return "1999-01-01" if value != "1999-01-01" else "1998-01-01"  # an ISO date
    return f"{value} changed"


def test_unknown_keys_are_named():
    assert golden.unknown_keys({"patient_agee": 3, "decisions": [{"outcom": "upheld"}]}) == [
        "patient_agee", "decisions.1.outcom"]


@pytest.mark.parametrize("path", LETTERS, ids=[p.stem for p in LETTERS])
def test_the_first_citation_is_the_one_behind_source_and_year(path: Path):
    """guideline_source/guideline_year and guideline_citations[0] are read by two parsers; they must agree."""
    _, decisions = golden.output_of(path)
    for d in decisions:
        if d["guideline_citations"]:
            first = d["guideline_citations"][0]
            assert (first["source"], first["year"]) == (d["guideline_source"], d["guideline_year"]), d["item_no"]
