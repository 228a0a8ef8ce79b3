"""Outcome forms of the item locator, each on an invented letter (synthetic; every name, date and sentence
made up for these tests): the items found, their outcomes, and the parts cut for each."""
from __future__ import annotations

import pytest

import imr_extract

HEAD = """[SYNTHETIC LETTER - invented for the locator tests; not a real IMR decision]
Independent Medical Review Final Determination Letter
Case Number: CM14-0999001
Date Assigned: 02/03/2014 Decision Date: 03/01/2014
CLINICAL CASE SUMMARY
The patient is a 50 year old woman who injured her neck lifting a crate on 04/05/2012. A utilization
review dated 01/20/2014 denied the requests below.
"""

DECISION_SENTENCES = HEAD + """IMR DECISION(S) AND RATIONALE(S)
1. Diclofenac gel 1% 100 grams is not medically necessary and appropriate.
The Claims Administrator based its decision on the MTUS Chronic Pain Medical Treatment Guidelines,
Topical Analgesics, page 111.
The Expert Reviewer based his/her decision on the MTUS Chronic Pain Medical Treatment Guidelines,
Topical Analgesics, pages 111-112.
The Expert Reviewer's decision rationale: Topical anti-inflammatory gels are meant for joints near the
surface, not the spine. The gel is not medically necessary.
2. Cervical traction unit for home use is medically necessary
and appropriate.
The Claims Administrator based its decision on the MTUS ACOEM Practice Guidelines, Neck and Upper Back
Complaints, page 173.
The Expert Reviewer based his/her decision on the MTUS ACOEM Practice Guidelines, Neck and Upper Back
Complaints, page 181.
The Expert Reviewer's decision rationale: The worker has radicular signs that eased with traction in the
clinic, so a home unit is reasonable. The unit is medically necessary and appropriate.
"""

REQUEST_DETERMINATION = """[SYNTHETIC LETTER - invented for the locator tests; not a real IMR decision]
MEDICAL PROFESSIONAL REVIEW
ISSUE AT DISPUTE:
Request 1: Trigger point injections, right trapezius
Determination: Overturned
Request 2: Home exercise kit for the neck
Determination: Upheld

CASE SUMMARY:
The injured worker is a 39-year-old man who strained his neck on 06/01/2015.

RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:
Request 1: Taut bands with a twitch response are documented and prior injections helped for weeks.
The denial is overturned.
Request 2: A kit adds nothing to the exercises he already does at home. The denial is upheld.
"""


@pytest.mark.parametrize(("text", "want"), [
    (DECISION_SENTENCES, [("Diclofenac gel 1% 100 grams", "upheld"),
                          ("Cervical traction unit for home use", "overturned")]),
    (REQUEST_DETERMINATION, [("Trigger point injections, right trapezius", "overturned"),
                             ("Home exercise kit for the neck", "upheld")]),
], ids=["decision-sentences", "request-then-determination-line"])
def test_items_and_outcomes(text, want):
    record = imr_extract.parse_text(text)
    assert [(d.service_text, d.outcome) for d in record.decisions] == want


def test_decision_sentences_cut_guideline_and_rationale_parts():
    record = imr_extract.parse_text(DECISION_SENTENCES)
    first, second = record.decisions
    assert first.guideline_source == "MTUS" and first.guideline_pages == "111-112"
    assert second.guideline_pages == "181"
    assert first.rationale.startswith("Topical anti-inflammatory gels")
    assert first.claims_administrator_guideline.startswith("the MTUS Chronic Pain")


def test_numbered_conclusions_elsewhere_are_not_items():
    # a numbered list of criteria inside a rationale that also has a decision line: the decision line wins
    text = HEAD + """IMR ISSUES, DECISIONS AND RATIONALES
Acupuncture six sessions: Upheld
Decision rationale: Two criteria apply.
1. Function must improve, and it did not; more visits are not medically necessary.
2. Medication use must fall, and it did not.
"""
    record = imr_extract.parse_text(text)
    assert [(d.service_text, d.outcome) for d in record.decisions] == [("Acupuncture six sessions", "upheld")]


def test_a_list_that_restarts_is_read_once():
    text = DECISION_SENTENCES.replace("IMR DECISION(S) AND RATIONALE(S)\n", "IMR DECISION(S) AND RATIONALE(S)\n"
                                      "1. Diclofenac gel 1% 100 grams is not medically necessary.\n"
                                      "2. Cervical traction unit for home use is medically necessary.\n", 1)
    record = imr_extract.parse_text(text)
    assert [d.outcome for d in record.decisions] == ["upheld", "overturned"]
