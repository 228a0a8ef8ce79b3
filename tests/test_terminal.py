"""What `show`, `audit` and `report` print cannot drive a terminal, and `show --evidence` marks every span.

The hostile letter is a seed letter with escape sequences written into its text and its file name
(clear screen, window title, OSC-8 hyperlink, 8-bit CSI cursor move, carriage return, bidi override).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import seed_paths
from imr_extract.cli.main import main
from imr_extract.insight.evidence_view import BRACKETS, mark_spans
from imr_extract.io.terminal import UNSAFE, printable
from imr_extract.io.inputs import expand
from imr_extract.run.batch import RunSettings, run

HOSTILE = ("\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://example.invalid/\x1b\\link\x1b]8;;\x1b\\\x9b1A\rX\u202e"
           "\x7f\u2028")
#: Anything a terminal acts on: every C0 control but newline (tabs would be harmless, none is expected),
#: DEL, C1 controls, bidi overrides and isolates, line/paragraph separators.
DRIVES_A_TERMINAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile_letter(tmp_path_factory) -> Path:
    seed = seed_paths()[0].read_text(encoding="utf-8")
    anchor = seed.index("The claimant was a 40 year old male")
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "letter\x1b[31m\x1b]0;title\x07\x9b2J.txt"
    path.write_text(seed[:anchor] + HOSTILE + " " + seed[anchor:], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_run(hostile_letter, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile-run") / "out\x1b[2J"
    run(list(expand([str(hostile_letter)])), out, RunSettings(workers=1, timeout=None, quiet=True))
    return out


def assert_inert(output: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in DRIVES_A_TERMINAL.findall(output)})
    assert not found, f"raw control characters reached the output: {found}"


def test_printable_escapes_what_drives_a_terminal():
    assert printable("a\x1b[2Jb\x9bc\rd\u202ee\tf\ng") == "a\\u001b[2Jb\\u009bc\\u000dd\\u202ee\tf\ng"
    assert printable("Physical Medicine & Rehabilitation — 60 ° 5%") == "Physical Medicine & Rehabilitation — 60 ° 5%"
    assert not UNSAFE.search(printable(HOSTILE))


@pytest.mark.parametrize("args", [["show"], ["show", "--evidence"]], ids=["json", "evidence"])
def test_show_prints_nothing_that_drives_a_terminal(hostile_letter, args):
    result = CliRunner().invoke(main, [*args, str(hostile_letter)])
    assert result.exit_code == 0, result.output
    assert "pwned" in result.output or args == ["show"]
    assert_inert(result.output)


def test_show_json_stays_valid_json(hostile_letter):
    import json

    result = CliRunner().invoke(main, ["show", str(hostile_letter)])
    record = json.loads(result.output)
    assert record["source_path"] == str(hostile_letter)  # the escapes are JSON's own: the value round-trips


def test_show_error_names_the_file_safely(tmp_path):
    path = tmp_path / "note\x1b]0;x\x07.txt"
    path.write_text("Buy milk and eggs.\n")
    result = CliRunner().invoke(main, ["show", str(path)])
    assert result.exit_code == 1 and "not_an_imr_letter" in result.output
    assert_inert(result.output)


def test_audit_prints_nothing_that_drives_a_terminal(hostile_run):
    result = CliRunner().invoke(main, ["audit", str(hostile_run)])
    assert result.exit_code == 0, result.output
    assert "Letters with most findings" in result.output and "letter\\u001b[31m" in result.output
    assert_inert(result.output)


def test_report_prints_nothing_that_drives_a_terminal(hostile_run, tmp_path):
    target = tmp_path / "dash\x1b]0;t\x07.html"
    result = CliRunner().invoke(main, ["report", str(hostile_run), "--html", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists() and "report written to" in result.output
    assert_inert(result.output)


def test_a_colored_evidence_view_has_only_its_own_colors(hostile_letter):
    from imr_extract import parse_file
    from imr_extract.insight.evidence_view import render_marked

    shown = render_marked(parse_file(hostile_letter), color=True)
    assert_inert(re.sub(r"\x1b\[[0-9;]*m", "", shown))


# ------------------------------------------------------------------ overlapping spans

def span(start: int, end: int, field: str, value: str = "v") -> dict:
    return {"char_start": start, "char_end": end, "field": field, "value": value, "item_no": None}


def unmarked(shown: str) -> str:
    marks = "".join(b for pair in BRACKETS for b in pair)
    return re.sub(r"\{[^}]*\}", "", re.sub(f"[{marks}]", "", shown))


def test_show_evidence_marks_the_sex_inside_the_age_phrase():
    """Issue 12: the span of patient_sex overlaps patient_age's ("40 year old male") and was not marked."""
    result = CliRunner().invoke(main, ["show", "--evidence", str(seed_paths()[0])])
    assert result.exit_code == 0, result.output
    assert "{patient_age=40}" in result.output and "{patient_sex=male}" in result.output
    assert "\u27e640 \u27e8year old\u27e7{patient_age=40} male\u27e9{patient_sex=male}" in result.output


@pytest.mark.parametrize("spans,expected", [
    ([span(0, 11, "age", "40"), span(3, 16, "sex", "male")],
     "\u27e640 \u27e8year old\u27e7{age=40} male\u27e9{sex=male} here"),  # crossing
    ([span(0, 16, "phrase"), span(12, 16, "sex", "male")],
     "\u27e640 year old \u27e8male\u27e9{sex=male}\u27e7{phrase=v} here"),  # nested
    ([span(12, 16, "a"), span(12, 16, "b")],
     "40 year old \u27e6\u27e8male\u27e9{b=v}\u27e7{a=v} here"),  # the same span twice
    ([span(0, 2, "age"), span(3, 3, "empty")], "\u27e640\u27e7{age=v} year old male here"),  # empty spans skipped
])
def test_every_span_is_marked(spans, expected):
    text = "40 year old male here"
    shown = mark_spans(text, spans)
    assert shown == expected
    assert unmarked(shown) == text
