"""The data-quality audit: every check trips on one letter and stays quiet on another.

Letters built here are SYNTHETIC (made up for these tests, no real patient);
they follow the FDL layout closely enough for the extractor to read them.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from conftest import SHARED_DIR, require_shared, seed_paths
from imr_extract import parse_file, parse_text
from imr_extract.cli.main import main
from imr_extract.insight import audit, checks
from imr_extract.extract.quantity import digitize
from imr_extract.records import DECISION_COLUMNS, LETTER_COLUMNS
from imr_extract.rules import load_rules

#: seeds.json names findings by subject; the audit names them by check.
SEED_SUBJECTS = {"sex": "sex_pronoun_conflict", "injury_date": "injury_date_conflict",
                 "quantity": "quantity_mismatch"}

# ------------------------------------------------------------------ synthetic letters

HEADER = """Case Number: CM16-0000001
Date Assigned: 11/23/2016 Date of Injury: {doi}
Decision Date: 12/21/2016 UR Denial Date: 11/02/2016
Priority: Standard Application
Received:
11/15/2016
"""
BODY = """HOW THE IMR FINAL DETERMINATION WAS MADE
MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no
affiliation with the employer, employee, providers or the claims administrator.
The Expert Reviewer has the following credentials:
State(s) of Licensure: California
Certification(s)/Specialty: Physical Medicine & Rehabilitation
CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:
{summary}
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
{title}: {outcome}
Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009, Section(s): Physical Medicine.
Decision rationale: {rationale}
"""
SUMMARY_OK = ("The injured worker is a 44 year old male with a date of injury of 10-16-2016. He reports low back "
              "pain. His pain is rated 6 out of 10. A utilization review dated 11-02-2016 non-certified the request.")
RATIONALE_OK = "The guidelines support a trial of physical therapy. The request is not medically necessary."
TITLE_OK = "Physical therapy 2 times a week for 6 weeks for the low back"


def synthetic_letter(summary: str = SUMMARY_OK, rationale: str = RATIONALE_OK, title: str = TITLE_OK,
                     outcome: str = "Upheld", doi: str | None = "10/16/2016"):
    """A made-up FDL letter, parsed; ``doi=None`` leaves the header table out."""
    text = (HEADER.format(doi=doi) if doi else "") + BODY.format(summary=summary, title=title, outcome=outcome,
                                                                   rationale=rationale)
    return parse_text(text, "synthetic.txt")


def checks_of(rows) -> set[str]:
    return {r["check"] for r in rows}


# (check, letter that trips it, letter that does not): text checks need a real letter text
TEXT_CASES = {
    "sex_pronoun_conflict": (
        dict(summary="This is a 40 year old male with a date of injury of 10-16-2016. The claimant stated her "
                     "problem began at work; she had sudden onset of back pain."),
        dict(summary="This is a 40 year old male with a date of injury of 10-16-2016. He says his wife told "
                     "him she would drive; he has back pain and his sleep is poor."),
    ),
    "injury_date_conflict": (
        dict(summary="This is a 40 year old male with a date of injury of 10-16-2016. He stated his pain began "
                     "while lifting a box on Oct. 6, 2016."),
        dict(summary="This is a 40 year old male with a date of injury of 10-16-2016. He was injured on "
                     "October 16, 2016 lifting a box and began therapy on 11-01-2016."),
    ),
    "header_summary_disagree": (
        dict(doi="04/15/2013"),
        dict(doi="10/16/2016"),
    ),
    "quantity_mismatch": (
        dict(rationale="The patient had 6 sessions before. The provider asked for 8 additional sessions. The request "
                       "is not medically necessary."),
        dict(rationale="The patient had 6 sessions before. The request for 12 physical therapy visits exceeds the "
                       "guidelines' 10 visits. The request is not medically necessary."),
    ),
    "outcome_contradicts_rationale": (
        dict(outcome="Overturned"),
        dict(outcome="Upheld"),
    ),
}


# A professional-review letter: the only layout whose items come from an issue list, so the only one
# where an item can be listed and not decided, or an outcome stated and not tied to a listed item.
PR_LETTER = """[SYNTHETIC LETTER - written for imr-extract tests; not a real IMR decision]
MEDICAL PROFESSIONAL REVIEW

ISSUE AT DISPUTE:
The professional reviewer was asked whether these requested treatments are medically necessary:
1. Aquatic therapy eight sessions for the lumbar spine
2. Cyclobenzaprine 7.5mg #30

CASE SUMMARY:
This 51-year-old male warehouse worker hurt his low back on 3/4/15 lifting a pallet. He was
diagnosed with lumbar strain. The Utilization Review on 9/2/15 non-certified both requests.

RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:
{preamble}1. Aquatic therapy eight sessions for the lumbar spine:
Water exercise suits patients who cannot bear weight on land; this worker walks without aid.
DETERMINATION: The requested aquatic therapy is not medically necessary. The Claims
Administrator's decision is upheld.
2. Cyclobenzaprine 7.5mg #30:
Muscle relaxants are for short courses in acute flares; this is a chronic course.
{second}

MEDICAL REVIEWER QUALIFICATIONS:
The physician reviewer is Board Certified in Family Medicine and is licensed to practice in California.
"""
PR_DECIDED = ("DETERMINATION: The requested cyclobenzaprine is not medically necessary. The Claims\n"
              "Administrator's decision is upheld.")

# (check, letter text that trips it, letter text that does not)
LOCATOR_CASES = {
    "undecided_item": (PR_LETTER.format(preamble="", second=""), PR_LETTER.format(preamble="", second=PR_DECIDED)),
    "untied_outcome": (PR_LETTER.format(preamble="The Claims Administrator's decision is overturned.\n",
                                        second=PR_DECIDED),
                       PR_LETTER.format(preamble="", second=PR_DECIDED)),
}

# (check, item title that trips it, item title that does not)
VOCABULARY_CASES = {
    "category_other": ("Jacuzzi for home use", "Physical therapy 2 times a week for 6 weeks for the low back"),
    "category_by_fallback": ("Compounded medication #1", "Ketoprofen 20% cream 120 grams"),
}


@pytest.mark.parametrize("check", sorted(LOCATOR_CASES))
def test_locator_check_trips_on_one_letter_not_the_other(check):
    trips, quiet = LOCATOR_CASES[check]
    tripped = parse_text(trips, "synthetic.txt")
    rows = [r for r in checks.audit_rows(tripped) if r["check"] == check]
    assert len(rows) == 1 and rows[0]["severity"] == "error"
    assert checks.audit_rows(parse_text(quiet, "synthetic.txt")) == []


def test_an_undecided_item_is_named_and_absent_from_the_decisions():
    record = parse_text(LOCATOR_CASES["undecided_item"][0], "synthetic.txt")
    assert [d.service_text for d in record.decisions] == ["Aquatic therapy eight sessions for the lumbar spine"]
    (row,) = [r for r in checks.audit_rows(record) if r["check"] == "undecided_item"]
    assert "Cyclobenzaprine 7.5mg #30" in row["message"]


def test_an_untied_outcome_is_quoted():
    record = parse_text(LOCATOR_CASES["untied_outcome"][0], "synthetic.txt")
    (row,) = [r for r in checks.audit_rows(record) if r["check"] == "untied_outcome"]
    assert "decision is overturned" in row["message"] and "overturned" in row["message"]
    assert [d.outcome for d in record.decisions] == ["upheld", "upheld"]


@pytest.mark.parametrize("check", sorted(VOCABULARY_CASES))
def test_vocabulary_check_trips_on_one_title_not_the_other(check):
    trips, quiet = VOCABULARY_CASES[check]
    rows = [r for r in checks.audit_rows(synthetic_letter(title=trips)) if r["check"] == check]
    assert len(rows) == 1 and rows[0]["item_no"] == 1 and rows[0]["severity"] == "info"
    assert trips in rows[0]["message"]
    assert check not in checks_of(checks.audit_rows(synthetic_letter(title=quiet)))


@pytest.mark.parametrize("check", sorted(TEXT_CASES))
def test_text_check_trips_on_one_letter_not_the_other(check):
    trips, quiet = TEXT_CASES[check]
    assert check in checks_of(checks.audit_rows(synthetic_letter(**trips)))
    assert check not in checks_of(checks.audit_rows(synthetic_letter(**quiet)))


def test_clean_synthetic_letter_has_no_finding():
    assert checks.audit_rows(synthetic_letter()) == []


def test_header_summary_disagree_needs_a_header():
    # without a header the summary's date is the injury_date itself: nothing to disagree with
    assert "header_summary_disagree" not in checks_of(checks.audit_rows(synthetic_letter(doi=None)))


def test_a_failing_check_becomes_a_finding(monkeypatch):
    record = synthetic_letter()
    assert "audit_failed" not in checks_of(checks.audit_rows(record))

    def broken(*args):
        raise ValueError("synthetic failure")

    monkeypatch.setattr(checks, "sex_pronoun_conflict", broken)
    rows = checks.audit_rows(record)
    assert [(r["check"], r["severity"]) for r in rows] == [("audit_failed", "error")]
    assert "synthetic failure" in rows[0]["message"]


def test_findings_name_what_disagrees():
    rows = checks.audit_rows(synthetic_letter(**TEXT_CASES["injury_date_conflict"][0]))
    (row,) = [r for r in rows if r["check"] == "injury_date_conflict"]
    assert "2016-10-16" in row["message"] and "2016-10-06" in row["message"] and "Oct. 6, 2016" in row["message"]
    assert row["severity"] == "warning" and row["item_no"] is None


# ------------------------------------------------------------------ value checks on tables

def letters_frame(**overrides) -> pd.DataFrame:
    row = {c.name: None for c in LETTER_COLUMNS}
    row.update(letter_id="L1", source_path="synthetic-1.txt", case_number="CM16-0000001", patient_age=44,
               patient_sex="male", injury_date="2016-10-16", ur_date="2016-11-02", date_assigned="2016-11-23",
               decision_date="2016-12-21", n_items=1)
    row.update(overrides)
    return pd.DataFrame([row])


def decisions_frame(**overrides) -> pd.DataFrame:
    row = {c.name: None for c in DECISION_COLUMNS}
    row.update(letter_id="L1", item_no=1, service_text=TITLE_OK, outcome="upheld", quantity=12,
               rationale=RATIONALE_OK, rationale_finding="not_medically_necessary")
    row.update(overrides)
    return pd.DataFrame([row])


TABLE_CASES = {
    "dates_out_of_order": [
        (dict(ur_date="2015-01-01"), {}),
        (dict(decision_date="2016-11-01"), {}),
        (dict(decision_date="2016-11-10"), {}),  # after the UR date, before the date assigned
    ],
    "age_out_of_range": [(dict(patient_age=7), {}), (dict(patient_age=101), {})],
    "outcome_contradicts_rationale": [
        ({}, dict(outcome="overturned")),
        ({}, dict(rationale_finding="medically_necessary")),
    ],
    "quantity_mismatch": [({}, dict(rationale="The PTP has asked for 6 additional sessions in this case."))],
    "required_field_missing": [
        ({}, dict(outcome=None)), ({}, dict(service_text="")), (dict(patient_age=None), {}),
        (dict(injury_date=None), {}), (dict(n_items=0), {}),
    ],
}


@pytest.mark.parametrize("check,letter,decision",
                         [(c, lt, d) for c, cases in TABLE_CASES.items() for lt, d in cases],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_table_check_trips(check, letter, decision):
    found = audit.audit_tables(letters_frame(**letter), decisions_frame(**decision))
    assert check in set(found["check"]), found


def test_clean_tables_have_no_finding():
    found = audit.audit_tables(letters_frame(), decisions_frame())
    assert found.empty, found
    assert list(found.columns) == [c.name for c in audit.AUDIT_COLUMNS]


@pytest.mark.parametrize("age", [14, 100])
def test_age_range_is_inclusive(age):
    assert audit.audit_tables(letters_frame(patient_age=age), decisions_frame()).empty


def test_required_field_severity_follows_the_field():
    found = audit.audit_tables(letters_frame(ur_date=None, patient_age=None), decisions_frame(outcome=None))
    severity = {m.split()[0]: s for m, s in zip(found["message"], found["severity"])}
    assert severity == {"ur_date": "info", "patient_age": "warning", "outcome": "error"}


def test_duplicates_across_a_batch():
    letters = pd.concat([letters_frame(),
                         letters_frame(source_path="synthetic-1.pdf"),  # same text, second input
                         letters_frame(letter_id="L2", source_path="synthetic-2.txt"),  # same case, other text
                         letters_frame(letter_id="L3", source_path="synthetic-3.txt", case_number="CM16-0000003")],
                        ignore_index=True)
    found = audit.audit_tables(letters, decisions_frame())
    by_check = found.groupby("check")["letter_id"].apply(set).to_dict()
    assert by_check == {"duplicate_text": {"L1"}, "duplicate_case_number": {"L1", "L2"}}
    clean = audit.audit_tables(letters.iloc[[0, 3]], decisions_frame())
    assert clean.empty


@given(st.dates(), st.dates(), st.dates())
def test_dates_out_of_order_exactly_when_out_of_order(injury, ur, decision):
    letter = letters_frame(injury_date=injury, ur_date=ur, decision_date=decision, date_assigned=None)
    found = audit.audit_tables(letter, decisions_frame())
    assert ("dates_out_of_order" in set(found["check"])) == (ur < injury or decision < ur)


@given(st.text(max_size=400))
def test_text_scans_never_fail(text):
    checks.injury_dates_stated(text)
    checks.rationale_request_counts(text)


# ------------------------------------------------------------------ the rule file

def test_every_check_is_tested_and_implemented():
    tested = set(TEXT_CASES) | set(TABLE_CASES) | set(LOCATOR_CASES) | set(VOCABULARY_CASES) | {"duplicate_text", "duplicate_case_number", "audit_failed"}
    assert set(audit.check_names()) == tested


def test_rules_are_well_formed():
    for rule in load_rules("audit"):
        assert rule.severity in audit.SEVERITIES, rule.id
        assert rule.description and rule.examples, rule.id
        if rule.id.startswith("required_field_missing."):
            field = rule.id.split(".", 1)[1]
            assert field in {c.name for c in LETTER_COLUMNS + DECISION_COLUMNS}, rule.id


@pytest.mark.parametrize("rule", [r for r in load_rules("audit") if r.get("pattern")], ids=lambda r: r.id)
def test_rule_examples_match_their_pattern(rule):
    for example in rule.examples:
        assert rule.regex.search(digitize(example)[0]), (rule.id, example)


def test_rule_expectations():
    rules = checks.rules()
    sex = rules["sex_pronoun_conflict"].regex.search(rules["sex_pronoun_conflict"].example)
    assert ("female" if sex.group("female") else "male") == rules["sex_pronoun_conflict"].expect
    doi = rules["injury_date_conflict"]
    assert len(doi.regex.findall(doi.example)) == doi.expect
    q = rules["quantity_mismatch"]
    assert int(q.regex.search(q.example).group("n")) == q.expect


@pytest.mark.parametrize("text,dates", [
    ("with a date of injury of August 17, 2012 and", ["2012-08-17"]),
    ("The injured worker was seen on 7-14-2015.", []),  # 'injured worker' is who, not when
    ("She injured her left knee at work on 3/2/2014.", ["2014-03-02"]),
    ("her problem began while lifting a box on Aug. 7, 2012", ["2012-08-07"]),
    ("He began physical therapy on 3/3/2013.", []),  # treatment beginning is not the injury
    ("She injured her knee and was seen on 3/3/2013.", []),
    ("Her symptoms began after a fall and she was seen by a doctor on 3/3/2013.", []),
    ("who sustained an industrial injury on 10-29-2010", ["2010-10-29"]),
    ("who sustained an industrial injury March 3, 2015. She reports", ["2015-03-03"]),
    ("back pain reportedly associated with an industrial injury of June 9, 2011.", ["2011-06-09"]),
    ("a history of an occupational claim from 4/13/2012. The mechanism", ["2012-04-13"]),
    ("The injury of the knee was examined on 3/3/2013.", []),  # a visit, not the injury
    ("sustained injuries to her bilateral shoulders on 5/6/2014 while", ["2014-05-06"]),
    ("an industrial injury that occurred on 1/2/2015", ["2015-01-02"]),
])
def test_injury_phrases(text, dates):
    assert [iso for iso, _ in checks.injury_dates_stated(text)] == dates


@pytest.mark.parametrize("rationale,counts", [
    ("The PTP has asked for 6 additional sessions in this case.", [6]),
    ("the request for Twelve sessions of physical therapy", [12]),
    ("The patient has received 6 sessions of therapy.", []),  # past treatment
    ("MTUS recommends 4-6 visits over 2 weeks.", []),  # guideline allowance
    ("guidelines allow 9-10 additional visits", []),  # a range, not a request
])
def test_rationale_request_counts(rationale, counts):
    assert [n for n, _ in checks.rationale_request_counts(rationale)] == counts


# ------------------------------------------------------------------ the seeds and a whole run

def seed_expectations() -> dict[str, set[str]]:
    require_shared()
    letters = json.loads((SHARED_DIR / "expected" / "seeds.json").read_text())["letters"]
    return {stem: {SEED_SUBJECTS[s] for s in (v.get("audit_expected") or [])} for stem, v in letters.items()}


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: p.stem[:3])
def test_seed_audit_expected(path):
    expected = seed_expectations()[path.stem]
    rows = checks.audit_rows(parse_text(path.read_text(encoding="utf-8"), str(path)))
    raised = {r["check"] for r in rows if r["severity"] != "info"}
    assert raised == expected, rows


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    from imr_extract.run.batch import RunSettings, run
    from imr_extract.io.inputs import expand

    out = tmp_path_factory.mktemp("seed-run")
    run(list(expand([str(p) for p in seed_paths()])), out, RunSettings(workers=1, timeout=None, quiet=True))
    return out


def _key(df: pd.DataFrame) -> list[tuple]:
    return sorted(zip(df["letter_id"], df["item_no"].astype(object).where(df["item_no"].notna(), None),
                      df["check"], df["message"]))


def test_the_run_time_findings_are_read_back(seed_run):
    at_run = audit.findings_frame(r for p in seed_paths() for r in checks.audit_rows(parse_file(p)))
    found = audit.load_findings(seed_run)
    assert found.text_checked and found.note == ""
    assert _key(found.frame) == _key(at_run)


def test_the_audit_never_reads_the_letters_again(seed_run, tmp_path, monkeypatch):
    """The run's own audit table is the audit: reading it parses no letter (issue 9: no second pipeline)."""
    import shutil

    import imr_extract
    from imr_extract.extract import letter

    def no_parsing(*args, **kwargs):
        raise AssertionError("the audit parsed a letter")

    for module, name in ((imr_extract, "parse_pages"), (imr_extract, "parse_file"), (letter, "parse_normalized")):
        monkeypatch.setattr(module, name, no_parsing)
    out = tmp_path / "moved"
    shutil.copytree(seed_run, out)
    before = _key(audit.load_findings(seed_run).frame)
    assert _key(audit.load_findings(out).frame) == before
    result = CliRunner().invoke(main, ["audit", str(out)])
    assert result.exit_code == 0, result.output


def test_an_older_run_without_an_audit_table_says_what_did_not_run(seed_run, tmp_path):
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(seed_run, bare)
    for p in bare.glob("audit.*"):
        p.unlink()
    found = audit.load_findings(bare)
    assert not found.text_checked and "sex_pronoun_conflict" in found.note
    assert set(found.frame["check"]).isdisjoint(set(checks.TEXT_CHECKS) - {"header_summary_disagree"})
    assert "quantity_mismatch" in set(found.frame["check"])  # the rationale column is enough for it
    result = CliRunner().invoke(main, ["audit", str(bare)])
    assert result.exit_code == 0 and "note: this run has no audit table" in result.output


def test_audit_table_of_the_run_is_used_as_written(seed_run, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(seed_run, out)
    mine = {"letter_id": "x", "item_no": None, "check": "age_out_of_range", "severity": "warning", "message": "m"}
    audit.findings_frame([mine]).to_parquet(out / "audit.parquet")
    assert audit.load_findings(out).frame.to_dict("records") == [mine]


def test_csv_only_run_reads_the_same(seed_run, tmp_path):
    from imr_extract.run.batch import RunSettings, run
    from imr_extract.io.inputs import expand

    out = tmp_path / "csv"
    run(list(expand([str(p) for p in seed_paths()])), out,
        RunSettings(workers=1, timeout=None, quiet=True, formats=("csv",)))
    assert not (out / "letters.parquet").exists()
    assert _key(audit.load_findings(out).frame) == _key(audit.load_findings(seed_run).frame)


def test_duckdb_only_run_gives_the_same_audit(seed_run, tmp_path):
    """Issue 12: a run written with --formats duckdb only was audited as "0 letters", exit 0."""
    from imr_extract.run.batch import RunSettings, run
    from imr_extract.io.inputs import expand

    out = tmp_path / "duck"
    run(list(expand([str(p) for p in seed_paths()])), out,
        RunSettings(workers=1, timeout=None, quiet=True, formats=("duckdb",)))
    assert _key(audit.load_findings(out).frame) == _key(audit.load_findings(seed_run).frame)
    duck, full = (CliRunner().invoke(main, ["audit", str(d)]) for d in (out, seed_run))
    assert duck.exit_code == full.exit_code == 0
    assert duck.output.replace(str(out), "OUT") == full.output.replace(str(seed_run), "OUT")
    assert duck.output.startswith("5 letters, ")


def test_a_folder_without_a_run_is_refused(tmp_path):
    for command in ("audit", "report"):
        result = CliRunner().invoke(main, [command, str(tmp_path)])
        assert result.exit_code == 2, (command, result.output)
        assert result.output.count("\n") == 1 and "holds no run" in result.output


def test_audit_command(seed_run, tmp_path):
    csv_path = tmp_path / "findings.csv"
    result = CliRunner().invoke(main, ["audit", str(seed_run), "--findings", str(csv_path)])
    assert result.exit_code == 0, result.output
    for text in ("Missing rate per field", "patient_age", "service_text", "Findings per check",
                 "sex_pronoun_conflict", "no findings: ", "dates_out_of_order", "Letters with most findings",
                 "000_b0a27e04161ace7c", "5 letters, ", " 0 error rows"):
        assert text in result.output
    failing = CliRunner().invoke(main, ["audit", str(seed_run), "--fail-on", "warning"])
    assert failing.exit_code == 1
    assert CliRunner().invoke(main, ["audit", str(seed_run), "--fail-on", "error"]).exit_code == 0
    assert CliRunner().invoke(main, ["audit", str(seed_run), "--no-reread"]).exit_code == 2  # gone: nothing re-read


def test_findings_csv_names_each_letters_source(seed_run, tmp_path):
    csv_path = tmp_path / "findings.csv"
    assert CliRunner().invoke(main, ["audit", str(seed_run), "--findings", str(csv_path)]).exit_code == 0
    written = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(written.columns) == ["letter_id", "source_path"] + [c.name for c in audit.AUDIT_COLUMNS][1:]
    assert len(written) >= 3
    letters = pd.read_parquet(seed_run / "letters.parquet")
    sources = dict(zip(letters["letter_id"], letters["source_path"]))
    assert all(row.source_path == sources[row.letter_id] for row in written.itertuples())
