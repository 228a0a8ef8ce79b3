"""A one-file HTML dashboard of a run, readable offline.

The file carries one inline copy of plotly.js and every chart's data, so it
can be mailed or archived and opened without a network: no script, style or
font is fetched. Charts degrade to an annotated empty frame when a column is
not filled yet (e.g. ``service_category`` before services are classified),
rather than failing the report.
"""
from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from .audit import SEVERITIES, load_findings, missing_rates, read_table

OUTCOMES = ("upheld", "overturned")
COLORS = {"upheld": "#c0504d", "overturned": "#4f81bd", "error": "#c0504d", "warning": "#f2a93b", "info": "#8fa9c8",
          "letters": "#6b8e23", "decisions": "#4f81bd"}
UNCLASSIFIED = "unclassified"
#: (div id, title) of every chart, in page order; tests and docs read this.
CHARTS = (
    ("outcome-by-category", "Outcome by service category"),
    ("outcome-by-specialty", "Outcome by reviewer specialty"),
    ("guideline-cited", "Guideline cited"),
    ("decisions-over-time", "Decisions over time"),
    ("age-and-sex", "Patient age and sex"),
    ("quantity-vs-guideline", "Requested quantity vs guideline"),
    ("data-quality", "Data quality"),
)
_TITLES = dict(CHARTS)


def _label(v, missing: str = UNCLASSIFIED) -> str:
    return missing if v is None or v != v or not str(v).strip() else str(v)


def _figure(key: str, height: int = 420, fig=None):
    """A titled figure with the legend on top: long category labels below never push into it."""
    import plotly.graph_objects as go

    fig = go.Figure() if fig is None else fig
    fig.update_layout(title={"text": _TITLES[key], "x": 0.01, "y": 0.98, "yanchor": "top"}, height=height,
                      margin={"l": 10, "r": 10, "t": 100, "b": 40}, template="plotly_white", hovermode="closest",
                      legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"})
    return fig


def _no_data(fig, why: str):
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _outcome_bars(key: str, frame, by: str, why_empty: str):
    """Stacked upheld/overturned bars per category, with a count/share switch (shares say more for small groups)."""
    import plotly.graph_objects as go

    counts = frame.groupby([by, "outcome"]).size().unstack(fill_value=0).reindex(columns=OUTCOMES, fill_value=0)
    fig = _figure(key, height=max(360, 90 + 26 * len(counts)))
    if counts.empty:
        return _no_data(fig, why_empty)
    counts = counts.assign(_n=counts.sum(axis=1)).sort_values("_n")
    total = counts.pop("_n")
    for mode in ("count", "share"):
        for outcome in OUTCOMES:
            values = counts[outcome] if mode == "count" else counts[outcome] / total
            fig.add_trace(go.Bar(
                y=counts.index, x=values, name=outcome, orientation="h", marker_color=COLORS[outcome],
                visible=mode == "count", legendgroup=outcome, showlegend=mode == "count",
                customdata=list(zip(counts[outcome], total, counts["overturned"] / total)),
                hovertemplate="%{y}<br>" + outcome + ": %{customdata[0]} of %{customdata[1]}"
                              "<br>overturned: %{customdata[2]:.0%}<extra></extra>"))
    n = len(OUTCOMES)
    fig.update_layout(barmode="stack", updatemenus=[{
        "type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom",
        "showactive": True, "pad": {"b": 2},
        "buttons": [
            {"label": "Count", "method": "update",
             "args": [{"visible": [True] * n + [False] * n}, {"xaxis.tickformat": ""}]},
            {"label": "Share", "method": "update",
             "args": [{"visible": [False] * n + [True] * n}, {"xaxis.tickformat": ".0%"}]},
        ]}])
    return fig


def outcome_by_category(dec):
    frame = dec.assign(category=dec["service_category"].map(_label))
    return _outcome_bars("outcome-by-category", frame, "category", "no decisions")


def outcome_by_specialty(dec):
    def specialties(row) -> list[str]:
        for col in ("reviewer_specialties_canonical", "reviewer_specialties"):
            v = row.get(col)
            if v is not None and not isinstance(v, (str, float)) and len(v):
                return [str(s) for s in v]
        return ["not stated"]

    frame = dec.assign(specialty=[specialties(r) for r in dec.to_dict("records")]).explode("specialty")
    return _outcome_bars("outcome-by-specialty", frame, "specialty", "no decisions")


def guideline_cited(dec):
    """Source stacked by outcome; the hover lists the sections cited most under that source."""
    import plotly.graph_objects as go

    fig = _figure("guideline-cited")
    if dec.empty:
        return _no_data(fig, "no decisions")
    frame = dec.assign(source=dec["guideline_source"].map(lambda v: _label(v, "not read")),
                       section=dec["guideline_section"].map(lambda v: _label(v, "")))
    order = frame["source"].value_counts().index.tolist()
    top = {s: "<br>".join(f"{n} × {sec[:60]}" for sec, n in g["section"][g["section"] != ""].value_counts()
                          .head(5).items()) or "(no section)" for s, g in frame.groupby("source")}
    for outcome in OUTCOMES:
        sub = frame[frame["outcome"] == outcome]["source"].value_counts().reindex(order, fill_value=0)
        fig.add_trace(go.Bar(x=order, y=sub.values, name=outcome, marker_color=COLORS[outcome],
                             customdata=[top[s] for s in order],
                             hovertemplate="%{x}: %{y} " + outcome + "<br>most cited:<br>%{customdata}<extra></extra>"))
    fig.update_layout(barmode="stack", yaxis_title="decisions")
    return fig


def decisions_over_time(dec):
    import pandas as pd
    import plotly.graph_objects as go

    fig = _figure("decisions-over-time")
    when = pd.to_datetime(dec["decision_date"], errors="coerce")
    basis = pd.Series(["decision date"] * len(dec), index=dec.index).where(when.notna(), "UR date")
    when = when.fillna(pd.to_datetime(dec["ur_date"], errors="coerce"))
    frame = dec.assign(month=when.dt.to_period("M").dt.to_timestamp(), basis=basis).dropna(subset=["month"])
    if frame.empty:
        return _no_data(fig, "no decision or UR dates")
    for outcome in OUTCOMES:
        sub = frame[frame["outcome"] == outcome].groupby("month")
        per = sub.size()
        by_ur = sub["basis"].apply(lambda b: int((b == "UR date").sum())).reindex(per.index)
        fig.add_trace(go.Bar(x=per.index, y=per.values, name=outcome, marker_color=COLORS[outcome],
                             customdata=by_ur.values,
                             hovertemplate="%{x|%b %Y}: %{y} " + outcome +
                                           " (%{customdata} dated by UR date)<extra></extra>"))
    fig.update_layout(barmode="stack", yaxis_title="decisions", height=460, xaxis={
        "type": "date", "rangeslider": {"visible": True, "thickness": 0.08},
        "title": "month of the decision date, else of the UR denial date (drag the slider to zoom)"})
    return fig


def age_and_sex(letters):
    import plotly.graph_objects as go

    fig = _figure("age-and-sex")
    ages = letters.dropna(subset=["patient_age"])
    if ages.empty:
        return _no_data(fig, "no patient ages")
    colors = {"male": "#4f81bd", "female": "#c0504d", "not stated": "#999999"}
    sex = ages["patient_sex"].map(lambda v: _label(v, "not stated"))
    for name, color in colors.items():
        sub = ages[sex == name]["patient_age"].astype(int)
        if len(sub):
            fig.add_trace(go.Histogram(x=sub, name=f"{name} ({len(sub)})", marker_color=color,
                                       xbins={"start": 10, "end": 100, "size": 5},
                                       hovertemplate="age %{x}: %{y} letters<extra>" + name + "</extra>"))
    fig.update_layout(barmode="stack", xaxis={"title": "age (5-year bins)", "dtick": 5}, yaxis_title="letters")
    return fig


def quantity_vs_guideline(dec, top: int = 15):
    """Requested counts per guideline cited, by outcome: where requests exceed what a guideline allows."""
    import plotly.graph_objects as go

    frame = dec.dropna(subset=["quantity"])
    frame = frame.assign(guideline=[
        f"{_label(s, 'not read')}: {_label(sec, '')[:50]}".rstrip(": ")
        for s, sec in zip(frame["guideline_source"], frame["guideline_section"])])
    common = frame["guideline"].value_counts().index[:top]
    frame = frame.assign(guideline=frame["guideline"].where(frame["guideline"].isin(common), "(other guidelines)"))
    order = frame["guideline"].value_counts().index.tolist()[::-1]
    fig = _figure("quantity-vs-guideline", height=max(420, 140 + 34 * len(order)))
    if frame.empty:
        return _no_data(fig, "no item states a quantity")
    for outcome in OUTCOMES:
        sub = frame[frame["outcome"] == outcome]
        fig.add_trace(go.Box(y=sub["guideline"], x=sub["quantity"].astype(float), name=outcome, orientation="h",
                             marker_color=COLORS[outcome], boxpoints="all", jitter=0.5, pointpos=0,
                             customdata=sub["service_text"].map(lambda t: _label(t, "")[:80]),
                             hovertemplate="%{customdata}<br>quantity %{x}<br>%{y}<extra>" + outcome + "</extra>"))
    ticks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    fig.update_layout(boxmode="group", xaxis={"title": "quantity requested (log scale)", "type": "log",
                                              "tickvals": ticks, "ticktext": [str(t) for t in ticks]},
                      yaxis={"categoryorder": "array", "categoryarray": order, "automargin": True})
    return fig


def data_quality(letters, dec, findings):
    """Empty share per column beside findings per check: the two ways a table can mislead.

    Every check is listed, with no bar where it found nothing, so a reader
    sees which checks ran clean rather than guessing which ran at all.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .checks import check_names

    rates = missing_rates(letters, dec)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.22,
                        subplot_titles=("Missing rate per column", "Audit findings per check"))
    _figure("data-quality", height=max(480, 160 + 17 * len(rates)), fig=fig)
    fig.update_layout(legend={"y": -0.02, "yanchor": "top"}, barmode="stack")
    for table in ("letters", "decisions"):
        sub = [(c, r) for t, c, r in rates if t == table]
        fig.add_trace(go.Bar(y=[f"{table}.{c}" for c, _ in sub], x=[r for _, r in sub], orientation="h",
                             name=f"{table} columns", marker_color=COLORS[table],
                             hovertemplate="%{y}: %{x:.0%} empty<extra></extra>"), row=1, col=1)
    fig.update_xaxes(tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11}, dtick=1, row=1, col=1)
    checks = check_names()
    most = findings.groupby(["check", "severity"]).size().groupby("check").sum().max() if len(findings) else 0
    for severity in SEVERITIES:
        sub = findings[findings["severity"] == severity].groupby("check")["letter_id"]
        n, letters_hit = sub.size().reindex(checks, fill_value=0), sub.nunique().reindex(checks, fill_value=0)
        fig.add_trace(go.Bar(y=checks, x=n.values, orientation="h", name=severity, marker_color=COLORS[severity],
                             customdata=letters_hit.values,
                             hovertemplate="%{y}: %{x} " + severity + " findings in %{customdata} letters"
                                           "<extra></extra>"), row=1, col=2)
    fig.update_xaxes(tick0=0, dtick=max(1, -(-int(most) // 8)), rangemode="tozero", row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    return fig


def worst_letters(letters, findings, n: int = 10) -> list[tuple[str, int, str]]:
    """(source, findings, checks) for the letters with most findings."""
    if findings.empty:
        return []
    per = findings.groupby("letter_id")["check"].agg(["size", lambda c: ", ".join(sorted(set(c)))])
    per.columns = ["n", "checks"]
    per = per.join(letters.drop_duplicates("letter_id").set_index("letter_id")["source_path"])
    per = per.sort_values(["n", "source_path"], ascending=[False, True]).head(n)
    return [(str(r.source_path), int(r.n), r.checks) for r in per.itertuples()]


def build_figures(letters, decisions, findings) -> dict:
    dec = decisions.merge(letters.drop_duplicates("letter_id"), on="letter_id", how="left")
    return {
        "outcome-by-category": outcome_by_category(dec),
        "outcome-by-specialty": outcome_by_specialty(dec),
        "guideline-cited": guideline_cited(dec),
        "decisions-over-time": decisions_over_time(dec),
        "age-and-sex": age_and_sex(letters),
        "quantity-vs-guideline": quantity_vs_guideline(dec),
        "data-quality": data_quality(letters, decisions, findings),
    }


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1320px;
       color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } p.meta { color: #666; margin-top: 0; }
section { border-top: 1px solid #ddd; padding-top: 8px; margin-top: 16px; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee;
       text-align: left; }
"""


def render_html(letters, decisions, findings, source: str = "", note: str = "") -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    figures = build_figures(letters, decisions, findings)
    config = {"displaylogo": False, "responsive": True}
    parts = [f'<section id="{key}">' + pio.to_html(figures[key], full_html=False, include_plotlyjs=False,
                                                    div_id=f"chart-{key}", config=config) + "</section>"
             for key, _ in CHARTS]
    worst = worst_letters(letters, findings)
    if worst:
        rows = "".join(f"<tr><td>{html.escape(s)}</td><td>{n}</td><td>{html.escape(c)}</td></tr>"
                       for s, n, c in worst)
        parts.append('<section id="worst-letters"><h2 style="font-size:16px">Letters with most findings</h2>'
                     f"<table><tr><th>letter</th><th>findings</th><th>checks</th></tr>{rows}</table></section>")
    overturned = int((decisions["outcome"] == "overturned").sum()) if len(decisions) else 0
    meta = (f"{len(letters)} letters, {len(decisions)} decisions, {overturned} overturned; "
            f"{len(findings)} audit findings{html.escape(note)}. {html.escape(source)} — built "
            f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>IMR determinations report</title><style>{_STYLE}</style>"
            f"<script type=\"text/javascript\">{get_plotlyjs()}</script></head><body>"
            f"<h1>IMR determinations</h1><p class=\"meta\">{meta}</p>" + "".join(parts) + "</body></html>\n")


def write_report(out_dir: str | Path, html_path: str | Path, reread_sources: bool = True) -> Path:
    """Build the dashboard of the run in ``out_dir``; written to a temporary name, then renamed."""
    import os

    from ..io.write import _atomic_path

    letters = read_table(out_dir, "letters")
    findings, text_checked = load_findings(out_dir, reread_sources=reread_sources)
    note = "" if text_checked == len(letters) else f" (text checks on {text_checked} of {len(letters)} letters)"
    page = render_html(letters, read_table(out_dir, "decisions"), findings, str(out_dir), note)
    html_path = Path(html_path)
    tmp = _atomic_path(html_path)
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, html_path)
    return html_path
