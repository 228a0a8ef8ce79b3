"""One DecisionRecord per disputed item, whatever the layout states them as."""
from __future__ import annotations

from typing import Any

from .findings import Finding
from ..text.normalize import NormalizedText, unwrap
from ..records import DecisionRecord, evidence_row
from ..text.sections import Sections
from .guideline import parse_guideline
from .items import split_items
from .layouts import notice_items, professional_review_items
from .quantity import parse_quantity, product_rule_id
from .rationale import extract_rationale_finding


def decisions_for(doc: NormalizedText, sections: Sections, letter_id: str) -> tuple[list[DecisionRecord], list[dict]]:
    parser = _LAYOUT_PARSERS.get(sections.layout, _fdl_items)
    raw_items = parser(doc, sections)
    records, evidence = [], []
    for n, item in enumerate(raw_items, start=1):
        values, findings = build_decision(item)
        values.update(letter_id=letter_id, item_no=n)
        records.append(DecisionRecord(values))
        evidence.extend(evidence_row(letter_id, n, f, doc) for f in findings)
    return records, evidence


def build_decision(item: dict[str, Any]) -> tuple[dict[str, Any], list[Finding]]:
    """Turn one located item (title, outcome, guideline and rationale text with offsets) into column values."""
    from .service import body_part_canonical, classify_service, find_body_part

    title, base = item["title"], item["title_start"]
    findings = [
        Finding("service_text", title, base, item["title_end"], item["title_rule"], item["title_raw"]),
        Finding("outcome", item["outcome"], item["outcome_start"], item["outcome_end"], item["outcome_rule"],
                item["outcome"]),
    ]
    values: dict[str, Any] = {"service_text": title, "outcome": item["outcome"]}
    q = parse_quantity(item["title_raw"])
    values.update(
        quantity=q.quantity,
        frequency_per_week_min=q.frequency_per_week_min, frequency_per_week_max=q.frequency_per_week_max,
        duration_weeks_min=q.duration_weeks_min, duration_weeks_max=q.duration_weeks_max,
    )
    findings.extend(_expand_quantity_findings(q, base))
    values["quantity_from_schedule"] = q.from_schedule
    bp = find_body_part(item["title_raw"])
    if bp:
        values["body_part"] = bp.value
        values["body_part_canonical"], values["body_region"] = body_part_canonical(bp)
        side = bp.value.split(" ", 1)[0]
        values["laterality"] = side if side in ("right", "left", "bilateral") else None
        findings.append(bp.shifted(base))
    info = classify_service(title)
    values.update(service=info.service, service_category=info.service_category,
                  service_subcategory=info.service_subcategory, drug_name=info.drug_name,
                  drug_strength=info.drug_strength)
    values["claims_administrator_guideline"] = _flat(item.get("claims_guideline"))
    values["maximus_guideline"] = _flat(item.get("maximus_guideline"))
    if item.get("maximus_guideline"):
        cite = parse_guideline(item["maximus_guideline"])
        values.update(guideline_source=cite.source, guideline_year=cite.year, guideline_pages=cite.pages,
                      guideline_document=cite.document, guideline_section=cite.section, guideline_work=cite.work)
        start = item["maximus_start"]
        for field in ("guideline_source", "guideline_year", "guideline_pages"):
            if values.get(field) is not None:
                findings.append(Finding(field, values[field], start, start + len(item["maximus_guideline"]),
                                        cite.rule_id or "guideline-pages", _flat(item["maximus_guideline"])[:300]))
    if item.get("rationale"):
        values["rationale"] = _flat(item["rationale"])
        rf = extract_rationale_finding(item["rationale"])
        if rf:
            values["rationale_finding"] = rf.value
            findings.append(rf.shifted(item["rationale_start"]))
    return values, findings


def _expand_quantity_findings(q, base: int) -> list[Finding]:
    out = []
    for f in q.findings:
        if f.field == "frequency_per_week":
            out.append(Finding("frequency_per_week_min", f.value[0], f.start + base, f.end + base, f.rule_id, f.text))
            out.append(Finding("frequency_per_week_max", f.value[1], f.start + base, f.end + base, f.rule_id, f.text))
        elif f.field == "duration_weeks":
            out.append(Finding("duration_weeks_min", f.value[0], f.start + base, f.end + base, f.rule_id, f.text))
            out.append(Finding("duration_weeks_max", f.value[1], f.start + base, f.end + base, f.rule_id, f.text))
        else:
            out.append(f.shifted(base))
    schedule = [f for f in q.findings if f.field in ("frequency_per_week", "duration_weeks")]
    if q.from_schedule is not None and schedule:
        start, end = min(f.start for f in schedule) + base, max(f.end for f in schedule) + base
        out.append(Finding("quantity_from_schedule", q.from_schedule, start, end, product_rule_id(), ""))
        if not any(f.field == "quantity" for f in q.findings):
            out.append(Finding("quantity", q.quantity, start, end, product_rule_id(), ""))
    return out


def _flat(text: str | None) -> str | None:
    return unwrap(text) if text else None


def _fdl_items(doc: NormalizedText, sections: Sections) -> list[dict[str, Any]]:
    out = []
    for section in sections.all("issues"):
        body = section.text(doc)
        for it in split_items(body):
            s = section.start
            out.append({
                "title": it.title, "title_raw": body[it.title_start:it.title_end],
                "title_start": s + it.title_start, "title_end": s + it.title_end, "title_rule": it.title_rule,
                "outcome": it.outcome, "outcome_start": s + it.outcome_start, "outcome_end": s + it.outcome_end,
                "outcome_rule": "item-outcome",
                "claims_guideline": it.claims_administrator_guideline,
                "maximus_guideline": it.maximus_guideline,
                "maximus_start": s + it.maximus_start if it.maximus_start is not None else None,
                "rationale": it.rationale,
                "rationale_start": s + it.rationale_start if it.rationale_start is not None else None,
            })
    return out


#: Item parsers per layout; layouts not listed use the fdl parser.
_LAYOUT_PARSERS = {
    "fdl": _fdl_items,
    "fdl-documents-reviewed": _fdl_items,
    "notice-2013": notice_items,
    "professional-review": professional_review_items,
}
