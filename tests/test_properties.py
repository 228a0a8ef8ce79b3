"""Properties over generated text: nothing crashes, and nothing is invented.

"Invented" means a value the text does not state: a date, an age, a count or an outcome that
cannot be pointed at in the letter. Dates are checked with an independent scanner written here,
not with the extractor's own grammar.
"""
from __future__ import annotations

import datetime as dt

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imr_extract
from imr_extract.extract.letter import NotAnIMRLetter
from imr_extract.text.normalize import normalize

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DATE_FIELDS = ("date_assigned", "decision_date", "injury_date", "ur_date", "application_received")
FDL_HEADINGS = ("HOW THE IMR FINAL DETERMINATION WAS MADE", "CLINICAL CASE SUMMARY",
                "IMR ISSUES, DECISIONS AND RATIONALES")
LABELS = ("Claims Administrator guideline:", "MAXIMUS guideline:", "Decision rationale:",
          "The Expert Reviewer has the following credentials:", "State(s) of Licensure: California",
          "Certification(s)/Specialty: Internal Medicine", "Decision based on MTUS Chronic Pain Medical Treatment")
#: Filler with no digits, no number words ("one", "twice"...), no month-day-year and no outcome words.
VOCABULARY = (
    "the patient reports pain in lumbar spine cervical shoulder knee wrist and of with for to was were is are "
    "request review treatment therapy physical massage medication injection imaging consultation noted "
    "clinical history examination tenderness range motion guidelines recommend documentation functional "
    "improvement chronic acute worker injured claimant provider utilization modified denied certified "
    "expert reviewer case file records summary plan follow visit office report evidence support necessary "
    "medically appropriate not no there this that on at by from as an a per week weeks session sessions "
    "times daily brace cream tablets program evaluation surgery left right bilateral lower upper back neck"
).split()

line_of_words = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=14).map(" ".join)
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)


@SETTINGS
@given(st.lists(any_text, max_size=6))
def test_normalize_never_raises_and_keeps_its_page_map(pages):
    doc = normalize(pages)
    assert "\r" not in doc.text and "\t" not in doc.text
    assert len(doc.page_starts) == max(1, len(pages))
    assert list(doc.page_starts) == sorted(doc.page_starts)
    assert all(0 <= s <= len(doc.text) for s in doc.page_starts)
    for offset in (0, len(doc.text) // 2, len(doc.text)):
        assert 1 <= doc.page_at(offset) <= doc.page_count


@SETTINGS
@given(any_text)
def test_normalize_one_string(text):
    normalize([text])


def parse_or_refuse(text: str):
    try:
        return imr_extract.parse_text(text)
    except NotAnIMRLetter:
        return None


@SETTINGS
@given(any_text)
def test_parse_text_returns_a_record_or_refuses(text):
    parse_or_refuse(text)


# ---- letter-like text: headings, labels, real-looking dates, ages and items, plus noise ------------------

DATE_FORMATS = ("%B %d, %Y", "%b. %d, %Y", "%b %d %Y", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%Y-%m-%d", "%d %B %Y")
dates = st.builds(lambda d, f: d.strftime(f), st.dates(dt.date(1985, 1, 1), dt.date(2029, 12, 31)),
                  st.sampled_from(DATE_FORMATS))
DATE_CONTEXTS = ("Date of Injury: {}", "Date Assigned: {}", "Decision Date: {}", "UR Denial Date: {}",
                 "Application Received: {}", "with a date of injury of {}.", "The utilization review dated {} denied",
                 "was non-certified by Utilization Review on {}.", "seen on {} for follow up", "{}")
dated_line = st.builds(lambda c, d: c.format(d), st.sampled_from(DATE_CONTEXTS), dates)
age_line = st.builds(lambda n, sex, w: f"The injured worker is a {n} year old {sex} {w}",
                     st.integers(0, 130), st.sampled_from(("male", "female", "man", "woman", "patient")), line_of_words)
TITLES = ("Physical therapy 2x6", "Norco 10/325mg #60", "MRI of the lumbar spine", "Acupuncture 8 sessions",
          "Massage therapy two times a week for four weeks", "Tramadol 50mg quantity 90")
item_line = st.builds(lambda t, o: f"{t}: {o}", st.one_of(st.sampled_from(TITLES), line_of_words),
                      st.sampled_from(("Upheld", "Overturned", "upheld", "OVERTURNED")))
noise = any_text.map(lambda s: s[:60])
header_line = st.one_of(dated_line, st.just("Case Number: CM16-0221706"), st.just("Priority: Standard"), noise)
summary_line = st.one_of(age_line, dated_line, line_of_words, noise, st.just(""))
item_block = st.builds(lambda title, parts: "\n".join([title, *parts]), item_line,
                       st.lists(st.one_of(st.sampled_from(LABELS), line_of_words, dated_line, noise), max_size=5))


def _assemble(header, credentials, summary, items, keep):
    parts = [header, [FDL_HEADINGS[0]] if keep[0] else [], credentials, [FDL_HEADINGS[1]] if keep[1] else [],
             summary, [FDL_HEADINGS[2]] if keep[2] else [], items]
    return "\n".join(line for part in parts for line in part)


letterish = st.builds(
    _assemble,
    st.lists(header_line, max_size=8),
    st.lists(st.one_of(st.sampled_from(LABELS), line_of_words, noise), max_size=6),
    st.lists(summary_line, max_size=12),
    st.lists(item_block, max_size=5),
    st.tuples(*(st.booleans(),) * 3),  # headings sometimes missing: the letter may then be refused
)

# ---- the independent date scanner --------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_NUMERIC = regex.compile(r"(\d{1,2})\s*([/-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})")
_ISO = regex.compile(r"(\d{4})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})")
_MONTH_FIRST = regex.compile(r"([A-Za-z]{3,9})\.?\s*(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})")
_DAY_FIRST = regex.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]{3,9})\.?,?\s+(\d{4})")


def _day(y: int, m: int, d: int) -> set[str]:
    try:
        return {dt.date(y, m, d).isoformat()}
    except ValueError:
        return set()


def isos_in(text: str) -> set[str]:
    """Every ISO date some date-looking substring of ``text`` can stand for."""
    found: set[str] = set()
    for m in _NUMERIC.finditer(text, overlapped=True):
        mm, dd, y = int(m[1]), int(m[3]), m[4]
        for year in ([int(y)] if len(y) == 4 else [1900 + int(y), 2000 + int(y)]):
            found |= _day(year, mm, dd)
    for m in _ISO.finditer(text, overlapped=True):
        found |= _day(int(m[1]), int(m[2]), int(m[3]))
    for m in _MONTH_FIRST.finditer(text, overlapped=True):
        if m[1][:3].lower() in _MONTHS:
            found |= _day(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
    for m in _DAY_FIRST.finditer(text, overlapped=True):
        if m[2][:3].lower() in _MONTHS:
            found |= _day(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
    return found


def test_the_date_scanner_itself():
    assert isos_in("on August 17, 2012 and 1/24/12 and 10-29-2010 and 7 Sept 2014") >= {
        "2012-08-17", "2012-01-24", "2010-10-29", "2014-09-07"}
    assert isos_in("2/30/2014 and February 30, 2014") == set()


def assert_nothing_invented(text: str, record) -> None:
    isos = isos_in(text) | isos_in(record.text)
    for name in DATE_FIELDS:
        value = record[name]
        if value:
            assert str(value) in isos, f"{name}={value!r} is not a date printed in the text"
    age = record["patient_age"]
    if age is not None:
        assert regex.search(rf"(?<!\d){int(age)}(?!\d)", text), f"patient_age={age} is not printed in the text"
    if record["layout"] != "notice-2013":  # 2013 notices state outcomes as "is (not) medically necessary"
        lowered = text.lower()
        for d in record.decisions:
            if d["outcome"]:
                assert d["outcome"] in lowered, f"outcome {d['outcome']!r} is not printed in the text"
    for d in record.decisions:
        q = d["quantity"]
        if q is not None:
            assert regex.search(rf"(?<!\d){int(q)}(?!\d)", text) or _product_printed(text, int(q)) or \
                _word_count_printed(d["service_text"] or ""), f"quantity {q} is not printed in {d['service_text']!r}"


def _product_printed(text: str, q: int) -> bool:
    """frequency x weeks: both factors printed (FIELDS.md: '2x6' -> 12)."""
    return any(q % f == 0 and regex.search(rf"(?<!\d){f}(?!\d)", text) and
               regex.search(rf"(?<!\d){q // f}(?!\d)", text) for f in range(1, 15))


def _word_count_printed(title: str) -> bool:
    return bool(regex.search(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|once|twice|"
                             r"thrice|single)\b", title, regex.IGNORECASE))


@SETTINGS
@given(letterish)
def test_letter_like_text_parses_or_is_refused_and_invents_nothing(text):
    record = parse_or_refuse(text)
    if record is not None:
        assert_nothing_invented(text, record)


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(LABELS), line_of_words), min_size=1, max_size=30),
       st.permutations(FDL_HEADINGS))
def test_a_letter_without_digits_or_outcomes_yields_no_values(body, headings):
    lines = list(body)
    for i, heading in enumerate(headings):  # the three fdl headings, spread through the filler
        lines.insert(min(len(lines), i * (len(lines) // 3 + 1)), heading)
    text = "\n".join(lines)
    record = imr_extract.parse_text(text)
    assert record["layout"] == "fdl"
    for name in DATE_FIELDS:
        assert record[name] is None, f"{name}={record[name]!r} from a text without digits"
    assert record["patient_age"] is None
    assert record["overall_outcome"] is None
    assert all(d["outcome"] is None and d["quantity"] is None for d in record.decisions), \
        [d.values for d in record.decisions]
    assert record["n_items"] == 0
