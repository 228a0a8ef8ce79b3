"""The Python API as a user meets it: typed records with attribute access, real dates, unknown
columns an error (never a quiet None), a short repr, and plain-dict forms that match the tables."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import imr_extract
from imr_extract.records import Decision, Letter, LetterRecord

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "000_b0a27e04161ace7c.txt"


@pytest.fixture(scope="module")
def record() -> LetterRecord:
    return imr_extract.parse_file(SEED)


def test_parse_file_gives_a_typed_record(record: LetterRecord) -> None:
    assert isinstance(record, LetterRecord)
    assert record.decisions and all(isinstance(d, Decision) for d in record.decisions)
    assert record.n_items == len(record.decisions)
    assert isinstance(record.patient_age, int)


@pytest.mark.parametrize("name", ["date_assigned", "decision_date", "injury_date", "ur_date", "application_received"])
def test_dates_are_dates(name: str) -> None:
    # a synthetic letter with a header table states each of these dates
    value = getattr(imr_extract.parse_file(ROOT / "corpus" / "synthetic" / "syn-fdl-01.txt"), name)
    assert type(value) is dt.date


@pytest.mark.parametrize("obj", ["letter", "decision"])
def test_an_unknown_column_is_an_error_not_none(record: LetterRecord, obj: str) -> None:
    target = record if obj == "letter" else record.decisions[0]
    with pytest.raises(KeyError, match="patient_agee"):
        target["patient_agee"]
    with pytest.raises(KeyError):
        target.get("patient_agee")
    with pytest.raises(AttributeError):
        target.patient_agee  # type: ignore[union-attr]  # noqa: B018
    with pytest.raises((AttributeError, TypeError)):
        target.patient_agee = 3  # type: ignore[union-attr]  # slots: no new attributes


def test_known_columns_read_alike_by_key_attribute_and_get(record: LetterRecord) -> None:
    for name in Letter.column_names():
        assert record[name] == getattr(record, name)
        assert record.get(name, "DEFAULT") == (getattr(record, name) if getattr(record, name) is not None
                                                else "DEFAULT")


def test_repr_is_short_and_holds_no_letter_text(record: LetterRecord) -> None:
    text = repr(record)
    assert len(text) < 300
    assert record.text[:200] not in text
    assert "LetterRecord(" in text and repr(record.letter_id) in text
    for d in record.decisions:
        assert len(repr(d)) < 600 and (d.rationale or "x")[:100] not in repr(d)


def test_to_dict_is_json_and_matches_the_table_rows(record: LetterRecord) -> None:
    data = json.loads(json.dumps(record.to_dict()))
    rows = record.rows()
    assert {k: v for k, v in data.items() if k != "decisions"} == {
        k: v for k, v in rows["letters"][0].items() if k != "content_hash"} | (
        {"content_hash": data["content_hash"]} if "content_hash" in data else {})
    assert data["decisions"] == rows["decisions"]
    # dates become ISO text only in the row forms
    assert all(not isinstance(v, dt.date) for v in rows["letters"][0].values())


def test_every_record_class_is_a_slotted_dataclass() -> None:
    for cls in (Letter, Decision, LetterRecord):
        assert dataclasses.is_dataclass(cls)
        assert hasattr(cls, "__slots__")


def test_parse_text_and_parse_pages_agree_with_parse_file(record: LetterRecord) -> None:
    text = SEED.read_text(encoding="utf-8")
    by_text = imr_extract.parse_text(text, source_path=str(SEED))
    by_pages = imr_extract.parse_pages(text.split("\f"), source_path=str(SEED))
    for other in (by_text, by_pages):
        assert other.row() | {"source_path": None, "source_type": None} == \
            record.row() | {"source_path": None, "source_type": None}
