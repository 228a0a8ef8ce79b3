"""The dashboard's drawing kit: one colour per meaning, titled figures, safe short labels, the rate panel.

Every text taken from the data is HTML-escaped before plotly sees it (plotly
reads a subset of HTML in labels), and long labels are cut with an ellipsis,
the full text kept for the hover.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from .audit import is_empty
from .stats import Rate

#: One colour per meaning, never reused for another concept.
OUTCOME_COLORS = {"upheld": "#c0504d", "overturned": "#4f81bd"}
SEX_COLORS = {"female": "#8e6bb8", "male": "#2a9d8f", "not stated": "#9e9e9e"}
SEVERITY_COLORS = {"error": "#7b2d26", "warning": "#e08e0b", "info": "#c9b458"}
TABLE_COLORS = {"letters": "#6b8e23", "decisions": "#5d6d7e"}
ERROR_COLOR = "#6d4c41"
OUTCOMES = ("upheld", "overturned")
LABEL_WIDTH = 38
NOT_IN_RUN = "not in this run"


def esc(value: Any) -> str:
    """Data text as plotly should show it: literally (HTML-escaped), never as markup."""
    return html.escape(str(value), quote=False)  # plotly shows &lt; &gt; &amp; as characters, not &quot;


def short_labels(labels: Iterable[str], width: int = LABEL_WIDTH) -> dict[str, str]:
    """Each label cut to ``width`` characters with an ellipsis; cut labels that collide get a number."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for label in dict.fromkeys(labels):
        cut = label if len(label) <= width else label[:width - 1].rstrip() + "\u2026"
        candidate, i = cut, 2
        while candidate in used:
            candidate, i = f"{cut[:width - 4].rstrip()}\u2026({i})", i + 1
        used.add(candidate)
        out[label] = candidate
    return out


def label_of(value: Any, missing: str) -> str:
    """The cell as a label, ``missing`` when it holds no value."""
    return missing if is_empty(value) else str(value)


def figure(title: str, height: int = 420, note: str = "", fig=None):
    """A titled figure (``note`` as a smaller second line), legend on top."""
    import plotly.graph_objects as go

    fig = go.Figure() if fig is None else fig
    text = title + (f"<br><span style='font-size:12px;color:#555'>{esc(note)}</span>" if note else "")
    fig.update_layout(title={"text": text, "x": 0.01, "xanchor": "left", "y": 1, "yref": "container",
                             "yanchor": "top", "pad": {"t": 14}},
                      height=height, margin={"l": 10, "r": 20, "t": 100 if note else 84, "b": 50},
                      template="plotly_white", hovermode="closest",
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "traceorder": "normal"})
    return fig


def no_data(fig, why: str):
    """The figure, lower, with a centred note instead of axes."""
    fig.update_layout(height=min(fig.layout.height or 220, 220))
    fig.add_annotation(text=esc(why), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def rate_panel(title: str, rates: Sequence[Rate], group_title: str, note: str = "", empty: str = "no decisions",
               hover_extra: dict[str, list[str]] | None = None, baseline: Rate | None = None):
    """Decisions per group by outcome (left) beside the overturn rate with its 95% Wilson interval (right).

    Groups run top to bottom, most decisions first; a dashed line marks the
    rate over all decisions (``baseline``; by default the groups pooled).
    ``hover_extra`` adds lines of plain text per group to the hover.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.55, 0.45], horizontal_spacing=0.03)
    figure(title, height=max(320, 150 + 26 * len(rates)), note=note, fig=fig)
    if not rates:
        return no_data(fig, empty)
    shorts = short_labels([r.label for r in rates])
    y = [esc(shorts[r.label]) for r in rates]
    extra = hover_extra or {}
    info = [[esc(r.label), r.n, r.overturned, r.rate, *r.interval,
             "".join(f"<br>{esc(line)}" for line in extra.get(r.label, []))] for r in rates]
    hover = ("%{customdata[0]}<br>%{customdata[1]} decisions, %{customdata[2]} overturned"
             "<br>overturn rate %{customdata[3]:.0%} (95% CI %{customdata[4]:.0%}–%{customdata[5]:.0%})"
             "%{customdata[6]}<extra></extra>")
    for outcome in OUTCOMES:
        fig.add_trace(go.Bar(y=y, x=[r.overturned if outcome == "overturned" else r.upheld for r in rates],
                             name=outcome, orientation="h", marker_color=OUTCOME_COLORS[outcome], legendgroup=outcome,
                             customdata=info, hovertemplate=hover), row=1, col=1)
    lo = [r.rate - r.interval[0] for r in rates]
    hi = [r.interval[1] - r.rate for r in rates]
    fig.add_trace(go.Scatter(y=y, x=[r.rate for r in rates], mode="markers", name="overturn rate (95% CI)",
                             marker={"color": OUTCOME_COLORS["overturned"], "size": 9, "symbol": "diamond"},
                             error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo,
                                      "color": OUTCOME_COLORS["overturned"], "thickness": 1.5},
                             customdata=info, hovertemplate=hover), row=1, col=2)
    all_groups = baseline or Rate("all", sum(r.n for r in rates), sum(r.overturned for r in rates))
    fig.add_vline(x=all_groups.rate, line_dash="dash", line_color="#777", row=1, col=2,
                  annotation_text=f"all: {all_groups.rate:.0%}", annotation_position="top")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=group_title, categoryorder="array", categoryarray=y, autorange="reversed",
                     automargin=True, row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_xaxes(title_text="decisions", rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title_text="overturn rate (95% Wilson interval)", range=[0, 1], tickformat=".0%", row=1, col=2)
    return fig
