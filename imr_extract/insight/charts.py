"""The dashboard's charts, one function each, from a run's tables.

Every chart titles both axes and says what one unit is. Outcome charts count
each decision once (the specialty chart by the first specialty listed; the
diagnosis chart says where a decision counts more than once). A chart whose
column the run does not have says "not in this run" instead of drawing nothing.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from .audit import SEVERITIES, check_names, is_empty, missing_rates
from .plot import (
    ERROR_COLOR,
    NOT_IN_RUN,
    OUTCOME_COLORS,
    OUTCOMES,
    SEVERITY_COLORS,
    SEX_COLORS,
    TABLE_COLORS,
    esc,
    figure,
    label_of,
    no_data,
    rate_panel,
    short_labels,
)
from .stats import overall, overturn_rates, wilson

if TYPE_CHECKING:
    import pandas as pd

UNCLASSIFIED = "unclassified"
PHARMACEUTICALS = "Pharmaceuticals"
TOP_GROUPS = 15
#: Below this many points a group of quantities is drawn as points only, without a box.
BOX_MIN = 8
#: What one unit of `quantity` is, per service category (the axis title of its panel).
QUANTITY_UNITS = {PHARMACEUTICALS: "units dispensed (tablets, capsules, patches…)",
                  "Rehabilitation": "sessions or visits", "Programs": "sessions or days",
                  "Behavioral and mental health": "sessions or visits", "Home health": "visits or hours"}

#: (id, title) of every chart, in page order; the page, the tests and docs/report.md follow it.
CHARTS = (
    ("outcome-by-category", "Outcome by service category"),
    ("outcome-by-drug-class", "Outcome by drug class (Pharmaceuticals)"),
    ("outcome-by-specialty", "Outcome by reviewer specialty"),
    ("outcome-by-guideline", "Outcome by guideline cited"),
    ("outcome-over-time", "Decisions and overturn rate over time"),
    ("diagnosis-chapters", "Top diagnosis chapters (ICD-10-CM)"),
    ("quantity-requested", "Requested quantity per service"),
    ("age-and-sex", "Patient age and sex"),
    ("error-rows", "Inputs that did not become letters"),
    ("data-quality", "Data quality"),
)
TITLES = dict(CHARTS)


def values(df: pd.DataFrame, column: str) -> list[Any] | None:
    """The column as Python values, or None when the table has no such column."""
    return df[column].tolist() if column in df.columns else None


def decisions_with_letters(letters: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Each decision with its letter's columns (a letter's text seen twice joins once)."""
    return decisions.merge(letters.drop_duplicates("letter_id"), on="letter_id", how="left", suffixes=("", "_letter"))


# ---------------------------------------------------------------- outcome: rate panels

def outcome_by_category(dec: pd.DataFrame):
    """Upheld/overturned and the overturn rate per service_category."""
    key = "outcome-by-category"
    cats = values(dec, "service_category")
    if cats is None:
        return no_data(figure(TITLES[key]), f"service_category: {NOT_IN_RUN}")
    rates = overturn_rates([label_of(c, UNCLASSIFIED) for c in cats], dec["outcome"].tolist())
    return rate_panel(TITLES[key], rates, "service category", note="each decision counted once")


def outcome_by_drug_class(dec: pd.DataFrame):
    """The same for Pharmaceuticals decisions, per drug class (service_subcategory)."""
    key = "outcome-by-drug-class"
    classes, cats = values(dec, "service_subcategory"), values(dec, "service_category")
    if classes is None or cats is None:
        return no_data(figure(TITLES[key]), f"service_subcategory: {NOT_IN_RUN}")
    pairs = [(label_of(c, "no drug class"), o)
             for c, cat, o in zip(classes, cats, dec["outcome"].tolist(), strict=False)
             if cat == PHARMACEUTICALS]
    rates = overturn_rates([c for c, _ in pairs], [o for _, o in pairs], top=TOP_GROUPS)
    drugs = values(dec, "drug_name")
    extra: dict[str, list[str]] = {}
    if drugs is not None:
        per: dict[str, Counter] = {}
        for c, cat, d in zip(classes, cats, drugs, strict=False):
            if cat == PHARMACEUTICALS and not is_empty(d):
                per.setdefault(label_of(c, "no drug class"), Counter())[str(d)] += 1
        extra = {c: ["drugs: " + ", ".join(f"{d} ({n})" for d, n in cnt.most_common(5))] for c, cnt in per.items()}
    return rate_panel(TITLES[key], rates, "drug class", note="Pharmaceuticals decisions, each counted once",
                      empty="no Pharmaceuticals decisions in this run", hover_extra=extra)


def primary_specialty(canonical: Any, printed: Any) -> str:
    """The reviewer's first listed specialty (canonical spelling when known), or "not stated"."""
    for listed in (canonical, printed):
        if isinstance(listed, (list, tuple)) and listed:
            return str(listed[0])
        if listed is not None and not isinstance(listed, str) and not is_empty(listed):
            return str(next(iter(listed)))  # an array-like from another reader
    return "not stated"


def outcome_by_specialty(dec: pd.DataFrame):
    """Per reviewer specialty: each decision once, under the first specialty its reviewer lists."""
    key = "outcome-by-specialty"
    canonical, printed = values(dec, "reviewer_specialties_canonical"), values(dec, "reviewer_specialties")
    if canonical is None and printed is None:
        return no_data(figure(TITLES[key]), f"reviewer_specialties: {NOT_IN_RUN}")
    n = len(dec)
    labels = [primary_specialty(c, p) for c, p in zip(canonical or [None] * n, printed or [None] * n, strict=False)]
    rates = overturn_rates(labels, dec["outcome"].tolist(), top=TOP_GROUPS)
    return rate_panel(TITLES[key], rates, "reviewer specialty (first listed)",
                      note="each decision counted once, under the first specialty listed for its reviewer")


def _first_citations(dec: pd.DataFrame) -> tuple[list[tuple[str, str, list[str]]], str]:
    """(source, document, sections) of each decision's first guideline citation, and where it was read."""
    cited = values(dec, "guideline_citations")
    if cited is not None:
        out = []
        for cits in cited:
            first = dict(next(iter(cits))) if not is_empty(cits) else {}
            out.append((label_of(first.get("source"), ""), label_of(first.get("document"), ""),
                        _as_texts(first.get("sections"))))
        return out, "guideline_citations"
    sources = values(dec, "guideline_source") or [None] * len(dec)
    documents = values(dec, "guideline_document") or [None] * len(dec)
    sections = values(dec, "guideline_section") or [None] * len(dec)
    return ([(label_of(s, ""), label_of(d, ""), [] if is_empty(sec) else [str(sec)])
             for s, d, sec in zip(sources, documents, sections, strict=False)],
            "guideline_source and guideline_document")


def _as_texts(value: Any) -> list[str]:
    """A list cell (or one text) as a list of texts; [] when empty."""
    if is_empty(value):
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value if not is_empty(v)]


def outcome_by_guideline(dec: pd.DataFrame):
    """Per guideline of the first citation (source and MTUS document); the hover lists the sections cited most."""
    key = "outcome-by-guideline"
    if "guideline_citations" not in dec.columns and "guideline_source" not in dec.columns:
        return no_data(figure(TITLES[key]), f"guideline citations: {NOT_IN_RUN}")
    firsts, basis = _first_citations(dec)
    labels = []
    sections: dict[str, Counter] = {}
    for source, document, secs in firsts:
        label = "not read" if not source else ("none (no guideline cited)" if source == "none" else source)
        label = f"{label}: {document}" if document else label
        labels.append(label)
        sections.setdefault(label, Counter()).update(secs)
    rates = overturn_rates(labels, dec["outcome"].tolist(), top=TOP_GROUPS)
    extra = {g: ["most cited: " + "; ".join(f"{n} × {s[:50]}" for s, n in cnt.most_common(4))]
             for g, cnt in sections.items() if cnt}
    return rate_panel(TITLES[key], rates, "guideline (first citation)", hover_extra=extra,
                      note=f"each decision counted once, by its first citation (from {basis})")


def diagnosis_chapters(dec: pd.DataFrame, letters: pd.DataFrame):
    """Per ICD-10-CM chapter of the letter's diagnoses; a decision counts under each chapter of its letter."""
    key = "diagnosis-chapters"
    chapters = values(dec, "diagnosis_chapters")
    if chapters is None:
        return no_data(figure(TITLES[key]), f"diagnosis_chapters: {NOT_IN_RUN}")
    labels, outcomes = [], []
    for chs, outcome in zip(chapters, dec["outcome"].tolist(), strict=False):
        for ch in dict.fromkeys(str(c) for c in (chs if not is_empty(chs) else []) if not is_empty(c)):
            labels.append(ch)
            outcomes.append(outcome)
    rates = overturn_rates(labels, outcomes, top=12)
    coded = sum(not is_empty(v) for v in letters["diagnosis_chapters"].tolist())
    extra = _top_codes(letters)
    note = (f"{coded} of {len(letters)} letters have a coded diagnosis; a decision counts once under each "
            "chapter its letter's diagnoses fall in")
    return rate_panel(TITLES[key], rates, "ICD-10-CM chapter", note=note, hover_extra=extra,
                      empty="no diagnosis in this run has an ICD-10-CM chapter",
                      baseline=overall(dec["outcome"].tolist()))


def _top_codes(letters: pd.DataFrame) -> dict[str, list[str]]:
    codes, chapters = values(letters, "diagnosis_codes"), values(letters, "diagnosis_chapters")
    if codes is None or chapters is None:
        return {}
    per: dict[str, Counter] = {}
    for cs, chs in zip(codes, chapters, strict=False):
        cs, chs = ([] if is_empty(v) else list(v) for v in (cs, chs))
        if len(cs) == len(chs):  # aligned: one chapter per code
            for code, ch in zip(cs, chs, strict=False):
                if not is_empty(code) and not is_empty(ch):
                    per.setdefault(str(ch), Counter())[str(code)] += 1
    return {ch: ["codes: " + ", ".join(f"{c} ({n})" for c, n in cnt.most_common(5))] for ch, cnt in per.items()}


# ---------------------------------------------------------------- over time

def _month(v: Any) -> dt.date | None:
    if is_empty(v):
        return None
    if isinstance(v, dt.datetime):
        v = v.date()
    if not isinstance(v, dt.date):
        try:
            v = dt.date.fromisoformat(str(v)[:10])
        except ValueError:
            return None
    return v.replace(day=1)


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = (m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1))
    return out


def month_dtick(n_months: int) -> str:
    """A tick every 1, 3, 6 or 12 months: each tick is a month start, labelled like "Dec 2016"."""
    return "M1" if n_months <= 12 else "M3" if n_months <= 36 else "M6" if n_months <= 72 else "M12"


def outcome_over_time(dec: pd.DataFrame):
    """Decisions per month by outcome (top) and the month's overturn rate with its interval (bottom)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    key = "outcome-over-time"
    decided = values(dec, "decision_date") or [None] * len(dec)
    ur = values(dec, "ur_date") or [None] * len(dec)
    months = [_month(d) or _month(u) for d, u in zip(decided, ur, strict=False)]
    by_ur = [_month(d) is None and m is not None for d, m in zip(decided, months, strict=False)]
    rows = [(m, o, u) for m, o, u in zip(months, dec["outcome"].tolist(), by_ur, strict=False) if m and o in OUTCOMES]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06)
    n_ur = sum(u for _, _, u in rows)
    figure(TITLES[key], height=560, fig=fig,
           note="month of the decision date" + (f", else of the UR denial date ({n_ur} decisions)" if n_ur else ""))
    if not rows:
        return no_data(fig, "no decision or UR dates")
    span = _months_between(min(m for m, _, _ in rows), max(m for m, _, _ in rows))
    x = [m.isoformat() for m in span]
    count = Counter((m, o) for m, o, _ in rows)
    for outcome in OUTCOMES:
        fig.add_trace(go.Bar(x=x, y=[count[(m, outcome)] for m in span], name=outcome,
                             marker_color=OUTCOME_COLORS[outcome],
                             hovertemplate="%{x|%b %Y}: %{y} " + outcome + "<extra></extra>"), row=1, col=1)
    rated = [(m, count[(m, "overturned")], count[(m, "overturned")] + count[(m, "upheld")]) for m in span]
    rated = [(m, k, n) for m, k, n in rated if n]
    rate = [k / n for _, k, n in rated]
    ci = [wilson(k, n) for _, k, n in rated]
    fig.add_trace(go.Scatter(x=[m.isoformat() for m, _, _ in rated], y=rate, mode="markers+lines",
                             name="overturn rate (95% CI)", line={"color": OUTCOME_COLORS["overturned"], "width": 1},
                             marker={"symbol": "diamond", "size": 7},
                             error_y={"type": "data", "symmetric": False, "array": [h - r for r, (_, h) in
                                                                                       zip(rate, ci, strict=False)],
                                      "arrayminus": [r - lo for r, (lo, _) in zip(rate, ci, strict=False)],
                                      "thickness": 1},
                             customdata=[[n, k, lo, hi] for (_, k, n), (lo, hi) in zip(rated, ci, strict=False)],
                             hovertemplate="%{x|%b %Y}: %{y:.0%} overturned (%{customdata[1]} of %{customdata[0]}; "
                                           "95% CI %{customdata[2]:.0%}–%{customdata[3]:.0%})<extra></extra>"),
                  row=2, col=1)
    ticks = {"type": "date", "tickformat": "%b %Y", "dtick": month_dtick(len(span)), "tick0": x[0],
             "hoverformat": "%b %Y"}
    fig.update_layout(barmode="stack")
    fig.update_xaxes(**ticks, row=1, col=1)
    fig.update_xaxes(**ticks, title_text="month", row=2, col=1)
    fig.update_yaxes(title_text="decisions", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="overturn rate", range=[0, 1], tickformat=".0%", row=2, col=1)
    return fig


# ---------------------------------------------------------------- quantities, patients

def quantity_requested(dec: pd.DataFrame, per_panel: int = 8):
    """Requested quantity per service, one panel (and one unit) per service category, by outcome.

    Points are always drawn; a box only over the points of one service and outcome, and only
    when there are at least BOX_MIN of them.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    key = "quantity-requested"
    qty = values(dec, "quantity")
    if qty is None:
        return no_data(figure(TITLES[key]), f"quantity: {NOT_IN_RUN}")
    n = len(dec)
    cats = [label_of(c, UNCLASSIFIED) for c in values(dec, "service_category") or [None] * n]
    subs = values(dec, "service_subcategory") or [None] * n
    services = values(dec, "service") or [None] * n
    texts = values(dec, "service_text") or [None] * n
    rows = [(cat, label_of(sub, label_of(svc, "unnamed service")), int(q), o, label_of(t, ""))
            for cat, sub, svc, q, o, t in zip(cats, subs, services, qty, dec["outcome"].tolist(), texts, strict=False)
            if not is_empty(q) and o in OUTCOMES]
    if not rows:
        return no_data(figure(TITLES[key]), "no item states a quantity")
    by_cat = Counter(r[0] for r in rows)
    panels = [c for c, _ in by_cat.most_common()]
    groups: dict[str, list[str]] = {}
    for cat in panels:
        counts = Counter(r[1] for r in rows if r[0] == cat)
        keep = [g for g, _ in counts.most_common(per_panel)]
        groups[cat] = keep + (["(other services)"] if len(counts) > len(keep) else [])
    rows = [(c, g if g in groups[c] else "(other services)", q, o, t) for c, g, q, o, t in rows]
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=min(0.12, 0.5 / len(panels)),
                        row_heights=[len(groups[c]) + 1.5 for c in panels],
                        subplot_titles=[f"{esc(c)}: {by_cat[c]} item{'s' if by_cat[c] > 1 else ''} with a quantity"
                                        for c in panels])
    figure(TITLES[key], height=160 + sum(70 + 34 * len(groups[c]) for c in panels), fig=fig,
           note=f"each category on its own axis, in its own unit; a box only over {BOX_MIN} or more points of one "
                "service and outcome, fewer are shown as points alone")
    fig.update_layout(boxmode="group", legend={"x": 1, "xanchor": "right"})  # clear of the centred panel titles
    shown = set()
    for i, cat in enumerate(panels, start=1):
        shorts = short_labels(groups[cat], 34)
        sizes = Counter((r[1], r[3]) for r in rows if r[0] == cat)  # a box is drawn from its own points only
        for outcome in OUTCOMES:
            for boxed in (True, False):
                sub = [r for r in rows
                       if r[0] == cat and r[3] == outcome and (sizes[r[1], outcome] >= BOX_MIN) == boxed]
                if not sub:
                    continue
                fig.add_trace(go.Box(
                    y=[esc(shorts[r[1]]) for r in sub], x=[r[2] for r in sub], orientation="h", name=outcome,
                    legendgroup=outcome, showlegend=outcome not in shown, offsetgroup=outcome,
                    marker={"color": OUTCOME_COLORS[outcome], "size": 6}, boxpoints="all", jitter=0.4, pointpos=0,
                    line={"width": 1.5 if boxed else 0}, fillcolor=None if boxed else "rgba(0,0,0,0)",
                    hoveron="boxes+points" if boxed else "points",
                    customdata=[[esc(r[1]), esc(r[4][:90])] for r in sub],
                    hovertemplate="%{customdata[1]}<br>%{customdata[0]}: %{x}<extra>" + outcome + "</extra>"),
                    row=i, col=1)
                shown.add(outcome)
        order = [esc(shorts[g]) for g in groups[cat]]
        fig.update_yaxes(title_text="service", categoryorder="array", categoryarray=order, autorange="reversed",
                         automargin=True, row=i, col=1)
        spread = [r[2] for r in rows if r[0] == cat and r[2] > 0]
        log = bool(spread) and max(spread) >= 10 * min(spread)  # a log axis only where values span a decade
        unit = f"{QUANTITY_UNITS.get(cat, 'units')} requested"
        if log:  # ticks at 1-2-5 steps: plotly's own log ticks label the minor digits alike
            steps = [m * 10 ** e for e in range(7) for m in (1, 2, 5)
                     if min(spread) / 2 <= m * 10 ** e <= 2 * max(spread)]
            fig.update_xaxes(title_text=f"{unit} (log scale)", type="log", tickvals=steps,
                             ticktext=[f"{v:,}" for v in steps], row=i, col=1)
        else:
            fig.update_xaxes(title_text=unit, rangemode="tozero", dtick=1 if spread and max(spread) <= 10 else None,
                             row=i, col=1)
    return fig


def age_and_sex(letters: pd.DataFrame):
    """Letters per 5-year age bin, stacked by sex (colours of their own, not the outcome colours)."""
    import plotly.graph_objects as go

    key = "age-and-sex"
    fig = figure(TITLES[key])
    ages, sexes = values(letters, "patient_age"), values(letters, "patient_sex")
    if ages is None or not any(not is_empty(a) for a in ages):
        return no_data(fig, "no patient ages")
    pairs = [(int(a), label_of(s, "not stated"))
             for a, s in zip(ages, sexes or [None] * len(ages), strict=False) if not is_empty(a)]
    for name, color in SEX_COLORS.items():
        sub = [a for a, s in pairs if s == name]
        if sub:
            fig.add_trace(go.Histogram(x=sub, name=f"{name} ({len(sub)})", marker_color=color,
                                       xbins={"start": 10, "end": 100, "size": 5},
                                       hovertemplate="age %{x}: %{y} letters<extra>" + name + "</extra>"))
    fig.update_layout(barmode="stack", xaxis={"title": {"text": "patient age in years (5-year bins)"}, "dtick": 5},
                      yaxis={"title": {"text": "letters"}})
    return fig


# ---------------------------------------------------------------- the run's health

def error_rows(errors: pd.DataFrame | None):
    """Inputs that became error rows, per error kind; the hover names a few of them."""
    import plotly.graph_objects as go

    key = "error-rows"
    if errors is None:
        return no_data(figure(TITLES[key], height=260), f"errors table: {NOT_IN_RUN}")
    kinds = [label_of(k, "unknown") for k in errors["error_kind"].tolist()]
    fig = figure(TITLES[key], height=max(260, 170 + 30 * len(set(kinds))))
    if not kinds:
        return no_data(fig, "none: every input became a letter")
    count = Counter(kinds)
    order = [k for k, _ in count.most_common()]
    examples: dict[str, list[str]] = {}
    for k, src in zip(kinds, errors["source_path"].tolist(), strict=False):
        examples.setdefault(k, []).append(label_of(src, "?"))
    hover = ["<br>".join(esc(s[-70:]) for s in examples[k][:3]) + (f"<br>and {len(examples[k]) - 3} more"
                                                                   if len(examples[k]) > 3 else "") for k in order]
    fig.add_trace(go.Bar(y=[esc(k) for k in order], x=[count[k] for k in order], orientation="h",
                         name="error rows", marker_color=ERROR_COLOR, customdata=hover, showlegend=False,
                         hovertemplate="%{y}: %{x} inputs<br>%{customdata}<extra></extra>"))
    fig.update_layout(xaxis={"title": {"text": "inputs"}, "rangemode": "tozero", "tickformat": "d",
                             "dtick": 1 if max(count.values()) <= 10 else None},
                      yaxis={"title": {"text": "error kind"}, "autorange": "reversed", "automargin": True})
    return fig


def data_quality(letters: pd.DataFrame, decisions: pd.DataFrame, findings: pd.DataFrame):
    """Empty share per column beside findings per check: the two ways a table can mislead.

    Every check is listed, with no bar where it found nothing, so a reader sees
    which checks ran clean rather than guessing which ran at all.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rates = missing_rates(letters, decisions)
    checks = check_names()
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.22,
                        subplot_titles=("Missing rate per column", "Audit findings per check"))
    figure(TITLES["data-quality"], height=max(480, 200 + 17 * len(rates)), fig=fig)
    fig.update_layout(barmode="stack", legend={"y": -0.04, "yanchor": "top"}, margin={"b": 110})
    for table in ("letters", "decisions"):
        shares = [(c, r) for t, c, r in rates if t == table]
        fig.add_trace(go.Bar(y=[esc(f"{table}.{c}") for c, _ in shares], x=[r for _, r in shares], orientation="h",
                             name=f"{table} columns", marker_color=TABLE_COLORS[table],
                             hovertemplate="%{y}: %{x:.0%} empty<extra></extra>"), row=1, col=1)
    fig.update_xaxes(title_text="share of rows empty", tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="column", autorange="reversed", tickfont={"size": 11}, dtick=1, row=1, col=1)
    most = 0
    for severity in SEVERITIES:
        rows = findings[findings["severity"] == severity]
        n = Counter(rows["check"].tolist())
        hit = {c: len(set(g)) for c, g in rows.groupby("check")["letter_id"]} if len(rows) else {}
        most = max([most, *list(n.values())])
        fig.add_trace(go.Bar(y=checks, x=[n.get(c, 0) for c in checks], orientation="h", name=severity,
                             marker_color=SEVERITY_COLORS[severity], customdata=[hit.get(c, 0) for c in checks],
                             hovertemplate="%{y}: %{x} " + severity + " findings in %{customdata} letters"
                                           "<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title_text="findings", tick0=0, dtick=max(1, -(-int(most) // 8)), rangemode="tozero",
                     row=1, col=2)
    fig.update_yaxes(title_text="check", autorange="reversed", row=1, col=2)
    return fig


def build_figures(tables: dict[str, pd.DataFrame], findings: pd.DataFrame) -> dict[str, Any]:
    """Every chart of CHARTS, by id, from the run's tables and its findings."""
    letters, decisions = tables["letters"], tables["decisions"]
    dec = decisions_with_letters(letters, decisions)
    return {
        "outcome-by-category": outcome_by_category(dec),
        "outcome-by-drug-class": outcome_by_drug_class(dec),
        "outcome-by-specialty": outcome_by_specialty(dec),
        "outcome-by-guideline": outcome_by_guideline(dec),
        "outcome-over-time": outcome_over_time(dec),
        "diagnosis-chapters": diagnosis_chapters(dec, letters),
        "quantity-requested": quantity_requested(dec),
        "age-and-sex": age_and_sex(letters),
        "error-rows": error_rows(tables.get("errors")),
        "data-quality": data_quality(letters, decisions, findings),
    }
