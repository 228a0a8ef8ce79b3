"""Find the disputed items and their outcomes by what the letter says, whatever its layout.

Each strategy reads one form; they are tried in order (letter.ITEM_LOCATORS) and the one that decides the
most items wins, the earlier on a tie; the first one's items are taken at once (titles that end in their
own outcome leave nothing to add). The layout is only a hint.

1. **Decision lines**: a title ending in its outcome ("<title>: Upheld", the outcome or a labelled
   "Determination: Upheld" on the line below) in an issues or rationale section.
2. **Determination list**: a numbered list near the top in which every entry states its own outcome
   ("1) MAXIMUS ... has determined the request for X is not medically necessary", "The Independent Medical
   Review upholds the denial of X", "The Utilization Review non-certification of the request for X is
   overturned"), or asks about it ("Whether X is medically necessary") and a later numbered line answers.
3. **Issue list and outcome statements**: the items listed under the issue at dispute (numbered, bulleted,
   one per line or in one sentence), each tied to the block of the rationale that discusses it (a line
   opening with its number, its title or a short label naming it), whose outcome is a numbered summary
   line, else the last explicit outcome statement of the block ("DETERMINATION: Upheld", "Answer to
   Question 2: Yes", "I concur with the non-certification"), else the block's last conclusion.
4. **Decision sentences**: numbered lines that each open with one sentence deciding an item ("1. X is not
   medically necessary and appropriate.").
5. **Numbered blocks**: blocks opened by numbered lines ("Issue 1: X", "Item 2 of 4 - X") decided by what
   they state.
6. **Outcome rows**: a list or table whose rows name an item and its outcome ("Upheld: X", "X    Overturned",
   "| 2 | X | Upheld |", "X: the non-certification is upheld"), or such rows heading their blocks.
7. **Labelled blocks**: title lines over labelled guideline and rationale parts, decided by their conclusion.

A conclusion inside a question ("Is X medically necessary?") decides nothing. Every phrase is a rule of
patterns/items.yaml. Outcomes the letter states but that no item took, and listed items that no outcome
decided, are reported as notes (the audit turns them into error findings).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

from ..rules import compile_cached, first_rule, rules_for
from ..text.normalize import NormalizedText, unwrap
from ..text.sections import Section, Sections
from .findings import Finding
from .items import Item, Span, labelled_parts, line_start, split_items, trimmed, walk_back
from .rationale import conclusions

#: What a note about the items is (field of the note finding).
UNTIED_OUTCOME = "untied_outcome"
UNDECIDED_ITEM = "undecided_item"

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_WORD = compile_cached(r"[a-z0-9]+")
#: Words too common to anchor a block on their own.
_TITLE_WORDS = 4


@dataclass(frozen=True)
class Statement:
    """An outcome the letter states: where, which, and how explicitly (1: in IMR terms, 2: a conclusion on
    medical necessity)."""

    start: int
    end: int
    outcome: str
    tier: int
    rule_id: str


@dataclass(frozen=True)
class Entry:
    """One entry of a list of items: its number (1-based position), its title and where it stands."""

    number: int
    title: str
    title_span: Span
    start: int  # where the entry begins (its marker)
    end: int


@dataclass(frozen=True)
class Located:
    """The items found, and notes on outcomes or items the locator could not tie."""

    items: list[Item]
    notes: list[Finding]


# ---------------------------------------------------------------- outcome statements

def find_statements(text: str, start: int, end: int) -> list[Statement]:
    """Every outcome statement in ``text[start:end]``, in order; overlapping weaker ones dropped."""
    found: list[Statement] = []
    for rule in rules_for("items", "outcome-statement"):
        for m in rule.regex.finditer(text, start, end):
            found.append(Statement(m.start(), m.end(), rule.outcome, 1, rule.id))
    for m, value, rule_id in conclusions(text, start, end):
        if _ASKED.match(text, m.end()):
            continue  # "Is X medically necessary?" asks; it does not conclude
        found.append(Statement(m.start(), m.end(), "upheld" if value == "not_medically_necessary" else "overturned",
                               2, rule_id))
    found.sort(key=lambda s: (s.start, s.tier, -s.end))
    kept: list[Statement] = []
    for s in found:
        if kept and s.start < kept[-1].end and s.tier >= kept[-1].tier:
            continue
        kept.append(s)
    return kept


_ASKED = compile_cached(r"[ \t]*(?:and\s+appropriate)?[ \t]*\?")


def decided(statements: list[Statement]) -> Statement | None:
    """The statement that decides a block: the last explicit one, else the last conclusion."""
    for tier in (1, 2):
        of_tier = [s for s in statements if s.tier == tier]
        if of_tier:
            return of_tier[-1]
    return None


# ---------------------------------------------------------------- markers and titles

def _marker(line: str) -> tuple[regex.Match, str, str] | None:
    """The item marker a line opens with, its numbering (digits, letters, roman, bullet) and its rule."""
    for rule in rules_for("items", "item-marker"):
        m = rule.regex.match(line)
        if m:
            return m, rule.numbering, rule.id
    return None


def _marker_number(m: regex.Match, numbering: str) -> int | None:
    raw = (m.groupdict().get("n") or "").lower()
    if numbering == "digits":
        return int(raw) if raw.isdigit() else None
    if numbering == "letters":
        return ord(raw) - ord("a") + 1 if len(raw) == 1 and raw.isalpha() else None
    if numbering == "roman":
        return _ROMAN.get(raw)
    return None


def clean_title(raw: str) -> tuple[int, int]:
    """(start, end) of the title inside a listed entry's text, its framing cut off."""
    start, end = 0, len(raw)
    mk = _marker(raw)
    if mk:
        start = mk[0].end()
    changed = True
    while changed:
        changed = False
        for rule in rules_for("items", "title-prefix"):
            m = rule.regex.match(raw, start)
            if m and m.end() > start:
                start, changed = m.end(), True
    for rule in rules_for("items", "question-tail"):
        m = rule.regex.search(raw, start)
        if m and m.start() < end:
            end = m.start()
    while end > start and raw[end - 1] in " \t\n.,;:-\"'":
        end -= 1
    while start < end and raw[start] in " \t\n\"'":
        start += 1
    return start, end


def _folded_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of every non-empty line of ``text[start:end]``."""
    out = []
    pos = start
    while pos < end:
        stop = text.find("\n", pos, end)
        stop = end if stop < 0 else stop
        if text[pos:stop].strip():
            out.append((pos, stop))
        pos = stop + 1
    return out


def listed_entries(text: str, start: int, end: int, rule_id: str) -> list[Entry]:
    """The items a list names (numbered, lettered, bulleted, one sentence with separators, or one item)."""
    lines = _lines(text, start, end)
    marked = [(a, b, mk) for a, b in lines if (mk := _marker(text[a:b]))]
    spans: list[tuple[int, int, int]] = []  # (entry start, title text start, entry end)
    if marked:
        for i, (a, _b, (m, _, _)) in enumerate(marked):
            nxt = marked[i + 1][0] if i + 1 < len(marked) else end
            stop = text.find("\n\n", a, nxt)
            spans.append((a, a + m.end(), nxt if stop < 0 else stop))
    else:
        body = text[start:end].strip()
        if not body or "\n\n" in body:
            return []
        lead = start + len(text[start:end]) - len(text[start:end].lstrip())
        frame = _first(rules_for("items", "list-frame"), text, lead, end)
        if frame:
            pos = frame.end()
            separator = first_rule("items", "list-separator").regex
            for piece in separator.split(text[pos:end]):
                piece_start = text.find(piece, pos, end)
                if piece.strip(" .\n"):
                    spans.append((piece_start, piece_start, piece_start + len(piece)))
                pos = piece_start + len(piece)
        else:
            spans.append((lead, lead, lead + len(body)))
    out = []
    for n, (entry_start, title_start, entry_end) in enumerate(spans, start=1):
        # an entry that states its own outcome ("Request 1: X" over "Determination: Upheld"): the title ends there
        stated = [s for s in find_statements(text, title_start, entry_end) if s.tier == 1 and s.start > title_start]
        title_end = stated[0].start if stated else entry_end
        question = text.find("?", title_start, title_end)
        if question >= 0 and text[question + 1:title_end].strip():
            title_end = question + 1  # "Is X medically necessary?" and then another sentence: the question ends it
        a, b = clean_title(text[title_start:title_end])
        if b > a:
            ts, te = title_start + a, title_start + b
            out.append(Entry(n, unwrap(text[ts:te]).strip(" \"'"), Span(ts, te, rule_id), entry_start, entry_end))
    return out


def _first(rules, text: str, start: int, end: int) -> regex.Match | None:
    found = [m for r in rules if (m := r.regex.match(text, start, end))]
    return found[0] if found else None


def _is_anchor(text: str, a: int, b: int, entry: Entry) -> int:
    """Whether the line ``text[a:b]`` opens the block of ``entry``: 2 by its number, 1 by its title's first
    words, 0 not."""
    line = text[a:b]
    mk = _marker(line)
    rest = line
    if mk:
        m, numbering, _ = mk
        number = _marker_number(m, numbering)
        if number is not None and number == entry.number:
            return 2
        rest = line[m.end():]
    s, _ = clean_title(rest)
    want = _folded_words(entry.title)[:_TITLE_WORDS]
    got = _folded_words(rest[s:])[:len(want)]
    if want and got == want:
        return 1
    label = first_rule("items", "short-label").regex.match(rest)
    if label and rest[:label.end()].rstrip().endswith(":"):  # "Botox: ..." opening the block of "Botox (...) 155 units"
        words = _folded_words(rest[:label.end()])
        title_words = set(_folded_words(entry.title))
        if 0 < len(words) <= 3 and all(w in title_words for w in words) and any(len(w) >= 4 for w in words):
            return 1
    return 0


def anchors(text: str, spans: list[tuple[int, int]], entries: list[Entry],
            skip: set[tuple[int, int]] | None = None) -> list[int | None]:
    """Where each entry's block begins in the spans, in order (None: not found).

    A line opening with the entry's number or title is a candidate (its number first, when any line has
    it); where an entry has several (a list repeated above the rationale, a summary list at the end), the
    one that opens the longest stretch of text before the next candidate of any entry, within its section,
    is its block."""
    lines = [(a, b, span_end) for s0, span_end in spans for a, b in _lines(text, s0, span_end)
             if not skip or (a, b) not in skip]
    kinds = [[(k, _is_anchor(text, a, b, e)) for k, (a, b, _) in enumerate(lines)] for e in entries]
    hits = [[k for k, how in found if how] for found in kinds]
    by_number = [[k for k, how in found if how == 2] for found in kinds]
    any_hit = sorted({k for h in hits for k in h})

    def length(k: int) -> int:
        a, _, span_end = lines[k]
        later = [lines[j][0] for j in any_hit if j > k]
        stop = min([span_end, *later[:1]])
        return stop - a

    out: list[int | None] = []
    floor = 0
    for candidates, numbered in zip(hits, by_number, strict=True):
        # a line opening with the entry's number is its block; a line opening with its title words only
        # where none does (a wrapped citation line may start with the same words)
        usable = [k for k in numbered if k >= floor] or [k for k in candidates if k >= floor]
        if not usable:
            out.append(None)
            continue
        best = max(usable, key=lambda k: (length(k), -k))
        out.append(lines[best][0])
        floor = best + 1
    return out


def blocks(spans: list[tuple[int, int]], starts: Sequence[int | None]) -> list[list[tuple[int, int]]]:
    """The stretch of the spans from each anchor to the next (pieces of several spans when they are apart)."""
    known = sorted(s for s in starts if s is not None)
    out: list[list[tuple[int, int]]] = []
    for s in starts:
        if s is None:
            out.append([])
            continue
        later = [k for k in known if k > s]
        stop = later[0] if later else max(b for _, b in spans)
        out.append([(max(a, s), min(b, stop)) for a, b in spans if b > s and a < stop])
    return out


# ---------------------------------------------------------------- the strategies

def _section_spans(sections: Sections, *kinds: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in sections.parts if s.kind in kinds]


def by_decision_lines(doc: NormalizedText, sections: Sections) -> list[Item]:
    """Items titled on lines that end in their outcome (issues sections; else rationale sections)."""
    text = doc.text
    for kinds in (("issues",), ("rationale",)):
        items = [it.shifted(s.start) for s in sections.parts if s.kind in kinds
                 for it in split_items(s.text(doc))]
        if items:
            if kinds == ("rationale",):
                items = [_with_rationale(text, it, items, sections) for it in items]
                items = _with_guidelines(text, items, sections)
            return items
    return []


def _with_rationale(text: str, item: Item, items: list[Item], sections: Sections) -> Item:
    """An item titled inside a rationale section: its rationale runs to the next item's title."""
    if "rationale" in item.parts:
        return item
    later = [it.title_span.start for it in items if it.title_span.start > item.title_span.start]
    section = next(s for s in sections.parts if s.start <= item.title_span.start <= s.end)
    end = min(later) if later else section.end
    span = trimmed(text, item.outcome_span.end, end, section.rule_id)
    parts = dict(item.parts)
    if span:
        parts["rationale"] = span
    return Item(item.title, item.title_span, item.outcome, item.outcome_span, parts)


def _entries_of(items: list[Item]) -> list[Entry]:
    return [Entry(n, it.title, it.title_span, it.title_span.start, it.title_span.end)
            for n, it in enumerate(items, start=1)]


def _paragraph_starts(text: str, spans: list[tuple[int, int]], kind: str) -> list[int]:
    """Line starts that open an entry: marked lines, blank-line paragraphs, or lines after a sentence ends."""
    lines = [ln for a, b in spans for ln in _lines(text, a, b)]
    if kind == "marker":
        return [a for a, b in lines if _marker(text[a:b])]
    starts = []
    for i, (a, _b) in enumerate(lines):
        if i == 0:
            starts.append(a)
            continue
        prev_a, prev_b = lines[i - 1]
        gap = text[prev_b:a]
        ends_sentence = text[prev_a:prev_b].rstrip().endswith((".", ":"))
        if (kind == "paragraph" and gap.count("\n") >= 2) or (kind == "sentence" and (gap.count("\n") >= 2
                                                                                     or ends_sentence)):
            starts.append(a)
    return starts


def cut_for_items(text: str, spans: list[tuple[int, int]], entries: list[Entry]) -> list[list[tuple[int, int]]]:
    """One piece of the spans per entry, in order: by item markers or by every entry's anchor when their
    count is right, else by paragraphs of the right count, else by the anchors found (others empty)."""
    n = len(entries)
    if n == 1:
        return [spans]
    found = anchors(text, spans, entries)
    if all(f is not None for f in found):
        return blocks(spans, found)
    for kind in ("marker", "paragraph", "sentence"):
        starts = _paragraph_starts(text, spans, kind)
        if len(starts) == n:
            return blocks(spans, list(starts))
    return blocks(spans, found)


def _with_guidelines(text: str, items: list[Item], sections: Sections) -> list[Item]:
    """The reviewer's guideline paragraph of each item, from a section of guidelines cut by the items."""
    guide = [s for s in sections.parts if s.kind == "guidelines"]
    if not guide:
        return items
    spans = [(s.start, s.end) for s in guide]
    pieces = cut_for_items(text, spans, _entries_of(items))
    out = []
    for item, piece in zip(items, pieces, strict=False):
        parts = dict(item.parts)
        if piece and "maximus" not in parts:
            span = _strip_title(text, piece[0], item.title, guide[0].rule_id)
            if span:
                parts["maximus"] = span
        out.append(Item(item.title, item.title_span, item.outcome, item.outcome_span, parts))
    return out


def by_determination_list(doc: NormalizedText, sections: Sections) -> list[Item]:
    """A list before the first section in which every entry states its own outcome (2013 notices)."""
    text = doc.text
    body = [s for s in sections.parts if s.kind not in ("header", "issues")]
    top = body[0].outer_start if body else len(text)  # the list stands before the letter's first body section
    entries = _determination_entries(text, 0, top)
    if not entries:
        return []
    rest = [(s.outer_start, s.end) for s in sections.parts if s.outer_start >= top]
    starts = anchors(text, rest, [e for e, _ in entries]) if rest else [None] * len(entries)
    pieces = blocks(rest, starts) if rest else [[] for _ in entries]
    rest_lines = [(a, b) for s0, s1 in rest for a, b in _lines(text, s0, s1)]
    items = []
    for (entry, stated), piece in zip(entries, pieces, strict=False):
        statement = stated
        if statement is None:  # a question: a later line with its number answers it, else its block
            statement = _numbered_statement(text, rest_lines, entry) or \
                decided([x for a, b in piece for x in find_statements(text, a, b)])
            if statement is None:
                return []
        parts = labelled_parts(text, piece[0][0], piece[-1][1]) if piece else {}
        items.append(Item(entry.title, entry.title_span, statement.outcome,
                          Span(statement.start, statement.end, statement.rule_id), parts))
    return items


def _determination_entries(text: str, start: int, end: int) -> list[tuple[Entry, Statement | None]]:
    lines = _lines(text, start, end)
    marked = [(a, b, mk) for a, b in lines if (mk := _marker(text[a:b])) and mk[1] != "bullet"]
    out: list[tuple[Entry, Statement | None]] = []
    seen: set[int] = set()
    for i, (a, _b, (m, numbering, rule_id)) in enumerate(marked):
        number = _marker_number(m, numbering)
        if number is None or number in seen:
            break  # the list repeats itself above the rationale: read it once
        stop = marked[i + 1][0] if i + 1 < len(marked) else end
        gap = text.find("\n\n", a, stop)
        stop = stop if gap < 0 else gap
        question = _first(rules_for("items", "question-frame"), text, a + m.end(), stop)
        if question is not None and question.start() == a + m.end():
            # "Issue 1. Whether X is medically necessary and appropriate.": asked here, answered further down
            ts = question.end()
            sentence = _SENTENCE_END.search(text, ts, stop)
            raw = text[ts:sentence.end() if sentence else stop]
            cs, ce = clean_title(raw)
            if ce > cs:
                seen.add(number)
                out.append((Entry(len(out) + 1, unwrap(raw[cs:ce]).strip(" \"'"), Span(ts + cs, ts + ce, rule_id),
                                  a, stop), None))
            continue
        found = find_statements(text, a + m.end(), stop)
        if not found:
            continue
        # the entry states its outcome once, right after its title: the first statement (an explicit one on
        # the same line preferred); what follows it (a notice's closing words) is not the entry's
        line_end = text.find("\n", found[0].end, stop)
        line_end = stop if line_end < 0 else line_end
        same_line = [x for x in found if x.start < line_end]
        statement = next((x for x in same_line if x.tier == 1), same_line[0])
        ts, te = a + m.end(), min(x.start for x in same_line)
        framed = _subject_frame(text, ts, stop)
        if framed is not None:  # "The Independent Medical Review upholds the denial of X; the service is ..."
            ts, te = framed
        cs, ce = clean_title(text[ts:te])
        if ce <= cs:
            continue
        seen.add(number)
        title_span = Span(ts + cs, ts + ce, rule_id)
        out.append((Entry(len(out) + 1, unwrap(text[ts + cs:ts + ce]).strip(" \"'"), title_span, a, stop),
                    statement))
    return out


def _numbered_statement(text: str, lines: list[tuple[int, int]], entry: Entry) -> Statement | None:
    """The outcome stated on the last of ``lines`` that opens with the entry's number ("Issue 1 (X): not
    medically necessary", a closing summary), if any."""
    found = [st for a, b in lines if _is_anchor(text, a, b, entry) == 2 for st in find_statements(text, a, b)[-1:]]
    return found[-1] if found else None


def _subject_frame(text: str, start: int, stop: int) -> tuple[int, int] | None:
    """(start, end) of the item named after a framing that states the outcome first ("The Independent Medical
    Review upholds the denial of X; ..."): from the frame's end to the clause's end."""
    for rule in rules_for("items", "outcome-frame"):
        m = rule.regex.match(text, start, stop)
        if m:
            end = _CLAUSE_END.search(text, m.end(), stop)
            clause_end = end.start() if end else stop
            # "... of the request for X is overturned; ...": the item ends where its outcome is stated
            stated = [x.start for x in find_statements(text, m.end(), clause_end) if x.start > m.end()]
            return m.end(), min(stated, default=clause_end)
    return None


#: Where the item named after an outcome-first frame ends: a semicolon, a sentence's end, a comma clause.
_CLAUSE_END = compile_cached(r";|\.(?:\s|$)|,\s+(?:which|the\s+\w+\s+is)\b")


def by_issue_list(doc: NormalizedText, sections: Sections) -> tuple[list[Item], list[Finding]]:
    """Items listed under the issue at dispute, decided in the blocks of the rationale that discuss them."""
    text = doc.text
    issue = sections.get("issue_at_dispute")
    if issue is None:
        return [], []
    entries = listed_entries(text, issue.start, issue.end, _list_rule_id())
    if not entries:
        return [], []
    first_rationale = next((s.start for s in sections.parts if s.kind == "rationale"), None)
    region = [(s.start if s.kind == "rationale" else s.outer_start, s.end) for s in sections.parts
              if first_rationale is not None and s.start >= first_rationale
              and s.kind not in ("guidelines", "documents", "summary", "issue_at_dispute")]
    if not region:
        return [], []
    pieces = cut_for_items(text, region, entries)
    guide = [s for s in sections.parts if s.kind == "guidelines"]
    guide_spans = [(s.start, s.end) for s in guide]
    guide_pieces = cut_for_items(text, guide_spans, entries) if guide else [[] for _ in entries]
    items, notes = [], []
    tied: set[tuple[int, int]] = set()
    region_lines = [(a, b) for s0, s1 in region for a, b in _lines(text, s0, s1)]
    for entry, piece, gpiece in zip(entries, pieces, guide_pieces, strict=False):
        statements = [s for a, b in piece for s in find_statements(text, a, b)]
        statement = decided(statements)
        # a line opening with the item's number and stating its outcome ("Issue 1 (X): not medically
        # necessary", a closing summary) decides over the discussion
        summary = _numbered_statement(text, region_lines, entry)
        if summary and (statement is None or summary.start > statement.start):
            statement = summary
            statements.append(statement)
        tied.update((s.start, s.end) for s in statements)
        if statement is None:
            notes.append(Finding(UNDECIDED_ITEM, entry.title, entry.title_span.start, entry.title_span.end,
                                 entry.title_span.rule_id, text[entry.title_span.start:entry.title_span.end]))
            continue
        parts = {}
        if piece:
            section = next(s for s in sections.parts if s.start <= piece[0][0] <= s.end)
            span = _strip_title(text, piece[0], entry.title, section.rule_id)
            if span:
                parts["rationale"] = span
        if gpiece:
            span = _strip_title(text, gpiece[0], entry.title, guide[0].rule_id)
            if span:
                parts["maximus"] = span
        items.append(Item(entry.title, entry.title_span, statement.outcome,
                          Span(statement.start, statement.end, statement.rule_id), parts))
    for a, b in region:
        for s in find_statements(text, a, b):
            if s.tier == 1 and (s.start, s.end) not in tied:
                notes.append(Finding(UNTIED_OUTCOME, s.outcome, s.start, s.end, s.rule_id, text[s.start:s.end]))
    return items, notes


def _first_section_read(doc: NormalizedText, sections: Sections,
                        read: Callable[[str, int, int], list[Item]],
                        kinds: Sequence[str] = ("issues", "rationale")) -> list[Item]:
    """The items ``read`` finds in the first section (issues sections first, then rationale ones) where it
    finds any."""
    for kind in kinds:
        for section in (s for s in sections.parts if s.kind == kind):
            items = read(doc.text, section.start, section.end)
            if items:
                return items
    return []


def by_decision_sentences(doc: NormalizedText, sections: Sections) -> list[Item]:
    """Numbered lines of an issues (else rationale) section that each open with one sentence deciding an
    item ("1. Lidoderm 5% patches #30 is not medically necessary and appropriate."), the guideline and
    rationale parts of each below it, up to the next. Numbers run 1, 2, 3... or the list is not taken."""
    return _first_section_read(doc, sections, _decision_sentences)


def _decision_sentences(text: str, start: int, end: int) -> list[Item]:
    heads: list[tuple[Span, Statement, int, int]] = []  # (title span, statement, end of the sentence, entry start)
    for a, b in _lines(text, start, end):
        mk = _marker(text[a:b])
        if mk is None or mk[1] != "digits":
            continue
        number = _marker_number(mk[0], mk[1])
        if number != len(heads) + 1:
            if heads and number is not None and number <= len(heads):
                break  # the list starts again (repeated lower down): read it once
            continue
        ts = a + mk[0].end()
        stop = _SENTENCE_END.search(text, ts, min(end, b + 400))
        sentence_end = stop.end() if stop else b
        found = conclusions(text, ts, sentence_end)
        if len(found) != 1 or found[0][0].start() <= ts or text[sentence_end - 1:sentence_end] == "?":
            continue  # one conclusion, after the title, in a sentence that is not a question
        m, value, rule_id = found[0]
        title_end = m.start()
        stated = [x.start for x in find_statements(text, ts, title_end) if x.tier == 1 and x.start > ts]
        title_end = min(stated, default=title_end)  # "X" over "Determination: Yes, medically necessary."
        for rule in rules_for("items", "title-trim"):
            cut = rule.regex.search(text, ts, title_end)
            if cut and cut.end() == title_end:
                title_end = cut.start()
        cs, ce = clean_title(text[ts:title_end])
        if ce <= cs:
            continue
        outcome = "upheld" if value == "not_medically_necessary" else "overturned"
        heads.append((Span(ts + cs, ts + ce, rule_id), Statement(m.start(), m.end(), outcome, 2, rule_id),
                      sentence_end, a))
    if not heads:
        return []
    items = []
    for i, (title_span, statement, sentence_end, _a) in enumerate(heads):
        block_end = heads[i + 1][3] if i + 1 < len(heads) else end
        title = unwrap(text[title_span.start:title_span.end]).strip(" \"'")
        items.append(Item(title, title_span, statement.outcome,
                          Span(statement.start, statement.end, statement.rule_id),
                          labelled_parts(text, sentence_end, block_end, ("label", "sentence-label"))))
    return items


def by_marked_blocks(doc: NormalizedText, sections: Sections) -> list[Item]:
    """Blocks of an issues (else rationale) section each opened by a numbered line naming one item ("Issue 1:
    X", "Item 2 of 4 - X", "3. X"), decided by what the block states ("DECISION: The request for X is
    medically necessary.", "the non-certification is upheld"), else its last conclusion. Numbers run 1, 2,
    3..."""
    return _first_section_read(doc, sections, _marked_blocks)


def _marked_blocks(text: str, start: int, end: int) -> list[Item]:
    heads: list[tuple[int, int, str]] = []  # (line start, title text start, marker rule)
    for a, b in _lines(text, start, end):
        mk = _marker(text[a:b])
        if mk is None or mk[1] == "bullet" or _marker_number(mk[0], mk[1]) != len(heads) + 1:
            continue
        heads.append((a, a + mk[0].end(), mk[2]))
    items: list[Item] = []
    for i, (_a, ts, rule_id) in enumerate(heads):
        block_end = heads[i + 1][0] if i + 1 < len(heads) else end
        line_end = text.find("\n", ts, block_end)
        line_end = block_end if line_end < 0 else line_end
        statement = decided(find_statements(text, line_end, block_end))
        if statement is None:
            return []  # every block decides its item, or this is not the letter's form
        cs, ce = clean_title(text[ts:line_end])
        if ce <= cs:
            return []
        title = unwrap(text[ts + cs:ts + ce]).strip(" \"'")
        items.append(Item(title, Span(ts + cs, ts + ce, rule_id), statement.outcome,
                          Span(statement.start, statement.end, statement.rule_id),
                          labelled_parts(text, line_end, block_end)))
    return items


def by_labelled_blocks(doc: NormalizedText, sections: Sections) -> list[Item]:
    """Blocks of an issues section each made of a title line (or a few wrapped ones) and the labelled
    guideline and rationale parts below it, with no outcome beside the title: each is decided by what its
    block states, else its last conclusion ("The request for X is medically necessary.")."""
    return _first_section_read(doc, sections, _labelled_blocks, ("issues",))


def _labelled_blocks(text: str, start: int, end: int) -> list[Item]:
    opening = [r for r in rules_for("items", "label") if r.part == "claims"] or \
        [r for r in rules_for("items", "label") if r.part == "maximus"]
    labels = sorted({m.start() for r in opening for m in r.regex.finditer(text, start, end)})
    intro = next((m for r in rules_for("items", "intro") if (m := r.regex.search(text, start, end))), None)
    floor = intro.end() if intro else start
    heads: list[tuple[int, int]] = []  # (title start, label start)
    for at in labels:
        title_end = at - 1
        if title_end <= floor:
            return []
        ts = walk_back(text, line_start(text, title_end), floor)
        if not text[ts:title_end].strip():
            return []
        heads.append((ts, at))
        floor = at
    items: list[Item] = []
    for i, (ts, at) in enumerate(heads):
        block_end = heads[i + 1][0] if i + 1 < len(heads) else end
        above = find_statements(text, ts, at)  # "X" over "Determination: Yes, medically necessary. ..."
        statement = decided(above + find_statements(text, at, block_end))
        title_end = min([x.start for x in above if x.start > ts] or [at])
        cs, ce = clean_title(text[ts:title_end])
        if statement is None or ce <= cs:
            return []
        title = unwrap(text[ts + cs:ts + ce]).strip(" \"'")
        items.append(Item(title, Span(ts + cs, ts + ce, opening[0].id), statement.outcome,
                          Span(statement.start, statement.end, statement.rule_id),
                          labelled_parts(text, at, block_end)))
    return items


def by_outcome_list(doc: NormalizedText, sections: Sections) -> list[Item]:
    """A list or table in which every row names an item and its outcome word ("Upheld: X", "X    Overturned",
    "X - Upheld", "X: the non-certification is upheld"), anywhere after the header; each item's guideline
    and rationale parts are the block of the letter that opens with its number or its title."""
    text = doc.text
    head = sections.get("header")
    body_start = head.end if head else 0
    rows, every = _outcome_rows(text, body_start, len(text))
    if not rows:
        return []
    if len(every) > len(rows):  # not one list but rows heading their blocks ("Upheld: X" over its parts)
        return [Item(title, span, st.outcome, Span(st.start, st.end, st.rule_id),
                     labelled_parts(text, b, every[i + 1][3] if i + 1 < len(every) else len(text)))
                for i, (title, span, st, _a, b) in enumerate(every)]
    entries = [Entry(n, title, span, a, b) for n, (title, span, _st, a, b) in enumerate(rows, start=1)]
    listed = {(a, b) for _t, _s, _st, a, b in rows}
    spans = [(s.outer_start, s.end) for s in sections.parts if s.kind != "header"]
    starts = anchors(text, spans, entries, skip=listed)
    pieces = blocks(spans, starts)
    items = []
    for (title, span, statement, _a, _b), piece in zip(rows, pieces, strict=False):
        parts = labelled_parts(text, piece[0][0], piece[-1][1]) if piece else {}
        items.append(Item(title, span, statement.outcome, Span(statement.start, statement.end, statement.rule_id),
                          parts))
    return items


def _outcome_rows(text: str, start: int, end: int) -> tuple[list[tuple[str, Span, Statement, int, int]],
                                                             list[tuple[str, Span, Statement, int, int]]]:
    """The longest run of lines (blank lines aside) each naming an item and its outcome, and every such line."""
    runs: list[list[tuple[str, Span, Statement, int, int]]] = [[]]
    last_end = start
    # only a line holding an outcome word (or the line above one) can be a row: find those in one pass
    hits = [m.start() for m in _OUTCOME_WORD.finditer(text, start, end)]
    if not hits:
        return [], []
    wanted = set()
    for h in hits:
        line = max(start, line_start(text, h))
        wanted.add(line)
        wanted.add(max(start, line_start(text, line - 1)) if line > start else line)
    for a, b in _lines(text, start, end):
        if a < last_end or a not in wanted:
            continue  # no outcome word near, or a line of the row before (a row may wrap over lines)
        row = _outcome_row(text, a, b, end)
        if row is None:
            continue
        if runs[-1] and text[last_end:a].strip():  # other text since the last row: a new run
            runs.append([])
        runs[-1].append(row)
        last_end = row[4]
    best = max(runs, key=len)
    return best, [row for run in runs for row in run]


_OUTCOME_WORD = compile_cached(r"\b(?:upheld|overturned|reversed)\b", regex.IGNORECASE)


def _outcome_row(text: str, a: int, b: int, end: int) -> tuple[str, Span, Statement, int, int] | None:
    for rule in rules_for("items", "outcome-row"):
        m = rule.regex.match(text, a, min(end, b + 300))
        if m is None or text[m.end():m.end() + 1] not in ("", "\n"):
            continue  # a row is whole lines
        ts, te = m.span("title")
        mk = _marker(text[ts:te])
        if mk:
            ts += mk[0].end()
        cs, ce = clean_title(text[ts:te])
        if ce <= cs or any(r.regex.search(text, ts + cs, ts + ce) for r in rules_for("items", "not-a-title")):
            continue  # "Determination: Upheld", "Final decision - Overturned": a label, not an item
        os_, oe = m.span("outcome")
        word = m.group("outcome").lower()
        outcome = rule.outcome or ("upheld" if "upheld" in word else "overturned")
        title = unwrap(text[ts + cs:ts + ce]).strip(" \"'")
        return (title, Span(ts + cs, ts + ce, rule.id), Statement(os_, oe, outcome, 1, rule.id), a, max(b, m.end()))
    return None


#: The end of a sentence: a period, question or exclamation mark before a space, a line break or the end.
_SENTENCE_END = compile_cached(r"[.?!](?=\s|\Z)")


def _list_rule_id() -> str:
    return first_rule("items", "item-marker").id


_QUESTION_END = compile_cached(r"\s*(?:is|are|was|were)?\s*medically\s+necessary(?:\s+and\s+appropriate)?\s*\?",
                              regex.IGNORECASE)


def _strip_title(text: str, bounds: tuple[int, int], title: str, rule_id: str) -> Span | None:
    """A block without what opens it: its marker, and the item's title repeated (with its framing and a
    closing ':' or ' - '), or a short label ("Physical therapy:"); the rest is the block's body."""
    a, b = bounds
    line_end = text.find("\n", a, b)
    line_end = b if line_end < 0 else line_end
    pos = a
    mk = _marker(text[a:line_end])
    if mk:
        pos = a + mk[0].end()
    words = unwrap(title).split()
    framed, _ = clean_title(text[pos:line_end])
    title_re = compile_cached(r"\s*" + r"\s+".join(regex.escape(w) for w in words) + r"\s*(?::|\s-\s|-)?\s*",
                             regex.IGNORECASE) if words else None
    m = None
    if title_re is not None:
        m = title_re.match(text, pos, b) or title_re.match(text, pos + framed, b)
    if m:
        pos = m.end()
        q = _QUESTION_END.match(text, pos, b)
        pos = q.end() if q else pos
    else:
        label = first_rule("items", "short-label").regex.match(text, pos, b)
        if label and _names_the_item(text[pos:label.end()], title) and not any(
                r.regex.search(text, pos, label.end()) for r in rules_for("guidelines", "citation")):
            pos = label.end()  # never "Decision based on MTUS ..., Section(s):" taken for a label
    return trimmed(text, pos, b, rule_id)


def _names_the_item(label: str, title: str) -> bool:
    """Whether a short label ("Butrans:", "Cervical MRI:") names the item: a few words, or a word of its title."""
    words = _folded_words(label)
    title_words = {w for w in _folded_words(title) if len(w) >= 4}
    return len(words) <= 3 or any(w in title_words for w in words if len(w) >= 4)


def locate_items(doc: NormalizedText, sections: Sections, strategies) -> Located:
    """Every decided item of the letter, by the strategy that decides the most items (the earlier one, in
    order, on a tie; its notes on untied outcomes are kept). Each strategy reads only its
    own form, so one that matches a letter partly (an issue list of one sentence over a summary table)
    never hides one that reads it whole. The first strategy's items, when it finds any, are taken at once:
    titles that end in their own outcome leave nothing for another form to add."""
    notes: list[Finding] = []
    best: Located | None = None
    for n, strategy in enumerate(strategies):
        found = strategy(doc, sections)
        items, more = found if isinstance(found, tuple) else (found, [])
        notes += more
        if n == 0 and items and not more:  # titles that end in their own outcome: the form is read whole
            return Located(_with_guidelines(doc.text, items, sections), more)
        if items and (best is None or len(items) > len(best.items)):
            best = Located(items, more)
    if best is None:
        return Located([], notes)
    if any("maximus" not in it.parts for it in best.items):  # a section of guidelines, cut by the items
        best = Located(_with_guidelines(doc.text, best.items, sections), best.notes)
    return best


__all__ = [
    "UNDECIDED_ITEM",
    "UNTIED_OUTCOME",
    "Entry",
    "Located",
    "Section",
    "Statement",
    "anchors",
    "blocks",
    "by_decision_sentences",
    "by_labelled_blocks",
    "by_marked_blocks",
    "by_outcome_list",
    "decided",
    "find_statements",
    "listed_entries",
    "locate_items",
]
