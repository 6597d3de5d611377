"""report.json (SPEC §4): deterministic, exact.

Quantities and money are written as JSON numbers straight from their Decimal digits (no
float on the way, no rounding), so the file is byte-identical for the same inputs and a
reader gets exactly what the ledger computed. The emitter is a small recursive function
rather than `json.dumps(default=...)`, because the standard encoder can only write a
Decimal as a string or as a (rounded) float.

Speed: the elements of the big lists (a million-row practice has ~700,000 `by_visit`
entries) are flat dicts of strings, numbers, dates and None. `_encode` writes those with
a type-dispatch table (simplejson's own C string escaper, `str()` of a Decimal, as
simplejson writes it) and hands anything else to simplejson, so the bytes are the same as
simplejson's; measured 1.8x faster than a simplejson `encode()` call per element, whose
per-call set-up (a new C encoder, a Python `default` callback for each date) dominates a
small dict. tests/test_json_report_speed.py holds the two to identical output.

The big lists (`by_visit`, lots, findings) are written a batch of records at a time and a
column at a time (`_encode_all`): each field's values are encoded with one C-level `map`
chosen by the column's exact types (a column holding anything else is encoded value by
value with `_encode`, so the bytes cannot differ), then each record is one `%` format of a
template holding its keys: no Python call per value (one list comprehension step for a
column that holds None). Measured at 200,000 visit rows after a real run, collector
paused for both: report.json 0.51-0.66 s -> 0.38-0.40 s CPU, by_visit (138,000 records)
~0.29 s of it; what is left is touching each Python value once or twice (memory-bound).
Batches of `_BATCH` records keep the memory to a batch's text, never the whole file's
(a million-row report.json is ~180 MB). Rejected: orjson, which writes no spaces after `,`
and `:` (different bytes) and can only write a Decimal through a Python callback; one
string for the whole file (doubles the peak memory for no gain: the write is buffered).

The writer runs with the cyclic collector paused (`pipeline.gc_paused`), as the CLI's run
already does: it makes only acyclic, short-lived objects, and the first containers made
after `pipeline.run` returns would otherwise pay the collector's deferred scans of every
object the run made (0.4-0.65 s of CPU at 200,000 visit rows, which profiled as 44 us per
call of `_source`, the first function that builds dicts here). Paused, that scan is paid
by whatever allocates next (the CLI never pays it: its whole run is paused and it
freezes the collector before exiting).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter, itemgetter
from pathlib import Path
from collections.abc import Iterator, Sequence
from typing import Any, Callable

import simplejson
from simplejson.encoder import encode_basestring as _escape

from lotsync.version import __version__
from lotsync.model import Finding, TableInput
from lotsync.pipeline import gc_paused
from lotsync.reconcile.result import CogsLine, LotResult, Result, VisitCogs
from lotsync.writers.safe import atomic_output

SCHEMA_VERSION = 1


def _num_text(d: Decimal) -> str:
    """A Decimal as plain digits (no exponent), for CSV and messages."""
    if d == 0:
        return "0"
    if d == d.to_integral_value():
        return format(d.quantize(Decimal(1)), "f")
    return format(d.normalize(), "f")


def _default(o: Any) -> Any:
    if isinstance(o, dt.date):
        return o.isoformat()
    raise TypeError(f"cannot write {type(o).__name__} to report.json")


#: simplejson writes a Decimal as its own digits (a JSON number, no float on the way) from
#: its C encoder; the standard library can only write a Decimal as a string or a float.
_ENCODER = simplejson.JSONEncoder(use_decimal=True, separators=(", ", ": "), ensure_ascii=False,
                                  default=_default, allow_nan=False)


def _date_text(d: dt.date) -> str:
    return '"' + d.isoformat() + '"'


#: How each flat value is written, by its exact type (a subclass goes to simplejson).
_FLAT: dict[type, Callable[[Any], str]] = {
    str: _escape,
    type(None): lambda v: "null",
    bool: {True: "true", False: "false"}.__getitem__,  # exact bools only (keyed by class)
    int: int.__repr__,
    Decimal: Decimal.__str__,  # what simplejson's use_decimal writes: the Decimal's digits
    dt.date: _date_text,
}
_KEYS: dict[str, str] = {}


def _encode(value: Any) -> str:
    """`_ENCODER.encode(value)`, byte for byte, faster for flat dicts (module doc)."""
    f = _FLAT.get(value.__class__)
    if f is not None:
        return f(value)
    if value.__class__ is not dict or not value:
        return _ENCODER.encode(value)
    parts = []
    for k, v in value.items():
        kt = _KEYS.get(k) if k.__class__ is str else None
        if kt is None:
            if k.__class__ is not str:
                return _ENCODER.encode(value)
            kt = _KEYS[k] = _escape(k) + ": "
        f = _FLAT.get(v.__class__)
        parts.append(kt + (f(v) if f is not None else _encode(v)))
    return "{" + ", ".join(parts) + "}"


#: records encoded per batch: large enough that the per-batch steps (a type set per column)
#: cost nothing per record, small enough that a batch's objects stay in the CPU cache
#: between the passes over its columns (measured at 200k visits after a real run: 512 ->
#: 0.29 s for by_visit, 4096 -> 0.35-0.41 s, 16384 -> 0.38-0.45 s)
_BATCH = 512
_NULL = "null"
_NONE = type(None)


class _Memo(dict):
    """`f(x)` remembered per x, for columns with few distinct values (dates): a hit is
    one C-level dict lookup. Keyed by equality, so only where equal keys must give the
    same text: never for Decimals in report.json (`1` and `1.0` are equal and are written
    as they are) nor across types (`1`, `1.0` and `True` are equal keys)."""

    __slots__ = ("f",)

    def __init__(self, f: Callable[[Any], str]) -> None:
        super().__init__()
        self.f = f

    def __missing__(self, key: Any) -> str:
        text = self[key] = self.f(key)
        return text


def _encode_all(values: Sequence, memo: dict | None = None) -> list[str]:
    """`[_encode(v) for v in values]`, byte for byte, with one C-level `map` per column
    when its values are of one or two flat types (module doc). `memo`: per-write caches
    by type, so a date is formatted once per report, not once per batch."""
    types = set(map(type, values))
    if len(types) == 1:
        t = next(iter(types))
        f = _FLAT.get(t)
        if f is not None:
            if t is _NONE:
                return [_NULL] * len(values)
            if t is dt.date and memo is not None:
                m = memo.get(t)
                if m is None:
                    m = memo[t] = _Memo(f)
                f = m.__getitem__
            return list(map(f, values))
        if t is dict:
            text = _encode_dicts(values, memo)
            if text is not None:
                return text
    elif len(types) == 2 and _NONE in types:
        (t,) = types - {_NONE}
        f = _FLAT.get(t)
        if f is not None:
            return [_NULL if v is None else f(v) for v in values]
        if t is dict:  # e.g. a lot's source, None for a lot made by a transfer
            present = [v for v in values if v is not None]
            text = _encode_dicts(present, memo)
            if text is not None:
                each = iter(text)
                return [_NULL if v is None else next(each) for v in values]
    return list(map(_encode, values))


@lru_cache(maxsize=64)
def _key_texts(keys: tuple[str, ...]) -> str:
    """The `%` template of one record: `{"visit": %s, "date": %s, ...}`."""
    return "{" + ", ".join((_escape(k) + ": ").replace("%", "%%") + "%s" for k in keys) + "}"


def _encode_rows(rows: Sequence[tuple], keys: tuple[str, ...], memo: dict | None) -> list[str]:
    """Each row (the values of `keys`, in order) as `_encode(dict(zip(keys, row)))`."""
    columns = [_encode_all(col, memo) for col in zip(*rows)]
    return list(map(_key_texts(keys).__mod__, zip(*columns)))


def _encode_dicts(dicts: Sequence[dict], memo: dict | None = None) -> list[str] | None:
    """`[_encode(d) for d in dicts]` for dicts of the same string keys in the same order,
    a column at a time; None when they are not alike (the caller encodes one by one)."""
    keys = tuple(dicts[0])
    if len(keys) < 2 or any(k.__class__ is not str for k in keys):
        return None
    if set(map(tuple, dicts)) != {keys}:
        return None
    return _encode_rows(list(map(itemgetter(*keys), dicts)), keys, memo)


def _batches(value: Sequence, memo: dict) -> Iterator[list[str]]:
    """The encoded elements of a list, a batch at a time (module doc)."""
    lazy = isinstance(value, LazyRows)
    fields = value.fields if lazy and value.fields and len(value.fields) > 1 else None
    items = value.items if lazy else value
    if fields:  # straight from the records: no dict per record
        keys, get = tuple(k for k, _ in fields), attrgetter(*(a for _, a in fields))
    for start in range(0, len(items), _BATCH):
        batch = items[start:start + _BATCH]
        if fields:
            yield _encode_rows(list(map(get, batch)), keys, memo)
        elif lazy:
            yield _encode_all(list(map(value._to_dict, batch)), memo)
        else:
            yield _encode_all(batch, memo)


def _write_value(value: Any, write: Callable[[str], Any], indent: int, expand: int) -> None:
    """Objects are expanded one key a line down to depth `expand`; lists one element a
    line; everything else on one line. Readable, diffable, and fast for a million visits."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and expand > 0 and value:
        write("{\n")
        items = list(value.items())
        for i, (k, v) in enumerate(items):
            write(f"{pad}{_ENCODER.encode(str(k))}: ")
            _write_value(v, write, indent + 1, expand - 1)
            write(",\n" if i < len(items) - 1 else "\n")
        write("  " * indent + "}")
    elif isinstance(value, (list, tuple, LazyRows)) and value:
        write("[\n")
        between = ",\n" + pad
        memo: dict = {}
        for i, lines in enumerate(_batches(value, memo)):
            write((between if i else pad) + between.join(lines))
        write("\n" + "  " * indent + "]")
    else:
        write(_ENCODER.encode(list(value) if isinstance(value, LazyRows) else value))


class LazyRows(Sequence):
    """A list whose dicts are made as they are read: `cogs.by_visit` of a million-row
    practice is ~700,000 dicts, which the writer encodes from the records a batch at a
    time instead of holding them all (about 100 MB at 200,000 rows). Indexing and
    iterating give ordinary dicts."""

    __slots__ = ("_items", "_to_dict", "fields")

    def __init__(self, items: Sequence, to_dict: Callable[[Any], dict],
                 fields: Sequence[tuple[str, str]] | None = None) -> None:
        self._items, self._to_dict = items, to_dict
        #: (key, attribute) of each record, in order, when `to_dict(record)` is exactly
        #: `{key: getattr(record, attribute), ...}`: the writer then reads the attributes
        self.fields = tuple(fields) if fields else None

    @property
    def items(self) -> Sequence:
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._to_dict(x) for x in self._items[i]]
        return self._to_dict(self._items[i])

    def __iter__(self) -> Iterator[dict]:
        return map(self._to_dict, self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, tuple, LazyRows)) and list(self) == list(other)


def input_dict(t: TableInput) -> dict:
    d = {"file": t.file, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
         "rows_read": t.rows_read, "rows_skipped": t.rows_skipped,
         "rows_after_as_of": t.rows_after_as_of, "columns": dict(t.columns)}
    if t.unused:
        d["unused"] = list(t.unused)
    if t.note:
        d["note"] = t.note
    return d


def lot_dict(l: LotResult) -> dict:
    return {
        "product": l.product, "lot": l.lot, "location": l.location, "expiration": l.expiration,
        "unit": l.unit, "unit_cost": l.unit_cost, "received": l.received, "used": l.used,
        "wasted": l.wasted, "expired_out": l.expired_out, "returned": l.returned,
        "adjusted": l.adjusted, "transferred_in": l.transferred_in,
        "transferred_out": l.transferred_out, "count_variance": l.count_variance,
        "used_inferred": l.used_inferred, "derived_remaining": l.derived_remaining,
        "recorded_remaining": l.recorded_remaining, "variance": l.variance, "status": l.status,
        "source": _source(l.source) if l.source else None,
    }


def _source(s) -> dict:
    d = {"file": s.file, "sheet": s.sheet, "row": s.row, "column": s.column, "cell": s.cell}
    if s.title:  # a Google Sheet: its id is in `file`, the title a person sees here
        d["title"] = s.title
    return d


def finding_dict(f: Finding) -> dict:
    return {
        "id": f.id, "code": f.code, "severity": f.severity.value, "message": f.message,
        "product": f.product, "lot": f.lot, "location": f.location, "date": f.date,
        "quantity": f.quantity, "value": f.value, "suggestion": f.suggestion,
        "source": _source(f.source),
    }


def _line(name: str, c: CogsLine) -> dict:
    return {name: c.key, "cogs": c.cogs, "revenue": c.revenue, "margin": c.margin, "quantity": c.quantity}


#: by_visit's keys, each the VisitCogs attribute of the same name, in report.json's order
_VISIT_FIELDS = tuple((k, k) for k in ("visit", "date", "patient", "provider", "location", "cogs",
                                      "revenue", "margin", "inferred", "estimated", "quantity"))
_visit_values = attrgetter(*(a for _, a in _VISIT_FIELDS))
_VISIT_KEYS = tuple(k for k, _ in _VISIT_FIELDS)


def _visit(v: VisitCogs) -> dict:
    """One by_visit entry as a dict (a literal: 1.8x faster than from `_VISIT_FIELDS`;
    tests/test_json_report_speed.py holds the two to the same line)."""
    return {"visit": v.visit, "date": v.date, "patient": v.patient, "provider": v.provider,
            "location": v.location, "cogs": v.cogs, "revenue": v.revenue, "margin": v.margin,
            "inferred": v.inferred, "estimated": v.estimated, "quantity": v.quantity}


def _visit_json(v: VisitCogs) -> str:
    """One by_visit line from the record, as the writer makes it (`_encode(_visit(v))`)."""
    return _encode_rows([_visit_values(v)], _VISIT_KEYS, None)[0]


def report_dict(r: Result, lazy: bool = False) -> dict:
    """report.json as a dict. `lazy=True` (for the writer only): `cogs.by_visit` is a
    LazyRows, whose dicts are made one at a time as they are written; it indexes and
    iterates like a list but `json.dumps` cannot encode it, so callers that keep or
    serialise the dict get a plain list (the default)."""
    t = r.totals
    s = r.summary
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"lotsync {__version__}",
        "as_of": r.as_of,
        "options": {"tolerance": r.options.tolerance, "expiring_days": r.options.expiring_days,
                    "infer_lots": r.options.infer_lots, "day_first": r.options.day_first},
        "inputs": [input_dict(i) for i in r.inputs],
        "lots": [lot_dict(l) for l in r.lots],
        "findings": [finding_dict(f) for f in r.findings],
        "cogs": {
            "total": r.cogs.total, "estimated": r.cogs.estimated,
            "by_visit": (LazyRows(r.cogs.by_visit, _visit, _VISIT_FIELDS) if lazy
                         else [_visit(v) for v in r.cogs.by_visit]),
            "by_provider": [_line("provider", c) for c in r.cogs.by_provider],
            "by_product": [_line("product", c) for c in r.cogs.by_product],
            "by_month": [_line("month", c) for c in r.cogs.by_month],
        },
        "totals": {
            "received_value": t.received_value, "cogs": t.cogs, "cogs_estimated": t.cogs_estimated,
            "waste_value": t.waste_value, "expired_value": t.expired_value,
            "returned_value": t.returned_value, "adjusted_value": t.adjusted_value,
            "count_variance_value": t.count_variance_value, "on_hand_value": t.on_hand_value,
            "expired_on_hand_value": t.expired_on_hand_value, "expiring_value": t.expiring_value,
        },
        "summary": {"lots": s.lots, "visit_rows": s.visit_rows, "visits": s.visits,
                    "errors": s.errors, "warnings": s.warnings, "infos": s.infos,
                    "findings_by_code": dict(s.findings_by_code)},
    }


def render_json(r: Result) -> str:
    out: list[str] = []
    _write_value(report_dict(r, lazy=True), out.append, 0, 2)
    out.append("\n")
    return "".join(out)


def write_report_json(r: Result | dict, out_dir: Path) -> Path:
    """report.json from a Result, or from its dict (e.g. with the run history added)."""
    path = Path(out_dir) / "report.json"
    with gc_paused():  # module doc
        data = r if isinstance(r, dict) else report_dict(r, lazy=True)
        with atomic_output(path, "w", encoding="utf-8", newline="\n") as fh:
            _write_value(data, fh.write, 0, 2)
            fh.write("\n")
    return path
