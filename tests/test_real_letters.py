"""The 64 published letters: all parse, and the fields match the hand-checked values.

One batch run (two workers, as a user would run it) feeds every test here. Accuracy is scored with
the project's own evaluator against ../shared/expected/real.json; tests/real_expected/ adds hand
labels for fields that gold file does not score (priority, application_received, the first item's
guideline document and section).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from imr_extract.run.batch import RunSettings, run
from imr_extract.insight.evaluate import evaluate_records, load_gold, records_from_output, values_match
from imr_extract.io.inputs import expand

REAL_EXPECTED = Path(__file__).parent / "real_expected"
MIN_ACCURACY = 0.99


@pytest.fixture(scope="module")
def real_run(real_pdfs, tmp_path_factory):
    out = tmp_path_factory.mktemp("real-run")
    summary = run(list(expand([str(real_pdfs[0].parent)])), out, RunSettings(workers=2, quiet=True))
    return summary, records_from_output(out)


def test_every_real_letter_parses(real_run, real_pdfs):
    summary, records = real_run
    assert len(real_pdfs) == 64
    assert summary.counts["errors"] == 0, f"error rows: {summary.errors_by_kind}"
    assert summary.counts["letters"] == 64
    assert sorted(records) == sorted(p.stem for p in real_pdfs)
    assert summary.exit_code == 0


def test_accuracy_against_shared_gold(real_run, shared_dir):
    _, records = real_run
    ev = evaluate_records(records, load_gold(shared_dir / "expected" / "real.json"))
    accuracy = ev.correct / ev.total
    report = ev.report(verbose=True)
    assert ev.letters == 64
    assert ev.invented == 0, f"{ev.invented} invented value(s):\n{report}"
    assert accuracy >= MIN_ACCURACY, f"overall accuracy {accuracy:.4f} < {MIN_ACCURACY}:\n{report}"
    # every letter of the development set is right today: any new miss is a regression
    assert ev.letters_perfect == 64, report


def test_analytic_fields_against_shared_gold(real_run, shared_dir):
    """Diagnoses (recall and precision), category and drug against real-extra.json, every one right: a
    regression here once went unnoticed because only the core fields were scored."""
    _, records = real_run
    path = shared_dir / "expected" / "real-extra.json"
    if not path.exists():
        pytest.skip("no real-extra.json in the shared folder")
    ev = evaluate_records(records, load_gold(path))
    found, expected, correct, output = ev.diagnoses
    report = ev.report(verbose=True)
    assert ev.letters == 64
    assert (found, correct) == (expected, output), f"diagnoses {found}/{expected}, {correct}/{output}:\n{report}"
    assert ev.correct == ev.total, report


#: Known extractor bugs, by letter: {stem: pytest.mark.xfail(strict=True, reason=...)}; empty when none.
KNOWN_BUGS: dict = {}
LABELLED = [pytest.param(p, id=p.stem, marks=[KNOWN_BUGS[p.stem]] if p.stem in KNOWN_BUGS else [])
            for p in sorted(REAL_EXPECTED.glob("*.json"))]


def test_own_labels_cover_16_letters():
    assert len(LABELLED) == 16


@pytest.mark.parametrize("label", LABELLED)
def test_fields_the_shared_gold_does_not_score(label, real_run):
    _, records = real_run
    expected = json.loads(label.read_text(encoding="utf-8"))
    got = records[label.stem]
    wrong = [f"{k}: expected {v!r}, got {got.get(k)!r}" for k, v in expected.items()
             if k != "decisions" and not values_match(k, v, got.get(k))]
    for i, exp_item in enumerate(expected.get("decisions", []), start=1):
        item = got["decisions"][i - 1] if i <= len(got["decisions"]) else {}
        wrong.extend(f"item {i} {k}: expected {v!r}, got {item.get(k)!r}" for k, v in exp_item.items()
                     if not values_match(k, v, item.get(k)))
    assert not wrong, f"{label.stem}:\n  " + "\n  ".join(wrong)
