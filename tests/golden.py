"""Golden files: corpus/expected/<stem>.json holds every column records.py declares, for one letter.

A golden file is a whole letter's expected record: the letter's columns and, under ``decisions``,
every decision's columns, in item order. Two kinds of value live in it:

- hand-checked values, which a person read off the letter (the blind rounds' answer keys, the
  corpus's first expected files): they are the truth, and no tool may change them;
- frozen values, the extractor's own output written in once so that any later change shows
  (``_frozen`` lists them: a letter field by its name, a decision's as ``decisions.<n>.<name>``).
  They are a regression net, not a claim that the value was checked.

``_known_wrong`` maps a hand-checked field (named the same way) to why
the extractor still gets it wrong: the test then requires the output to differ (a strict expected
failure), so the entry must go the day the extractor is fixed. ``synthetic`` marks a made-up letter.

Values compare exactly, up to what FIELDS.md says does not count: text case, punctuation and
spacing (``fold_text``), list order for the reviewer's specialties and states, page order. The
paragraph columns (rationale, the two guideline paragraphs) are kept as the SHA-256 of their folded
text and its length, so that no golden file repeats a letter's paragraphs (their sentences quote the
guidelines, as real letters do); they compare as exactly as the others.

Run ``python tests/golden.py update [STEM ...]`` to write the frozen values of new or changed
columns; it refuses to change a hand-checked value, and a frozen value only with
``--accept FIELD`` (the diff is printed either way).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(HERE.parent))

import imr_extract  # noqa: E402
from imr_extract.insight.evaluate import fold_text, values_equal  # noqa: E402
from imr_extract.records import DECISION_COLUMNS, LETTER_COLUMNS  # noqa: E402

CORPUS = HERE.parent / "corpus"
EXPECTED = CORPUS / "expected"
#: Properties of the input file rather than of the letter: where it lies and its bytes' hash.
NOT_COMPARED = frozenset({"source_path", "content_hash"})
LETTER_FIELDS = tuple(c.name for c in LETTER_COLUMNS if c.name not in NOT_COMPARED)
DECISION_FIELDS = tuple(c.name for c in DECISION_COLUMNS if c.name != "letter_id")
META = frozenset({"synthetic", "_frozen", "_known_wrong", "decisions"})
#: Paragraph columns, kept as a digest of their folded text.
DIGESTED = frozenset({"rationale", "claims_administrator_guideline", "maximus_guideline"})


def digest(value: Any) -> dict | None:
    """What a golden file keeps of a paragraph: the SHA-256 of its folded text, and its length."""
    if value is None or not str(value).strip():
        return None
    folded = fold_text(value)
    return {"folded_sha256": hashlib.sha256(folded.encode("utf-8")).hexdigest(), "chars": len(folded)}


def _equal(name: str, expected: Any, got: Any) -> bool:
    if isinstance(expected, dict) and "folded_sha256" in expected:
        return digest(got) == expected
    return values_equal(name, expected, got)


def letters() -> list[Path]:
    """Every corpus letter (.txt or .pdf, in any folder) that has a golden file, by name."""
    found = [p for p in sorted(CORPUS.rglob("*")) if p.suffix in (".txt", ".pdf") and p.is_file()
             and EXPECTED not in p.parents and (EXPECTED / f"{p.stem}.json").exists()]
    return found


def load(stem: str) -> dict:
    return json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))


def unknown_keys(expected: dict) -> list[str]:
    """Keys a golden file must not have: neither a column nor a meta key."""
    bad = [k for k in expected if k not in LETTER_FIELDS and k not in META]
    for i, item in enumerate(expected.get("decisions", []), start=1):
        bad += [f"decisions.{i}.{k}" for k in item if k not in DECISION_FIELDS]
    bad += [f"_frozen:{k}" for k in expected.get("_frozen", []) if not _is_field_key(expected, k)]
    bad += [f"_known_wrong:{k}" for k in expected.get("_known_wrong", {}) if not _is_field_key(expected, k)]
    return bad


def _is_field_key(expected: dict, key: str) -> bool:
    """``name`` of a letter column, or ``decisions.<n>.<name>`` of an item the file holds."""
    parts = key.split(".")
    if len(parts) == 1:
        return key in LETTER_FIELDS
    return (len(parts) == 3 and parts[0] == "decisions" and parts[1].isdigit()
            and 1 <= int(parts[1]) <= len(expected.get("decisions", [])) and parts[2] in DECISION_FIELDS)


def missing_keys(expected: dict) -> list[str]:
    """Columns a golden file does not hold (every column must be there)."""
    gone = [k for k in LETTER_FIELDS if k not in expected]
    for i, item in enumerate(expected.get("decisions", []), start=1):
        gone += [f"decisions.{i}.{k}" for k in DECISION_FIELDS if k not in item]
    return gone


def output_of(path: Path) -> tuple[dict, list[dict]]:
    record = imr_extract.parse_file(path)
    return record.row(), [d.row() for d in record.decisions]


def compare(expected: dict, letter: dict, decisions: list[dict]) -> list[tuple[str, Any, Any]]:
    """(field, expected, got) for every value that differs; an item missing or extra counts too."""
    out = [(k, expected[k], letter.get(k)) for k in LETTER_FIELDS
           if k in expected and not _equal(k, expected[k], letter.get(k))]
    want = expected.get("decisions", [])
    for i, item in enumerate(want, start=1):
        got = decisions[i - 1] if i <= len(decisions) else {}
        out += [(f"decisions.{i}.{k}", item[k], got.get(k)) for k in DECISION_FIELDS
                if k in item and not _equal(k, item[k], got.get(k))]
    for i in range(len(want), len(decisions)):
        out.append((f"decisions.{i + 1}", None, decisions[i].get("service_text")))
    return out


def is_frozen(expected: dict, key: str) -> bool:
    return key in set(expected.get("_frozen", []))


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def update(stems: list[str], accept: set[str]) -> int:
    """Write missing columns as frozen values; refuse hand-checked changes; change frozen ones only if accepted."""
    refused = 0
    for path in letters():
        if stems and path.stem not in stems:
            continue
        expected = load(path.stem)
        letter, decisions = output_of(path)
        known = set(expected.get("_known_wrong", {}))
        for key, want, got in compare(expected, letter, decisions):
            if key in known:
                continue
            field = key.split(".")[-1]
            if not is_frozen(expected, key):
                print(f"{path.stem}: {key} is hand-checked: expected {want!r}, the extractor gives {got!r} "
                      "(fix the extractor, or the value if it is wrong, by hand)")
                refused += 1
            elif field in accept:
                print(f"{path.stem}: {key}: {want!r} -> {got!r} (accepted)")
                _set(expected, key, got)
            else:
                print(f"{path.stem}: {key}: frozen {want!r}, now {got!r} (rerun with --accept {field})")
                refused += 1
        frozen = set(expected.get("_frozen", []))
        for k in LETTER_FIELDS:
            if k not in expected:
                expected[k] = _plain(letter.get(k))
                frozen.add(k)
        items = expected.setdefault("decisions", [])
        for i, got in enumerate(decisions):
            if i >= len(items):
                break  # an extra item is a failure to look at, never written in silently
            for k in DECISION_FIELDS:
                if k not in items[i]:
                    items[i][k] = digest(got.get(k)) if k in DIGESTED else _plain(got.get(k))
                    frozen.add(f"decisions.{i + 1}.{k}")
        expected["_frozen"] = sorted(frozen, key=lambda k: (k.count("."), [int(x) if x.isdigit() else x
                                                                            for x in k.split(".")]))
        ordered = {k: expected[k] for k in ("synthetic",) if k in expected}
        ordered.update({k: expected[k] for k in LETTER_FIELDS if k in expected})
        ordered["decisions"] = [{k: item[k] for k in DECISION_FIELDS if k in item} for item in items]
        ordered.update({k: expected[k] for k in ("_frozen", "_known_wrong") if k in expected})
        (EXPECTED / f"{path.stem}.json").write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n",
                                                    encoding="utf-8")
    return 1 if refused else 0


def _set(expected: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    if len(parts) == 1:
        expected[key] = _plain(value)
    else:
        expected["decisions"][int(parts[1]) - 1][parts[2]] = digest(value) if parts[2] in DIGESTED else _plain(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("update", help="write frozen values of columns a golden file lacks")
    up.add_argument("stems", nargs="*", help="only these letters (file stems)")
    up.add_argument("--accept", action="append", default=[], metavar="FIELD",
                    help="let a frozen value of this column change to the extractor's output")
    args = parser.parse_args(argv)
    return update(args.stems, set(args.accept))


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["compare", "fold_text", "letters", "load", "missing_keys", "unknown_keys"]
