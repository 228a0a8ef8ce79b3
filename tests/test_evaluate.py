"""`eval` reads a run in any format it was written in, keeps items in their order, and refuses bad input clearly.

The letter here is SYNTHETIC (made up for this test), in the FDL layout, with twelve items.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPUS_DIR, seed_paths
from imr_extract.cli.main import main
from imr_extract.insight.evaluate import (GoldError, evaluate_records, load_gold, records_from_output,
                                        same_diagnosis, values_match)
from imr_extract.io.inputs import expand
from imr_extract.run.batch import RunSettings, run

LETTER_HEAD = """Case Number: CM16-0000012
Date Assigned: 11/23/2016 Date of Injury: 10/16/2016
Decision Date: 12/21/2016 UR Denial Date: 11/02/2016
Priority: Standard Application
Received:
11/15/2016
HOW THE IMR FINAL DETERMINATION WAS MADE
MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no
affiliation with the employer, employee, providers or the claims administrator.
The Expert Reviewer has the following credentials:
State(s) of Licensure: California
Certification(s)/Specialty: Physical Medicine & Rehabilitation
CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:
The injured worker is a 44 year old male with a date of injury of 10-16-2016. He reports low back pain.
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
"""
ITEM = """Physical therapy {n} sessions for the low back: Upheld
Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009, Section(s): Physical Medicine.
Decision rationale: The request is not medically necessary.
"""
ITEMS = 12


def twelve_item_letter(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "twelve.txt"
    path.write_text("SYNTHETIC\n" + LETTER_HEAD + "".join(ITEM.format(n=n) for n in range(1, ITEMS + 1)),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("eval-runs")
    letters = twelve_item_letter(base / "letters")
    for seed in seed_paths()[:2]:
        (base / "letters" / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    out = {}
    for formats in (("csv",), ("parquet",), ("duckdb",)):
        out[formats[0]] = base / formats[0]
        run(list(expand([str(letters.parent)])), out[formats[0]],
            RunSettings(workers=1, timeout=None, quiet=True, formats=formats))
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet", "duckdb"])
def test_items_keep_their_numeric_order(runs, fmt):
    """Issue 9: from CSV, item_no sorted as text put item 10 before item 2."""
    items = [d["item_no"] for d in records_from_output(runs[fmt])["twelve"]["decisions"]]
    assert items == list(range(1, ITEMS + 1))
    quantities = [d["quantity"] for d in records_from_output(runs[fmt])["twelve"]["decisions"]]
    assert quantities == list(range(1, ITEMS + 1))


def test_every_format_scores_the_same(runs):
    gold = CORPUS_DIR / "expected"
    outputs = {fmt: CliRunner().invoke(main, ["eval", str(out), "--gold", str(gold)]) for fmt, out in runs.items()}
    assert {r.exit_code for r in outputs.values()} == {0}
    assert len({r.output for r in outputs.values()}) == 1, {f: r.output[-300:] for f, r in outputs.items()}
    assert "overall: " in outputs["duckdb"].output


@pytest.mark.parametrize("content,why", [
    ("this is not JSON\n", "is not a JSON file"),
    ("[1, 2, 3]\n", "expected records by letter"),
    (b"\xff\xfe\x00binary", "is not a JSON file"),
])
def test_gold_that_is_not_expected_values_is_a_usage_error(runs, tmp_path, content, why):
    gold = tmp_path / "gold.json"
    gold.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(main, ["eval", str(runs["csv"]), "--gold", str(gold)])
    assert result.exit_code == 2, result.output
    assert why in result.output and result.output.count("\n") == 1 and "Traceback" not in result.output


def test_gold_folder_without_json_is_a_usage_error(runs, tmp_path):
    result = CliRunner().invoke(main, ["eval", str(runs["csv"]), "--gold", str(tmp_path)])
    assert result.exit_code == 2 and "holds no .json files" in result.output


def test_a_folder_without_a_run_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["eval", str(tmp_path), "--gold", str(CORPUS_DIR / "expected")])
    assert result.exit_code == 2 and "holds no run" in result.output and result.output.count("\n") == 1


def test_load_gold_names_the_bad_file(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"layout": "fdl"}))
    (tmp_path / "b.json").write_text("{")
    with pytest.raises(GoldError, match="b.json"):
        load_gold(tmp_path)


# ------------------------------------------------------------------ the analytic fields

def _letter(diagnoses, items):
    return {"diagnoses": diagnoses, "decisions": items}


def test_diagnoses_score_recall_and_precision():
    gold = {"a": _letter(["lumbar strain", "left knee medial meniscus tear"], []),
            "b": {"diagnoses": ["insomnia"], "doubt": True, "decisions": []}}  # doubtful: not scored
    got = {"a": _letter(["Lumbar strain.", "medial meniscus tear left knee", "headache"], []),
           "b": _letter([], [])}
    ev = evaluate_records(got, gold)
    assert ev.diagnoses == [1, 2, 1, 3]
    assert "recall 1/2 = 0.500; precision 1/3 = 0.333" in ev.report()
    assert any(m.startswith("a.diagnoses") for m in ev.misses) and not any(m.startswith("b.") for m in ev.misses)


@pytest.mark.parametrize("expected,got,same", [
    ("left knee medial meniscus tear", "medial meniscus tear of the left knee", False),
    ("cervical strain", "cervical strain and sprain", False),  # 2 of 4 words
    ("chronic low back pain", "chronic low back pain syndrome", True),  # 4 of 5 words, contained
    ("lumbar  strain,", "Lumbar strain", True),
])
def test_same_diagnosis(expected, got, same):
    assert same_diagnosis(expected, got) is same


def test_category_and_drug_are_read_under_either_name_and_doubt_skips_them():
    gold = {"a": _letter([], [{"category": "Pharmaceuticals", "drug": "cyclobenzaprine"},
                              {"service_category": "DMEPOS", "drug_name": None},
                              {"category": "Surgery", "drug": None, "doubt": True}])}
    got = {"a": _letter([], [{"service_category": "Pharmaceuticals", "drug_name": "cyclobenzaprine"},
                             {"service_category": "DMEPOS", "drug_name": None},
                             {"service_category": "Injections", "drug_name": None}])}
    ev = evaluate_records(got, gold)
    assert dict(ev.per_field) == {"service_category": [2, 2], "drug_name": [2, 2]}


@pytest.mark.parametrize("expected,got,same", [
    ("lidocaine/ketoprofen", "ketoprofen", True),  # a compound: any one ingredient
    ("ketoprofen", "lidocaine/ketoprofen", False),
    ("tramadol", "Tramadol", True),
    (None, "tramadol", False),
])
def test_drug_name_match(expected, got, same):
    assert values_match("drug_name", expected, got) is same


def test_citations_compare_in_order_by_every_key():
    one = {"source": "MTUS", "document": "ACOEM", "year": 2004, "sections": ["Chapter 12"], "pages": "301-308"}
    two = {"source": "ODG", "document": None, "year": None, "sections": ["Low Back"], "pages": None}
    assert values_match("guideline_citations", [one, two], json.dumps([dict(one, year=2004.0), two]))
    assert not values_match("guideline_citations", [one, two], [two, one])
    assert not values_match("guideline_citations", [one], [dict(one, pages="301")])


def test_a_cited_document_is_the_same_with_or_without_the_guideline_name():
    ours = {"source": "ODG", "document": "Knee & Leg (Acute & Chronic)", "year": 2019, "sections": ["CPM"],
            "pages": None}
    theirs = dict(ours, document="Official Disability Guidelines (ODG) Knee & Leg (Acute & Chronic)")
    assert values_match("guideline_citations", [theirs], [ours])
    assert values_match("guideline_citations", [dict(ours, document="Chronic Pain Medical Treatment Guidelines")],
                        [dict(ours, document="Chronic Pain Medical Treatment")])
    assert not values_match("guideline_citations", [dict(ours, document="Knee & Leg")], [ours])


def test_every_letter_field_is_scored_after_a_miss():
    """Regression: the letter fields were scored by all() over a generator, which stops at the first miss."""
    gold = {"a": {"layout": "fdl", "case_number": "CM16-0000001", "patient_age": 40, "decisions": []}}
    got = {"a": {"layout": "notice-2013", "case_number": "CM16-0000001", "patient_age": 41, "decisions": []}}
    ev = evaluate_records(got, gold)
    assert {k: v for k, v in ev.per_field.items()} == {"layout": [0, 1], "case_number": [1, 1], "patient_age": [0, 1]}
