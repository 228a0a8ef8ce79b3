"""The output schema, declared once: every table, column, type and meaning.

Writers, docs/schema.md and the tests all read these declarations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .extract.findings import Finding


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | int | bool | date | list | timestamp
    description: str


LETTER_COLUMNS: tuple[Column, ...] = (
    Column("letter_id", "string", "First 16 hex digits of the SHA-256 of the normalized letter text: the same for "
                                  "every copy of a letter whatever its file name or bytes (a re-saved PDF), and across "
                                  "runs and versions that normalize the text alike; it differs between "
                                  "--pdf-backend readers when their texts differ (join such runs on case_number)."),
    Column("source_path", "string", "The input file (for a zip member: `archive.zip!member`)."),
    Column("source_type", "string", "`pdf` or `text`."),
    Column("content_hash", "string", "SHA-256 of the input file's bytes (resume and duplicate detection)."),
    Column("page_count", "int", "Pages read (a text file without form feeds counts as one page)."),
    Column("layout", "string", "`fdl`, `fdl-documents-reviewed`, `professional-review`, `notice-2013` or `unknown`."),
    Column("case_number", "string", "IMR case number from the header (CMyy-nnnnnnn); empty without a header."),
    Column("date_assigned", "date", "Header `Date Assigned`."),
    Column("decision_date", "date", "Header `Decision Date` (2013 notices: the `Dated:` line)."),
    Column("injury_date", "date", "Header `Date of Injury`; without a header, the injury date the case summary states."),
    Column("ur_date", "date", "Header `UR Denial Date`; without a header, the utilization review decision date the "
                              "summary states (never a request, visit or appeal date)."),
    Column("priority", "string", "Header `Priority` (Standard / Expedited)."),
    Column("application_received", "date", "Header `Application Received`."),
    Column("patient_age", "int", "Age in years as stated in the case summary."),
    Column("patient_sex", "string", "`male` / `female` from the explicit description; pronouns only when no explicit "
                                    "word exists and all agree."),
    Column("reviewer_specialties", "list", "Reviewer certifications/specialties as printed, in order."),
    Column("reviewer_specialties_canonical", "list", "The same, in canonical spelling (patterns/specialties.yaml); "
                                                     "a name the vocabulary does not know is kept as printed."),
    Column("reviewer_board_certified", "bool", "True only where the letter says the reviewer is board certified; "
                                               "empty otherwise."),
    Column("reviewer_license_states", "list", "States where the reviewer is licensed."),
    Column("diagnoses", "list", "Diagnoses listed in the case summary (\"diagnosed with A, B and C\")."),
    Column("n_items", "int", "Number of disputed items that received a decision."),
    Column("n_upheld", "int", "Items whose denial was upheld."),
    Column("n_overturned", "int", "Items whose denial was overturned."),
    Column("overall_outcome", "string", "`upheld` (all items), `overturned` (all items) or `partial`; empty when no item."),
)

DECISION_COLUMNS: tuple[Column, ...] = (
    Column("letter_id", "string", "The letter this item belongs to."),
    Column("item_no", "int", "1-based position of the item in the letter."),
    Column("service_text", "string", "The item as titled, wrapped lines joined, without the outcome and without a "
                                     "partial-certification lead-in."),
    Column("outcome", "string", "`upheld` (denial stands) or `overturned` (treatment found necessary)."),
    Column("quantity", "int", "Total units/sessions requested: a stated count wins, else frequency x weeks when both "
                              "are single numbers; empty when the title states no count."),
    Column("frequency_per_week_min", "int", "Sessions per week, lower bound (session-type requests)."),
    Column("frequency_per_week_max", "int", "Sessions per week, upper bound."),
    Column("duration_weeks_min", "int", "Weeks requested, lower bound."),
    Column("duration_weeks_max", "int", "Weeks requested, upper bound."),
    Column("quantity_from_schedule", "int", "Frequency x weeks when both are single numbers, kept beside a stated "
                                            "total (`quantity`) so the two can be compared."),
    Column("body_part", "string", "Body part named in the title as printed, with laterality (\"right wrist\", "
                                  "\"low back\")."),
    Column("body_part_canonical", "string", "The body part in canonical form (patterns/body_parts.yaml: \"knee\", "
                                            "\"lumbar spine\")."),
    Column("body_region", "string", "spine, upper extremity, lower extremity, head, trunk or other."),
    Column("laterality", "string", "`right`, `left` or `bilateral` when the title says so."),
    Column("service", "string", "Normalized service name (patterns/services.yaml)."),
    Column("service_category", "string", "DWC report category: Pharmaceuticals, Rehabilitation, Diagnostic testing, "
                                          "DMEPOS, Surgery, Injections, Evaluation and management, Programs, Behavioral "
                                          "and mental health, Home health, Other."),
    Column("service_subcategory", "string", "Finer class within the category (opioids, physical therapy, MRI, ...)."),
    Column("drug_name", "string", "Generic drug name for medication items (patterns/drugs.yaml)."),
    Column("drug_strength", "string", "Strength as printed (\"10/325mg\", \"5%\")."),
    Column("claims_administrator_guideline", "string", "The Claims Administrator guideline paragraph, raw text."),
    Column("maximus_guideline", "string", "The MAXIMUS guideline paragraph, raw text."),
    Column("guideline_source", "string", "First citation of the MAXIMUS guideline: `MTUS`, `ODG`, `ACOEM`, `other`, "
                                         "or `none` (no medical evidence cited)."),
    Column("guideline_document", "string", "MTUS document cited (\"Chronic Pain Medical Treatment\", \"Low Back "
                                           "Complaints\")."),
    Column("guideline_section", "string", "Section cited (\"Massage therapy\", \"Special Studies\")."),
    Column("guideline_work", "string", "For Non-MTUS citations: the cited work as printed."),
    Column("guideline_year", "int", "Four-digit year printed inside the first citation."),
    Column("guideline_pages", "string", "Every page printed in the MAXIMUS guideline paragraph, in order, \"; \"-joined."),
    Column("rationale", "string", "The decision rationale, wrapped lines joined."),
    Column("rationale_finding", "string", "`medically_necessary` / `not_medically_necessary` from the rationale's "
                                          "conclusion; empty when it states neither."),
)

ERROR_COLUMNS: tuple[Column, ...] = (
    Column("source_path", "string", "The input that could not become a letter."),
    Column("content_hash", "string", "SHA-256 of the input's bytes (empty when it could not be read)."),
    Column("error_kind", "string", "empty_file, unreadable_file, file_too_large, corrupt_archive, encrypted_archive, "
                                   "unsupported_archive, refused_symlink, corrupt_pdf, encrypted_pdf, no_text_layer, "
                                   "undecodable_text, not_an_imr_letter, duplicate (the same letter text as an earlier "
                                   "input, named in the message), timeout, memory_limit, worker_crashed, "
                                   "internal_error."),
    Column("message", "string", "What went wrong and what to do about it."),
)

EVIDENCE_COLUMNS: tuple[Column, ...] = (
    Column("letter_id", "string", "The letter the value belongs to."),
    Column("item_no", "int", "Item number for decision fields; empty for letter fields."),
    Column("field", "string", "Output column the value went to."),
    Column("value", "string", "The value, as text (lists JSON-encoded)."),
    Column("page", "int", "1-based page of the snippet's start."),
    Column("char_start", "int", "Start offset in the normalized letter text."),
    Column("char_end", "int", "End offset in the normalized letter text."),
    Column("rule_id", "string", "The pattern rule that produced the value."),
    Column("text", "string", "The matched source snippet."),
)

AUDIT_COLUMNS: tuple[Column, ...] = (
    Column("letter_id", "string", "The letter the finding is about."),
    Column("item_no", "int", "The item, for findings about one decision; empty for letter findings."),
    Column("check", "string", "The check that fired (patterns/audit.yaml id, before any dot)."),
    Column("severity", "string", "`error` (the row is likely wrong), `warning` (look before trusting it) or `info`."),
    Column("message", "string", "What disagrees with what, quoting the letter where the check read text."),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "letters": LETTER_COLUMNS,
    "decisions": DECISION_COLUMNS,
    "errors": ERROR_COLUMNS,
    "evidence": EVIDENCE_COLUMNS,
    "audit": AUDIT_COLUMNS,
}


@dataclass
class DecisionRecord:
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class LetterRecord:
    values: dict[str, Any]
    decisions: list[DecisionRecord] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    sections: Any = None  # the Sections the extractor cut the text into (not serialized)

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)

    def rows(self, content_hash: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The letter as table rows (``letters``, ``decisions``, ``evidence``): what a run writes for it."""
        letter = dict(self.values)
        letter["content_hash"] = content_hash
        return {"letters": [letter], "decisions": [d.values for d in self.decisions], "evidence": self.evidence}

    def to_dict(self, evidence: bool = False) -> dict[str, Any]:
        out = {c.name: self.values.get(c.name) for c in LETTER_COLUMNS}
        out["decisions"] = [{c.name: d.values.get(c.name) for c in DECISION_COLUMNS} for d in self.decisions]
        if evidence:
            out["evidence"] = self.evidence
        return out


def evidence_row(letter_id: str, item_no: int | None, f: Finding, doc) -> dict[str, Any]:
    """One evidence row; the snippet is always the letter's own text between the offsets."""
    import json

    value = f.value if isinstance(f.value, str) else json.dumps(f.value)
    return {"letter_id": letter_id, "item_no": item_no, "field": f.field, "value": value,
            "page": doc.page_at(f.start), "char_start": f.start, "char_end": f.end, "rule_id": f.rule_id,
            "text": doc.text[f.start:f.end]}
