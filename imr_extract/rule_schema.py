"""What each kind of rule file may hold: its roles, their keys, what each key means, its allowed values.

The loader (``rules.py``) holds every rule to this schema when its file loads, and
``docs/patterns.md`` is generated from it, so an editor reads the same contract the
code enforces. Closed lists that rule values must come from (layouts, section kinds,
DWC categories, body regions) are declared here too.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Keys every rule may carry whatever its kind.
COMMON_KEYS = frozenset({"id", "example", "examples", "expect", "description"})

LAYOUTS = ("fdl", "fdl-documents-reviewed", "professional-review", "notice-2013", "unknown")
SECTION_KINDS = ("credentials", "documents", "summary", "issues", "decision_intro", "issue_at_dispute",
                 "guidelines", "rationale")
HEADER_FIELDS = ("case_number", "date_assigned", "injury_date", "decision_date", "ur_date", "priority",
                 "application_received")
HEADER_VALUE_TYPES = ("date", "case_number", "priority")

#: The DWC treatment-request categories (FIELDS.md), each with the subcategories used here.
CATEGORIES: dict[str, tuple[str, ...]] = {
    # the drug classes of the DWC's decision search
    "Pharmaceuticals": (
        "opioids", "NSAID", "muscle relaxant", "topical analgesics", "topical compounds", "PPI", "H2 blocker",
        "antidepressant", "anti-epilepsy drugs", "benzodiazepine", "sedative-hypnotics", "antiemetic",
        "medical food", "compounded oral suspension", "antibiotic", "corticosteroid", "other",
    ),
    "Rehabilitation": (
        "physical therapy", "chiropractic", "acupuncture", "occupational therapy", "massage",
        "aquatic therapy", "modalities", "other",
    ),
    "Diagnostic testing": (
        "MRI", "CT", "X-ray", "EMG/NCV", "labs", "ultrasound", "functional testing", "other",
    ),
    "DMEPOS": (
        "electrotherapy devices", "cold/heat therapy", "compression devices",
        "braces and supports", "mobility aids", "home equipment", "ergonomic equipment",
        "supplies", "other",
    ),
    "Surgery": (
        "spine", "arthroscopy", "joint replacement", "repair/reconstruction",
        "nerve/tendon release", "implantable devices", "associated services", "other",
    ),
    "Injections": (
        "epidural steroid injection", "facet/medial branch", "neurolysis/ablation",
        "trigger point", "joint injection", "nerve block", "viscosupplementation",
        "regenerative", "other",
    ),
    "Evaluation and management": (
        "consultation", "office visit", "pre-operative clearance", "medication management", "other",
    ),
    "Programs": (
        "functional restoration", "pain program", "detoxification", "weight loss",
        "work conditioning", "inpatient rehabilitation", "gym membership", "other",
    ),
    "Behavioral and mental health": (
        "psychotherapy", "psychological evaluation", "psychiatric care", "biofeedback", "other",
    ),
    "Home health": ("home health aide", "nursing", "other"),
    "Other": ("transportation", "interpreter", "dental", "other"),
}
REGIONS = ("spine", "upper extremity", "lower extremity", "head", "trunk", "other")
SIDES = ("right", "left", "bilateral")
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Key:
    """One key a rule may carry: what it means, whether it must be there, what values it takes."""

    meaning: str
    required: bool = False
    type: str = "str"  # str | int | list | pattern
    choices: tuple[Any, ...] | None = None
    check_extra: Callable[[Any, dict[str, Any]], str | None] | None = None

    def check(self, value: Any, rule: dict[str, Any]) -> str | None:
        if self.type == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            return f"{value!r} is not a whole number"
        if self.type in ("str", "pattern") and not isinstance(value, str):
            return f"{value!r} is not text"
        if self.type == "list" and not (isinstance(value, list) and value
                                        and all(isinstance(v, (str, int)) for v in value)):
            return f"{value!r} is not a non-empty list"
        if self.choices is not None:
            items = value if self.type == "list" else [value]
            bad = [v for v in items if v not in self.choices]
            if bad:
                return f"{bad[0]!r} is not one of {list(self.choices)}"
        if self.check_extra:
            return self.check_extra(value, rule)
        return None


def _pattern_groups(*names: str) -> Callable[[Any, dict[str, Any]], str | None]:
    """A pattern key whose regex must define at least one of these named groups."""
    def check(value: Any, rule: dict[str, Any]) -> str | None:
        if not any(f"(?P<{n}>" in value for n in names):
            return f"the pattern needs a group named {' or '.join(names)}"
        return None
    return check


def _all_groups(*names: str) -> Callable[[Any, dict[str, Any]], str | None]:
    """A pattern key whose regex must define every one of these named groups."""
    def check(value: Any, rule: dict[str, Any]) -> str | None:
        missing = [n for n in names if f"(?P<{n}>" not in value]
        return f"the pattern needs groups named {', '.join(missing)}" if missing else None
    return check


def _subcategory(value: Any, rule: dict[str, Any]) -> str | None:
    category = rule.get("category") or "Pharmaceuticals"
    return None if value in CATEGORIES.get(category, ()) else f"{value!r} is not a subcategory of {category}"


PATTERN = Key("a regular expression (Python `regex`, compiled verbose + ignore-case + multi-line)", True, "pattern")


@dataclass(frozen=True)
class KindSchema:
    """The roles of one kind of rule file and the keys each role uses."""

    description: str
    roles: dict[str, dict[str, Key]] = field(default_factory=dict)
    role_meanings: dict[str, str] = field(default_factory=dict)
    #: what the rule's example is matched against: "text" (as is), "digits" (number words read as digits),
    #: "dates" (dates replaced by @DATE@), "none" (the example is only an illustration)
    example_form: str = "text"
    #: the role of a rule that names none (a kind of one role, or the usual role of a vocabulary)
    implicit_role: str | None = None

    @property
    def default_role(self) -> str:
        if self.implicit_role:
            return self.implicit_role
        return next(iter(self.roles)) if len(self.roles) == 1 else ""

    def keys_for(self, role: str | None) -> dict[str, Key]:
        if role is None:
            role = self.default_role
        return self.roles.get(role, {})


def _one(description: str, keys: dict[str, Key], example_form: str = "text") -> KindSchema:
    return KindSchema(description, {"rule": keys}, {}, example_form)


SCHEMAS: dict[str, KindSchema] = {
    "layouts": _one("Which layout a letter is: rules tried in order, the first that matches the letter's "
                    "opening wins; a layout of `unknown` marks text that is an IMR letter of no known layout.", {
        "layout": Key("the layout the letter is", True, choices=LAYOUTS),
        "pattern": PATTERN,
    }),
    "sections": _one("Section headings, and the kind of text each heading opens (extractors are registered "
                     "per kind).", {
        "section": Key("the kind of section the heading opens", True, choices=SECTION_KINDS),
        "layouts": Key("the layouts whose letters use this heading", True, "list", LAYOUTS[:-1]),
        "pattern": PATTERN,
    }),
    "header": KindSchema(
        "The DWC header table above the first heading: labels, and the values each label takes; a label "
        "takes the next value of its type, whichever order the PDF gives them in.", {
            "label": {
                "field": Key("the letters column the label's value fills; `ignored` pairs a value not output "
                             "(so it does not shift the others), `none` marks a fragment of a wrapped label",
                             True, choices=(*HEADER_FIELDS, "ignored", "none")),
                "value_type": Key("the type of value the label takes (`none`: takes no value)", True,
                                  choices=(*HEADER_VALUE_TYPES, "none")),
                "pattern": PATTERN,
            },
            "value": {
                "value_type": Key("the type of value the pattern recognises", True, choices=HEADER_VALUE_TYPES),
                "casing": Key("how the matched value is written out", choices=("upper", "capitalize")),
                "pattern": PATTERN,
            },
        },
        {"label": "a label of the header table", "value": "what a value of one type looks like (dates use the "
                                                          "date grammar and need no rule)"}),
    "dates": _one("Which date of the case summary is the injury date or the UR decision date. Dates are "
                  "replaced by @DATE@ first; group `date` marks the date meant. Rules of a field are tried "
                  "in order: the first that matches wins.", {
        "field": Key("the letters column the date fills", True, choices=("injury_date", "ur_date")),
        "pattern": Key(PATTERN.meaning, True, "pattern", check_extra=_pattern_groups("date")),
    }, example_form="dates"),
    "patient": KindSchema(
        "The patient's age and sex as the case summary states them.", {
            "age": {"pattern": Key(PATTERN.meaning + "; group `value` holds digits, `words` a number in words",
                                   True, "pattern", check_extra=_pattern_groups("value", "words"))},
            "sex": {
                "value": Key("the sex the words state", True, choices=("male", "female")),
                "tier": Key("rules of a lower tier are tried first; the first tier with a match decides",
                            True, "int"),
                "agreement": Key("`first`: the earliest match of the tier decides; `unanimous`: the tier decides "
                                 "only when all its matches agree, and leaves the value empty when they do not",
                                 True, choices=("first", "unanimous")),
                "pattern": PATTERN,
            },
        },
        {"age": "the first stated age wins (a number outside 10-110 is not an age)",
         "sex": "explicit words by tier (with the age, a noun, pronouns)"}),
    "reviewer": _one("The expert reviewer's credentials; group `value` holds the list as printed.", {
        "field": Key("what the rule reads", True, choices=("specialties", "license_states", "board_certified")),
        "form": Key("`block`: a labelled credentials block, taken as printed and authoritative over prose; "
                    "`prose`: a sentence, split on 'and' only between known names", True,
                    choices=("block", "prose")),
        "tier": Key("2 = used only when no rule of tier 1 found the field", type="int", choices=(1, 2)),
        "require": Key("keep only names the vocabulary knows", choices=("known_specialty", "known_state")),
        "pattern": PATTERN,
    }),
    "states": _one("US states (and districts) reviewers are licensed in: prose licensure keeps only these.", {
        "state": Key("the name as written out", True),
    }, example_form="none"),
    "items": KindSchema(
        "How the disputed items are found and cut into their parts.", {
            "outcome-line": {"pattern": Key(PATTERN.meaning + "; groups `end` (where the title ends) and `outcome`",
                                            True, "pattern", check_extra=_pattern_groups("outcome", "end"))},
            "partial-title": {"pattern": Key(PATTERN.meaning + "; group `title` is the remaining portion's title",
                                             True, "pattern", check_extra=_pattern_groups("title"))},
            "intro": {"pattern": PATTERN},
            "lead-in": {"pattern": PATTERN},
            "label": {"part": Key("the part of an item the label opens", True,
                                  choices=("claims", "maximus", "rationale")), "pattern": PATTERN},
            "sentence-label": {"part": Key("the part of an item the sentence opens", True,
                                           choices=("claims", "maximus", "rationale")), "pattern": PATTERN},
            "item-marker": {"numbering": Key("how the marker counts: `digits` / `letters` / `roman` in group `n`; "
                                             "`bullet` marks unnumbered entries", True,
                                             choices=("digits", "letters", "roman", "bullet")),
                            "pattern": PATTERN},
            "outcome-statement": {"outcome": Key("the outcome the statement gives", True,
                                                 choices=("upheld", "overturned")),
                                  "pattern": PATTERN},
            "outcome-row": {"outcome": Key("the outcome the row gives when its words do not say it (else read from "
                                           "group `outcome`)", False, choices=("upheld", "overturned")),
                            "pattern": Key(PATTERN.meaning + "; groups `title` and `outcome`, the whole line", True,
                                           "pattern", check_extra=_all_groups("title", "outcome"))},
            "outcome-frame": {"pattern": PATTERN},
            "question-frame": {"pattern": PATTERN},
            "not-a-title": {"pattern": PATTERN},
            "list-frame": {"pattern": PATTERN},
            "list-separator": {"pattern": PATTERN},
            "title-stop": {"pattern": PATTERN},
            "title-trim": {"pattern": PATTERN},
            "title-prefix": {"pattern": PATTERN},
            "question-tail": {"pattern": PATTERN},
            "short-label": {"pattern": PATTERN},
            "conclusion": {"pattern": Key(PATTERN.meaning + "; group `neg` marks a negated conclusion", True,
                                          "pattern", check_extra=_pattern_groups("neg"))},
        },
        {"outcome-line": "the end of an item title: ': Upheld' / ': Overturned'",
         "partial-title": "the remaining portion's title inside a partial-certification sentence (tried in order)",
         "intro": "the section's opening sentence (titles never reach back into it)",
         "lead-in": "the sentence opening a partial certification",
         "label": "a label opening an item's guideline or rationale part",
         "sentence-label": "a sentence opening an item's guideline part ('The Expert Reviewer based his/her decision "
                           "on ...'), read only under a numbered decision sentence",
         "item-marker": "what opens an entry of a list of items, or the block of the rationale about one item",
         "outcome-statement": "an outcome stated in IMR terms (denial upheld, decision overturned, concur with the "
                              "non-certification); the last in an item's block decides, before any conclusion",
         "outcome-row": "a line of a list or table naming one item and its outcome ('Upheld: X', 'X    Overturned', "
                        "'X - Upheld')",
         "question-frame": "an entry that asks whether the item is medically necessary (answered elsewhere)",
         "outcome-frame": "words stating the outcome before the item is named ('The Independent Medical Review upholds "
                          "the denial of X')",
         "not-a-title": "what before ': Upheld' is a label, not an item's title ('Determination: Upheld')",
         "list-frame": "the words introducing a list of items written as one sentence",
         "list-separator": "what separates the items of such a sentence",
         "title-stop": "a previous line that ends a title's walk upwards",
         "title-trim": "words cut from the end of a title ('... is')",
         "title-prefix": "framing cut from the start of a listed title ('Is the request for', 'MAXIMUS ... has "
                         "determined that the request for')",
         "question-tail": "where a listed title ends: the question or verdict after it ('... medically necessary?')",
         "short-label": "a short label ending in ':' or '-' that repeats an item's title",
         "conclusion": "the rationale's conclusion on medical necessity"}),
    "abbreviations": _one("Abbreviations whose period does not end a sentence or a title line.", {
        "abbreviation": Key("the abbreviation without its period", True),
        "applies_to": Key("where the period is not an end", True, "list", ("sentence", "title")),
    }, example_form="none"),
    "frequencies": KindSchema(
        "The quantity grammar over an item title in which number words are already digits ('twice' reads "
        "'2 times'). A stated total wins; else frequency x weeks when both are single numbers.", {
            "void": {"pattern": PATTERN},
            "frequency_duration": {"pattern": Key(PATTERN.meaning + "; groups `fmin` and `dmin`", True, "pattern",
                                                  check_extra=_pattern_groups("fmin"))},
            "frequency": {"pattern": Key(PATTERN.meaning + "; groups `min` (and `max`)", True, "pattern",
                                         check_extra=_pattern_groups("min"))},
            "duration": {"pattern": Key(PATTERN.meaning + "; groups `min` (and `max`)", True, "pattern",
                                        check_extra=_pattern_groups("min"))},
            "total": {"pattern": Key(PATTERN.meaning + "; group `n`", True, "pattern",
                                     check_extra=_pattern_groups("n"))},
            "range": {"pattern": Key(PATTERN.meaning + "; groups `min` and `max`", True, "pattern",
                                     check_extra=_pattern_groups("min"))},
            "product": {},
        },
        {"void": "a phrase that makes any count ambiguous (refills)", "frequency_duration": "'2x6'",
         "frequency": "sessions per week", "duration": "weeks", "total": "a stated count",
         "range": "a range of counts ('10-16 sessions'): no single quantity, its bounds kept apart",
         "product": "quantity computed as frequency x weeks (no pattern: the rule names the computation)"},
        example_form="digits"),
    "numbers": KindSchema(
        "Number words read as digits by the quantity grammar and in ages.", {
            "number": {"value": Key("the number", True, "int"), "words": Key("its spellings", True, "list")},
            "adverb": {"value": Key("how many times", True, "int"), "words": Key("its spellings", True, "list")},
        },
        {"number": "a number word ('twelve')", "adverb": "a frequency adverb ('twice' reads '2 times')"},
        example_form="none"),
    "guidelines": KindSchema(
        "Guideline citations in the reviewer's guideline paragraph.", {
            "citation": {"source": Key("what the citation start says the source is (`prose` and `non-MTUS`: the "
                                       "cited work decides)", True, choices=("none", "MTUS", "non-MTUS", "prose")),
                         "pattern": PATTERN},
            "skip": {"pattern": PATTERN},
            "mention": {"pattern": PATTERN},
            "work": {"source": Key("the source a cited work is", True,
                                   choices=("MTUS", "ODG", "ACOEM", "non-MTUS", "other")),
                     "applies_to": Key("how the citation was introduced", True, "list", ("non-mtus", "prose", "bare")),
                     "pattern": PATTERN},
            "pages": {"pattern": Key(PATTERN.meaning + "; group `list`", True, "pattern",
                                     check_extra=_pattern_groups("list"))},
            "page-item": {"pattern": PATTERN},
            "section": {"pattern": Key(PATTERN.meaning + "; group `value`", True, "pattern",
                                       check_extra=_pattern_groups("value"))},
            "document": {"pattern": Key(PATTERN.meaning + "; group `doc`", True, "pattern",
                                        check_extra=_pattern_groups("doc"))},
            "year": {"pattern": PATTERN},
            "revision-year": {"pattern": Key(PATTERN.meaning + "; group `year`", True, "pattern",
                                             check_extra=_pattern_groups("year"))},
        },
        {"citation": "where a citation starts (the first decides the source)",
         "skip": "sentences about the Claims Administrator's citation, dropped from the reviewer's paragraph",
         "mention": "a guideline or other evidence named in prose: the first one named (not to say it does not "
                    "apply) is the citation where the paragraph has no citation start",
         "work": "how a cited work is classified, tried in order",
         "pages": "page numbers", "page-item": "one page or page range of a pages list",
         "section": "the section(s) cited", "document": "the MTUS document cited", "year": "an edition year",
         "revision-year": "the year of a revision date ('Revised 05/2021'): the year of a non-MTUS citation"}),
    "chapters": _one("The guideline chapters (MTUS documents, ODG chapters) of every era that a citation may "
                     "name; a citation's document is the chapter named where it starts, as printed.", {
        "document": Key("the chapter's title", True),
        "source": Key("the guideline the chapter belongs to", True, choices=("MTUS", "ODG")),
        "years": Key("the editions known (informative: the year printed decides; ODG chapters, revised "
                     "continuously, have none)", False, "list"),
        "pattern": PATTERN,
    }),
    "services": KindSchema(
        "Item titles -> service, DWC category and subcategory, by what the item is: after any framing is set "
        "aside, a tier-1 phrase wins; else the service or drug named first in the title (at one place the longer "
        "name, then file order); else a tier-3 sign of a medication; else the framing; else the fallback.", {
            "service": {
                "category": Key("the DWC category", True, choices=tuple(CATEGORIES)),
                "subcategory": Key("the subcategory within it (pharmaceutical rules may leave it to the drug)",
                                   check_extra=_subcategory),
                "service": Key("the normalized service name", True),
                "tier": Key("1: a narrow phrase tried before all others, in file order; 2 (the default): the "
                            "service named first in the title wins, drugs included; 3: a generic noun ('injection', "
                            "'surgery', 'evaluation') read only when no tier-2 service or drug is named, the first "
                            "printed winning; 4: a sign of a medication (a strength, a dosage form), read last",
                            type="int", choices=(1, 2, 3, 4)),
                "pattern": PATTERN,
            },
            "framing": {
                "category": Key("the category when nothing after the framing is recognised", True,
                                choices=tuple(CATEGORIES)),
                "subcategory": Key("its subcategory", check_extra=_subcategory),
                "service": Key("its service name", True),
                "pattern": PATTERN,
            },
            "fallback": {
                "category": Key("the category of a title no rule (and no drug name) recognises", True,
                                choices=tuple(CATEGORIES)),
                "pattern": PATTERN,
            },
        },
        {"service": "a kind of service (the usual role: rules that name no role are of this one)",
         "framing": "words that frame an item without saying what it is ('Associated surgical service:')",
         "fallback": "what a title no other rule recognises is"},
        implicit_role="service"),
    "drugs": KindSchema(
        "Drug names (generic and brand) -> generic name and class.", {
            "drug": {"drug": Key("the generic name, lowercase (combinations joined with '/'); left out for a product "
                                 "(a medical food) whose ingredients are no one generic", False),
                     "subcategory": Key("the pharmaceutical class", True, choices=CATEGORIES["Pharmaceuticals"]),
                     "pattern": PATTERN},
            "strength": {"pattern": PATTERN},
            "dictionary": {},
        },
        {"drug": "a drug name", "strength": "a strength as printed (not an amount dispensed)",
         "dictionary": "the broad drug dictionary consulted for a medication no rule names (no pattern)"}),
    "body_parts": KindSchema(
        "Body parts named in item titles, and how their side is read.", {
            "part": {"body_part": Key("the canonical body part", True), "region": Key("its region", True,
                                                                                     choices=REGIONS),
                     "pattern": PATTERN},
            "side-before": {"pattern": Key(PATTERN.meaning + "; group `side`", True, "pattern",
                                           check_extra=_pattern_groups("side"))},
            "side-after": {"pattern": Key(PATTERN.meaning + "; group `side`", True, "pattern",
                                          check_extra=_pattern_groups("side"))},
            "side-word": {"word": Key("a side as printed", True), "side": Key("the side it names", True,
                                                                               choices=SIDES)},
            "specialist": {"pattern": PATTERN},
        },
        {"part": "a body part", "side-before": "a side printed just before a part",
         "side-after": "a side closing the title after the part ('..., right')",
         "side-word": "how a printed side reads ('rt' is right)",
         "specialist": "words after a part that make it name a specialist ('spine surgeon')"}),
    "specialties": _one("Reviewer specialties -> one canonical spelling (whole-name patterns).", {
        "canonical": Key("the canonical spelling", True),
        "pattern": PATTERN,
    }),
    "diagnoses": KindSchema(
        "How the case summary states diagnoses, and how a list of them is cut.", {
            "cue": {"pattern": PATTERN},
            "separator": {"pattern": PATTERN},
            "qualifier": {"pattern": PATTERN},
            "modifier": {"pattern": PATTERN},
            "stop": {"pattern": PATTERN},
            "list-end": {"pattern": PATTERN},
            "standalone": {"pattern": PATTERN},
            "condition-end": {"pattern": PATTERN},
            "code-title": {},
        },
        {"cue": "words that introduce diagnoses (never part of one)",
         "separator": "what separates diagnoses in a list written with commas",
         "qualifier": "a piece after a comma that only qualifies the diagnosis before it",
         "modifier": "a word before 'and' that qualifies the same noun as the words after it",
         "stop": "where an entry's sentence turns to something else",
         "list-end": "where the whole list ends before its sentence does",
         "standalone": "a one-word diagnosis that shares no site with its neighbour, so an 'and' beside it separates",
         "condition-end": "a 'with ...' phrase ending in a condition ('with myelopathy'): an 'and' after it may start "
                          "another diagnosis",
         "code-title": "the ICD-10-CM title match that gives a diagnosis its code (no pattern: the code set decides)"}),
    "debris": KindSchema(
        "Page-break debris removed by the normalizer.", {
            "page-line": {"pattern": PATTERN},
            "case-number-line": {"pattern": Key(PATTERN.meaning + "; group `case`", True, "pattern",
                                                check_extra=_pattern_groups("case"))},
        },
        {"page-line": "a whole line that is a page number or page footer",
         "case-number-line": "a line holding only a case number (a running page header once the number is known)"}),
    "audit": _one("Data-quality checks; the id is the check's name (`name.field` for one check with a severity "
                  "per field).", {
        "severity": Key("how much the finding matters", True, choices=SEVERITIES),
        "pattern": Key(PATTERN.meaning + " (checks that read text)", False, "pattern"),
    }, example_form="none"),
}
