"""The HTML dashboard: self-contained, every chart renders in a real headless browser, and reads right.

The browser is Debian's chromium, driven over the DevTools protocol through a
pipe (``--remote-debugging-pipe``): no websocket library, no driver download.
Name resolution is mapped to nothing, so a page that tried to fetch a script
would fail visibly. The screenshot is kept in tests/artifacts/report.png.

The run behind the main report is the corpus plus four inputs that fail (an empty
file, random bytes named .pdf, a recipe, a copy of a seed), so the error rows show.
The tables of ``rich_tables`` are SYNTHETIC: made up to exercise the columns a run
may not have yet (diagnosis chapters and codes, guideline citations), long labels
and labels that look like markup.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import CORPUS_DIR, REPO_ROOT, seed_paths
from imr_extract.insight import charts, plot, report, stats
from imr_extract.insight.audit import AUDIT_COLUMNS, findings_frame
from imr_extract.io.tables import empty_frame
from imr_extract.records import TABLES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
BAD_INPUTS = {"empty.txt": b"", "random-bytes.pdf": bytes(range(256)) * 8,
              "recipe.txt": b"Banana bread: mash three bananas, stir in butter, sugar, an egg and flour; bake.\n"}
ERROR_KINDS = {"empty_file": 1, "corrupt_pdf": 1, "not_an_imr_letter": 1, "duplicate": 1}


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory) -> Path:
    from imr_extract.io.inputs import expand
    from imr_extract.run.batch import RunSettings, run

    bad = tmp_path_factory.mktemp("bad-inputs")
    for name, data in BAD_INPUTS.items():
        (bad / name).write_bytes(data)
    shutil.copy(seed_paths()[0], bad / "copy-of-a-seed.txt")
    out = tmp_path_factory.mktemp("corpus-run")
    run(list(expand([str(CORPUS_DIR), str(bad)])), out, RunSettings(workers=2, timeout=None, quiet=True))
    return out


@pytest.fixture(scope="module")
def report_html(corpus_run) -> Path:
    return report.write_report(corpus_run, corpus_run / "report.html")


@pytest.fixture(scope="module")
def corpus_figures(corpus_run):
    from imr_extract.io.tables import read_run

    tables = read_run(corpus_run)
    return tables, charts.build_figures(tables, tables["audit"])


def empty_tables() -> dict:
    return {t: empty_frame(t) for t in TABLES}


def empty_report(path: Path) -> Path:
    path.write_text(report.render_html(empty_tables(), findings_frame([])), encoding="utf-8")
    return path


LONG = "Transcutaneous electrical nerve stimulation unit with supplies for home use, 30-day rental"
MARKUP = '<b>bold</b> & "quoted" <img src=x onerror="window.__pwned=1">'


def rich_tables() -> dict:
    """Two letters with the columns newer runs carry, a long label and labels that look like HTML."""
    tables = empty_tables()
    letters = pd.DataFrame([
        {"letter_id": "L1", "source_path": "a.pdf", "patient_age": 44, "patient_sex": "female",
         "reviewer_specialties_canonical": [MARKUP, "Neurology"], "decision_date": dt.date(2016, 12, 21),
         "diagnosis_codes": ["M54.50", "M25.511"], "diagnosis_chapters": ["Musculoskeletal", "Musculoskeletal"]},
        {"letter_id": "L2", "source_path": "b<script>.pdf", "patient_age": 61, "patient_sex": "male",
         "reviewer_specialties_canonical": ["Neurology"], "decision_date": dt.date(2017, 2, 3),
         "diagnosis_codes": ["G56.01"], "diagnosis_chapters": ["Nervous system"]},
    ])
    citation = {"source": "MTUS", "document": "Chronic Pain Medical Treatment", "year": 2009,
                "sections": ["Opioids"], "pages": ["74-96"]}
    decisions = pd.DataFrame(
        [{"letter_id": "L1", "item_no": i + 1, "outcome": "upheld" if i % 6 else "overturned",
          "service_category": "Pharmaceuticals", "service_subcategory": "opioids", "drug_name": "hydrocodone",
          "quantity": 60 + 30 * i, "service_text": f"Norco 10/325mg #{60 + 30 * i}", "guideline_citations": [citation]}
         for i in range(12)]
        + [{"letter_id": "L2", "item_no": i + 1, "outcome": "upheld", "service_category": "Rehabilitation",
            "service_subcategory": LONG, "quantity": q, "service_text": f"Physical therapy x{q}",
            "guideline_citations": []} for i, q in enumerate((6, 8, 12))])
    tables["letters"], tables["decisions"] = letters, decisions
    return tables


# ------------------------------------------------------------------ the file itself

class _Tags(HTMLParser):
    """Every tag with its attributes; script bodies are not parsed as markup."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_report_is_self_contained(report_html):
    page = report_html.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    fetched = [(t, a) for t, a in parser.tags
               for key in ("src", "href", "data") if str(a.get(key, "")).lower().startswith(("http:", "https:", "//"))]
    assert fetched == []
    assert not any(t == "link" for t, _ in parser.tags)
    assert page.count("* plotly.js v") == 1  # one inline copy for all charts


def test_report_has_every_chart_and_links_it_from_the_top(report_html):
    page = report_html.read_text(encoding="utf-8")
    nav = page[page.index("<nav"):page.index("</nav>")]
    for key, title in report.CHARTS:
        assert f'id="chart-{key}"' in page and f'<section id="{key}">' in page and title in page
        assert f'href="#{key}"' in nav


def test_header_states_the_error_rows(report_html):
    """Issue 12: a run where inputs failed looked healthy; the header now says how many failed, by kind."""
    page = report_html.read_text(encoding="utf-8")
    header = page[page.index("<h1>"):page.index("<nav")]
    assert "4 failed and are error rows" in header and "alert" in header
    for kind, n in ERROR_KINDS.items():
        assert f"{kind} {n}" in header


def test_error_rows_panel_counts_every_kind(corpus_figures):
    _, figures = corpus_figures
    (bars,) = figures["error-rows"].data
    assert dict(zip(bars.y, bars.x)) == ERROR_KINDS


def test_report_command(corpus_run, tmp_path):
    from imr_extract.cli.main import main

    target = tmp_path / "dash.html"
    result = CliRunner().invoke(main, ["report", str(corpus_run), "--html", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 1_000_000  # plotly.js is inside
    assert CliRunner().invoke(main, ["report", str(corpus_run)]).exit_code == 0
    assert (corpus_run / "report.html").exists()
    assert CliRunner().invoke(main, ["report", str(corpus_run), "--no-reread"]).exit_code == 2  # gone


def test_report_of_a_duckdb_only_run_matches(tmp_path):
    """Issue 12: a run written with --formats duckdb only gave an empty dashboard, exit 0."""
    from imr_extract.io.inputs import expand
    from imr_extract.run.batch import RunSettings, run

    pages = {}
    for formats in (("duckdb",), ("parquet",)):
        out = tmp_path / formats[0]
        run(list(expand([str(p) for p in seed_paths()])), out,
            RunSettings(workers=1, timeout=None, quiet=True, formats=formats))
        page = report.write_report(out, out / "r.html").read_text(encoding="utf-8")
        pages[formats[0]] = page[page.index("<h1>"):page.index("<nav")].split(str(out))[0]
    assert pages["duckdb"] == pages["parquet"]
    assert "5 inputs, all became letters" in pages["duckdb"]


def test_unclassified_bucket_when_categories_are_empty():
    decisions = pd.DataFrame([{"letter_id": "L1", "item_no": 1, "outcome": "upheld", "service_category": None},
                              {"letter_id": "L1", "item_no": 2, "outcome": "overturned", "service_category": ""}])
    fig = charts.outcome_by_category(decisions)
    assert {y for trace in fig.data for y in trace.y} == {charts.UNCLASSIFIED}


def test_findings_frame_columns():
    assert list(findings_frame([]).columns) == [c.name for c in AUDIT_COLUMNS]


# ------------------------------------------------------------------ what the charts say

@pytest.mark.parametrize("k,n,expected", [(0, 10, (0.0, 0.2775)), (5, 10, (0.2366, 0.7634)),
                                          (10, 10, (0.7225, 1.0))])
def test_wilson_interval(k, n, expected):
    assert stats.wilson(k, n) == pytest.approx(expected, abs=5e-5)


def test_small_groups_are_pooled_not_dropped():
    rates = stats.overturn_rates([f"g{i}" for i in range(20)] * 2, ["upheld", "overturned"] * 20, top=5)
    assert len(rates) == 6 and rates[-1].label.startswith("(all other) (15 groups)")
    assert sum(r.n for r in rates) == 40


def test_specialty_chart_counts_each_decision_once(corpus_figures):
    """Issue 12: a decision counted once per listed specialty, so the bars added up to more than the decisions."""
    tables, figures = corpus_figures
    bars = [t for t in figures["outcome-by-specialty"].data if t.type == "bar"]
    decided = tables["decisions"]["outcome"].isin(["upheld", "overturned"]).sum()
    assert sum(sum(t.x) for t in bars) == decided
    assert any(len(v) > 1 for v in tables["letters"]["reviewer_specialties"].dropna())  # the case that counted twice


def trace_colors(fig) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t in fig.data:
        color = getattr(t.marker, "color", None) if hasattr(t, "marker") else None
        if isinstance(color, str):
            out.setdefault(re.sub(r" \(\d+\)$", "", t.name or ""), set()).add(color)
    return out


def test_one_colour_per_meaning(corpus_figures):
    """Issue 12: red/blue meant upheld/overturned in most charts but female/male in one."""
    _, figures = corpus_figures
    meaning: dict[str, set[str]] = {}
    for fig in figures.values():
        for name, colors in trace_colors(fig).items():
            meaning.setdefault(name, set()).update(colors)
    assert meaning["female"].isdisjoint(meaning["upheld"] | meaning["overturned"])
    assert meaning["male"].isdisjoint(meaning["upheld"] | meaning["overturned"])
    palettes = [plot.OUTCOME_COLORS, plot.SEX_COLORS, plot.SEVERITY_COLORS, plot.TABLE_COLORS,
                {"error rows": plot.ERROR_COLOR}]
    every = [c for p in palettes for c in p.values()]
    assert len(every) == len(set(every))


def test_quantities_are_never_mixed_across_units_and_few_points_get_no_box():
    """Issue 12: tablets and sessions shared an axis, and boxes were drawn from 1-3 points."""
    fig = charts.quantity_requested(rich_tables()["decisions"])
    by_axis: dict[str, set[str]] = {}
    for t in fig.data:
        by_axis.setdefault(t.yaxis, set()).update(t.y)
        boxed = t.line.width > 0
        sizes = pd.Series(list(t.y)).value_counts()
        assert not boxed or sizes.min() >= charts.BOX_MIN, (t.y, t.line.width)
        assert boxed or sizes.max() < charts.BOX_MIN
    assert len(by_axis) == 2 and sorted(map(sorted, by_axis.values()))[1] == ["opioids"]
    titles = {a.text.split(":")[0] for a in fig.layout.annotations}
    assert titles == {"Pharmaceuticals", "Rehabilitation"}
    assert "units dispensed" in fig.layout.xaxis.title.text and "sessions" in fig.layout.xaxis2.title.text


def test_long_labels_get_an_ellipsis_and_keep_their_full_text_in_the_hover():
    fig = charts.quantity_requested(rich_tables()["decisions"])
    labels = {y for t in fig.data for y in t.y}
    cut = [y for y in labels if y.endswith("\u2026")]
    assert cut and all(len(y) <= 34 for y in cut)
    assert any(LONG in str(c) for t in fig.data for c in t.customdata)
    assert plot.short_labels(["a" * 50, "a" * 49 + "b"], 20) == {"a" * 50: "a" * 19 + "\u2026",
                                                                  "a" * 49 + "b": "a" * 16 + "\u2026(2)"}


def test_labels_from_the_data_are_never_markup():
    page = report.render_html(rich_tables(), findings_frame([]))
    assert "<img" not in page and "b<script>" not in page
    assert page.count("<script") == 1 + len(report.CHARTS)  # plotly.js, one per chart: nothing from the data


def test_new_columns_are_drawn_when_a_run_has_them():
    figures = charts.build_figures(rich_tables(), findings_frame([]))
    chapters = [t for t in figures["diagnosis-chapters"].data if t.type == "bar"]
    assert {y for t in chapters for y in t.y} == {"Musculoskeletal", "Nervous system"}
    drug = [t for t in figures["outcome-by-drug-class"].data if t.type == "bar"]
    assert {y for t in drug for y in t.y} == {"opioids"}
    assert drug[0].customdata[0][-1] == "<br>drugs: hydrocodone (12)"  # hover lines break, their text is escaped
    guideline = [t for t in figures["outcome-by-guideline"].data if t.type == "bar"]
    assert "MTUS: Chronic Pain Medical Treatment" in {y for t in guideline for y in t.y}
    assert "guideline_citations" in figures["outcome-by-guideline"].layout.title.text


def test_missing_columns_say_not_in_this_run(corpus_figures):
    tables, figures = corpus_figures
    letters = tables["letters"].drop(columns=["diagnosis_chapters"])
    dec = charts.decisions_with_letters(letters, tables["decisions"])
    notes = [a.text for a in charts.diagnosis_chapters(dec, letters).layout.annotations]
    assert notes == ["diagnosis_chapters: not in this run"]
    dec = tables["decisions"].drop(columns=["service_subcategory"])
    assert "not in this run" in charts.outcome_by_drug_class(dec).layout.annotations[0].text


def test_month_ticks_are_month_starts():
    assert charts.month_dtick(3) == "M1" and charts.month_dtick(30) == "M3" and charts.month_dtick(100) == "M12"
    fig = charts.outcome_over_time(charts.decisions_with_letters(rich_tables()["letters"], rich_tables()["decisions"]))
    assert fig.layout.xaxis2.tickformat == "%b %Y" and fig.layout.xaxis2.dtick == "M1"


# ------------------------------------------------------------------ in the browser

class Chromium:
    """Headless chromium spoken to over the DevTools pipe (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, profile: Path):
        cmd_read, self._cmd = os.pipe()
        self._out, out_write = os.pipe()

        def wire_pipes():  # in the child: put the pipe ends where chromium looks for them
            a, b = os.dup(cmd_read), os.dup(out_write)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "--host-resolver-rules=MAP * ~NOTFOUND",
             "about:blank"],
            preexec_fn=wire_pipes, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(cmd_read)
        os.close(out_write)
        self._buf, self._id, self.events, self.session = b"", 0, [], None

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self._cmd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._next(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def _next(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def open_page(self, width: int, height: int) -> None:
        page = next(t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and any request that left the file."""
        out = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')} {p['exceptionDetails'].get('exception')}")
            elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: {[a.get('value') for a in p['args']]}")
            elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
            elif method == "Network.requestWillBeSent" and not p["request"]["url"].startswith(("file:", "data:",
                                                                                              "blob:", "about:")):
                out.append(f"network request: {p['request']['url']}")
        return out

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self._cmd)
        os.close(self._out)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; `make test` installs it)")
    chrome = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        chrome.open_page(1400, 3000)
        yield chrome
    finally:
        chrome.close()


_CHART_STATE = """Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => ({
  id: d.id, svg: !!d.querySelector('svg.main-svg'), title: (d.querySelector('.gtitle') || {}).textContent || '',
  traces: d.querySelectorAll('g.trace').length, notes: Array.from(d.querySelectorAll('.annotation-text'))
    .map(a => a.textContent)}))"""

#: Every visible axis of every chart, and its title as drawn.
_AXIS_TITLES = """Array.from(document.querySelectorAll('.plotly-graph-div')).flatMap(d =>
  Object.keys(d._fullLayout).filter(k => /^[xy]axis\\d*$/.test(k) && d._fullLayout[k].visible)
    .map(k => ({chart: d.id, axis: k, title: (d._fullLayout[k].title || {}).text || ''})))"""


def load(browser: Chromium, path: Path, timeout: float = 60) -> list[dict]:
    """Navigate and wait until every chart div holds its SVG; returns each chart's state."""
    browser.events.clear()
    browser.send("Page.navigate", {"url": path.resolve().as_uri()})
    deadline = time.monotonic() + timeout
    while True:
        state = browser.evaluate(_CHART_STATE) or []
        if len(state) == len(report.CHARTS) and all(c["svg"] for c in state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"charts did not render within {timeout:g} s: {state}")
        time.sleep(0.2)


def ticks(browser: Chromium, chart: str, axis: str = "y") -> list[str]:
    """The tick labels of one axis ("y", "x2", ...) of a chart, as drawn."""
    return browser.evaluate(f"""Array.from(document.querySelectorAll('#chart-{chart} .{axis}tick text'))
                                .map(t => t.textContent)""")


def test_report_renders_in_chromium(browser, report_html):
    state = load(browser, report_html)
    assert [c["id"] for c in state] == [f"chart-{k}" for k, _ in report.CHARTS]
    assert all(c["title"].startswith(t) for c, (_, t) in zip(state, report.CHARTS)), state
    drawn = {c["id"]: c["traces"] for c in state}
    assert all(n > 0 for cid, n in drawn.items() if cid != "chart-diagnosis-chapters"), drawn
    assert browser.problems() == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = browser.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                   "clip": {"x": 0, "y": 0, "width": 1400, "height": height,
                                                            "scale": 1}})
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_every_axis_has_a_title(browser, report_html):
    """Issue 12: horizontal bar charts had no axis titles."""
    load(browser, report_html)
    axes = browser.evaluate(_AXIS_TITLES)
    assert len(axes) >= 2 * len(report.CHARTS) - 4  # the charts without data hide their axes
    assert [a for a in axes if not a["title"].strip()] == []
    assert browser.problems() == []


def test_month_ticks_read_like_dec_2016(browser, report_html):
    """Issue 12: month ticks read "Dec 1 2016"."""
    load(browser, report_html)
    labels = ticks(browser, "outcome-over-time", "x2")  # the bottom panel's axis (the top one shares it)
    assert labels and all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t) for t in labels), labels


def test_data_quality_is_linked_from_the_top(browser, report_html):
    """Issue 12: the data-quality panel sat below 3,000 px with no way to it but scrolling."""
    browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 900, "deviceScaleFactor": 1,
                                                        "mobile": False})  # a laptop's screen
    try:
        load(browser, report_html)
        link = "document.querySelector('nav a[href=\"#data-quality\"]')"
        assert browser.evaluate(f"{link}.getBoundingClientRect().top") < 400
        browser.evaluate(f"{link}.click()")
        deadline = time.monotonic() + 10
        while abs(browser.evaluate("document.getElementById('data-quality').getBoundingClientRect().top")) > 2:
            assert time.monotonic() < deadline, "clicking the link did not bring the panel to the top"
            time.sleep(0.1)
        assert browser.problems() == []
    finally:
        browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 3000, "deviceScaleFactor": 1,
                                                            "mobile": False})


def test_header_and_error_panel_in_the_browser(browser, report_html):
    load(browser, report_html)
    header = browser.evaluate("Array.from(document.querySelectorAll('p.meta')).map(p => p.textContent).join(' | ')")
    assert "4 failed and are error rows" in header, header
    assert set(ticks(browser, "error-rows")) == set(ERROR_KINDS)
    rows = browser.evaluate("document.querySelectorAll('#error-rows table tr').length")
    assert rows == 1 + sum(ERROR_KINDS.values())


def test_rich_report_shows_data_text_literally(browser, tmp_path):
    path = tmp_path / "rich.html"
    path.write_text(report.render_html(rich_tables(), findings_frame([]), source="synthetic"), encoding="utf-8")
    state = load(browser, path)
    assert all(c["traces"] > 0 for c in state if c["id"] != "chart-error-rows"), state
    assert browser.evaluate("window.__pwned === undefined")
    specialty = ticks(browser, "outcome-by-specialty")
    assert any(t.startswith('<b>bold</b> & "quoted"') and t.endswith("\u2026") for t in specialty), specialty
    assert any(t.endswith("\u2026") for t in ticks(browser, "quantity-requested", "y2"))  # the second panel
    assert set(ticks(browser, "diagnosis-chapters")) == {"Musculoskeletal", "Nervous system"}
    assert [a for a in browser.evaluate(_AXIS_TITLES) if not a["title"].strip()] == []
    assert browser.problems() == []


def test_empty_run_renders_in_chromium(browser, tmp_path):
    state = load(browser, empty_report(tmp_path / "empty.html"))
    assert all(c["svg"] for c in state)
    notes = {c["id"]: c["notes"] for c in state}
    assert "no decisions" in notes["chart-outcome-by-category"]
    assert "no item states a quantity" in notes["chart-quantity-requested"]
    assert "none: every input became a letter" in notes["chart-error-rows"]
    assert browser.problems() == []


def test_docs_describe_every_panel():
    doc = (REPO_ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    missing = [title for _, title in report.CHARTS if f"| {title} |" not in doc]
    assert not missing, f"docs/report.md does not describe: {missing}"
