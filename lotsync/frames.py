"""A reconcile result as four tables, for a consultant's notebook, DuckDB or Spark.

    frames = to_pandas(result)    # {"lots", "movements", "findings", "visits"}: DataFrames
    tables = to_arrow(result)     # the same as pyarrow Tables (what Parquet files hold)

- `lots`: one row per lot (product, lot, location) with every ledger column of report.json
  (received ... derived_remaining, recorded_remaining, variance, status), its unit, cost
  per unit of use, on-hand value, first received date, whether a transfer created it, and
  the source cell of its first receipt.
- `movements`: every booked change to a lot's balance, in ledger order: receipts, uses,
  waste, expired write-offs, returns, adjustments, transfers out and in, counts. `quantity`
  is the *signed* change in units of use (a use is negative, a receipt positive, a count its
  variance), so `movements.groupby(lot).quantity.sum()` is each lot's derived_remaining,
  exactly; `value` is quantity times the lot's own cost (null when the lot has none), so
  the COGS of a set of uses is `-value.sum()`. Each row names its patient (the pseudonym in
  a masked result), provider, visit, whether the lot was inferred, and its source: file,
  sheet, row and the cell that holds the moved quantity (`counted` for a count).
- `findings`: one row per finding, every field of report.json's findings, source flattened.
- `visits`: COGS, estimated cost, revenue and margin per visit (cogs.by_visit).

Types keep their meaning:
- Money and quantities are Arrow decimals, never floats: a column is `decimal128(p, s)`
  with the fewest digits that hold every one of its values exactly (`s` the most decimal
  places any value has, `p` the most digits). Exact values are common with many places: a
  cost per unit of use from `$650 / 3 mL` has 28 significant digits, a use of 2.5 mL of it
  29. The fewest digits, not 38, because Arrow sizes a result from its operands' declared
  precision: `revenue - cogs` or `quantity * unit_cost` over two 38-digit columns would
  need 65 or 77 digits and fail, over the needed ones they fit; sums widen to 38 digits by
  themselves. A column whose values need more than 38 digits is `decimal256` (exact in
  pandas and pyarrow; DuckDB reads it as DOUBLE, Spark not at all); one needing more than
  76 (impossible from a ledger of real sheets, but not ruled out by the types) holds each
  value's exact digits as text. Nothing is ever rounded: pyarrow refuses a decimal that
  would not fit instead of rounding it. (Python's own `Decimal` arithmetic rounds to 28
  digits in its default context: compute in the frame, or in `decimal.localcontext(prec=90)`.)
- Dates are Arrow dates (`date32`), not timestamps. Row numbers are Arrow int64, flags
  Arrow bools, text Arrow strings (missing values are null, never NaN).
- product, location, provider, unit, kind, code, severity and status are pandas
  categoricals, one set of categories per name across the four frames (so frames join on
  them without losing the type); `code`, `severity`, `kind` and `status` list every value
  lotsync can give (a run with no FEFO_VIOLATION still counts 0 of them), `severity` is
  ordered error < warning < info.

Rejected: pandas `DataFrame(...)` over Python objects (object columns of Decimal: exact
but slow and typeless); float64 (drift: the ledger promises 100 uses of 0.1 leave 0);
one fixed scale for every run (a scale of 2 rounds a 28-digit cost, a scale of 30 leaves
8 integer digits); precision 38 for every column (Arrow then refuses `revenue - cogs`);
datetime64 for dates (a date is not a midnight).

reconcile/ stays pure and knows nothing of pandas: this module reads its frozen Result.
pandas and pyarrow are imported here, so `import lotsync` stays light.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lotsync.audit.periods import MOVEMENT_SIGN
from lotsync.errors import CannotRun
from lotsync.findings import CODES
from lotsync.model import Source
from lotsync.reconcile.lots import LEDGER_CONTEXT
from lotsync.reconcile.result import Result

FRAMES = ("lots", "movements", "findings", "visits")

MOVEMENT_KINDS = ("received", "transfer_in", "transfer_out", "used", "wasted", "expired",
                  "returned", "adjusted", "count")
STATUSES = ("negative", "depleted", "expired", "expiring", "ok")
SEVERITIES = ("error", "warning", "info")
#: The field whose cell holds a movement's quantity, by kind.
_QUANTITY_FIELD = {"count": "counted"}

_DATE = pa.date32()
_SOURCE_COLUMNS = ("source_file", "source_sheet", "source_row", "source_column", "source_cell")


# --- columns ------------------------------------------------------------------------------


def decimal_array(values: list[Decimal | None]) -> pa.Array:
    """Exact decimals as an Arrow array of the fewest digits that hold them all:
    decimal128(p, s) up to 38 digits, decimal256 up to 76, each value's exact text past
    that. Never rounds: Arrow's cast refuses a value with more places than `s`.

    Through each value's plain digits (`format(v, "f")`: never an exponent) rather than
    `pa.array(values)`, whose per-value type inference measured 2.5x slower; `p` and `s`
    come from the digits before and after the point, counted in Arrow."""
    arr = pa.array([None if v is None else format(v, "f") for v in values], pa.string())
    if arr.null_count == len(arr):
        return pa.nulls(len(arr), pa.decimal128(1, 0))
    point = pc.find_substring(arr, ".")
    length = pc.binary_length(arr)
    places = pc.if_else(pc.less(point, 0), 0, pc.subtract(length, pc.add(point, 1)))
    whole = pc.subtract(pc.if_else(pc.less(point, 0), length, point),
                        pc.cast(pc.starts_with(arr, "-"), pa.int32()))
    scale = pc.max(places).as_py()
    precision = max(pc.max(whole).as_py() + scale, 1)
    if precision <= 38:
        return arr.cast(pa.decimal128(precision, scale))
    if precision <= 76:
        return arr.cast(pa.decimal256(precision, scale))
    return arr  # more digits than any Arrow decimal: the exact digits, as text


def _dates(values: list[dt.date | None]) -> pa.Array:
    return pa.array(values, _DATE)


def _text(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _ints(values: list[int | None]) -> pa.Array:
    return pa.array(values, pa.int64())


def _flags(values: list[bool]) -> pa.Array:
    return pa.array(values, pa.bool_())


def _sources(sources: Iterable[Source | None]) -> dict[str, pa.Array]:
    rows = [(s.file, s.sheet, s.row, s.column, s.cell) if s is not None else (None,) * 5
            for s in sources]
    cols = list(zip(*rows)) if rows else [()] * 5
    return {"source_file": _text(list(cols[0])), "source_sheet": _text(list(cols[1])),
            "source_row": _ints(list(cols[2])), "source_column": _text(list(cols[3])),
            "source_cell": _text(list(cols[4]))}


def _movement_sources(movements) -> dict[str, pa.Array]:
    """Each movement's source: the cell that holds the moved quantity (every kind of row
    has one; a visit log need not have a lot column, so the lot cell could be blank).

    `Source` objects are built only for findings (model.RowRef); a million movements get
    their file, sheet and column once per table and field, and only the row per movement
    (the A1 cell is joined in Arrow)."""
    wheres: list[tuple] = [(None, None, None, None)]  # index 0: no source
    index: dict[tuple[int, str], int] = {}
    picks: list[int] = []
    rows: list[int | None] = []
    for m in movements:
        ref = m.ref
        if ref is None:
            picks.append(0)
            rows.append(None)
            continue
        field = _QUANTITY_FIELD.get(m.kind, "quantity")
        key = (id(ref.table), field)
        i = index.get(key)
        if i is None:
            src = ref.table.source(1, field)  # the one place that names a cell (model.TableRef)
            i = index[key] = len(wheres)
            wheres.append((src.file, src.sheet, src.column, src.cell[:-1] if src.cell else None))
        picks.append(i)
        rows.append(ref.row)
    take = pa.array(picks, pa.int32())
    files, sheets, columns, letters = (pa.array(list(c), pa.string()).take(take) for c in zip(*wheres))
    row = pa.array(rows, pa.int64())
    return {"source_file": files, "source_sheet": sheets, "source_row": row, "source_column": columns,
            "source_cell": pc.binary_join_element_wise(letters, pc.cast(row, pa.string()), "")}


# --- tables -------------------------------------------------------------------------------


def lots_table(result: Result) -> pa.Table:
    lots = result.lots
    col = {
        "product": _text([l.product for l in lots]),
        "lot": _text([l.lot for l in lots]),
        "lot_key": _text([l.lot_key for l in lots]),
        "location": _text([l.location for l in lots]),
        "expiration": _dates([l.expiration for l in lots]),
        "received_date": _dates([l.received_date for l in lots]),
        "unit": _text([l.unit for l in lots]),
        "unit_cost": decimal_array([l.unit_cost for l in lots]),
    }
    for name in ("received", "used", "used_inferred", "wasted", "expired_out", "returned",
                 "adjusted", "transferred_in", "transferred_out", "count_variance",
                 "derived_remaining", "recorded_remaining", "variance"):
        col[name] = decimal_array([getattr(l, name) for l in lots])
    col["on_hand_value"] = decimal_array(
        [l.derived_remaining * l.unit_cost if l.unit_cost is not None else None for l in lots])
    col["status"] = _text([l.status for l in lots])
    col["created_by_transfer"] = _flags([l.created_by_transfer for l in lots])
    col.update(_sources(l.source for l in lots))
    return pa.table(col)


def movements_table(result: Result) -> pa.Table:
    if not result.movements and result.lots:
        raise CannotRun("this result was reconciled without movements: reconcile with "
                        "lotsync.reconcile(...) or Options(keep_movements=True) to get them")
    ms = result.movements
    lots = {(l.product, l.lot_key, l.location): l for l in result.lots}
    mlots = [lots.get((m.product, m.lot_key, m.location)) for m in ms]
    signs = [MOVEMENT_SIGN[m.kind] for m in ms]
    col = {
        "kind": _text([m.kind for m in ms]),
        "date": _dates([m.date for m in ms]),
        "product": _text([m.product for m in ms]),
        "lot": _text([m.lot for m in ms]),
        "lot_key": _text([m.lot_key for m in ms]),
        "location": _text([m.location for m in ms]),
        "quantity": decimal_array([m.quantity if s > 0 else -m.quantity for m, s in zip(ms, signs)]),
        "unit": _text([l.unit if l is not None else None for l in mlots]),
        "unit_cost": decimal_array([l.unit_cost if l is not None else None for l in mlots]),
        "value": decimal_array([None if m.value is None else (m.value if s > 0 else -m.value)
                                for m, s in zip(ms, signs)]),
        "inferred": _flags([m.inferred for m in ms]),
        "patient": _text([m.patient for m in ms]),
        "provider": _text([m.provider for m in ms]),
        "visit": _text([m.visit for m in ms]),
        "other_location": _text([m.other_location for m in ms]),
    }
    col.update(_movement_sources(ms))
    return pa.table(col)


def findings_table(result: Result) -> pa.Table:
    fs = result.findings
    col = {
        "id": _text([f.id for f in fs]),
        "code": _text([f.code for f in fs]),
        "severity": _text([f.severity.value for f in fs]),
        "message": _text([f.message for f in fs]),
        "product": _text([f.product for f in fs]),
        "lot": _text([f.lot for f in fs]),
        "location": _text([f.location for f in fs]),
        "date": _dates([f.date for f in fs]),
        "quantity": decimal_array([f.quantity for f in fs]),
        "value": decimal_array([f.value for f in fs]),
        "suggestion": _text([f.suggestion for f in fs]),
    }
    col.update(_sources(f.source for f in fs))
    return pa.table(col)


def visits_table(result: Result) -> pa.Table:
    vs = result.cogs.by_visit
    return pa.table({
        "visit": _text([v.visit for v in vs]),
        "date": _dates([v.date for v in vs]),
        "patient": _text([v.patient for v in vs]),
        "provider": _text([v.provider for v in vs]),
        "location": _text([v.location for v in vs]),
        "quantity": decimal_array([v.quantity for v in vs]),
        "cogs": decimal_array([v.cogs for v in vs]),
        "estimated": decimal_array([v.estimated for v in vs]),
        "revenue": decimal_array([v.revenue for v in vs]),
        "margin": decimal_array([v.margin for v in vs]),
        "inferred": _flags([v.inferred for v in vs]),
    })


_BUILDERS = {"lots": lots_table, "movements": movements_table, "findings": findings_table,
             "visits": visits_table}

#: Categorical columns: one vocabulary per name across the frames; fixed ones list every
#: value lotsync can produce (in this order).
_CATEGORIES: dict[str, tuple[str, ...] | None] = {
    "product": None, "location": None, "other_location": None, "provider": None, "unit": None,
    "kind": MOVEMENT_KINDS, "code": CODES, "severity": SEVERITIES, "status": STATUSES,
}
#: Columns that share another's vocabulary.
_SHARES = {"other_location": "location"}


def to_arrow(result: Result) -> dict[str, pa.Table]:
    """The four tables as pyarrow Tables (text columns plain strings; see `to_pandas`)."""
    from decimal import localcontext
    with localcontext(LEDGER_CONTEXT):  # on-hand value and signs: exact, never rounded
        return {name: _BUILDERS[name](result) for name in FRAMES}


def to_pandas(result: Result) -> dict[str, pd.DataFrame]:
    """The four frames (module docstring): Arrow-backed decimals, dates, strings, ints and
    bools; pandas categoricals for product, location, provider, unit and the codes."""
    return frames_from_tables(to_arrow(result))


def frames_from_tables(tables: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    """Arrow tables (plain string columns) to the frames: every column Arrow-backed, the
    `_CATEGORIES` columns categorical over one vocabulary per name. The vocabulary depends
    only on the tables' values, so the frames read back from Parquet are the same frames."""
    vocab: dict[str, list[str]] = {}
    for name, fixed in _CATEGORIES.items():
        key = _SHARES.get(name, name)
        if key in vocab:
            continue
        seen: set[str] = set()
        for t in tables.values():
            for c in [key] + [k for k, v in _SHARES.items() if v == key]:
                if c in t.column_names:
                    seen.update(v for v in t.column(c).unique().to_pylist() if v is not None)
        ordered = sorted(seen, key=lambda x: (x.casefold(), x))
        # a fixed vocabulary lists every value lotsync gives; anything else is kept, never NaN
        vocab[key] = list(fixed) + [v for v in ordered if v not in fixed] if fixed else ordered
    frames = {}
    for name, t in tables.items():
        df = t.to_pandas(types_mapper=pd.ArrowDtype)
        for c in df.columns:
            if c in _CATEGORIES:
                df[c] = pd.Categorical(df[c].to_numpy(dtype=object, na_value=None),
                                       categories=vocab[_SHARES.get(c, c)], ordered=(c == "severity"))
        frames[name] = df
    return frames


def write_parquet(result: Result, out_dir: str | Path) -> list[Path]:
    """`<out_dir>/parquet/{lots,movements,findings,visits}.parquet`, each written to a
    temporary file and renamed into place. The files carry pandas' schema metadata, so
    `read_parquet` (or `pd.read_parquet(path, dtype_backend="pyarrow")`) gives back the
    frames; DuckDB and Spark read the decimals, dates and dictionaries as they are."""
    import pyarrow.parquet as pq

    from lotsync.writers.safe import atomic_path

    folder = Path(out_dir) / "parquet"
    written = []
    for name, df in to_pandas(result).items():
        path = folder / f"{name}.parquet"
        table = pa.Table.from_pandas(df, preserve_index=False)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        written.append(path)
    return written


def read_parquet(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The frames a run wrote with `--format parquet`, with the types `to_pandas` gives.

    `folder` is the run's `--out` folder or its `parquet/` folder. (Plain
    `pd.read_parquet(path)` works too; without `dtype_backend="pyarrow"` it gives the
    decimals as Python `Decimal` objects, still exact.)"""
    import pyarrow.parquet as pq

    from lotsync.errors import ReadError, SourceNotFoundError

    folder = Path(folder)
    if (folder / "parquet").is_dir():
        folder = folder / "parquet"
    tables = {}
    for name in FRAMES:
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise SourceNotFoundError(f"{path}: no such file (lotsync reconcile --format parquet "
                                      "writes it)")
        try:
            t = pq.read_table(path)
        except (OSError, pa.ArrowException) as e:
            raise ReadError(f"{path}: not a Parquet file lotsync can read ({type(e).__name__})") from None
        plain = [pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                 for f in t.schema]
        tables[name] = t.cast(pa.schema(plain))  # categoricals back to text, metadata dropped
    return frames_from_tables(tables)
