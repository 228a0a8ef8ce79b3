"""The broad drug dictionary under the project's own vocabulary: a name drugs.yaml does not know, in a
title that is a medication, is looked up in the dictionary that drug-named-entity-recognition ships
(DrugBank, MeSH and NHS names and brands, about 107,000 variants), read directly from its data file,
once per process and only when needed. Only whole words of four letters or more are looked up, never a
dosage form, and never fuzzily."""
from __future__ import annotations

import bz2
import importlib.util
import pickle
from functools import lru_cache
from pathlib import Path

import regex

from ..rules import compile_cached

_WORD = compile_cached(r"[A-Za-z][A-Za-z-]{3,}")
#: Words of medication titles that are forms, units or framing, never names (the dictionary holds a few).
_NOT_NAMES = frozenset((
    "tablet", "tablets", "capsule", "capsules", "cream", "creams", "ointment", "lotion", "patch", "patches",
    "solution", "suspension", "syrup", "drops", "spray", "nasal", "inhaler", "oral", "topical", "extended",
    "release", "delayed", "tabs", "caps", "dose", "doses", "daily", "twice", "refill", "refills", "supply", "month",
    "months", "weeks", "retrospective", "request", "prospective", "purchase", "rental", "gram", "grams", "unknown",
    "quantity", "medication", "medications", "compound", "compounded", "base", "generic", "brand", "plus", "with",
    "without"
))


#: Salt and hydrate words a dictionary generic may carry; the active ingredient is the name before them.
_SALT = compile_cached(r"(?:\s+(?:sodium|potassium|calcium|magnesium|hydrochloride|hcl|hydrobromide|sulfate|sulphate"
                      r"|phosphate|acetate|citrate|maleate|tartrate|bitartrate|succinate|besylate|besilate|mesylate"
                      r"|fumarate|dihydrate|monohydrate|anhydrous))+\Z", regex.IGNORECASE)


def active_ingredient(generic: str) -> str:
    """The generic without its salt ("carboxymethylcellulose sodium" -> "carboxymethylcellulose")."""
    bare = _SALT.sub("", generic).strip()
    return bare or generic


@lru_cache(maxsize=1)
def _variants() -> dict[str, list[str]]:
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "drug_ner_dictionary.pkl.bz2"
    if not path.is_file():
        return {}
    with bz2.open(path, "rb") as f:
        data = pickle.load(f)
    return data.get("drug_variant_to_canonical", {})


def lookup_generic(text: str) -> tuple[str, int, int] | None:
    """(generic name, start, end) of the first known drug word of ``text`` (two words tried first)."""
    words = [m for m in _WORD.finditer(text) if m.group().lower() not in _NOT_NAMES]
    variants = _variants()
    for i, m in enumerate(words):
        if i + 1 < len(words):
            pair = f"{m.group()} {words[i + 1].group()}".lower()
            if pair in variants:
                return active_ingredient(variants[pair][0].lower()), m.start(), words[i + 1].end()
        name = variants.get(m.group().lower())
        if name:
            return active_ingredient(name[0].lower()), m.start(), m.end()
    return None
