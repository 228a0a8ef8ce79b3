"""Per-field accuracy of a run's tables against hand-checked expected values.

Expected values come as one JSON file per letter (``<stem>.json``, the shape of
``corpus/expected``) or one file ``{"letters": {stem: {...}}}``. A key absent
from an expected record is not scored; ``null`` means the letter states no
value, so the output must be empty there. Values compare the way FIELDS.md
says: text case- and punctuation-insensitively, lists as sets, numbers as numbers.

The analytic fields are scored too when the expected records hold them:
``diagnoses`` as recall and precision over the letter's list (a diagnosis matches
one written with the same words, or one whose words are at least 80% the same and
contained in it), ``drug_name`` (a compound matches any one of its ingredients),
``service_category`` and ``guideline_citations`` (the cited documents in order:
source, document, year, pages, sections). ``category`` and ``drug`` are read as
``service_category`` and ``drug_name``; a letter or item marked ``"doubt": true``
is left out of the analytic scores, since its expected value is itself uncertain.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from ..rules import compile_cached

LETTER_FIELDS = ("layout", "case_number", "date_assigned", "decision_date", "injury_date", "ur_date", "patient_age",
                 "patient_sex", "reviewer_specialties", "reviewer_board_certified", "reviewer_license_states",
                 "n_items", "priority", "application_received")
DECISION_FIELDS = ("service_text", "outcome", "quantity", "frequency_per_week_min", "frequency_per_week_max",
                   "duration_weeks_min", "duration_weeks_max", "body_part", "guideline_source", "guideline_year",
                   "guideline_pages", "guideline_document", "guideline_section", "service_category", "drug_name",
                   "guideline_citations")
#: Other names expected files use for a decision field.
ALIASES = {"category": "service_category", "drug": "drug_name"}
#: Fields an item marked doubtful is not scored on.
ANALYTIC = {"service_category", "drug_name", "diagnoses"}
NUMERIC = {"patient_age", "n_items", "quantity", "frequency_per_week_min", "frequency_per_week_max",
           "duration_weeks_min", "duration_weeks_max", "guideline_year"}
LISTS = {"reviewer_specialties", "reviewer_license_states"}


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, (list, tuple)):
        return len(v) == 0
    return str(v).strip().lower() in ("", "nan", "none", "null", "[]", "<na>", "nat")


def fold_text(v: Any) -> str:
    """``v`` as text for comparison: lowercase, "&" as "and", every character but a-z, 0-9, / ; . - as a space,
    spaces collapsed, and no spaces or periods at the ends."""
    s = str(v).replace("&", " and ").lower()
    s = regex.sub(r"[^a-z0-9/;.\- ]+", " ", s)
    return regex.sub(r"\s+", " ", s).strip(" .")


def _as_list(v: Any) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    try:
        parsed = json.loads(v)
        return parsed if isinstance(parsed, list) else [parsed]
    except (TypeError, ValueError):
        return list(regex.split(r"[;|]", str(v)))


def _pages(v: Any) -> list[str]:
    return sorted(regex.sub(r"\s+", "", p) for p in regex.findall(r"\d+(?:\s*-\s*\d+)?", str(v)))


def _fold_diagnosis(v: Any) -> str:
    s = regex.sub(r"[^a-z0-9/ ]+", " ", str(v).replace("&", " and ").lower())
    return regex.sub(r"\s+", " ", s).strip()


def same_diagnosis(expected: Any, got: Any) -> bool:
    """The same words, or one contained in the other sharing at least 80% of the words."""
    a, b = _fold_diagnosis(expected), _fold_diagnosis(got)
    if a == b:
        return bool(a)
    wa, wb = set(a.split()), set(b.split())
    return bool(wa and wb) and (a in b or b in a) and len(wa & wb) / max(len(wa), len(wb)) >= 0.8


_GUIDELINE_NAME = compile_cached(r"^(?:official disability guidelines?(?: odg)?|odg|ca mtus|mtus|acoem)\s+|"
                                r"\s+(?:guidelines?|chapter)$")


def _document_key(v: Any) -> str:
    """A cited document's title without the guideline's own name or a trailing "Guidelines"/"Chapter"
    ("Official Disability Guidelines (ODG) Knee & Leg Chapter" and "Knee & Leg" are one document)."""
    folded, previous = fold_text(v or ""), None
    while folded != previous:
        previous, folded = folded, _GUIDELINE_NAME.sub("", folded).strip()
    return folded


def _citation_key(c: Any) -> tuple:
    c = c if isinstance(c, dict) else {}
    sections = c.get("sections") or []
    if isinstance(sections, str):
        sections = _as_list(sections)
    return (fold_text(c.get("source") or ""), _document_key(c.get("document")),
            str(c.get("year") or "").split(".")[0], tuple(_pages(c.get("pages") or "")),
            frozenset(fold_text(x) for x in sections))


def _same_number(expected: Any, got: Any) -> bool:
    try:
        return float(expected) == float(got)
    except (TypeError, ValueError):
        return False


def _same_flag(expected: Any, got: Any) -> bool:
    return (str(expected).lower() in ("true", "1")) == (str(got).lower() in ("true", "1"))


def values_match(name: str, expected: Any, got: Any) -> bool:
    """Whether ``got`` matches the expected value of ``name`` the way FIELDS.md compares them (two empties match)."""
    if _empty(expected) or _empty(got):
        return _empty(expected) and _empty(got)
    if name in NUMERIC:
        return _same_number(expected, got)
    if name == "reviewer_board_certified":
        return _same_flag(expected, got)
    if name in LISTS:
        return {fold_text(x) for x in _as_list(expected)} == {fold_text(x) for x in _as_list(got)}
    if name == "guideline_pages":
        return _pages(expected) == _pages(got)
    if name == "drug_name":
        e, g = fold_text(expected), fold_text(got)
        return g == e or g in e.split("/")
    if name == "guideline_citations":
        return [_citation_key(c) for c in _as_list(expected)] == [_citation_key(c) for c in _as_list(got)]
    if name == "service_text":
        # a few characters of debris are tolerated, a missing or extra clause is not
        e, g = fold_text(expected), fold_text(got)
        return (e in g and len(g) <= 1.25 * len(e) + 5) or (g in e and len(g) >= 0.8 * len(e))
    return fold_text(expected) == fold_text(got)


#: Lists whose order carries no meaning (the reviewer's credentials); every other list is compared in order.
UNORDERED = {"reviewer_specialties", "reviewer_specialties_canonical", "reviewer_license_states"}


def _column_types() -> dict[str, str]:
    from ..records import DECISION_COLUMNS, LETTER_COLUMNS

    return {c.name: c.type for c in (*LETTER_COLUMNS, *DECISION_COLUMNS)}


def _fold_item(v: Any) -> str:
    return "" if _empty(v) else fold_text(v)


def values_equal(name: str, expected: Any, got: Any) -> bool:
    """Exact equality of one column's values, as golden files need: text up to case, punctuation and
    spacing, numbers as numbers, dates as ISO dates, lists in order (credentials as sets), pages in
    any order, citations entry by entry. No tolerance for a missing or extra word."""
    if _empty(expected) or _empty(got):
        return _empty(expected) and _empty(got)
    kind = _column_types().get(name, "string")
    if kind == "int":
        return _same_number(expected, got)
    if kind == "bool":
        return _same_flag(expected, got)
    if kind == "date":
        return str(expected)[:10] == str(got)[:10]
    if kind == "citations":
        return values_match("guideline_citations", expected, got)
    if kind == "list":
        e, g = [_fold_item(x) for x in _as_list(expected)], [_fold_item(x) for x in _as_list(got)]
        return sorted(e) == sorted(g) if name in UNORDERED else e == g
    if name == "guideline_pages":
        return _pages(expected) == _pages(got)
    return fold_text(expected) == fold_text(got)


@dataclass
class Evaluation:
    """The tallies of a scoring: right and scored per field and per layout, the misses, stated values found,
    values invented, letters all right, and the diagnosis recall and precision counts."""

    per_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[str] = field(default_factory=list)
    stated: int = 0
    found: int = 0
    invented: int = 0
    letters: int = 0
    letters_perfect: int = 0
    by_layout: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    #: diagnoses: expected found, expected, output matched, output (recall = 0/1, precision = 2/3)
    diagnoses: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    def score_diagnoses(self, key: str, expected: Any, got: Any) -> None:
        want = [w for w in _as_list(expected) if not _empty(w)] if not _empty(expected) else []
        have = [h for h in _as_list(got) if not _empty(h)] if not _empty(got) else []
        found = sum(any(same_diagnosis(w, h) for h in have) for w in want)
        right = sum(any(same_diagnosis(w, h) for w in want) for h in have)
        for i, n in enumerate((found, len(want), right, len(have))):
            self.diagnoses[i] += n
        if found < len(want) or right < len(have):
            self.misses.append(f"{key}.diagnoses: expected {want!r}, got {have!r}")

    def score(self, key: str, name: str, expected: Any, got: Any) -> bool:
        ok = values_match(name, expected, got)
        tally = self.per_field[name]
        tally[0] += ok
        tally[1] += 1
        if _empty(expected):
            self.invented += not _empty(got)
        else:
            self.stated += 1
            self.found += ok
        if not ok:
            self.misses.append(f"{key}.{name}: expected {expected!r}, got {got!r}")
        return ok

    @property
    def correct(self) -> int:
        return sum(c for c, _ in self.per_field.values())

    @property
    def total(self) -> int:
        return sum(t for _, t in self.per_field.values())

    def report(self, verbose: bool = False) -> str:
        lines = [f"{'field':32s} {'right':>7s} {'of':>5s} {'accuracy':>9s}"]
        for name in list(LETTER_FIELDS) + list(DECISION_FIELDS):
            if name in self.per_field:
                c, t = self.per_field[name]
                lines.append(f"{name:32s} {c:7d} {t:5d} {c / t:9.3f}")
        acc = self.correct / self.total if self.total else 0.0
        rec = self.found / self.stated if self.stated else 0.0
        lines.append(f"overall: {self.correct}/{self.total} = {acc:.4f}; stated values found {self.found}/"
                     f"{self.stated} = {rec:.4f}; invented {self.invented}; letters all right "
                     f"{self.letters_perfect}/{self.letters}")
        found, want, right, have = self.diagnoses
        if want or have:
            lines.append(f"diagnoses: recall {found}/{want} = {found / want if want else 0:.3f}; "
                         f"precision {right}/{have} = {right / have if have else 0:.3f}")
        if len(self.by_layout) > 1:
            for layout, (c, t, n) in sorted(self.by_layout.items()):
                lines.append(f"  layout {layout:24s} {c}/{t} = {c / t if t else 0:.4f} over {n} letters")
        if verbose:
            lines.extend("MISS " + m for m in self.misses)
        return "\n".join(lines)


class GoldError(ValueError):
    """The expected values cannot be read (not JSON, or not expected records); the message names the file."""


def _read_gold_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise GoldError(f"{path} is not a JSON file of expected values ({exc})") from exc


def load_gold(path: str | Path) -> dict[str, dict]:
    """Expected records by file stem, from a folder of ``<stem>.json`` or one ``{"letters": {...}}`` file."""
    path = Path(path)
    if path.is_dir():
        gold = {p.stem: _read_gold_file(p) for p in sorted(path.glob("*.json"))}
        if not gold:
            raise GoldError(f"{path} holds no .json files of expected values")
    else:
        data = _read_gold_file(path)
        gold = data["letters"] if isinstance(data, dict) and "letters" in data else data
    if not isinstance(gold, dict) or not all(isinstance(v, dict) for v in gold.values()):
        raise GoldError(f"{path}: expected records by letter ({{stem: {{field: value}}}}), found something else")
    return gold


def evaluate_records(records: dict[str, dict], gold: dict[str, dict]) -> Evaluation:
    """``records``: stem -> letter dict with a ``decisions`` list (as LetterRecord.to_dict gives)."""
    ev = Evaluation()
    for stem, expected in sorted(gold.items()):
        ev.letters += 1
        before = (ev.correct, ev.total)
        got = records.get(stem)
        if got is None:  # every expected value then counts as missed
            ev.misses.append(f"{stem}: no output row")
            got = {}
        scored = [ev.score(stem, name, expected[name], got.get(name)) for name in LETTER_FIELDS if name in expected]
        ok = all(scored)  # every field scored first: all() over a generator would stop at the first miss
        if "diagnoses" in expected and not expected.get("doubt"):
            ev.score_diagnoses(stem, expected["diagnoses"], got.get("diagnoses"))
        got_items = got.get("decisions", [])
        for i, exp_item in enumerate(expected.get("decisions", [])):
            item = got_items[i] if i < len(got_items) else {}
            exp_item = {ALIASES.get(k, k): v for k, v in exp_item.items()}
            for name in DECISION_FIELDS:
                if name in exp_item and not (name in ANALYTIC and exp_item.get("doubt")):
                    ok = ev.score(f"{stem}.item{i + 1}", name, exp_item[name], item.get(name)) and ok
        ev.letters_perfect += ok
        tally = ev.by_layout[str(expected.get("layout", "?"))]
        tally[0] += ev.correct - before[0]
        tally[1] += ev.total - before[1]
        tally[2] += 1
    return ev


def records_from_output(out_dir: str | Path) -> dict[str, dict]:
    """The run's letters by file stem, each with its ``decisions`` in item order, as plain Python values.

    Reads whichever format the run wrote (``io.tables.read_run``); raises
    ``RunNotFound`` when the folder holds no run.
    """
    from ..io.tables import read_run

    tables = read_run(out_dir, ("letters", "decisions"))
    by_letter: dict[str, list[dict]] = defaultdict(list)
    for row in tables["decisions"].sort_values(["letter_id", "item_no"]).to_dict("records"):
        by_letter[row["letter_id"]].append(_plain(row))
    records = {}
    for row in tables["letters"].to_dict("records"):
        row = _plain(row)
        stem = Path(str(row["source_path"]).split("!")[-1]).stem
        row["decisions"] = by_letter.get(row["letter_id"], [])
        records[stem] = row
    return records


def _plain(row: dict) -> dict:
    """Dates as ISO text (the form expected files use), nested values as Python lists and dicts."""
    out = {}
    for k, v in row.items():
        if hasattr(v, "tolist"):
            v = v.tolist()
        if hasattr(v, "isoformat"):
            v = v.isoformat()
        out[k] = v
    return out
