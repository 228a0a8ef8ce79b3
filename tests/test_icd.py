"""ICD-10-CM codes: only for diagnoses printed as code titles, and every code given is the library's own."""
from __future__ import annotations

import pytest

import imr_extract
from imr_extract.extract.icd import chapter_of, lookup, normalize


@pytest.mark.parametrize("text,code", [
    ("Other intervertebral disc displacement, lumbar region", "M51.26"),
    ("other intervertebral disc displacement, lumbosacral region", "M51.27"),
    ("Strain of muscle, fascia and tendon of lower back, initial encounter", "S39.012A"),
    ("strain of muscle, fascia and tendon at neck level", "S16.1"),          # no suffix: never a guessed 7th
    ("Radiculopathy, cervical region", "M54.12"),
    ("Carpal tunnel syndrome, bilateral upper limbs", "G56.03"),
    ("pain in the right shoulder", "M25.511"),                               # "the" folded away
    ("Sprain of ligaments of lumbar spine, subsequent encounter", "S33.5XXD"),
    ("Chronic pain syndrome", "G89.4"),
    ("lumbar sprain", None),                                                 # not a title: no code
    ("Lumbar radiculopathy", None),                                          # a synonym is a guess
    ("Primary osteoarthritis, right knee", None),                            # the title says "Unilateral"
    ("right shoulder impingement syndrome", None),
])
def test_a_code_only_for_a_code_title(text, code):
    found = lookup(text)
    assert (found.code if found else None) == code


def test_side_written_after_the_site_is_the_same_title():
    assert normalize("Osteoarthritis, knee, right") == normalize("Osteoarthritis, right knee")
    assert normalize("Osteoarthritis, knee right") == normalize("Osteoarthritis, right knee")


@pytest.mark.parametrize("code,chapter", [("M54.16", 13), ("S16.1XXA", 19), ("F32.9", 5), ("G89.4", 6), ("O9A.1", 15),
                                          ("H60.0", 8), ("H54.0", 7)])
def test_chapters_of_the_code_set(code, chapter):
    assert chapter_of(code)[0] == chapter


def test_every_code_given_on_the_real_letters_is_the_librarys_title(real_pdfs):
    import simple_icd_10_cm as cm

    given = 0
    for path in real_pdfs:
        record = imr_extract.parse_file(path)
        for diagnosis, code in zip(record.diagnoses, record.diagnosis_codes):
            if code is None:
                continue
            given += 1
            assert cm.is_valid_item(code), code
            key, _ = normalize(diagnosis)
            assert normalize(cm.get_description(code))[0] == key, (diagnosis, code, cm.get_description(code))
    assert given >= 20, "the real letters print many coded diagnoses"
