"""A finished run's data-quality findings: read from its audit table, or computed from its tables.

The checks themselves live in ``insight.checks``; this module reads a run back
(``read_table``), gathers its findings (``load_findings``) and the share of empty
cells per column (``missing_rates``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..records import AUDIT_COLUMNS, LetterRecord
from ..rules import rule_kind
from .checks import (BATCH_CHECKS, SEVERITIES, TEXT_CHECKS, _empty, check_names, duplicate_rows,  # noqa: F401
                     header_summary_disagree, text_checks, value_checks,
                     audit_rows, audit_letter, rationale_request_counts, injury_dates_stated, rules)


def audit_tables(letters, decisions, evidence=None):
    """Every check the tables alone can decide, as a DataFrame of AUDIT_COLUMNS.

    Text checks need the letter text; of them only ``header_summary_disagree``
    can be decided here, and only where the evidence table holds the summary's
    own injury date next to the header's.
    """
    items: dict[str, list[dict]] = {}
    for d in decisions.to_dict("records"):
        items.setdefault(d["letter_id"], []).append(d)
    rows: list[dict] = []
    for letter in letters.to_dict("records"):
        rows += value_checks(letter, items.get(letter["letter_id"], []))
    if evidence is not None and len(evidence):
        rows += _header_summary_from_evidence(evidence)
    rows += duplicate_rows(letters)
    return findings_frame(rows)


def _header_summary_from_evidence(evidence) -> list[dict]:
    ev = evidence[(evidence["field"] == "injury_date") & evidence["item_no"].isna()]
    out = []
    for lid, group in ev.groupby("letter_id"):
        kinds = group["rule_id"].map(rule_kind)
        header = group[kinds == "header"]["value"]
        summary = group[kinds == "dates"]["value"]
        if len(header) and len(summary):
            out += header_summary_disagree(lid, header.iloc[0], summary.iloc[0])
    return out


def batch_audit_rows(out_dir: str | Path) -> list[dict]:
    """Cross-letter checks over a finished run (called by ``run`` after the tables are final)."""
    return duplicate_rows(read_table(out_dir, "letters"))


def findings_frame(rows: Iterable[dict]):
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=[c.name for c in AUDIT_COLUMNS])
    df["item_no"] = df["item_no"].astype("Int64")
    return df


# ---------------------------------------------------------------- reading a run back

def read_table(out_dir: str | Path, table: str):
    """A run's table as written: parquet when there, else CSV with the same columns typed."""
    import pandas as pd

    from ..records import TABLES

    out_dir = Path(out_dir)
    if (out_dir / f"{table}.parquet").exists():
        return pd.read_parquet(out_dir / f"{table}.parquet")
    columns = TABLES[table] if table in TABLES else AUDIT_COLUMNS
    path = out_dir / f"{table}.csv"
    if not path.exists():
        return pd.DataFrame({c.name: pd.Series(dtype="object") for c in columns})
    import json

    df = pd.read_csv(path, dtype=object, keep_default_na=False)
    df = df.where(df != "", None)  # an empty CSV cell is a missing value, as in the parquet file
    for c in columns:
        if c.name not in df:
            continue
        if c.type == "int":
            df[c.name] = pd.to_numeric(df[c.name]).astype("Int64")
        elif c.type == "list":
            df[c.name] = df[c.name].map(lambda v: json.loads(v) if isinstance(v, str) else None)
        elif c.type == "bool":
            df[c.name] = df[c.name].map({"true": True, "false": False})
    return df


def reread(source_path: str) -> LetterRecord | None:
    """The letter parsed again from its source file, or None when the source is gone or no longer a letter."""
    from .. import parse_pages
    from ..io.inputs import MEMBER_SEPARATOR, InputRef
    from ..extract.letter import NotAnIMRLetter
    from ..io.read import ReadError, read_bytes

    path, _, member = source_path.partition(MEMBER_SEPARATOR)
    try:
        doc = read_bytes(InputRef(source_path, Path(path), member or None).read_bytes(1 << 62), source_path)
        return parse_pages(doc.pages, source_path=source_path, source_type=doc.source_type)
    except (OSError, KeyError, ReadError, NotAnIMRLetter):
        return None


def load_findings(out_dir: str | Path, reread_sources: bool = True):
    """A run's findings: the audit table written by ``run`` when there is one, else computed now.

    Cross-letter checks are always recomputed, so a resumed run's duplicates
    are judged over the whole batch. Without an audit table, text checks need
    the source files; ``reread_sources=False`` (or sources moved away) leaves
    them out, and the returned ``text_checked`` count says how many letters
    had them.
    """
    import pandas as pd

    letters = read_table(out_dir, "letters")
    written = Path(out_dir, "audit.parquet").exists() or Path(out_dir, "audit.csv").exists()
    if written:
        per_letter = read_table(out_dir, "audit")
        per_letter = per_letter[~per_letter["check"].isin(BATCH_CHECKS)]
        frame = pd.concat([per_letter, findings_frame(duplicate_rows(letters))], ignore_index=True)
        return findings_frame(frame.to_dict("records")), len(letters)
    frame = audit_tables(letters, read_table(out_dir, "decisions"), read_table(out_dir, "evidence"))
    have = set(zip(frame["letter_id"], frame["check"]))  # the evidence may already have decided one
    rows, checked = [], 0
    for lid, source in zip(letters["letter_id"], letters["source_path"]) if reread_sources else ():
        record = reread(source)
        if record is not None and record["letter_id"] == lid:  # same text as when the run read it
            rows += [r for r in text_checks(record) if (lid, r["check"]) not in have]
            checked += 1
    return findings_frame(frame.to_dict("records") + rows), checked


def missing_rates(letters, decisions) -> list[tuple[str, str, float]]:
    """(table, column, share of rows empty) for every column of both tables."""
    out = []
    for table, df in (("letters", letters), ("decisions", decisions)):
        for col in df.columns:
            empty = df[col].map(lambda v: _empty(v) or (hasattr(v, "__len__") and not isinstance(v, str)
                                                       and len(v) == 0))
            out.append((table, col, float(empty.mean()) if len(df) else 0.0))
    return out
