"""ICD-10-CM codes for diagnoses printed as code titles (the official code set, from simple-icd-10-cm).

A diagnosis gets a code only when its text *is* an ICD-10-CM title, up to case, punctuation, the
word "the", the side written after the site ("knee, right" for "right knee"), or the encounter
suffix ("initial encounter", "subsequent encounter", "sequela"); never by similarity. A title two
unrelated codes share gives no code.

Importing the code set takes seconds, so the title index is built once and kept on disk (SQLite,
keyed by the code set's version and this normalizer's), and opened only when a letter has a
diagnosis. ``IMR_EXTRACT_CACHE`` sets where (default: the user's cache folder).
"""
from __future__ import annotations

import os
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

from ..rules import compile_cached

#: Bumped whenever normalize() changes, so a cache built by another normalizer is not read.
NORMALIZER_VERSION = 1
CACHE_ENV = "IMR_EXTRACT_CACHE"  # the same setting as imr_extract.cache.CACHE_ENV

_SIDES = ("right", "left", "bilateral")
_ENCOUNTER = compile_cached(
    r"[\s,(]+(?P<kind>initial|subsequent)\s+(?:encounter|visit|care)(?:\s+for\s+[\w\s-]+?)?\)?\s*$"
    r"|[\s,(]+(?P<kind2>sequela)e?(?:\s+of\s+[\w\s-]+?)?\)?\s*$",
    regex.IGNORECASE)
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4")
_NON_WORD = compile_cached(r"[^a-z0-9]+")

#: ICD-10-CM chapters: (first category, last category, number, short label). Facts of the code set.
CHAPTERS = (
    ("A00", "B99", 1, "Infectious and parasitic"), ("C00", "D49", 2, "Neoplasms"),
    ("D50", "D89", 3, "Blood and immune"), ("E00", "E89", 4, "Endocrine and metabolic"),
    ("F01", "F99", 5, "Mental and behavioral"), ("G00", "G99", 6, "Nervous system"),
    ("H00", "H59", 7, "Eye"), ("H60", "H95", 8, "Ear"), ("I00", "I99", 9, "Circulatory"),
    ("J00", "J99", 10, "Respiratory"), ("K00", "K95", 11, "Digestive"), ("L00", "L99", 12, "Skin"),
    ("M00", "M99", 13, "Musculoskeletal"), ("N00", "N99", 14, "Genitourinary"),
    ("O00", "O9A", 15, "Pregnancy"), ("P00", "P96", 16, "Perinatal"), ("Q00", "Q99", 17, "Congenital"),
    ("R00", "R99", 18, "Symptoms and signs"), ("S00", "T88", 19, "Injury and poisoning"),
    ("V00", "Y99", 20, "External causes"), ("Z00", "Z99", 21, "Health status and services"),
    ("U00", "U85", 22, "Special purposes"),
)


@dataclass(frozen=True)
class IcdMatch:
    """An ICD-10-CM code with its title and its chapter (number and label), when known."""

    code: str
    title: str
    chapter: int | None
    chapter_label: str | None


def normalize(text: str) -> tuple[str, str | None]:
    """(title key without its encounter suffix, encounter kind or None) for a title or a letter's diagnosis."""
    text = unicodedata.normalize("NFKC", text or "").translate(_APOSTROPHES)
    text = "".join(" " if unicodedata.category(c)[0] == "C" or c in "\ufffd\ufffe" else c for c in text).lower()
    encounter = None
    m = _ENCOUNTER.search(text)
    if m:
        encounter = (m.group("kind") or m.group("kind2") or "").lower()
        text = text[:m.start()]
    segments = [s.strip() for s in text.split(",")]
    ordered: list[str] = []
    for seg in segments:
        words = seg.split()
        if seg in _SIDES and ordered:
            ordered[-1] = f"{seg} {ordered[-1]}"  # "knee, right" -> "right knee"
            continue
        if len(words) > 1 and words[-1] in _SIDES:
            seg = " ".join([words[-1], *words[:-1]])  # "knee right" -> "right knee"
        ordered.append(seg)
    key = _NON_WORD.sub(" ", " , ".join(ordered))
    key = " ".join(w for w in key.split() if w != "the")
    return key, encounter


def chapter_of(code: str) -> tuple[int, str] | None:
    """The chapter number and short label of a code (categories compare as text: '9' < 'A')."""
    category = code[:3].upper()
    for first, last, number, label in CHAPTERS:
        if first <= category <= last:
            return number, label
    return None


def _cache_dir() -> Path:
    from ..cache import cache_dir

    return cache_dir()


def _library_version() -> str:
    from importlib.metadata import version

    return version("simple-icd-10-cm")


def _build(path: Path) -> None:
    """Write the title index: key (with the encounter kind, or '' for none) -> code, title; clashes dropped."""
    import simple_icd_10_cm as cm

    by_key: dict[tuple[str, str], set[str]] = {}
    titles: dict[str, str] = {}
    for code in dict.fromkeys(cm.get_all_codes(with_dots=True)):
        if not cm.is_category(code) and not cm.is_subcategory(code):
            continue  # chapters and blocks are not diagnoses
        title = cm.get_description(code).replace("/\t", " ")
        titles[code] = title
        key, encounter = normalize(title)
        by_key.setdefault((key, encounter or ""), set()).add(code)
    rows = []
    for (key, encounter), codes in by_key.items():
        code = _one_code(codes, cm)
        if code:
            rows.append((key, encounter, code, titles[code]))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    with con:
        con.execute("CREATE TABLE titles (key TEXT, encounter TEXT, code TEXT, title TEXT, "
                    "PRIMARY KEY (key, encounter))")
        con.executemany("INSERT INTO titles VALUES (?, ?, ?, ?)", rows)
    con.close()
    os.replace(tmp, path)


def _one_code(codes: set[str], cm) -> str | None:
    """The code of a title: the deepest where a parent and its child share it; none where unrelated codes do."""
    if len(codes) == 1:
        return next(iter(codes))
    deepest = max(codes, key=len)
    chain = set(cm.get_ancestors(deepest)) | {deepest}
    return deepest if codes <= chain else None


@lru_cache(maxsize=1)
def _index() -> sqlite3.Connection:
    folder = _cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"icd10cm-{_library_version()}-n{NORMALIZER_VERSION}.sqlite"
    if not path.exists():
        _build(path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _get(key: str, encounter: str) -> tuple[str, str] | None:
    row = _index().execute("SELECT code, title FROM titles WHERE key = ? AND encounter = ?",
                           (key, encounter)).fetchone()
    return (row[0], row[1]) if row else None


@lru_cache(maxsize=65536)
def lookup(diagnosis: str) -> IcdMatch | None:
    """The code whose title the diagnosis is (see the module's rules), or None."""
    key, encounter = normalize(diagnosis)
    if not key or len(key.split()) < 1:
        return None
    found = _get(key, encounter or "")
    if found is None and encounter:
        found = _get(key, "")  # the title without a 7th character: its code, not a guessed extension
    if found is None:
        return None
    code, title = found
    chapter = chapter_of(code)
    return IcdMatch(code, title, chapter[0] if chapter else None, chapter[1] if chapter else None)
