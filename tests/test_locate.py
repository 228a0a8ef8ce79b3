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


FDL_ITEMS = HEAD + "IMR ISSUES, DECISIONS AND RATIONALES\n"
LABELS = ("Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.\n"
          "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Opioids.\n")

OUTCOME_FIRST = FDL_ITEMS + ("Each item follows with its outcome first.\n"
                             "Overturned: Cervical pillow\n" + LABELS +
                             "Decision rationale: A pillow is a small, sensible aid here. It is medically necessary.\n"
                             "UPHELD: Tramadol 50mg #60\n" + LABELS +
                             "Decision rationale: No gain in function is recorded. It is not medically necessary.\n")

TABLE = FDL_ITEMS + ("Disputed item                         Determination\n"
                     "Cervical pillow                       Overturned\n"
                     "Tramadol 50mg #60                     Upheld\n\n"
                     "Item 1 of 2 - Cervical pillow\n" + LABELS +
                     "Decision rationale: A pillow is a small, sensible aid here.\n"
                     "Item 2 of 2 - Tramadol 50mg #60\n" + LABELS +
                     "Decision rationale: No gain in function is recorded.\n")

CLOSING_SUMMARY = FDL_ITEMS + ("Cervical pillow\n" + LABELS +
                               "Decision rationale: A pillow is a small, sensible aid here.\n"
                               "Tramadol 50mg #60\n" + LABELS +
                               "Decision rationale: No gain in function is recorded.\n\n"
                               "SUMMARY OF DETERMINATIONS:\n"
                               "Cervical pillow: the non-certification is overturned.\n"
                               "Tramadol 50mg #60: the non-certification is\nupheld.\n")

LABELLED_BLOCKS = FDL_ITEMS + ("The reviewer's conclusion on each item follows.\n"
                               "Cervical pillow\n" + LABELS +
                               "Decision rationale: A pillow is a small aid. The request for a cervical pillow is "
                               "medically necessary.\n"
                               "Tramadol 50mg #60\n" + LABELS +
                               "Decision rationale: No gain is recorded. The request for tramadol is not medically "
                               "necessary.\n")

MARKED_BLOCKS = FDL_ITEMS + ("Issue 1: Cervical pillow\n" + LABELS +
                             "Decision rationale: A pillow is a small aid.\n"
                             "DECISION: The request for Cervical pillow is medically necessary.\n"
                             "Issue 2: Tramadol 50mg #60\n" + LABELS +
                             "Decision rationale: No gain is recorded.\n"
                             "DECISION: The request for Tramadol 50mg #60 is not medically necessary.\n")

QUESTIONS = """[SYNTHETIC LETTER - invented for the locator tests; not a real IMR decision]
MEDICAL PROFESSIONAL REVIEW
ISSUE AT DISPUTE:
Question 1: Is a cervical pillow medically necessary?
Question 2: Is tramadol 50mg #60 medically necessary?
Each question is answered below.
CASE SUMMARY:
The injured worker is a 44-year-old woman who strained her neck on 03/03/2016.
RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:
Answer to Question 1: Yes. A pillow is a small, sensible aid.
Answer to Question 2: No. No gain in function is recorded.
"""

NOTICE = """[SYNTHETIC LETTER - invented for the locator tests; not a real IMR decision]
MAXIMUS FEDERAL SERVICES, INC.
Notice of Independent Medical Review Determination
Dated: 10/01/2013
1) The Independent Medical Review upholds the denial of a lumbar brace; the brace is not medically
necessary and appropriate.
2) The Independent Medical Review reverses the denial of naproxen 550mg #60; the drug is medically
necessary and appropriate.
INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE
Case Summary:
The patient is a 50 year-old male who hurt his back lifting boxes on 2/2/2012.
"""

WHETHER = """[SYNTHETIC LETTER - invented for the locator tests; not a real IMR decision]
MAXIMUS FEDERAL SERVICES, INC.
Notice of Independent Medical Review Determination
Dated: 10/01/2013
Issue 1. Whether a lumbar brace is medically necessary and appropriate.
Issue 2. Whether naproxen 550mg #60 is medically necessary and appropriate.
INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE
Case Summary:
The patient is a 50 year-old male who hurt his back lifting boxes on 2/2/2012. The brace is medically
necessary for some patients, but not for chronic pain.
SUMMARY OF DETERMINATIONS
Issue 1 (a lumbar brace): not medically necessary and appropriate.
Issue 2 (naproxen 550mg #60): medically necessary and appropriate.
"""

PIPE_TABLE = QUESTIONS.replace("""Question 1: Is a cervical pillow medically necessary?
Question 2: Is tramadol 50mg #60 medically necessary?
Each question is answered below.""", """| No. | Requested treatment/service | Determination |
| 1 | Cervical pillow | Overturned |
| 2 | Tramadol 50mg #60 | Upheld |""").replace("Answer to Question 1: Yes. ", "").replace("Answer to Question 2: No. ", "")

DETERMINATION_BELOW = FDL_ITEMS + ("Cervical pillow\nDetermination: Overturned\n" + LABELS +
                                   "Decision rationale: A pillow is a small, sensible aid here.\n"
                                   "Tramadol 50mg #60\nDetermination: Upheld\n" + LABELS +
                                   "Decision rationale: No gain in function is recorded.\n")

UR_FRAME = NOTICE.replace("The Independent Medical Review upholds the denial of a lumbar brace;",
                          "The Utilization Review non-certification of the request for a lumbar brace is upheld;").replace(
    "The Independent Medical Review reverses the denial of naproxen 550mg #60;",
    "The Utilization Review non-certification of the request for naproxen 550mg #60 is overturned;")

PAIR = [("Cervical pillow", "overturned"), ("Tramadol 50mg #60", "upheld")]


@pytest.mark.parametrize(("text", "want"), [
    (OUTCOME_FIRST, PAIR),
    (TABLE, PAIR),
    (CLOSING_SUMMARY, PAIR),
    (LABELLED_BLOCKS, PAIR),
    (MARKED_BLOCKS, PAIR),
    (QUESTIONS, [("cervical pillow", "overturned"), ("tramadol 50mg #60", "upheld")]),
    (NOTICE, [("lumbar brace", "upheld"), ("naproxen 550mg #60", "overturned")]),
    (WHETHER, [("lumbar brace", "upheld"), ("naproxen 550mg #60", "overturned")]),
    (PIPE_TABLE, PAIR),
    (DETERMINATION_BELOW, PAIR),
    (UR_FRAME, [("lumbar brace", "upheld"), ("naproxen 550mg #60", "overturned")]),
], ids=["outcome-first", "table-then-blocks", "closing-summary", "title-over-labels", "numbered-blocks",
        "answered-questions", "review-upholds-the-denial-of", "whether-answered-in-a-summary", "pipe-table",
        "determination-line-below-the-title", "ur-non-certification-of-the-request-for"])
def test_every_outcome_form(text, want):
    record = imr_extract.parse_text(text)
    assert [(d.service_text, d.outcome) for d in record.decisions] == want


@pytest.mark.parametrize("text", [OUTCOME_FIRST, TABLE, CLOSING_SUMMARY, LABELLED_BLOCKS, MARKED_BLOCKS])
def test_each_item_keeps_its_own_guideline_and_rationale(text):
    record = imr_extract.parse_text(text)
    assert all(d.guideline_source == "MTUS" and d.rationale for d in record.decisions)
    assert record.decisions[0].rationale.startswith("A pillow")
    assert record.decisions[1].rationale.startswith("No gain")
