"""Commands that look at a finished run: `audit` (terminal) and `report` (HTML dashboard).

Both read the run's own tables in whichever format it wrote, never the letters
again; a folder without a run is refused with exit code 2.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from .common import read_run_or_refuse, say

_OUT_DIR = click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))


@click.command()
@_OUT_DIR
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many letters with most findings to list.")
@click.option("--findings", "findings_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every finding to this CSV file (with each letter's source_path).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Exit 1 when a finding of this severity or worse exists.")
def audit(out_dir, worst, findings_path, fail_on) -> None:
    """Summarize a run's data quality: empty share per column, findings per check, worst letters.

    The findings are the run's audit table (OUT_DIR/audit.*, or the audit table of imr.duckdb),
    computed by `run` while each letter's text was at hand.
    """
    from ..insight.audit import (
        SEVERITIES,
        check_names,
        load_findings,
        missing_rates,
        per_check,
        with_sources,
        worst_letters,
    )

    tables = read_run_or_refuse(out_dir)
    letters, decisions = tables["letters"], tables["decisions"]
    kinds = Counter(tables["errors"]["error_kind"].tolist()) if "errors" in tables else Counter()
    found = load_findings(tables)
    findings = found.frame
    say(f"{len(letters)} letters, {len(decisions)} decisions, {sum(kinds.values())} error rows in {out_dir}")
    if kinds:
        say("  error rows by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    if found.note:
        say(f"note: {found.note}")
    say("\nMissing rate per field (share of rows empty)")
    rates = missing_rates(letters, decisions)
    width = max((len(c) for _, c, _ in rates), default=10)
    for table in ("letters", "decisions"):
        say(f"  {table}:")
        for t, col, rate in rates:
            if t == table:
                say(f"    {col:{width}s} {rate:6.1%}  {'#' * round(rate * 20)}")
    say("\nFindings per check")
    rows = per_check(findings)
    if rows:
        say(f"  {'check':32s} {'severity':8s} {'findings':>8s} {'letters':>8s}")
        for check, severity, n, n_letters in rows:
            say(f"  {check:32s} {severity:8s} {n:8d} {n_letters:8d}")
    clean = [c for c in check_names() if c not in set(findings["check"])]
    if clean:
        say(f"  no findings: {', '.join(clean)}")
    if worst and rows:
        say(f"\nLetters with most findings (top {worst})")
        for source, n, checks in worst_letters(letters, findings, worst):
            say(f"  {n:3d}  {source}  [{checks}]")
    if findings_path:
        with_sources(findings, letters).to_csv(findings_path, index=False)
        say(f"\nfindings written to {findings_path}")
    if fail_on:
        worse = SEVERITIES[:SEVERITIES.index(fail_on) + 1]
        if findings["severity"].isin(worse).any():
            sys.exit(1)


@click.command()
@_OUT_DIR
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the dashboard (default: OUT_DIR/report.html).")
def report(out_dir, html_path) -> None:
    """Write a one-file HTML dashboard of a run (opens offline: plotly.js is inside the file)."""
    from ..insight.report import write_report

    tables = read_run_or_refuse(out_dir)
    path = write_report(tables, html_path or out_dir / "report.html", source=str(out_dir))
    say(f"report written to {path}", err=True)


COMMANDS = [audit, report]
