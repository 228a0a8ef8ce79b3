"""The HTML dashboard: self-contained, and every chart renders in a real headless browser.

The browser is Debian's chromium, driven over the DevTools protocol through a
pipe (``--remote-debugging-pipe``): no websocket library, no driver download.
Name resolution is mapped to nothing, so a page that tried to fetch a script
would fail visibly. The screenshot is kept in tests/artifacts/report.png.
"""
from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import CORPUS_DIR, REPO_ROOT
from imr_extract.insight import report
from imr_extract.insight.audit import AUDIT_COLUMNS, findings_frame
from imr_extract.records import DECISION_COLUMNS, LETTER_COLUMNS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory) -> Path:
    from imr_extract.run.batch import RunSettings, run
    from imr_extract.io.inputs import expand

    out = tmp_path_factory.mktemp("corpus-run")
    run(list(expand([str(CORPUS_DIR)])), out, RunSettings(workers=1, timeout=None, quiet=True))
    return out


@pytest.fixture(scope="module")
def report_html(corpus_run) -> Path:
    return report.write_report(corpus_run, corpus_run / "report.html")


def empty_report(path: Path) -> Path:
    letters = pd.DataFrame({c.name: pd.Series(dtype="object") for c in LETTER_COLUMNS})
    decisions = pd.DataFrame({c.name: pd.Series(dtype="object") for c in DECISION_COLUMNS})
    path.write_text(report.render_html(letters, decisions, findings_frame([])), encoding="utf-8")
    return path


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


def test_report_has_every_chart(report_html):
    page = report_html.read_text(encoding="utf-8")
    for key, title in report.CHARTS:
        assert f'id="chart-{key}"' in page and title in page


def test_report_command(corpus_run, tmp_path):
    from imr_extract.cli.main import main

    target = tmp_path / "dash.html"
    result = CliRunner().invoke(main, ["report", str(corpus_run), "--html", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 1_000_000  # plotly.js is inside
    assert CliRunner().invoke(main, ["report", str(corpus_run)]).exit_code == 0
    assert (corpus_run / "report.html").exists()


def test_unclassified_bucket_when_categories_are_empty():
    decisions = pd.DataFrame([{"letter_id": "L1", "item_no": 1, "outcome": "upheld", "service_category": None},
                              {"letter_id": "L1", "item_no": 2, "outcome": "overturned", "service_category": ""}])
    fig = report.outcome_by_category(decisions)
    assert {y for trace in fig.data for y in trace.y} == {report.UNCLASSIFIED}


def test_findings_frame_columns():
    assert list(findings_frame([]).columns) == [c.name for c in AUDIT_COLUMNS]


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


def test_report_renders_in_chromium(browser, report_html):
    state = load(browser, report_html)
    assert [(c["id"], c["title"]) for c in state] == [(f"chart-{k}", t) for k, t in report.CHARTS]
    assert all(c["traces"] > 0 for c in state), state
    assert browser.problems() == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = browser.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                   "clip": {"x": 0, "y": 0, "width": 1400, "height": height,
                                                            "scale": 1}})
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_share_button_switches_to_percentages(browser, report_html):
    load(browser, report_html)
    ticks = """Array.from(document.querySelectorAll('#chart-outcome-by-specialty .xtick text'))
               .map(t => t.textContent)"""
    assert not any("%" in t for t in browser.evaluate(ticks))
    browser.evaluate("""(() => { const b = document.querySelectorAll('#chart-outcome-by-specialty .updatemenu-button');
        b[1].dispatchEvent(new MouseEvent('click', {bubbles: true})); })()""")
    deadline = time.monotonic() + 10
    while not any("%" in t for t in browser.evaluate(ticks)):
        assert time.monotonic() < deadline, browser.evaluate(ticks)
        time.sleep(0.1)
    assert browser.problems() == []


def test_empty_run_renders_in_chromium(browser, tmp_path):
    state = load(browser, empty_report(tmp_path / "empty.html"))
    assert all(c["svg"] for c in state)
    notes = {c["id"]: c["notes"] for c in state}
    assert "no decisions" in notes["chart-outcome-by-category"]
    assert "no item states a quantity" in notes["chart-quantity-vs-guideline"]
    assert browser.problems() == []

