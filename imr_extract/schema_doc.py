"""Render docs/schema.md from the declarations in records.py (run: python -m imr_extract.schema_doc)."""
from __future__ import annotations

import sys
from pathlib import Path

from .records import TABLES

_INTRO = """# Output schema

Generated from `imr_extract/records.py` by `python -m imr_extract.schema_doc > docs/schema.md`;
a test fails when this file and the code disagree.

Every run writes each table as `<table>.csv` and `<table>.parquet` (plus `imr.duckdb` with
`--formats duckdb`, `imr.xlsx` with `--formats xlsx`), and `decisions_enriched`: every column of
`decisions` followed by every column of `letters` but `letter_id`, one row per decision. Each Parquet
field carries its description below in its metadata (`description`). In CSV, text starting with `=`,
`+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (no formula runs in a spreadsheet); the
other formats keep the exact text. Types: `string`; `int` (Parquet int64, empty when not stated); `bool`;
`date` (ISO `YYYY-MM-DD` in CSV, Parquet date32); `list` (JSON array in CSV, Parquet list<string>);
`citations` (JSON array of objects in CSV; Parquet list<struct<source, document, year, sections, pages>>).
An empty cell means the letter does not state the value: nothing is guessed or defaulted.

Origin: `text` columns are read from the letter, and every non-empty one has an `evidence` row
(page, offsets, the rule that read it, the letter's own words); `input` columns describe the input
file; `derived` columns are computed from other columns of the same row or table.
"""


def render() -> str:
    """docs/schema.md as records.py declares it."""
    parts = [_INTRO]
    for table, columns in TABLES.items():
        parts.append(f"\n## `{table}`\n\n| column | type | origin | meaning |\n|---|---|---|---|")
        for c in columns:
            parts.append(f"| `{c.name}` | {c.type} | {c.origin} | {c.description.replace('|', '/')} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    out = render()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
