"""Python values into Arrow, and Arrow columns into CSV-ready text, without importing pandas.

pyarrow's own conversion of Python objects (``pa.array``, ``pa.scalar``, even of a NumPy
array) imports pandas the first time it runs, to recognise pandas' missing-value objects:
0.3-0.45 s in every process that writes a table, for values that are never pandas objects.
Rows here go through Arrow's JSON reader instead (C++, no pandas, typed by the schema), and
column work is done with Arrow compute functions on scalars taken from such arrays.
"""
from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from ..records import Column

#: How each schema type is read from JSON (dates arrive as ISO text and are cast afterwards).
_ARROW_TYPES = ("string", "int", "bool", "date", "list", "citations")


def arrow_type(kind: str):
    """The Arrow type of a column of schema type ``kind`` (string, int, bool, date, list or citations)."""
    import pyarrow as pa

    if kind == "citations":  # one struct per document a guideline paragraph cites
        return pa.list_(pa.struct([("source", pa.string()), ("document", pa.string()), ("year", pa.int64()),
                                   ("sections", pa.list_(pa.string())), ("pages", pa.string())]))
    return {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "date": pa.date32(),
            "list": pa.list_(pa.string())}[kind]


def schema_for(columns: Iterable[Column], table: str | None = None, extra: Iterable = ()):
    """The Arrow schema of a declared table; each field carries its description (the codebook travels
    with every Parquet file: ``pq.read_schema(path).field(name).metadata[b"description"]``)."""
    import pyarrow as pa

    from .. import __version__

    fields = [pa.field(c.name, arrow_type(c.type), metadata={"description": c.description}) for c in columns]
    meta = {"imr_extract.version": __version__}
    if table:
        meta["imr_extract.table"] = table
    return pa.schema([*fields, *extra], metadata=meta)


def _dumps(row: Any) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)


def _read_json(lines: bytes, read_schema):
    import pyarrow.json as pj

    return pj.read_json(io.BytesIO(lines), read_options=pj.ReadOptions(use_threads=False,
                                                                       block_size=max(1 << 20, len(lines) + 1)),
                        parse_options=pj.ParseOptions(explicit_schema=read_schema,
                                                      unexpected_field_behavior="ignore"))


def table_from_rows(rows: list[dict[str, Any]], columns: tuple[Column, ...], schema=None, ints: dict | None = None):
    """Dict rows -> Arrow table of ``schema`` (default: the columns' own). Empty text and empty lists
    are missing values; ``ints`` adds whole int64 columns (name -> values) after the declared ones.

    The rows travel column by column in one JSON document (``{"col": [v1, v2, ...], ...}``): one
    encoder call per table rather than one per row, and no key repeated per value.
    """
    import pyarrow as pa

    ints = ints or {}
    schema = schema or schema_for(columns, extra=[pa.field(name, pa.int64()) for name in ints])
    if not rows:
        return pa.Table.from_batches([], schema=schema)  # (empty_table() would import pandas)
    read_schema = pa.schema([pa.field(c.name, pa.list_(pa.string() if c.type == "date" else arrow_type(c.type)))
                             for c in columns] + [pa.field(name, pa.list_(pa.int64())) for name in ints])

    def document(source: list[dict[str, Any]]) -> bytes:
        data: dict[str, list] = {c.name: [r.get(c.name) for r in source] for c in columns}
        data.update({name: list(values) for name, values in ints.items()})
        return _dumps(data).encode("utf-8")

    try:
        raw = _read_json(document(rows), read_schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value of another type: coerce it the slow way
        raw = _read_json(document([_coerced(r, columns) for r in rows]), read_schema)
    arrays = [_clean(raw.column(c.name).chunk(0).values, c) for c in columns]
    arrays += [raw.column(name).chunk(0).values for name in ints]
    return pa.Table.from_arrays(arrays, schema=schema)


def _coerced(row: dict[str, Any], columns: tuple[Column, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns:
        v = row.get(c.name)
        if v is None or v == "":
            out[c.name] = None
        elif c.type == "list":
            out[c.name] = [None if x is None else str(x) for x in v]  # an aligned list keeps its gaps
        elif c.type == "citations":
            out[c.name] = list(v)
        elif c.type == "int":
            out[c.name] = int(v)
        elif c.type == "bool":
            out[c.name] = bool(v)
        else:
            out[c.name] = str(v)
    return out


def _clean(arr, col: Column):
    """Empty text and empty lists become missing values; ISO dates become dates."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if col.type in ("string", "date"):
        arr = pc.if_else(pc.not_equal(arr, consts().empty), arr, pa.nulls(len(arr), pa.string()))
        return arr.cast(pa.date32()) if col.type == "date" else arr
    if col.type in ("list", "citations"):
        return pc.if_else(pc.greater(pc.list_value_length(arr), consts().zero), arr,
                          pa.nulls(len(arr), arr.type))
    return arr


def int_array(values: list[int]):
    """A Python list of ints as an int64 array."""
    import pyarrow as pa

    raw = _read_json(json.dumps({"v": list(values)}).encode(), pa.schema([("v", pa.list_(pa.int64()))]))
    return raw.column("v").chunk(0).values


def string_array(values: Sequence[str | None]):
    """A Python list of text (None = missing) as a string array."""
    import pyarrow as pa

    raw = _read_json(_dumps({"v": list(values)}).encode("utf-8"), pa.schema([("v", pa.list_(pa.string()))]))
    return raw.column("v").chunk(0).values


class _Consts:
    """Scalars for compute calls (a Python str passed to a compute function would be converted by pa.scalar)."""

    def __init__(self):
        texts = ["", "'", '"', ", ", "[", "]"]
        arr = string_array(texts)
        self.empty, self.quote, self.dquote, self.comma, self.open, self.close = (arr[i] for i in range(len(texts)))
        self.zero = int_array([0])[0]


@lru_cache(maxsize=1)
def consts() -> _Consts:
    """The scalars for compute calls, made once per process."""
    return _Consts()


#: A cell a spreadsheet would run as a formula: = + - @ (and their full-width forms), tab or CR first.
FORMULA_START = r"^[=+\-@\t\r\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"


def neutralized(arr):
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'`` (shown as text)."""
    import pyarrow.compute as pc

    danger = pc.match_substring_regex(arr, FORMULA_START)
    return pc.if_else(danger, pc.binary_join_element_wise(consts().quote, arr, consts().empty), arr)


_JSON_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\b", "\\b"),
                 ("\f", "\\f")] + [(chr(c), f"\\u{c:04x}") for c in range(32) if chr(c) not in "\n\r\t\b\f"]


def json_lists(arr):
    """list<string> (or list<struct>) -> the JSON text of each list (``["a", "b"]``); a missing list stays
    missing, a missing entry of an aligned list is ``null``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = arr.values
    if pa.types.is_struct(values.type) or values.null_count:
        return string_array([None if v is None else json.dumps(v, ensure_ascii=False) for v in arr.to_pylist()])
    for old, new in _JSON_ESCAPES:
        if pc.any(pc.match_substring(values, old)).as_py():
            values = pc.replace_substring(values, old, new)
    c = consts()
    quoted = pc.binary_join_element_wise(c.dquote, values, c.dquote, c.empty)
    lists = pa.ListArray.from_arrays(arr.offsets, quoted, mask=arr.is_null())
    return pc.binary_join_element_wise(c.open, pc.binary_join(lists, c.comma), c.close, c.empty)
