"""Data-quality checks: the rules a row must pass before a reader trusts it.

Checks are declared in ``patterns/audit.yaml`` (id = check name, severity, and the
pattern of the checks that read text); the functions here say how each decides.
Every finding is one row of ``AUDIT_COLUMNS``. ``audit_rows(record)`` runs every
per-letter check in the worker, where the letter is at hand; ``duplicate_rows``
needs the whole batch. Reading a finished run's findings is ``insight.audit``'s job.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from ..extract.dates import date_for_token, mask_dates
from ..records import DECISION_COLUMNS, LETTER_COLUMNS, LetterRecord
from ..rules import Rule, load_rules, on_reset, rule_kind

SEVERITIES = ("error", "warning", "info")
#: Checks that need the batch, not one letter; recomputed whenever a batch is audited.
BATCH_CHECKS = ("duplicate_case_number", "duplicate_text")
#: Checks that need the letter text (run time, or the source re-read).
TEXT_CHECKS = ("sex_pronoun_conflict", "injury_date_conflict", "header_summary_disagree")
_AGE_RANGE = (14, 100)


@cache
def rules() -> dict[str, Rule]:
    """The audit rules (patterns/audit.yaml) by id, loaded once."""
    return {r.id: r for r in load_rules("audit")}


on_reset(rules.cache_clear)


def check_names() -> list[str]:
    """The check names (a rule id up to its first dot), each once, in the order of the audit rules."""
    return list(dict.fromkeys(rule_id.split(".")[0] for rule_id in rules()))


def finding(letter_id: str | None, item_no: int | None, rule_id: str, message: str) -> dict[str, Any]:
    """One audit row: the check (the rule id up to its first dot), the rule's severity, and the message."""
    return {"letter_id": letter_id, "item_no": item_no, "check": rule_id.split(".")[0],
            "severity": rules()[rule_id].severity, "message": message}


def _empty(v: Any) -> bool:
    """None, NaN, pandas' NA/NaT, blank text, an empty list: the table holds no value."""
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, (bool, int, dt.date)):
        return False  # the common cases, without importing pandas into every worker
    if isinstance(v, float):
        return v != v
    if hasattr(v, "__len__"):
        return len(v) == 0
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _date(v: Any) -> dt.date | None:
    if _empty(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


# ---------------------------------------------------------------- value checks

def required_fields(letter: dict, decisions: list[dict]) -> list[dict]:
    """A finding for each required letter or decision field that is empty (and for an n_items of 0)."""
    out = []
    lid = letter["letter_id"]
    per_field = {r.split(".", 1)[1]: r for r in rules() if r.startswith("required_field_missing.")}
    for name in (c.name for c in LETTER_COLUMNS if c.name in per_field):
        v = letter.get(name)
        if _empty(v):
            out.append(finding(lid, None, per_field[name], f"{name} is empty"))
        elif name == "n_items" and not v:
            out.append(finding(lid, None, per_field[name], "n_items is 0: no decided item was read"))
    for d in decisions:
        for name in (c.name for c in DECISION_COLUMNS if c.name in per_field):
            if _empty(d.get(name)):
                out.append(finding(lid, d["item_no"], per_field[name], f"{name} is empty"))
    return out


def age_out_of_range(letter: dict) -> list[dict]:
    """A finding when the letter's patient_age is outside ``_AGE_RANGE``."""
    age = letter.get("patient_age")
    if age is None or _empty(age) or _AGE_RANGE[0] <= int(age) <= _AGE_RANGE[1]:
        return []
    return [finding(letter["letter_id"], None, "age_out_of_range",
                    f"patient_age {int(age)} is outside {_AGE_RANGE[0]}-{_AGE_RANGE[1]}")]


def dates_out_of_order(letter: dict) -> list[dict]:
    """A finding for each of the letter's dates that comes before one it must follow (UR after injury, decision
    after UR and after assignment)."""
    d = {k: _date(letter.get(k)) for k in ("injury_date", "ur_date", "decision_date", "date_assigned")}
    pairs = (("ur_date", "injury_date"), ("decision_date", "ur_date"), ("decision_date", "date_assigned"))
    out = []
    for later, earlier in pairs:
        later_date, earlier_date = d[later], d[earlier]
        if later_date and earlier_date and later_date < earlier_date:
            out.append(finding(letter["letter_id"], None, "dates_out_of_order",
                               f"{later} {later_date} is before {earlier} {earlier_date}"))
    return out


def outcome_contradicts_rationale(decision: dict) -> list[dict]:
    """A finding when the outcome is the opposite of the rationale's conclusion (overturned but not medically
    necessary, upheld but medically necessary)."""
    outcome, concl = decision.get("outcome"), decision.get("rationale_finding")
    if (outcome, concl) in (("overturned", "not_medically_necessary"), ("upheld", "medically_necessary")):
        assert concl is not None  # one of the conclusions just matched
        return [finding(decision["letter_id"], decision["item_no"], "outcome_contradicts_rationale",
                        f"outcome {outcome} but the rationale concludes {concl.replace('_', ' ')}")]
    return []


def rationale_request_counts(rationale: str) -> list[tuple[int, str]]:
    """(count, words) for each count the rationale speaks of as requested."""
    from ..extract.quantity import digitize

    flat = " ".join(rationale.split())
    text, index = digitize(flat)
    return [(int(m.group("n")), flat[index[m.start()]:index[m.end()]])
            for m in rules()["quantity_mismatch"].regex.finditer(text)]


def quantity_mismatch(decision: dict) -> list[dict]:
    """A finding when the rationale speaks of requested counts and none of them is the item's quantity."""
    q, rationale = decision.get("quantity"), decision.get("rationale")
    if q is None or rationale is None or _empty(q) or _empty(rationale):
        return []
    counts = rationale_request_counts(rationale)
    if not counts or int(q) in {n for n, _ in counts}:
        return []
    said = "; ".join(f'"{words}"' for _, words in counts[:3])
    return [finding(decision["letter_id"], decision["item_no"], "quantity_mismatch",
                    f"quantity {int(q)} requested, the rationale speaks of {said}")]


def value_checks(letter: dict, decisions: list[dict]) -> list[dict]:
    """Checks that need only the letter's and its items' column values."""
    out = required_fields(letter, decisions) + age_out_of_range(letter) + dates_out_of_order(letter)
    for d in decisions:
        out += outcome_contradicts_rationale(d) + quantity_mismatch(d)
    return out


# ---------------------------------------------------------------- text checks

def sex_pronoun_conflict(letter: dict, summary: str) -> list[dict]:
    """A finding when the case summary uses the other sex's pronouns more often than those of patient_sex."""
    sex = letter.get("patient_sex")
    if sex not in ("male", "female") or not summary:
        return []
    counts: Counter[str] = Counter()
    for m in rules()["sex_pronoun_conflict"].regex.finditer(summary):
        counts["male" if m.group("male") else "female"] += 1
    other = "female" if sex == "male" else "male"
    if counts[other] <= counts[sex]:
        return []
    words = "she/her" if other == "female" else "he/his/him"
    return [finding(letter["letter_id"], None, "sex_pronoun_conflict",
                    f"patient_sex {sex}, but the case summary says {words} {counts[other]} times "
                    f"against {counts[sex]}")]


def injury_dates_stated(text: str) -> list[tuple[str, str]]:
    """(ISO date, date as printed) for every date an injury phrase points at."""
    masked, dates = mask_dates(text)
    out = []
    for m in rules()["injury_date_conflict"].regex.finditer(masked):
        d = date_for_token(masked, m.start("date"), dates)
        out.append((d.iso, " ".join(d.text.split())))
    return out


def injury_date_conflict(letter_id: str | None, text: str) -> list[dict]:
    """A finding when the letter states more than one date of injury."""
    stated = injury_dates_stated(text)
    distinct = dict(stated)  # iso -> first printed form
    if len(distinct) < 2:
        return []
    said = " vs ".join(f"{iso} ('{printed}')" for iso, printed in distinct.items())
    return [finding(letter_id, None, "injury_date_conflict", f"the letter states the date of injury as {said}")]


def header_summary_disagree(letter_id: str | None, header_date: Any, summary_date: Any) -> list[dict]:
    """A finding when the header's date of injury and the case summary's are both known and differ."""
    h, s = _date(header_date), _date(summary_date)
    if not h or not s or h == s:
        return []
    return [finding(letter_id, None, "header_summary_disagree",
                    f"header Date of Injury {h}, the case summary says {s}")]


def header_summary_from_evidence(evidence: Iterable[dict]) -> list[dict]:
    """``header_summary_disagree`` decided from evidence rows alone (a run without an audit table).

    Needs the summary's own injury date as an evidence row beside the header's;
    letters without both are not judged.
    """
    header: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for e in evidence:
        if e.get("field") != "injury_date" or not _empty(e.get("item_no")):
            continue
        kind = rule_kind(str(e.get("rule_id") or ""))
        if kind == "header":
            header.setdefault(e["letter_id"], e["value"])
        elif kind == "dates":
            summary.setdefault(e["letter_id"], e["value"])
    out: list[dict] = []
    for lid in sorted(set(header) & set(summary)):
        out += header_summary_disagree(lid, header[lid], summary[lid])
    return out


def _letter_parts(record: LetterRecord) -> tuple[str, str]:
    """(text outside the header table, case summary text), as the extractor cut them."""
    sections = record.sections
    body = "\n".join(record.text[s.start:s.end] for s in sections.parts if s.kind != "header")
    summary = "\n".join(record.text[s.start:s.end] for s in sections.all("summary"))
    return body, summary


def _summary_injury_date(record: LetterRecord) -> str | None:
    """The injury date extraction read in the case summary (whether or not the header's won)."""
    spans = [(s.start, s.end) for s in record.sections.all("summary")]
    for kind, f in record.findings:
        if kind == "summary" and f.field == "injury_date" and any(a <= f.start < b for a, b in spans):
            return f.value
    return None


def text_checks(record: LetterRecord) -> list[dict]:
    """Checks that read the letter's text (cut as extraction cut it) or what extraction found in it."""
    lid = record.letter_id
    body, summary = _letter_parts(record)
    # the case summary is where injury dates are told; the rest of the letter only repeats them
    out = sex_pronoun_conflict(record.row(), summary) + injury_date_conflict(lid, summary or body)
    header = next((e for e in record.evidence if e.field == "injury_date" and rule_kind(e.rule_id) == "header"), None)
    if header and summary:
        out += header_summary_disagree(lid, header.value, _summary_injury_date(record))
    return out


# ---------------------------------------------------------------- entry points

def locator_checks(record: LetterRecord) -> list[dict]:
    """Outcomes the letter states that no item took, and listed items that no outcome decided."""
    from ..extract.locate import UNDECIDED_ITEM, UNTIED_OUTCOME

    out = []
    for kind, f in record.findings:
        if kind != "items":
            continue
        quoted = " ".join(f.text.split())[:120]
        if f.field == UNTIED_OUTCOME:
            out.append(finding(record.letter_id, None, "untied_outcome",
                               f'the letter states "{quoted}" ({f.value}) but no item took it'))
        elif f.field == UNDECIDED_ITEM:
            out.append(finding(record.letter_id, None, "undecided_item",
                               f'the issue list names "{quoted}" but no outcome for it was found'))
    return out


def vocabulary_checks(record: LetterRecord) -> list[dict]:
    """Items placed in Other, or by a generic rule rather than one naming the service."""
    from ..rules import rule_index

    rules = rule_index()
    category_rule: dict[int | None, str | None] = {e.item_no: e.rule_id for e in record.evidence
                                                   if e.field == "service_category" and e.item_no}
    out = []
    for d in record.decisions:
        title = " ".join((d.service_text or "").split())[:100]
        rule = rules.get(category_rule.get(d.item_no) or "")
        if d.service_category == "Other":
            out.append(finding(record.letter_id, d.item_no, "category_other", f'"{title}" is in category Other'))
        elif rule is not None and rule.kind == "services" and ((rule.get("tier") or 2) >= 3 or rule.role == "framing"):
            out.append(finding(record.letter_id, d.item_no, "category_by_fallback",
                               f'"{title}" is {d.service_category} by the generic rule {rule.id}'))
    return out


def audit_letter(record: LetterRecord) -> list[dict]:
    """Every per-letter check: its values, its items' values, its text, and what extraction could not place."""
    decisions = [d.row() for d in record.decisions]
    return (value_checks(record.row(), decisions) + text_checks(record) + locator_checks(record)
            + vocabulary_checks(record))


def audit_rows(record: LetterRecord) -> list[dict]:
    """``audit_letter`` for the worker of ``run``: a failing check must not cost the letter its rows."""
    try:
        return audit_letter(record)
    except Exception as exc:  # noqa: BLE001 - report it as a finding and keep the letter
        return [finding(record.letter_id, None, "audit_failed",
                        f"a check raised {type(exc).__name__}: {exc}; please report this letter")]


def duplicate_rows(letters) -> list[dict]:
    """Same text (letter_id) from several inputs, or one case number on several letters.

    ``letters`` is anything with the columns letter_id, case_number and source_path
    (a DataFrame, or a dict of lists): the run's driver passes plain lists so it
    never has to import pandas.
    """
    ids, cases, sources = (list(letters[c]) for c in ("letter_id", "case_number", "source_path"))
    by_text: dict[str, list[str]] = {}
    for lid, src in zip(ids, sources, strict=False):
        by_text.setdefault(lid, []).append(src)
    out = [finding(lid, None, "duplicate_text", f"the same text came from {len(srcs)} inputs: {_some(srcs)}")
           for lid, srcs in sorted(by_text.items()) if len(srcs) > 1]
    by_case: dict[str, dict[str, str]] = {}
    for lid, case, src in zip(ids, cases, sources, strict=False):
        if isinstance(case, str) and case.strip():
            by_case.setdefault(case, {}).setdefault(lid, src)
    for case, letters_of_case in sorted(by_case.items()):
        if len(letters_of_case) > 1:
            for lid, src in letters_of_case.items():
                others = [s for s in letters_of_case.values() if s != src]
                out.append(finding(lid, None, "duplicate_case_number", f"case {case} is also {_some(others)}"))
    return out


def _some(paths: list[str], shown: int = 5) -> str:
    """A few of the paths and how many more: messages stay short however many copies a batch holds."""
    head = ", ".join(paths[:shown])
    return head if len(paths) <= shown else f"{head} and {len(paths) - shown} more"
