"""A finished run's data-quality findings, read from the run itself, and how to summarise them.

``run`` audits every letter while its text is at hand and writes the ``audit``
table; this module reads that table back (``load_findings``), never the letters.
A run written before the audit table existed gets the checks its tables can
decide (``audit_tables``); the checks that read letter text then did not run,
and ``RunFindings.text_checked`` says so. The checks themselves live in
``insight.checks``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.tables import read_run, to_frame
from ..io.write import arrow_schema
from ..records import AUDIT_COLUMNS
from .checks import SEVERITIES, TEXT_CHECKS, check_names, duplicate_rows, header_summary_from_evidence, value_checks

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AUDIT_COLUMNS", "SEVERITIES", "TEXT_CHECKS", "RunFindings", "audit_tables", "check_names",
           "findings_frame", "is_empty", "load_findings", "missing_rates", "per_check", "read_for_audit",
           "with_sources", "worst_letters"]


@dataclass(frozen=True)
class RunFindings:
    """A run's findings (rows of AUDIT_COLUMNS) and whether the checks that read letter text ran."""

    frame: pd.DataFrame
    text_checked: bool

    @property
    def note(self) -> str:
        """One line saying which checks ran: empty when all did."""
        if self.text_checked:
            return ""
        return (f"this run has no audit table (written by an older version): {', '.join(TEXT_CHECKS)} "
                "did not run; run the letters again to get them")


def findings_frame(rows: Iterable[Mapping[Any, Any]]) -> pd.DataFrame:
    """Finding rows as a DataFrame of AUDIT_COLUMNS, typed like the run's audit table."""
    import pyarrow as pa

    names = [c.name for c in AUDIT_COLUMNS]
    rows = [{k: r.get(k) for k in names} for r in rows]
    return to_frame(pa.Table.from_pylist(rows, schema=arrow_schema(AUDIT_COLUMNS)))


def audit_tables(letters: pd.DataFrame, decisions: pd.DataFrame,
                 evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every check the tables alone can decide, as a DataFrame of AUDIT_COLUMNS.

    Of the checks that read text only ``header_summary_disagree`` can be decided
    here, and only where the evidence holds the summary's own injury date next
    to the header's.
    """
    items: dict[str, list[dict]] = {}
    for d in decisions.to_dict("records"):
        items.setdefault(d["letter_id"], []).append(d)
    rows: list[dict] = []
    for letter in letters.to_dict("records"):
        rows += value_checks(letter, items.get(letter["letter_id"], []))
    if evidence is not None and len(evidence):
        rows += header_summary_from_evidence(evidence.to_dict("records"))
    rows += duplicate_rows(letters)
    return findings_frame(rows)


def read_for_audit(out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The tables the audit and the dashboard read: all but the evidence, which only a run without an
    audit table needs (it is the largest table by far)."""
    tables = read_run(out_dir, ("letters", "decisions", "errors", "audit"))
    if "audit" not in tables:
        tables.update(read_run(out_dir, ("evidence",)))
    return tables


def load_findings(run: str | Path | Mapping[str, pd.DataFrame]) -> RunFindings:
    """A run's findings: its ``audit`` table, or (an older run without one) what its tables can decide.

    ``run`` is the run's folder or its tables as ``read_run`` gives them.
    """
    tables = read_for_audit(run) if isinstance(run, (str, Path)) else run
    if "audit" in tables:
        return RunFindings(findings_frame(tables["audit"].to_dict("records")), text_checked=True)
    frame = audit_tables(tables["letters"], tables["decisions"], tables.get("evidence"))
    return RunFindings(frame, text_checked=False)


def with_sources(findings: pd.DataFrame, letters: pd.DataFrame) -> pd.DataFrame:
    """The findings with each letter's ``source_path`` after ``letter_id`` (the first input, for a repeated text)."""
    sources = letters.drop_duplicates("letter_id").set_index("letter_id")["source_path"]
    out = findings.copy()
    out.insert(1, "source_path", out["letter_id"].map(sources))
    return out


def per_check(findings: pd.DataFrame) -> list[tuple[str, str, int, int]]:
    """(check, severity, findings, letters) per check that fired, most severe first, then most findings."""
    if findings.empty:
        return []
    grouped = findings.groupby(["check", "severity"])["letter_id"]
    rows = [(str(c), str(s), int(n), int(k)) for (c, s), n, k in zip(grouped.size().index, grouped.size(),
                                                                      grouped.nunique(), strict=False)]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(rows, key=lambda r: (rank.get(r[1], len(rank)), -r[2], r[0]))


def worst_letters(letters: pd.DataFrame, findings: pd.DataFrame, n: int = 10) -> list[tuple[str, int, str]]:
    """(source, findings, checks) for the ``n`` letters with most findings."""
    if findings.empty or n <= 0:
        return []
    counts: dict[str, int] = {}
    names: dict[str, set[str]] = {}
    for lid, check in zip(findings["letter_id"], findings["check"], strict=False):
        counts[lid] = counts.get(lid, 0) + 1
        names.setdefault(lid, set()).add(str(check))
    sources = dict(zip(letters["letter_id"], letters["source_path"], strict=False))
    ranked = sorted(counts, key=lambda lid: (-counts[lid], str(sources.get(lid, lid))))[:n]
    return [(str(sources.get(lid, lid)), counts[lid], ", ".join(sorted(names[lid]))) for lid in ranked]


def is_empty(v: Any) -> bool:
    """True for a cell that holds no value: null, NaN, blank text, an empty list."""
    if v is None or isinstance(v, bool):
        return v is None
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float):
        return v != v
    if isinstance(v, (list, tuple, dict)) or hasattr(v, "__len__"):
        return len(v) == 0
    import pandas as pd

    return v is pd.NA or v is pd.NaT


def missing_rates(letters: pd.DataFrame, decisions: pd.DataFrame) -> list[tuple[str, str, float]]:
    """(table, column, share of rows empty) for every column of both tables."""
    out = []
    for table, df in (("letters", letters), ("decisions", decisions)):
        for col in df.columns:
            values = df[col].tolist()
            share = sum(map(is_empty, values)) / len(values) if values else 0.0
            out.append((table, str(col), share))
    return out
