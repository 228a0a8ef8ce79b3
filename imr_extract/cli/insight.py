"""Commands that look at a finished run: `audit` (terminal) and `report` (HTML dashboard)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

_OUT_DIR = click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
_NO_REREAD = click.option("--no-reread", is_flag=True,
                          help="Without an audit table in OUT_DIR, skip re-reading the source letters (the text "
                               "checks then do not run).")


@click.command()
@_OUT_DIR
@_NO_REREAD
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many letters with most findings to list.")
@click.option("--findings", "findings_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every finding to this CSV file.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Exit 1 when a finding of this severity or worse exists.")
def audit(out_dir, no_reread, worst, findings_path, fail_on) -> None:
    """Summarize a run's data quality: empty share per column, findings per check, worst letters.

    Uses OUT_DIR/audit.parquet (or .csv) when the run wrote one; otherwise runs the checks now,
    from the tables and, for the checks that read letter text, from the source files.
    """
    from ..insight.audit import SEVERITIES, check_names, load_findings, missing_rates, read_table
    from ..insight.report import worst_letters

    letters, decisions = read_table(out_dir, "letters"), read_table(out_dir, "decisions")
    findings, text_checked = load_findings(out_dir, reread_sources=not no_reread)
    echo = click.echo
    echo(f"{len(letters)} letters, {len(decisions)} decisions in {out_dir}; "
         f"text checks on {text_checked} of {len(letters)} letters")
    echo("\nMissing rate per field (share of rows empty)")
    rates = missing_rates(letters, decisions)
    width = max((len(c) for _, c, _ in rates), default=10)
    for table in ("letters", "decisions"):
        echo(f"  {table}:")
        for t, col, rate in rates:
            if t == table:
                bar = "#" * round(rate * 20)
                echo(f"    {col:{width}s} {rate:6.1%}  {bar}")
    echo("\nFindings per check")
    if not findings.empty:
        per = findings.groupby(["check", "severity"])["letter_id"].agg(["size", "nunique"]).reset_index()
        per["rank"] = per["severity"].map(SEVERITIES.index)
        per = per.sort_values(["rank", "size", "check"], ascending=[True, False, True])
        echo(f"  {'check':32s} {'severity':8s} {'findings':>8s} {'letters':>8s}")
        for r in per.itertuples():
            echo(f"  {r.check:32s} {r.severity:8s} {r.size:8d} {r.nunique:8d}")
    clean = [c for c in check_names() if c not in set(findings["check"])]
    if clean:
        echo(f"  no findings: {', '.join(clean)}")
    if worst and not findings.empty:
        echo(f"\nLetters with most findings (top {worst})")
        for source, n, checks in worst_letters(letters, findings, worst):
            echo(f"  {n:3d}  {source}  [{checks}]")
    if findings_path:
        findings.to_csv(findings_path, index=False)
        echo(f"\nfindings written to {findings_path}")
    if fail_on:
        worse = SEVERITIES[:SEVERITIES.index(fail_on) + 1]
        if findings["severity"].isin(worse).any():
            sys.exit(1)


@click.command()
@_OUT_DIR
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the dashboard (default: OUT_DIR/report.html).")
@_NO_REREAD
def report(out_dir, html_path, no_reread) -> None:
    """Write a one-file HTML dashboard of a run (opens offline: plotly.js is inside the file)."""
    from ..insight.report import write_report

    path = write_report(out_dir, html_path or out_dir / "report.html", reread_sources=not no_reread)
    click.echo(f"report written to {path}", err=True)


COMMANDS = [audit, report]
