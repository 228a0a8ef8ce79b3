"""A one-file HTML dashboard of a run, readable offline.

The file carries one inline copy of plotly.js and every chart's data, so it can
be mailed or archived and opened without a network: no script, style or font
is fetched. The header says what the run holds, error rows included; a table
of contents links every panel. The charts are ``insight.charts``; every text
from the data is HTML-escaped.
"""
from __future__ import annotations

import datetime as dt
import html
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..io.tables import empty_frame
from .audit import SEVERITIES, load_findings, read_for_audit, worst_letters
from .charts import CHARTS, build_figures
from .stats import overall

if TYPE_CHECKING:
    import pandas as pd

#: Error rows listed in the table under the error chart (the chart counts them all).
ERRORS_LISTED = 20

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1320px;
       color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } p.meta { color: #444; margin: 2px 0; }
p.meta.alert { color: #7b2d26; font-weight: 600; }
nav { margin: 10px 0 4px; font-size: 14px; line-height: 1.7; } nav a { margin-right: 14px; color: #2a5d8f; }
section { border-top: 1px solid #ddd; padding-top: 8px; margin-top: 16px; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee;
       text-align: left; vertical-align: top; }
"""


def header_lines(tables: Mapping[str, pd.DataFrame], findings: pd.DataFrame,
                 note: str = "") -> list[tuple[str, bool]]:
    """The header's lines as (plain text, is an alert): inputs and error rows, decisions, findings."""
    letters, decisions = tables["letters"], tables["decisions"]
    errors = tables["errors"] if "errors" in tables else empty_frame("errors")
    n_errors = len(errors)
    inputs = len(letters) + n_errors
    lines = []
    if n_errors:
        kinds = Counter(str(k) for k in errors["error_kind"].tolist())
        by_kind = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
        lines.append((f"{inputs} inputs: {len(letters)} became letters, {n_errors} failed and are error rows "
                      f"({by_kind})", True))
    else:
        lines.append((f"{inputs} inputs, all became letters (no error rows)", False))
    rate = overall(decisions["outcome"].tolist())
    if rate.n:
        lo, hi = rate.interval
        lines.append((f"{len(decisions)} decisions: {rate.overturned} overturned ({rate.rate:.0%}, 95% CI "
                      f"{lo:.0%}–{hi:.0%}), {rate.upheld} upheld", False))
    else:
        lines.append((f"{len(decisions)} decisions", False))
    severity = Counter(findings["severity"].tolist())
    lines.append((f"{len(findings)} audit findings (" + ", ".join(f"{severity.get(s, 0)} {s}" for s in SEVERITIES)
                  + ")" + (f"; {note}" if note else ""), bool(note)))
    return lines


def _error_table(errors: pd.DataFrame | None) -> str:
    if errors is None or not len(errors):
        return ""
    rows = "".join(f"<tr><td>{html.escape(str(s))}</td><td>{html.escape(str(k))}</td><td>{html.escape(str(m))}</td>"
                   "</tr>" for s, k, m in zip(errors["source_path"].tolist()[:ERRORS_LISTED],
                                              errors["error_kind"].tolist(), errors["message"].tolist(), strict=False))
    more = f"<p class=\"meta\">and {len(errors) - ERRORS_LISTED} more in the errors table</p>" \
        if len(errors) > ERRORS_LISTED else ""
    return f"<table><tr><th>input</th><th>error kind</th><th>message</th></tr>{rows}</table>{more}"


def render_html(tables: Mapping[str, pd.DataFrame], findings: pd.DataFrame, source: str = "",
                note: str = "") -> str:
    """The whole page: header, table of contents, every chart of CHARTS, the letters with most findings."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    figures = build_figures(dict(tables), findings)
    config = {"displaylogo": False, "responsive": True}
    parts = []
    for key, _ in CHARTS:
        chart = pio.to_html(figures[key], full_html=False, include_plotlyjs=False, div_id=f"chart-{key}",
                            config=config)
        below = _error_table(tables.get("errors")) if key == "error-rows" else ""
        parts.append(f'<section id="{key}">{chart}{below}</section>')
    worst = worst_letters(tables["letters"], findings)
    links = [(key, title) for key, title in CHARTS]
    if worst:
        rows = "".join(f"<tr><td>{html.escape(s)}</td><td>{n}</td><td>{html.escape(c)}</td></tr>" for s, n, c in worst)
        parts.append('<section id="worst-letters"><h2 style="font-size:16px">Letters with most findings</h2>'
                     f"<table><tr><th>letter</th><th>findings</th><th>checks</th></tr>{rows}</table></section>")
        links.append(("worst-letters", "Letters with most findings"))
    meta = "".join(f'<p class="meta{" alert" if alert else ""}">{html.escape(text)}</p>'
                   for text, alert in header_lines(tables, findings, note))
    built = f"{html.escape(source)}{' — ' if source else ''}built {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}"
    nav = "<nav id=\"contents\">" + "".join(f'<a href="#{k}">{html.escape(t)}</a>' for k, t in links) + "</nav>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>IMR determinations report</title><style>{_STYLE}</style>"
            f"<script type=\"text/javascript\">{get_plotlyjs()}</script></head><body>"
            f"<h1>IMR determinations</h1>{meta}<p class=\"meta\">{built}</p>{nav}" + "".join(parts)
            + "</body></html>\n")


def write_report(run: str | Path | Mapping[str, pd.DataFrame], html_path: str | Path, source: str = "") -> Path:
    """Build the dashboard of a run (its folder, or its tables as ``read_run`` gives them).

    Written to a temporary name, then renamed: a reader never opens half a page.
    """
    if isinstance(run, (str, Path)):
        source = source or str(run)
        run = read_for_audit(run)
    tables = dict(run)
    tables.setdefault("decisions", empty_frame("decisions"))
    found = load_findings(tables)
    page = render_html(tables, found.frame, source, found.note)
    html_path = Path(html_path)
    tmp = html_path.with_name(f".{html_path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, html_path)
    finally:
        tmp.unlink(missing_ok=True)
    return html_path
