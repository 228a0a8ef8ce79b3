"""The output schema, declared once, as the typed records that flow from extraction to the writers.

Every table is a dataclass here: its fields are the table's columns, in order, each with
its type (from the annotation), its meaning and its origin (``text``: read from the letter,
and backed by an evidence row; ``input``: about the input file; ``derived``: computed from
other columns). Writers, ``docs/schema.md``, the golden tests and the Parquet codebook all
read these declarations, so a column exists in exactly one place.

Records are plain, typed objects: ``record.patient_age`` is an ``int``, ``record.ur_date`` a
``datetime.date``; an unknown field is an error (``record["patient_agee"]`` raises KeyError).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from .extract.findings import Finding

ORIGINS = ("text", "input", "derived")


def column(description: str, origin: str = "text", factory: Any = None) -> Any:
    """Declare a column: its meaning and origin travel in the field's metadata."""
    meta = {"description": description, "origin": origin}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=None, metadata=meta)


@dataclass(frozen=True)
class Column:
    """One column of an output table."""

    name: str
    type: str  # string | int | bool | date | list | citations
    description: str
    origin: str = "text"


_TYPES = (("list[CitedDocumentRow", "citations"), ("list[", "list"), ("dt.date", "date"), ("bool", "bool"),
          ("int", "int"), ("str", "string"))

#: One entry of ``guideline_citations`` (a dict of these keys; Parquet: a struct).
CitedDocumentRow = dict  # keys: source, document, year, sections, pages


def _column_type(annotation: str) -> str:
    for marker, name in _TYPES:
        if annotation.startswith(marker) or annotation.split(" |")[0] == marker:
            return name
    raise TypeError(f"no column type for annotation {annotation!r}")


class _Record:
    """What every table's record shares: strict item access, JSON-ready and row forms."""

    __slots__ = ()
    _table: ClassVar[str] = ""

    @classmethod
    def columns(cls) -> tuple[Column, ...]:
        return _columns_of(cls)

    @classmethod
    def column_names(cls) -> frozenset[str]:
        return frozenset(c.name for c in _columns_of(cls))

    def __getitem__(self, key: str) -> Any:
        if key not in self.column_names():
            raise KeyError(f"{type(self).__name__} has no column {key!r}")
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """The column's value (``default`` when empty); an unknown column is an error, as with ``[]``."""
        value = self[key]
        return default if value is None else value

    def row(self) -> dict[str, Any]:
        """The record as one table row: dates as ISO text, lists as lists, everything else as is."""
        out = {}
        for c in _columns_of(type(self)):
            v = getattr(self, c.name)
            out[c.name] = v.isoformat() if isinstance(v, dt.date) else v
        return out

    def __repr__(self) -> str:
        shown = [f"{c.name}={getattr(self, c.name)!r}" for c in _columns_of(type(self))[:_REPR_COLUMNS]
                 if getattr(self, c.name) not in (None, [])]
        return f"{type(self).__name__}({', '.join(shown)}, ...)"


_REPR_COLUMNS = 8


def _columns_of(cls: type) -> tuple[Column, ...]:
    # Through a plain ``type`` parameter: mypy does not see ``type[Self]`` (``cls``, ``type(self)``) as Hashable.
    return _cached_columns_of(cls)


@cache
def _cached_columns_of(cls: type) -> tuple[Column, ...]:
    hints = typing.get_type_hints(cls, globalns={**globals(), "dt": dt})
    out = []
    for f in dataclasses.fields(cls):
        if "description" not in f.metadata:
            continue
        annotation = f.type if isinstance(f.type, str) else str(hints[f.name])
        out.append(Column(f.name, _column_type(annotation), f.metadata["description"], f.metadata["origin"]))
    return tuple(out)


@dataclass(slots=True, kw_only=True, repr=False, eq=True)
class Letter(_Record):
    """One letter: the columns of the ``letters`` table."""

    letter_id: str | None = column(
        'First 16 hex digits of the SHA-256 of the normalized letter text: the same for every copy of a letter '
        'whatever its file name or bytes (a re-saved PDF), and across runs and versions that normalize the text '
        'alike; it differs between --pdf-backend readers when their texts differ (join such runs on case_number).',
        origin="input")
    source_path: str | None = column('The input file (for a zip member: `archive.zip!member`).', origin="input")
    source_type: str | None = column('`pdf` or `text`.', origin="input")
    content_hash: str | None = column(
        "SHA-256 of the input file's bytes (resume and duplicate detection).", origin="input")
    page_count: int | None = column('Pages read (a text file without form feeds counts as one page).', origin="input")
    layout: str | None = column('`fdl`, `fdl-documents-reviewed`, `professional-review`, `notice-2013` or `unknown`.')
    case_number: str | None = column('IMR case number from the header (CMyy-nnnnnnn); empty without a header.')
    date_assigned: dt.date | None = column('Header `Date Assigned`.')
    decision_date: dt.date | None = column('Header `Decision Date` (2013 notices: the `Dated:` line).')
    injury_date: dt.date | None = column(
        'Header `Date of Injury`; without a header, the injury date the case summary states.')
    ur_date: dt.date | None = column(
        'Header `UR Denial Date`; without a header, the utilization review decision date the summary states (never a '
        'request, visit or appeal date).')
    priority: str | None = column('Header `Priority` (Standard / Expedited).')
    application_received: dt.date | None = column('Header `Application Received`.')
    patient_age: int | None = column('Age in years as stated in the case summary.')
    patient_sex: str | None = column(
        '`male` / `female` from the explicit description; pronouns only when no explicit word exists and all agree.')
    reviewer_specialties: list[str] = column(
        'Reviewer certifications/specialties as printed, in order.', factory=list)
    reviewer_specialties_canonical: list[str] = column(
        'The same, in canonical spelling (patterns/specialties.yaml); a name the vocabulary does not know is kept as '
        'printed.', factory=list)
    reviewer_board_certified: bool | None = column(
        'True only where the letter says the reviewer is board certified; empty otherwise.')
    reviewer_license_states: list[str] = column('States where the reviewer is licensed.', factory=list)
    diagnoses: list[str] = column(
        'The diagnoses the case summary states with explicit diagnosis wording, one entry per diagnosis, as printed '
        '(without the cue words); a coded diagnosis with internal commas is one entry.', factory=list)
    diagnosis_codes: list[str | None] = column(
        'ICD-10-CM code of each diagnosis, aligned with `diagnoses` (null where the text is not a code title; the '
        'code set of simple-icd-10-cm); empty when no diagnosis is a code title.', factory=list)
    diagnosis_chapters: list[str | None] = column(
        'ICD-10-CM chapter (body system) of each coded diagnosis, aligned with `diagnoses` ("Musculoskeletal", '
        '"Nervous system", ...).', factory=list)
    n_items: int | None = column('Number of disputed items that received a decision.', origin="derived")
    n_upheld: int | None = column('Items whose denial was upheld.', origin="derived")
    n_overturned: int | None = column('Items whose denial was overturned.', origin="derived")
    overall_outcome: str | None = column(
        '`upheld` (all items), `overturned` (all items) or `partial`; empty when no item.', origin="derived")


@dataclass(slots=True, kw_only=True, repr=False, eq=True)
class Decision(_Record):
    """One disputed item and its decision: the columns of the ``decisions`` table."""

    letter_id: str | None = column('The letter this item belongs to.', origin="input")
    item_no: int | None = column('1-based position of the item in the letter.', origin="derived")
    service_text: str | None = column(
        'The item as titled, wrapped lines joined, without the outcome and without a partial-certification lead-in.')
    outcome: str | None = column('`upheld` (denial stands) or `overturned` (treatment found necessary).')
    quantity: int | None = column(
        'Total units/sessions requested: a stated count wins, else frequency x weeks when both are single numbers; '
        'empty when the title states no count.')
    frequency_per_week_min: int | None = column('Sessions per week, lower bound (session-type requests).')
    frequency_per_week_max: int | None = column('Sessions per week, upper bound.')
    duration_weeks_min: int | None = column('Weeks requested, lower bound.')
    duration_weeks_max: int | None = column('Weeks requested, upper bound.')
    quantity_from_schedule: int | None = column(
        'Frequency x weeks when both are single numbers, kept beside a stated total (`quantity`) so the two can be '
        'compared.')
    quantity_min: int | None = column(
        'A range of counts in the title ("10-16 sessions"): its lower bound; `quantity` stays empty then.')
    quantity_max: int | None = column('The range\'s upper bound.')
    body_part: str | None = column(
        'Body part named in the title as printed, with laterality ("right wrist", "low back").')
    body_part_canonical: str | None = column(
        'The body part in canonical form (patterns/body_parts.yaml: "knee", "lumbar spine").')
    body_region: str | None = column('spine, upper extremity, lower extremity, head, trunk or other.')
    laterality: str | None = column('`right`, `left` or `bilateral` when the title says so.')
    service: str | None = column('Normalized service name (patterns/services.yaml).')
    service_category: str | None = column(
        'DWC report category: Pharmaceuticals, Rehabilitation, Diagnostic testing, DMEPOS, Surgery, Injections, '
        'Evaluation and management, Programs, Behavioral and mental health, Home health, Other.')
    service_subcategory: str | None = column('Finer class within the category (opioids, physical therapy, MRI, ...).')
    drug_name: str | None = column('Generic drug name for medication items (patterns/drugs.yaml).')
    drug_strength: str | None = column('Strength as printed ("10/325mg", "5%").')
    claims_administrator_guideline: str | None = column('The Claims Administrator guideline paragraph, raw text.')
    maximus_guideline: str | None = column('The MAXIMUS guideline paragraph, raw text.')
    guideline_source: str | None = column(
        'First citation of the MAXIMUS guideline: `MTUS`, `ODG`, `ACOEM`, `other`, or `none` (no medical evidence '
        'cited).')
    guideline_document: str | None = column(
        'MTUS document cited ("Chronic Pain Medical Treatment", "Low Back Complaints").')
    guideline_section: str | None = column('Section cited ("Massage therapy", "Special Studies").')
    guideline_work: str | None = column('For Non-MTUS citations: the cited work as printed.')
    guideline_year: int | None = column('Four-digit year printed inside the first citation.')
    guideline_citations: list[CitedDocumentRow] = column(
        'Every document the reviewer\'s guideline paragraph cites, in order: source (MTUS, ODG, ACOEM, other), '
        'document (the chapter or work as printed, without the guideline\'s own name, its year or the word '
        '"Chapter"; empty when prose names the guideline but no chapter), year (edition, or revision year), '
        'sections (the topics printed for it), pages. The first entry is the citation behind guideline_source '
        'and guideline_year.', factory=list)
    guideline_pages: str | None = column(
        'Every page printed in the MAXIMUS guideline paragraph, in order, "; "-joined.')
    rationale: str | None = column('The decision rationale, wrapped lines joined.')
    rationale_finding: str | None = column(
        "`medically_necessary` / `not_medically_necessary` from the rationale's conclusion; empty when it states "
        "neither.")


@dataclass(slots=True, kw_only=True, repr=False, eq=True)
class ErrorRow(_Record):
    """An input that could not become a letter: the columns of the ``errors`` table."""

    source_path: str | None = column('The input that could not become a letter.', origin="input")
    content_hash: str | None = column(
        "SHA-256 of the input's bytes (empty when it could not be read).", origin="input")
    error_kind: str | None = column(
        'empty_file, unreadable_file, file_too_large, corrupt_archive, encrypted_archive, unsupported_archive, '
        'refused_symlink, corrupt_pdf, encrypted_pdf, no_text_layer, undecodable_text, not_an_imr_letter, duplicate '
        '(the same letter text as an earlier input, named in the message), timeout, memory_limit, worker_crashed, '
        'internal_error.', origin="input")
    message: str | None = column('What went wrong and what to do about it.', origin="input")


@dataclass(slots=True, kw_only=True, repr=False, eq=True)
class Evidence(_Record):
    """Where one value came from: the columns of the ``evidence`` table."""

    letter_id: str | None = column('The letter the value belongs to.', origin="input")
    item_no: int | None = column('Item number for decision fields; empty for letter fields.', origin="derived")
    field: str | None = column('Output column the value went to.')
    value: str | None = column('The value, as text (lists JSON-encoded).')
    page: int | None = column("1-based page of the snippet's start.")
    char_start: int | None = column('Start offset in the normalized letter text.')
    char_end: int | None = column('End offset in the normalized letter text.')
    rule_id: str | None = column('The pattern rule that produced the value.')
    text: str | None = column('The matched source snippet.')


@dataclass(slots=True, kw_only=True, repr=False, eq=True)
class AuditFinding(_Record):
    """One data-quality finding: the columns of the ``audit`` table."""

    letter_id: str | None = column('The letter the finding is about.', origin="input")
    item_no: int | None = column(
        'The item, for findings about one decision; empty for letter findings.', origin="derived")
    check: str | None = column('The check that fired (patterns/audit.yaml id, before any dot).')
    severity: str | None = column('`error` (the row is likely wrong), `warning` (look before trusting it) or `info`.')
    message: str | None = column('What disagrees with what, quoting the letter where the check read text.')



@dataclass(slots=True, kw_only=True, repr=False, eq=False)
class LetterRecord(Letter):
    """A parsed letter: its ``letters`` columns as attributes, its decisions, the evidence behind every
    value, and the normalized text the offsets point into."""

    decisions: list[Decision] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    text: str = ""
    sections: Any = None  # the Sections the extractor cut the text into (not serialized)
    findings: list[Any] = field(default_factory=list)  # (section kind, Finding): all extraction found (audit)

    def __repr__(self) -> str:
        return (f"LetterRecord(letter_id={self.letter_id!r}, source_path={self.source_path!r}, "
                f"layout={self.layout!r}, n_items={self.n_items!r}, ...)")

    def letter(self) -> Letter:
        """The ``letters`` columns alone."""
        return Letter(**{c.name: getattr(self, c.name) for c in LETTER_COLUMNS})

    def rows(self, content_hash: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The letter as table rows (``letters``, ``decisions``, ``evidence``): what a run writes for it."""
        letter = self.row()
        letter["content_hash"] = content_hash
        return {"letters": [letter], "decisions": [d.row() for d in self.decisions],
                "evidence": [e.row() for e in self.evidence]}

    def to_dict(self, evidence: bool = False) -> dict[str, Any]:
        """JSON-ready: the letter's columns, ``decisions`` (and ``evidence``) as lists of plain dicts."""
        out: dict[str, Any] = self.row()
        out["decisions"] = [d.row() for d in self.decisions]
        if evidence:
            out["evidence"] = [e.row() for e in self.evidence]
        return out


LETTER_COLUMNS: tuple[Column, ...] = Letter.columns()
DECISION_COLUMNS: tuple[Column, ...] = Decision.columns()
ERROR_COLUMNS: tuple[Column, ...] = ErrorRow.columns()
EVIDENCE_COLUMNS: tuple[Column, ...] = Evidence.columns()
AUDIT_COLUMNS: tuple[Column, ...] = AuditFinding.columns()

TABLES: dict[str, tuple[Column, ...]] = {
    "letters": LETTER_COLUMNS,
    "decisions": DECISION_COLUMNS,
    "errors": ERROR_COLUMNS,
    "evidence": EVIDENCE_COLUMNS,
    "audit": AUDIT_COLUMNS,
}

#: The record class of each table.
RECORDS: dict[str, type] = {"letters": Letter, "decisions": Decision, "errors": ErrorRow, "evidence": Evidence,
                            "audit": AuditFinding}


def evidence_for(letter_id: str, item_no: int | None, f: Finding, doc: Any) -> Evidence:
    """One evidence row; the snippet is always the letter's own text between the offsets."""
    value = f.value if isinstance(f.value, str) else json.dumps(f.value.isoformat() if isinstance(f.value, dt.date)
                                                                else f.value)
    return Evidence(letter_id=letter_id, item_no=item_no, field=f.field, value=value, page=doc.page_at(f.start),
                    char_start=f.start, char_end=f.end, rule_id=f.rule_id, text=doc.text[f.start:f.end])
