"""Item extractors: one located :class:`Item` in, the findings of its decision columns out.

Each extractor reads only the item's spans (title, outcome, guideline and rationale parts)
and yields :class:`Finding` values with offsets into the normalized text and the rule that
produced them; ``extract.letter`` registers them and assigns their findings to a Decision.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..rules import first_rule
from ..text.normalize import NormalizedText, unwrap
from .citations import parse_citations
from .findings import Finding
from .guideline import parse_guideline
from .items import Item
from .quantity import parse_quantity, product_rule_id
from .rationale import extract_rationale_finding
from .service import body_part_canonical, classify_service, find_body_part


def item_heading(item: Item, doc: NormalizedText) -> Iterator[Finding]:
    """service_text and outcome, as the locator found them."""
    t, o = item.title_span, item.outcome_span
    yield Finding("service_text", item.title, t.start, t.end, t.rule_id, doc.text[t.start:t.end])
    yield Finding("outcome", item.outcome, o.start, o.end, o.rule_id, doc.text[o.start:o.end])


def item_quantity(item: Item, doc: NormalizedText) -> Iterator[Finding]:
    """Quantity, frequency and duration from the title (the quantity grammar, patterns/frequencies.yaml)."""
    base = item.title_span.start
    q = parse_quantity(item.title_span.text(doc))
    for f in q.findings:
        if f.field in ("frequency_per_week", "duration_weeks"):
            yield Finding(f"{f.field}_min", f.value[0], f.start + base, f.end + base, f.rule_id, f.text)
            yield Finding(f"{f.field}_max", f.value[1], f.start + base, f.end + base, f.rule_id, f.text)
        else:
            yield f.shifted(base)
    schedule = [f for f in q.findings if f.field in ("frequency_per_week", "duration_weeks")]
    if q.from_schedule is not None and schedule and q.quantity_min is None:
        start, end = min(f.start for f in schedule) + base, max(f.end for f in schedule) + base
        rule_id = product_rule_id()
        yield Finding("quantity_from_schedule", q.from_schedule, start, end, rule_id, doc.text[start:end])
        if not any(f.field == "quantity" for f in q.findings):
            yield Finding("quantity", q.quantity, start, end, rule_id, doc.text[start:end])


def item_body_part(item: Item, doc: NormalizedText) -> Iterator[Finding]:
    """The body part named in the title, its canonical form, region and side."""
    base = item.title_span.start
    found = find_body_part(item.title_span.text(doc))
    if not found:
        return
    part = found.part.shifted(base)
    yield part
    canonical, region = body_part_canonical(found.part)
    yield Finding("body_part_canonical", canonical, part.start, part.end, part.rule_id, part.text)
    yield Finding("body_region", region, part.start, part.end, part.rule_id, part.text)
    if found.side is not None:
        yield found.side.shifted(base)


def item_service(item: Item, doc: NormalizedText) -> Iterator[Finding]:
    """Service, DWC category and subcategory, drug and strength, from the vocabularies."""
    base = item.title_span.start
    for f in classify_service(item.title).findings:
        # the classification reads the flattened title; its spans are mapped back onto the printed title
        start, end = _title_offsets(item, doc, f.start, f.end)
        yield Finding(f.field, f.value, base + start, base + end, f.rule_id, doc.text[base + start:base + end])


def item_guideline(item: Item, doc: NormalizedText) -> Iterator[Finding]:
    """The guideline paragraphs as printed, and what the reviewer's paragraph cites."""
    for name, column in (("claims", "claims_administrator_guideline"), ("maximus", "maximus_guideline")):
        span = item.parts.get(name)
        if span is not None:
            yield Finding(column, unwrap(span.text(doc)), span.start, span.end, span.rule_id, span.text(doc))
    span = item.parts.get("maximus")
    if span is None:
        return
    cite = parse_guideline(span.text(doc))
    cited = parse_citations(span.text(doc))
    source, year = cite.source, cite.year
    if cited and (cited[0].source, cited[0].year) != (source, year):
        # the first cited document decides, with its own year ("MTUS Postsurgical ..., pages 22-23; MTUS Hip
        # ... 2019": none; "ACOEM ..., which is part of the MTUS": MTUS)
        source, year = cited[0].source, cited[0].year
    values = {"guideline_source": source, "guideline_year": year, "guideline_pages": cite.pages,
              "guideline_document": cite.document, "guideline_section": cite.section, "guideline_work": cite.work}
    for column, value in values.items():
        if value is not None:
            rule_id = cite.rule_ids.get(column) or cite.rule_id
            yield Finding(column, value, span.start, span.end, rule_id, span.text(doc))
    if cited:
        yield Finding("guideline_citations", [c.as_dict() for c in cited], span.start, span.end,
                      cited[0].rule_id or cite.rule_id or first_rule("guidelines", "citation").id, span.text(doc))


def item_rationale(item: Item, doc: NormalizedText) -> Iterator[Finding]:
    """The rationale as printed, and its own conclusion on medical necessity."""
    span = item.parts.get("rationale")
    if span is None:
        return
    text = span.text(doc)
    yield Finding("rationale", unwrap(text), span.start, span.end, span.rule_id, text)
    found = extract_rationale_finding(text)
    if found:
        yield found.shifted(span.start)


def _title_offsets(item: Item, doc: NormalizedText, start: int, end: int) -> tuple[int, int]:
    """Offsets in the item's title (wrapped lines joined, ends trimmed) -> offsets in the printed title."""
    raw = item.title_span.text(doc)
    index = _flat_index(raw)
    lead = max(0, unwrap(raw).find(item.title))
    if not index or end <= start:
        return 0, 0
    a = index[min(lead + start, len(index) - 1)]
    b = index[min(lead + end - 1, len(index) - 1)] + 1
    return a, b


def _flat_index(raw: str) -> list[int]:
    """For each character of ``unwrap(raw)``, its offset in ``raw``."""
    out: list[int] = []
    in_space = False
    started = False
    for i, ch in enumerate(raw):
        if ch.isspace():
            if started and not in_space:
                out.append(i)
            in_space = True
        else:
            out.append(i)
            in_space = False
            started = True
    while out and raw[out[-1]].isspace():
        out.pop()
    return out
