"""Every document the reviewer's guideline paragraph cites, in order: source, document, year, sections, pages.

A paragraph is cut at each citation start ("Decision based on MTUS ...", "Decision based on Non-MTUS
Citation ..."), or, in prose, at each guideline it names; a citation of the MTUS that names several
chapters (patterns/chapters.yaml) each with its edition year is one document per chapter. The
first entry is the citation that decides ``guideline_source`` and ``guideline_year``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import regex

from ..rules import compile_cached, first_rule, on_reset, rules_for
from ..text.normalize import unwrap
from .guideline import citation_starts, classify_work, extract_pages, first_work_end, first_year, revision_year

_SECTION_LABEL = compile_cached(r"\bSection\(?s?\)?\s*:?\s*", regex.IGNORECASE)
_SECTION_LABEL_COLON = compile_cached(r"\bSection\(?s?\)?\s*:\s*", regex.IGNORECASE)
_PAGE_LABEL = compile_cached(r",?\s*\b(?:Page\(?s?\)?|pages?|pgs?\.?|pp\.)\s*:?\s*\d", regex.IGNORECASE)
_NOTE_AFTER = compile_cached(r",?\s*\(?\b(?:updated|revised|last\s+updated)\b", regex.IGNORECASE)
_LEADING_NOTE = compile_cached(r"[\s,]*(?:\(\s*(?:updated|revised|rev\.)[^)]*\)"
                               r"|(?:last\s+)?(?:updated|revised)\s+(?:\d{1,2}(?:/\d{1,2})?/)?\d{2,4}\s*,)",
                               regex.IGNORECASE)
#: Where the topics printed after an ODG chapter end: a revision note, a label, a year, the sentence's end.
_TOPICS_END = compile_cached(r",\s*(?:Revised|Updated|Last\s+updated|Rev\.)\b|,?\s*\bSection\(?s?\)?"
                            r"|,?\s*\bPage\(?s?\)?|,?\s*\(?(?:updated|revised)\b|,?\s*\b(?:19|20)\d\d\b|\.(?:\s|$)|\s*\Z",
                            regex.IGNORECASE)
_YEAR_AFTER = compile_cached(r"(?:\s+Guidelines?\b)?[\s,(]*((?:19|20)\d\d)\b\)?", regex.IGNORECASE)
_ODG_NAME = compile_cached(r"\A\W*(?:the\s+)?(?:Work\s+Loss\s+Data\s+Institute[^,;]*[,;]\s*)?"
                          r"(?:Official\s+Disability\s+Guidelines?\s*(?:\(ODG\))?|ODG)(?:[\s-]+TWC)?\s*,?\s*",
                          regex.IGNORECASE)
#: ACOEM's own name as a citation prints it, with its edition, year and chapter number: not the document.
_ACOEM_NAME = compile_cached(
    r"\A\W*(?:the\s+)?(?:American\s+College\s+of\s+Occupational\s+and\s+Environmental\s+Medicine\s*(?:\(ACOEM\))?|ACOEM)"
    r"(?:[\s,]*(?:Occupational\s+Medicine\s+)?Practice\s+Guidelines?)?"
    r"(?:[\s,]*(?:\d+(?:st|nd|rd|th)|Second|Third)\s+Ed(?:ition|\.)?)?(?:[\s,]*\(?\s*(?:19|20)\d\d\s*\)?)?"
    r"(?:[\s,]*Chapter\s+\d+\b)?[\s,:]*", regex.IGNORECASE)
#: What opens another citation inside a reviewer's sentence: "..., and (also relied) on the", "; ".
_ANOTHER_CITATION = compile_cached(r"(?:,?\s+and\s+(?:also\s+)?(?:(?:relied|based\s+(?:the\s+)?decision)\s+)?"
                                   r"(?:on|upon)\s+(?:the\s+)?|;\s*(?:and\s+)?(?:the\s+)?)\Z", regex.IGNORECASE)
#: Nothing but ACOEM's name, edition and year before a chapter ("(ACOEM Practice Guidelines, 2nd Edition, 2004), ").
_ACOEM_ONLY = compile_cached(
    r"(?:[\s,():]+|the\b|ACOEM\b|American\s+College\s+of\s+Occupational\s+and\s+Environmental\s+Medicine\b"
    r"|Occupational\s+Medicine\b|Practice\b|Guidelines?\b|\d+(?:st|nd|rd|th)\b|Second\b|Third\b|Ed(?:ition\b|\.)"
    r"|(?:19|20)\d\d\b|Chapter\s+\d+\b)*", regex.IGNORECASE)
_REVISION_NOTE = compile_cached(r"\(\s*(?:updated|revised|rev\.)[^)]*\)?", regex.IGNORECASE)
_CHAPTER_NUMBER = compile_cached(r"\bChapter\s+\d", regex.IGNORECASE)
_CHAPTER_WORD = compile_cached(r"\s+chapter\b", regex.IGNORECASE)
_DOC_END = compile_cached(r",?\s*\((?:[^()]*?\s)?(?:revised|updated)\b|,\s*(?:Revised|Updated|Last\s+updated|Rev\.)\b"
                         r"|,?\s*\bSection\(?s?\)?|,?\s*\bPage\(?s?\)?|,?\s*\b(?:accessed|retrieved|viewed)\b"
                         r"|,?\s*\b\d{1,2}/(?:\d{1,2}/)?(?:19|20)\d\d\b|,?\s*\b(?:19|20)\d\d\b"
                         r"|(?<!\b(?-i:[A-Z]))\.(?:\s|$)|;(?:\s|$)|\s*\Z",
                         regex.IGNORECASE)


@dataclass(frozen=True)
class CitedDocument:
    """One document a guideline paragraph cites."""

    source: str | None  # MTUS | ODG | ACOEM | other
    document: str | None
    year: int | None
    sections: tuple[str, ...]
    pages: str | None
    rule_id: str | None

    def as_dict(self) -> dict:
        return {"source": self.source, "document": self.document, "year": self.year,
                "sections": list(self.sections), "pages": self.pages}


def _flat(paragraph: str) -> str:
    return first_rule("guidelines", "skip").regex.sub(" ", unwrap(paragraph)).strip()


@lru_cache(maxsize=8192)
def parse_citations(paragraph: str) -> tuple[CitedDocument, ...]:
    """The documents cited, in order (none when the reviewer cited no evidence)."""
    flat = _flat(paragraph)
    starts = citation_starts(flat)
    segments: list[tuple[int, int, str, str]] = []  # (body start, end, how introduced, rule id)
    if starts:
        for i, (_a, b, rule) in enumerate(starts):
            stop = starts[i + 1][0] if i + 1 < len(starts) else len(flat)
            if rule.source == "none":
                continue
            segments.append((b, stop, rule.source, rule.id))
    else:
        for a, b in _mentions(flat):
            segments.append((a, b, "prose", ""))
    if starts:  # "relied on the ACOEM ..., and on the ODG ...": a prose citation names each guideline it uses
        split: list[tuple[int, int, str, str]] = []
        for a, b, introduced, rule_id in segments:
            pieces = _mentions(flat[a:b]) if introduced == "prose" else []
            pieces = [pc for pc in pieces[1:] if _ANOTHER_CITATION.search(flat, a, a + pc[0])]
            if pieces:
                bounds = [0] + [p0 for p0, _ in pieces] + [b - a]
                split += [(a + x, a + y, introduced, rule_id) for x, y in pairwise(bounds)]
            else:
                split.append((a, b, introduced, rule_id))
        segments = split
    out: list[CitedDocument] = []
    for a, b, introduced, rule_id in segments:
        body = flat[a:b].strip(" :;")
        if not body:
            continue
        if introduced == "MTUS":
            out.extend(_mtus(body, rule_id))
            continue
        while introduced == "non-MTUS" and body:  # "ODG ..., a topic; Another work, 2012": one document each
            end = first_work_end(body)
            work, body = body[:end].strip(" ;"), body[end + 1:].strip(" ;")
            if work:
                source, work_rule = classify_work(work, "non-mtus")
                out.append(_other(work, source, work_rule or rule_id))
        if introduced == "non-MTUS":
            continue
        source, work_rule = classify_work(body, "prose") if introduced == "prose" else (introduced, rule_id)
        if source == "non-MTUS":  # "relied on the ODG ..., which is not part of the MTUS": which work
            source, work_rule = classify_work(body, "non-mtus")
        if source == "MTUS" and introduced == "prose":
            out.extend(_mtus(body, work_rule or rule_id, prose=True))
            continue
        out.append(_other(body, source, work_rule or rule_id, prose=introduced == "prose"))
    if not starts:  # prose names a guideline again ("the MTUS does not address ..."): no new document
        out = [c for i, c in enumerate(out)
               if c.document or c.year or c.pages or c.sections or all(o.source != c.source for o in out[:i])]
    return tuple(out)


on_reset(parse_citations.cache_clear)


#: A mention right after a sentence's end ("... page 16. California MTUS, Chronic Pain ...") cites anew.
_SENTENCE_BEFORE = compile_cached(r"(?<![A-Z]|\b[a-z]{1,3})[.;]\s+\Z")


def _mentions(flat: str) -> list[tuple[int, int]]:
    """Spans of prose naming guidelines: from each named guideline to the next of another kind."""
    found = sorted((m.start(), m.end(), r.id) for r in rules_for("guidelines", "mention")
                   for m in r.regex.finditer(flat))
    spans: list[tuple[int, int]] = []
    last_rule = None
    last_end = -10
    for start, end, rid in found:
        opens_sentence = _SENTENCE_BEFORE.search(flat, 0, start) is not None
        if (rid == last_rule and not opens_sentence) or start - last_end <= 3:
            last_end = max(last_end, end)
            continue  # the same guideline named again in its own citation, or one name ("MTUS / ACOEM")
        spans.append((start, len(flat)))
        last_rule, last_end = rid, end
    return [(a, spans[i + 1][0] if i + 1 < len(spans) else b) for i, (a, b) in enumerate(spans)]


def _chapters(body: str, source: str = "MTUS", start: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, rule id) of every chapter of ``source`` the text names, longest first where two overlap."""
    hits = sorted(((m.start(), m.end(), r.id) for r in rules_for("chapters") if r.source == source
                   for m in r.regex.finditer(body, start)),
                  key=lambda h: (h[0], h[0] - h[1]))
    kept: list[tuple[int, int, str]] = []
    for h in hits:
        if kept and h[0] < kept[-1][1]:
            continue
        kept.append(h)
    return kept


def _mtus(body: str, rule_id: str, prose: bool = False) -> list[CitedDocument]:
    """An MTUS citation: one document per chapter named with its edition year (or the one chapter named)."""
    lead = regex.match(r"\A\W*(?:(?:CA|California)\s+)?(?:MTUS|Medical\s+Treatment\s+Utilization\s+Schedule)?"
                       r"\s*(?:\(?ACOEM\)?\s*)?(?:Guidelines?\s*,?\s*)?", body, regex.IGNORECASE)
    pos = lead.end() if lead else 0
    chapters = [c for c in _chapters(body) if c[0] >= pos]
    # a chapter starts a document where it opens the citation, or where its edition year follows it
    starts = [c for i, c in enumerate(chapters)
              if (i == 0 and (c[0] - pos < 40 or _ACOEM_ONLY.fullmatch(body, pos, c[0])))
              or _YEAR_AFTER.match(body, c[1])]
    if not starts:
        if prose:  # the words after "the MTUS" in a sentence name no document unless they are a chapter
            return [CitedDocument("MTUS", None, first_year(body), _sections(body, prose), extract_pages(body), rule_id)]
        return [_document(body, pos, len(body), None, "MTUS", rule_id)]
    out = []
    for i, (a, b, _chapter) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else len(body)
        doc = _document(body, a, stop, b, "MTUS", rule_id, prose)
        if i == 0 and doc.year is None and first_year(body[pos:a]):  # "ACOEM Practice Guidelines (2004), Knee ..."
            doc = CitedDocument(doc.source, doc.document, first_year(body[pos:a]), doc.sections, doc.pages,
                                doc.rule_id)
        out.append(doc)
    return out


def _document(body: str, start: int, stop: int, doc_end: int | None, source: str, rule_id: str,
              prose: bool = False) -> CitedDocument:
    piece = body[start:stop]
    chapter_end = doc_end is not None  # the document ends where a chapter of the vocabulary ends
    if doc_end is None:
        end = _DOC_END.search(piece)
        doc_end = start + (end.start() if end else len(piece))
    document = body[start:doc_end].strip(" ,.;:(") or None
    year_match = _YEAR_AFTER.match(body, doc_end)
    year = int(year_match.group(1)) if year_match else (first_year(body[doc_end:stop]) or revision_year(piece))
    sections = _sections(piece, prose)
    if not sections and chapter_end:
        sections = _unlabelled_topics(body[doc_end:stop])
        if prose and not all(_prose_topic(t) == t for t in sections):
            sections = ()  # in a sentence, only a capitalised name between the chapter and its pages is a topic
    return CitedDocument(source, document, year, sections, extract_pages(piece), rule_id)


#: Where a topic named in a sentence ends: the clause that goes on with the sentence.
_PROSE_TOPIC_END = compile_cached(r",?\s+(?:which|that|as|and|were|was|is|are|used|cited|applied|relied|because|since"
                                  r"|when|where|while)\b", regex.IGNORECASE)


def _prose_topic(words: str) -> str | None:
    """A topic named in a sentence after its chapter ("..., Shoulder Chapter, Partial claviculectomy, which is
    not part of the MTUS"): a capitalised name of a few words before the clause that goes on; else none."""
    cut = _PROSE_TOPIC_END.search(words)
    topic = (words[:cut.start()] if cut else words).strip(" ,.;:")
    return topic if topic[:1].isupper() and len(topic.split()) <= 8 else None


#: What may stand between a chapter and its topic: "Guidelines", the edition "(2004)", "Chapter 9", "(Effective July
#: 18, 2009)", in any order.
_TOPIC_LEAD = compile_cached(r"\A\W*(?:(?:Guidelines?\b|\(?(?:(?:MTUS|ACOEM)\s+)?(?:19|20)\d\d\)?|Chapter\s+\d+\b"
                            r"|\(?(?:Effective|Updated|Revised)\b[^)]*\))\W*)*", regex.IGNORECASE)


_PAGE_NUMBERS = r"\d+(?:\s*[-\u2013]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-\u2013]\s*\d+)?)*"
_PAGE_WORD = r",?\s*\b(?:Page\(?s?\)?|pages?|pgs?\.?|pp\.)\s*:?\s*"
#: A page label and its numbers; then another topic with its own pages after it.
_PAGES_GROUP = compile_cached(_PAGE_WORD + _PAGE_NUMBERS, regex.IGNORECASE)
_NEXT_TOPIC = compile_cached(r"\s*[,;]?\s*(?:and\s+)?(?P<topic>(?-i:[A-Z])[^;.]{1,80}?)" + _PAGE_WORD + _PAGE_NUMBERS,
                             regex.IGNORECASE)


def _unlabelled_topics(rest: str) -> tuple[str, ...]:
    """The topics printed after a chapter with no "Section(s):" label, before its pages (the 2013-2015 form
    "MTUS Chronic Pain Medical Treatment Guidelines Massage therapy; Physical medicine Page(s): 60; 98-99"),
    cut at semicolons only. A year, a revision note or nothing there gives none."""
    rest = _TOPIC_LEAD.sub("", rest)
    cut = _PAGE_LABEL.search(rest)
    if cut is None:
        return ()  # without pages after them the words are not a topic for certain
    following = rest[cut.start():]
    rest = rest[:cut.start()]
    rest = regex.split(r"(?<=[a-z)])\.(?:\s|$)", rest)[0]
    topics = [t.strip(" ,.;:") for t in rest.split(";")]
    # "Opioids for chronic pain, pages 80-82, and Opioid dosing, page 86": each topic with its own pages
    first = _PAGES_GROUP.match(following)
    pos = first.end() if first else len(following)
    while (m := _NEXT_TOPIC.match(following, pos)) is not None:
        if any(r.regex.search(m.group("topic")) for r in rules_for("guidelines", "mention")) \
                or _CHAPTER_NUMBER.search(m.group("topic")):
            break  # "...; ACOEM Chapter 7, Independent Medical Examinations, page 127": another document
        topics.append(m.group("topic"))
        pos = m.end()
    return tuple(t for t in topics if t and not regex.fullmatch(r"[\d\s(),]*", t)
                 and not any(a == 0 and b == len(t) for a, b, _ in _chapters(t)))  # a chapter is no topic


def _other(body: str, source: str | None, rule_id: str, prose: bool = False) -> CitedDocument:
    """A non-MTUS citation: the document named (ODG chapter, ACOEM chapter, or the work), its revision year."""
    pos = 0
    chapter: tuple[int, int, str] | None = None
    if prose and source == "ACOEM":  # "the ACOEM knee chapter does not ...": a document only if a chapter is named
        chapter = next(iter(_chapters(body, "MTUS")), None)
        return CitedDocument(source, body[chapter[0]:chapter[1]] if chapter else None, first_year(body),
                             _sections(body, prose), extract_pages(body), rule_id)
    if prose and source == "ODG" and not _chapters(body, "ODG"):
        return CitedDocument(source, None, revision_year(body) or first_year(body), _sections(body, prose),
                             extract_pages(body), rule_id)
    if source == "ODG":
        m = _ODG_NAME.match(body)
        pos = m.end() if m else 0
    if source == "ACOEM":
        # "ACOEM Practice Guidelines, 3rd Edition, Elbow Disorders (2013)": the chapter, known or as printed
        chapter = next(iter(_chapters(body, "MTUS")), None)
        m = _ACOEM_NAME.match(body)
        pos = chapter[0] if chapter else (m.end() if m else 0)
    end = _DOC_END.search(body, pos)
    doc_end = end.start() if end else len(body)
    if source == "ACOEM" and chapter:
        doc_end = chapter[1]
    sections = _sections(body, prose)
    if source == "ODG":
        # "ODG <chapter>, <topic>": the chapter is one of chapters.yaml (its name may hold commas: "Forearm,
        # Wrist, & Hand"), printed where the citation starts; what follows it, without a "Section(s):"
        # label, is the topic. A chapter the vocabulary does not know stays whole, topic and all.
        chapter = next((c for c in _chapters(body, "ODG", pos) if c[0] - pos <= 2), None)
        if chapter is not None and chapter[1] <= doc_end:
            if not sections:  # in prose, only a capitalised name before the sentence goes on
                after = _CHAPTER_WORD.match(body, chapter[1])
                begin = after.end() if after else chapter[1]
                if prose:
                    topic = _prose_topic(body[begin:doc_end].strip(" ,.;:/")) or ""
                    sections = (topic,) if topic else ()
                else:  # "Continuous-flow cryotherapy; Venous thrombosis, updated ...": topics up to the note
                    note = _LEADING_NOTE.match(body, begin)  # "Knee & Leg (updated 06/05/14), Walking aids"
                    begin = note.end() if note else begin
                    stop = _TOPICS_END.search(body, begin)
                    topics = body[begin:stop.start() if stop else len(body)].split(";")
                    sections = tuple(t for t in (x.strip(" ,.;:/") for x in topics) if t)
            doc_end = chapter[1]
    document = body[pos:doc_end].strip(" ,.;:(") or None
    sections = tuple(t for t in (_REVISION_NOTE.sub("", x).strip(" ,.;:") for x in sections) if t and t != document)
    return CitedDocument(source, document, revision_year(body) or first_year(body), sections,
                         extract_pages(body), rule_id)


def _sections(piece: str, prose: bool = False) -> tuple[str, ...]:
    """The section names printed after "Section(s):", split where a comma or semicolon starts another name.
    In prose only a label with its colon counts ("the section on ... sets out" names none)."""
    label = (_SECTION_LABEL_COLON if prose else _SECTION_LABEL).search(piece)
    if not label:
        return ()
    rest = piece[label.end():]
    cut = _PAGE_LABEL.search(rest)
    rest = rest[:cut.start()] if cut else rest
    note = _NOTE_AFTER.search(rest)  # "Section(s): MRIs, updated 12/28/2018. Why: ..."
    rest = rest[:note.start()] if note else rest
    rest = regex.split(r"(?<=[a-z)])\.(?:\s|$)", rest)[0].strip(" .;,")
    names: list[str] = []
    depth = 0
    current = ""
    for i, ch in enumerate(rest):
        depth += (ch == "(") - (ch == ")")
        nxt = rest[i + 1:].lstrip()
        if depth == 0 and (ch == ";" or (ch == "," and nxt[:1].isupper())):
            names.append(current)
            current = ""
            continue
        current += ch
    names.append(current)
    names = [regex.sub(r",?\s+(?:and|&)\s*$", "", n).strip(" .,;&") for n in names]
    return tuple(n for n in names if n)
