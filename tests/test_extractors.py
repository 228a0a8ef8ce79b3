"""Table-driven cases for the extractors: tests/cases/<field>.csv, one row per case.

An empty cell means "no value"; in guideline.csv a "?" means "not checked". A non-empty ``xfail``
cell marks a known extractor bug (strict: the case starts failing the day the bug is fixed, so the
marker gets removed).
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from imr_extract.extract.citations import parse_citations
from imr_extract.extract.dates import parse_date
from imr_extract.extract.diagnosis import extract_diagnoses
from imr_extract.extract.header import extract_header
from imr_extract.extract.guideline import parse_guideline
from imr_extract.extract.patient import extract_age, extract_sex
from imr_extract.extract.quantity import parse_quantity

CASES = Path(__file__).parent / "cases"


def cases(name: str, id_column: str, known_bugs: bool = True) -> list:
    with open(CASES / name, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    params = []
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        reason = (row.pop("xfail", "") or "").strip()
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason and known_bugs else []
        params.append(pytest.param(row, id=f"L{n}:{row[id_column][:50]}", marks=marks))
    return params


def as_int(cell: str) -> int | None:
    return int(cell) if cell.strip() else None


def as_text(cell: str) -> str | None:
    return cell if cell.strip() else None


@pytest.mark.parametrize("case", cases("dates.csv", "text"))
def test_parse_date(case):
    assert parse_date(case["text"]) == as_text(case["iso"])


@pytest.mark.parametrize("case", cases("quantity.csv", "title"))
def test_parse_quantity(case):
    q = parse_quantity(case["title"])
    got = (q.quantity, q.frequency_per_week_min, q.frequency_per_week_max, q.duration_weeks_min, q.duration_weeks_max)
    want = tuple(as_int(case[k]) for k in ("quantity", "fmin", "fmax", "dmin", "dmax"))
    assert got == want, "(quantity, freq min, freq max, weeks min, weeks max)"


@pytest.mark.parametrize("case", cases("quantity.csv", "title", known_bugs=False))
def test_quantity_findings_point_into_the_title(case):
    title = case["title"]
    for f in parse_quantity(title).findings:
        assert 0 <= f.start <= f.end <= len(title)
        assert title[f.start:f.end] == f.text
        assert f.rule_id


def first_value(findings):
    values = [f.value for f in findings]
    return values[0] if values else None


@pytest.mark.parametrize("case", cases("patient.csv", "text"))
def test_patient_age_and_sex(case):
    text = case["text"]
    assert (first_value(extract_age(text)), first_value(extract_sex(text))) == \
        (as_int(case["age"]), as_text(case["sex"])), "(age, sex)"


@pytest.mark.parametrize("case", cases("guideline.csv", "text"))
def test_parse_guideline(case):
    cite = parse_guideline(case["text"])
    got = {"source": cite.source, "year": cite.year, "pages": cite.pages,
           "document": cite.document, "section": cite.section}
    want = {"source": as_text(case["source"]), "year": as_int(case["year"]), "pages": as_text(case["pages"]),
            "document": as_text(case["document"]), "section": as_text(case["section"])}
    for key in ("document", "section"):
        if case[key].strip() == "?":
            got.pop(key), want.pop(key)
    assert got == want


HEADER_FIELDS = ("case_number", "date_assigned", "injury_date", "decision_date", "ur_date", "priority",
                 "application_received")


@pytest.mark.parametrize("case", cases("header.csv", "name"))
def test_header_table_in_any_cell_order(case):
    text = case["text"].replace("\\n", "\n")
    found = {}
    for f in extract_header(text):
        found.setdefault(f.field, f.value)
        assert text[f.start:f.end], f"{f.field}: empty span"
    got = {k: found.get(k) for k in HEADER_FIELDS}
    assert got == {k: as_text(case[k]) for k in HEADER_FIELDS}


def test_every_case_file_has_enough_rows():
    minimum = {"dates.csv": 15, "quantity.csv": 30, "patient.csv": 10, "guideline.csv": 10}
    for name, n in minimum.items():
        with open(CASES / name, newline="", encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) >= n, name


def test_a_wrapped_title_line_ending_in_an_abbreviation_still_belongs_to_the_title():
    """Regression: a title line ending "Dr." was taken for the end of the previous rationale."""
    from imr_extract.extract.items import split_items

    text = ("The Final Determination was based on decisions for the disputed items/services set forth below:\n"
            "Physical therapy 2 times a week for 6 weeks as requested by Dr.\nSmith: Upheld\n"
            "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.\n"
            "Decision rationale: The request is not medically necessary.\nMRI of the lumbar spine: Overturned\n")
    assert [i.title for i in split_items(text)] == [
        "Physical therapy 2 times a week for 6 weeks as requested by Dr. Smith", "MRI of the lumbar spine"]


@pytest.mark.parametrize("title,bounds", [
    ("Chiropractic manipulation 10-16 sessions for the lumbar spine", (10, 16)),
    ("Physical therapy 8 to 12 visits for the knee", (8, 12)),
    ("Physical therapy 8 sessions", (None, None)),
])
def test_a_range_of_counts_gives_bounds_and_no_quantity(title, bounds):
    q = parse_quantity(title)
    assert (q.quantity_min, q.quantity_max) == bounds
    if bounds[0] is not None:
        assert q.quantity is None, "a range is never one number"


def diagnosis_cases() -> list:
    rows = yaml.safe_load((CASES / "diagnoses.yaml").read_text(encoding="utf-8"))
    return [pytest.param(row, id=f"{n}:{row['text'][:40]}",
                         marks=[pytest.mark.xfail(strict=True, reason=row["xfail"])] if row.get("xfail") else [])
            for n, row in enumerate(rows, start=1)]


@pytest.mark.parametrize("case", diagnosis_cases())
def test_diagnoses(case):
    findings = list(extract_diagnoses(case["text"]))
    assert [f.value[0] for f in findings] == case["expect"]
    for f in findings:  # each points at its own words in the text
        assert " ".join(case["text"][f.start:f.end].split()) == f.value[0]


def citation_cases() -> list:
    rows = yaml.safe_load((CASES / "citations.yaml").read_text(encoding="utf-8"))
    return [pytest.param(row, id=f"{n}:{row['text'][:40]}") for n, row in enumerate(rows, start=1)]


@pytest.mark.parametrize("case", citation_cases())
def test_citations(case):
    got = [[c.source, c.document, c.year, list(c.sections), c.pages] for c in parse_citations(case["text"])]
    assert got == [[s, d, y, list(x), p if p is None else str(p)] for s, d, y, x, p in case["expect"]]
