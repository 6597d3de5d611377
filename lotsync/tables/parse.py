"""Typed rows from a detected table: every data row is read, skipped or reported.

Stage contract (Beancount's model): `parse_table(detection, ...) -> (rows, findings,
TableInput)`. A row is skipped only when entirely blank or a totals row ("Total..." in
its first non-blank cell); every other row becomes a typed row or gets a finding that
points to its cell. A row kept out by INVALID_VALUE or MISSING_REQUIRED gets only those
findings (SPEC §3); an unreadable optional cell is treated as blank after its finding.
Rows dated after as_of are counted and get no findings at all (SPEC §2).

Speed: each column's distinct values are parsed once.  The sheet's cells are a `Grid`
(readers/grid.py) that already holds each column as its distinct values and a code per
cell; the parser reads them so (`_Column`: `GridView.coded`), parses the distinct values
through the per-cell rules, and looks every cell's parsed value up by its code in one
C-level pass.  Clean visit rows are then made from the parsed columns in C-level passes
(`_quick_visits`); only the rows with a cell that did not read cleanly (or no lot, a
negative quantity, after as_of, totals) take the per-cell path, which makes the findings
exactly as before (same code, cell and order).  The parser before this design (a list of
every raw cell per column, a dict lookup per cell) is kept in tests/parse_reference.py:
tests/test_parse_distinct.py holds the two together on random tables and on the demo.
A column the Grid keeps as its cells (mixed kinds of number) is read as a list, per cell,
as before.  Rejected: pyarrow/pandas kernels for dates and numbers (a clinic's column mixes
types, each cell's type decides its finding; and a json run imports neither).

Memory: the Grid is held for the whole run (`TableRef.cells`); the parser builds a row's
list of cells only for the rows that take the per-cell path, and a column's parsed list
lives only while its table is parsed (the C heap they leave is given back before the
reconcile: `pipeline.release_freed_memory`).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, replace
from itertools import compress, count, filterfalse, repeat
from operator import is_, itemgetter
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from lotsync.findings import make_finding
from lotsync.readers.grid import Grid, GridView
from lotsync.model import (AdjustmentRow, AdjustmentType, CountRow, Finding, InventoryRow, Kind,
                           ProductRow, RowRef, TableInput, TableRef, VisitRow, make_slotted)
from lotsync.tables.detect import Detection
from lotsync.tables.headers import KIND_FIELDS
from lotsync.tables.values import (canon_unit, clean_text, decide_day_first, lot_key, lot_text,
                                   month_end, parse_date, parse_number, read_place, read_unit)

DATE_FIELDS = {"date", "received_date", "expiration"}
NUMBER_FIELDS = {"quantity", "unit_cost", "total_cost", "remaining", "price", "counted",
                 "units_per_package"}
UNIT_FIELDS = {"unit", "package_unit"}
PLACE_FIELDS = {"location", "to_location"}

FIELD_LABEL = {
    "received_date": "received date", "unit_cost": "unit cost", "total_cost": "total cost",
    "visit_id": "visit ID", "to_location": "to location", "units_per_package": "units per package",
    "package_unit": "package unit",
}

_ADJ_TYPES: dict[str, AdjustmentType] = {}
for _t, _words in {
    AdjustmentType.WASTE: ["waste", "wasted", "spoiled", "spoilage", "damaged", "broken", "spill",
                           "spilled", "dropped", "wastage", "discarded", "discard"],
    AdjustmentType.EXPIRED: ["expired", "expiry", "expired write-off", "expired writeoff",
                             "expired write off", "expiration", "exp", "expired - discarded"],
    AdjustmentType.RETURN: ["return", "returned", "return to vendor", "returned to vendor", "rtv",
                            "vendor return"],
    AdjustmentType.ADJUSTMENT: ["adjustment", "correction", "adjust", "count correction", "adj",
                                "count adjustment", "inventory adjustment"],
    AdjustmentType.TRANSFER: ["transfer", "xfer", "moved", "move", "transferred", "transfer out"],
}.items():
    for _w in _words:
        _ADJ_TYPES[_w] = _t


def parse_adjustment_type(cell: object) -> AdjustmentType:
    s = clean_text(cell)
    if s is None:
        raise ValueError("blank")
    low = s.casefold()
    if low in _ADJ_TYPES:
        return _ADJ_TYPES[low]
    first = low.replace("-", " ").split()[0]
    if first in _ADJ_TYPES:
        return _ADJ_TYPES[first]
    raise ValueError("not one of waste, expired, return, adjustment, transfer")


def _split_aliases(cell: object) -> tuple[str, ...]:
    s = clean_text(cell)
    if not s:
        return ()
    parts = [p.strip() for p in s.replace(";", ",").replace("|", ",").split(",")]
    return tuple(p for p in parts if p)


@dataclass(frozen=True)
class ParseOptions:
    as_of: dt.date
    day_first: bool = False


class _Skip(Exception):
    pass


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _row_kind(row: list[Any]) -> str:
    """'blank', 'total' or 'data'."""
    for c in row:
        if not _is_blank(c):
            return "total" if isinstance(c, str) and c.strip().casefold().startswith("total") else "data"
    return "blank"


def _field_parser(field_name: str, column: "_Column", opts: ParseOptions,
                  date1904: bool = False) -> Callable[[Any], Any]:
    """A memoised parser for one column. Raises ValueError(reason) for unreadable cells."""
    cache: dict[Any, Any] = {}
    if field_name in DATE_FIELDS:
        day_first, ambiguous = decide_day_first(   # decided from the distinct texts: order-free
            [c for c in column.distinct() if isinstance(c, str)], opts.day_first)
        month_year = field_name == "expiration"

        def raw(c: Any) -> Any:
            return parse_date(c, day_first=day_first, ambiguous=ambiguous, month_year_end=month_year,
                              date1904=date1904)
    elif field_name in NUMBER_FIELDS:
        def raw(c: Any) -> Any:
            if isinstance(c, str) and c.strip().upper() in ("N/A", "NA", "NONE", "UNKNOWN", "-", "?"):
                raise ValueError("not a number")
            return parse_number(c)
    elif field_name in UNIT_FIELDS:
        raw = read_unit
    elif field_name in PLACE_FIELDS:
        raw = read_place
    elif field_name == "lot":
        raw = lot_text
    elif field_name == "type":
        raw = parse_adjustment_type
    elif field_name == "aliases":
        raw = _split_aliases
    else:
        raw = clean_text

    def parse(c: Any) -> Any:
        try:
            key = (type(c), c)
            hit = cache.get(key, _MISS)
        except TypeError:  # unhashable: never from readers, but be safe
            return raw(c)
        if hit is _MISS:
            try:
                hit = raw(c)
            except ValueError as e:
                hit = _Bad(str(e))
            cache[key] = hit
        if isinstance(hit, _Bad):
            raise ValueError(hit.reason)
        return hit

    parse.raw = raw  # type: ignore[attr-defined]  # which rule: _column_pass looks
    return parse


_MISS = object()
_UNTIDY_ONE = re.compile(r"\s\s|[^\S ]|^ | $")


def _untidy_texts(distinct: set) -> set:
    """Of a text column's distinct values (str or None), the ones `clean_text` might
    change (None, "", and text with doubled, leading or trailing whitespace or tabs and
    newlines), for the per-value rules; every other one is its own clean form, and is
    not entered anywhere: the column's lookup gives a value missing from its table as
    itself (`_Column.lookup(..., tidy=True)`; 689,000 visit IDs at 1M rows cost a dict
    entry each before).  Exact: text without any of those is its own clean form.  The
    test runs on all the texts joined by "|" with C string methods (`isprintable` is false
    for every whitespace but the space, and for other invisible characters: those go per
    value)."""
    texts = list(filter(None, distinct))  # C-level passes
    rest = set(filterfalse(None, distinct))
    joined = "|".join(texts)
    if not (joined.isprintable() and "  " not in joined and " |" not in joined
            and "| " not in joined and joined[:1] != " " and joined[-1:] != " "):
        rest.update(filter(_UNTIDY_ONE.search, texts))
    return rest


class _Bad:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Column:
    """One mapped column of a table's data rows, as the parser reads it.

    From the Grid (readers/grid.py) a coded column comes as its distinct values and a code
    per cell: the distinct values present are the column's table less what only its title
    and header rows hold (`distinct`), a table of parsed values by distinct value is
    turned into a list by code once, and a whole column's lookup is one C-level pass over
    the codes.  No list of every raw cell
    is built (`Grid.column` built one per mapped column: 0.10 s at 200,000 rows).  A
    column the Grid keeps as its cells (mixed kinds of number, a negative zero), a sparse
    sheet's, and a column changed in place (month-only expirations) are a plain list of
    cells: the same methods, per cell, as the parser did before.  Either way, what a
    method gives is what it would give over the list of cells (`cells()`): the coded
    column's values are distinct and one number type (grid rules), so a set or a dict
    keyed by them merges nothing the list's would not."""

    __slots__ = ("values", "codes", "outside", "_cells")

    def __init__(self, values: list | None, codes: Any, outside: set | None,
                 cells: list | None) -> None:
        self.values, self.codes, self.outside, self._cells = values, codes, outside, cells

    @classmethod
    def of(cls, data: Sequence[list[Any]], j: int) -> "_Column":
        got = data.coded(j) if isinstance(data, (Grid, GridView)) else None
        if got is None:
            return cls(None, None, None, data.column(j))
        return cls(*got, None)

    def cells(self) -> list[Any]:
        """Every cell, as a list (built once when asked: the per-list paths)."""
        if self._cells is None:
            self._cells = list(map(self.values.__getitem__, self.codes))
            self.values = self.codes = self.outside = None
        return self._cells

    def __len__(self) -> int:
        return len(self._cells) if self._cells is not None else len(self.codes)

    def __getitem__(self, i: int) -> Any:
        if self._cells is not None:
            return self._cells[i]
        return self.values[self.codes[i]]

    def distinct(self) -> set:
        """The set of the column's cells (`set(cells)`)."""
        if self._cells is not None:
            return set(self._cells)
        # every value of the column is in some cell of it, but None (code 0): the
        # range's values are all of them but those seen only outside it (a few header
        # cells: each looked for in the codes, a C scan) -- no pass building a set of a
        # million codes
        doubt = self.outside | {0}
        if len(doubt) > 64:
            return set(map(self.values.__getitem__, set(self.codes)))
        raw = self.codes.tobytes()
        absent = {k for k in doubt if not _has_code(self.codes, raw, k)}
        out = set(self.values)  # distinct values: removing one removes only it
        out.difference_update([self.values[k] for k in absent])
        return out

    def lookup(self, table: dict, tidy: bool = False) -> list:
        """[table[c] for c in cells]: `table` holds every distinct cell; with `tidy`, a
        cell missing from it is its own value (`table.get(c, c)`)."""
        if self._cells is not None:
            if tidy:
                return list(map(table.get, self._cells, self._cells))
            return list(map(table.__getitem__, self._cells))
        values = self.values  # values of other rows are never looked up by these codes
        by_code = list(map(table.get, values, values) if tidy else map(table.get, values))
        return list(map(by_code.__getitem__, self.codes))

    def rows_in(self, members: set) -> list[int]:
        """The indexes of the cells in `members`, in order."""
        if self._cells is not None:
            return list(compress(count(), map(members.__contains__, self._cells)))
        hit = {k for k, v in enumerate(self.values) if v in members}
        return list(compress(count(), map(hit.__contains__, self.codes)))


def _has_code(codes: Any, raw: bytes, k: int) -> bool:
    """Is code k in the array `codes` (`raw` its bytes)?  A bytes `find` of k's bytes at an
    offset that is a whole item (memchr speed: 0.8 ms for 200,000 4-byte codes, where
    `k in codes` boxes every code: 3 ms); a pattern found across two items is passed over,
    and after a few such the array's own scan answers."""
    size = codes.itemsize
    if k >= 1 << (8 * size):
        return False
    if k == 0 and size > 1:  # zero bytes sit inside most small codes: the scan answers
        return k in codes
    pat = k.to_bytes(size, sys.byteorder)
    i = raw.find(pat)
    for _ in range(8):
        if i < 0 or i % size == 0:
            return i >= 0
        i = raw.find(pat, i + 1)
    return k in codes


@dataclass
class ParsedTable:
    table: TableRef
    rows: list
    findings: list[Finding]
    input: TableInput


def _describe(cell: Any) -> str:
    """The bad value for a message, without echoing free text that could be a patient's
    name (PHI): numbers, dates and short text with digits are shown, words are not."""
    if isinstance(cell, (int, float, dt.date)):
        return f" ({cell!s})"
    s = str(cell)
    if len(s) <= 20 and any(ch.isdigit() for ch in s):
        return f" ('{s}')"
    return ""


def parse_table(det: Detection, order: int, opts: ParseOptions, quick: bool = True) -> ParsedTable:
    """Typed rows of one detected table (see the module docstring for the rules).

    `quick=False` turns off the column-wise builder of clean visit rows (`_quick_visits`),
    so the tests can hold it to the general path."""
    return _parse_table(det, order, opts, quick)


def _parse_table(det: Detection, order: int, opts: ParseOptions, quick: bool) -> ParsedTable:
    assert det.kind is not None and det.header_row is not None
    sheet = det.sheet
    kind = det.kind
    grid = sheet.rows if isinstance(sheet.rows, Grid) else Grid.from_rows(sheet.rows)
    table = TableRef(file=sheet.file, sheet=sheet.sheet, kind=kind, header_row=det.header_row,
                     columns=det.columns, order=order, display_file=sheet.display_file,
                     cells=grid)
    required, _ = KIND_FIELDS[kind]
    data = grid[det.header_row:]  # a lazy view of the Grid: rows built when read
    first_row = det.header_row + 1
    cols = {f: c.index for f, c in det.columns.items()}
    raw_cols = {f: _Column.of(data, j) for f, j in cols.items()}
    if "expiration" in raw_cols and sheet.formats is not None:
        _month_only_expirations(raw_cols["expiration"].cells(), det.header_row,
                                cols["expiration"], sheet)
    parsers = {f: _field_parser(f, raw_cols[f], opts, sheet.date1904) for f in cols}
    date_field = {Kind.INVENTORY: "received_date", Kind.PRODUCTS: None}.get(kind, "date")
    field_order = ([date_field] if date_field in cols else []) + [f for f in cols if f != date_field]
    has_unit_col = "unit" in cols

    rows: list = []
    findings: list[Finding] = []
    read = skipped = after = 0
    fast = _column_pass(data, raw_cols, parsers, required, date_field, opts.as_of)
    built = (_quick_visits(fast, table, data, first_row, _total_candidates(data, raw_cols, cols, required))
             if quick and fast is not None and kind is Kind.VISITS else None)
    todo: Any = range(len(data))
    if built is not None:  # the rows it could not build take the path below, in order
        todo = [i for i, r in enumerate(built) if r is None]
        read = len(data) - len(todo)
        rows = built
    for i in todo:
        if fast is not None:
            vals = fast(i)
            if vals is _FUTURE:
                after += 1
                continue
            if vals is _SKIP:
                skipped += 1
                continue
            if vals is not None:  # every cell read cleanly: no per-cell work left
                ref = RowRef(table, first_row + i)
                try:
                    typed, extra = _build_row(kind, ref, vals, has_unit_col)
                except _RowError as e:
                    findings.append(make_finding(e.code, e.message, ref.source(e.field),
                                                 identity=ref.fingerprint,
                                                 **_row_names(vals, date_field)))
                    read += 1
                    continue
                findings.extend(extra)
                _place(rows, built, i, typed)
                read += 1
                continue
        rk = _row_kind(data[i])
        if rk != "data":
            skipped += 1
            continue
        rownum = first_row + i
        ref = RowRef(table, rownum)
        vals: dict[str, Any] = {}
        row_errors: list[Finding] = []
        soft: list[Finding] = []
        future = False
        for f in field_order:
            c = raw_cols[f][i]
            if _is_blank(c):
                if f in required:
                    row_errors.append(make_finding(
                        "MISSING_REQUIRED",
                        f"{FIELD_LABEL.get(f, f).capitalize()} is blank; the row is left out of the ledger.",
                        ref.source(f), identity=ref.fingerprint))
                continue
            try:
                v = parsers[f](c)
            except ValueError as e:
                fd = make_finding(
                    "INVALID_VALUE",
                    f"{FIELD_LABEL.get(f, f).capitalize()}{_describe(c)} cannot be read: {e}."
                    + (" The row is left out of the ledger." if f in required else " Treated as blank."),
                    ref.source(f), identity=ref.fingerprint)
                (row_errors if f in required else soft).append(fd)
                continue
            if f == date_field and isinstance(v, dt.date) and v > opts.as_of:
                future = True
                break
            vals[f] = v
        if future:
            after += 1
            continue
        # required fields missing as a column entirely (mapping chose none): MISSING_REQUIRED
        for f in required:
            if f not in cols:
                row_errors.append(make_finding(
                    "MISSING_REQUIRED", f"The table has no {FIELD_LABEL.get(f, f)} column.",
                    ref.source(None), identity=ref.fingerprint))
        if row_errors or soft:
            # a person must find the row from its finding alone (SPEC §4): name what of
            # the row could be read, also on a row kept out of the ledger
            names = _row_names(vals, date_field)
            row_errors = [replace(f, **names) for f in row_errors]
            soft = [replace(f, **names) for f in soft]
        if row_errors:
            # kept out: only INVALID_VALUE / MISSING_REQUIRED, but every unreadable cell
            # (an optional one too) still gets its own finding (SPEC §1, §3)
            findings.extend(row_errors)
            findings.extend(soft)
            read += 1
            continue
        try:
            typed, extra = _build_row(kind, ref, vals, has_unit_col)
        except _RowError as e:
            findings.append(make_finding(e.code, e.message, ref.source(e.field), identity=ref.fingerprint,
                                         **_row_names(vals, date_field)))
            findings.extend(soft)
            read += 1
            continue
        findings.extend(soft)
        findings.extend(extra)
        _place(rows, built, i, typed)
        read += 1
    if built is not None:
        rows = [r for r in built if r is not None]
    tin = TableInput(
        file=sheet.file, sheet=sheet.sheet, kind=kind.value, header_row=det.header_row,
        rows_read=read, rows_skipped=skipped, rows_after_as_of=after,
        columns={f: c.header for f, c in det.columns.items()}, unused=det.unused)
    return ParsedTable(table, rows, findings, tin)


def _month_only_expirations(column: list[Any], header_row: int, col: int, sheet) -> None:
    """SPEC §1: an expiration date cell whose number format shows no day (`mm/yyyy`,
    `mmm-yy`) is the month's last day; Excel stores a typed `5/2026` as May 1st. Only
    date cells on day 1 can be such a cell, so only those formats are looked up (a cell
    formatted `mm/yyyy` holding the 15th shows a day was typed: it stays). In place."""
    firsts = {c for c in set(column) if isinstance(c, dt.date) and c.day == 1}
    if not firsts:
        return
    at = [i for i, c in enumerate(column) if c in firsts]
    # column[i] is sheet row header_row + i + 1 (1-based), rows[header_row + i] (0-based)
    dayless = sheet.formats.without_day((header_row + i, col) for i in at)
    for i in at:
        if (header_row + i, col) in dayless:
            c = column[i]
            column[i] = month_end(c.date() if isinstance(c, dt.datetime) else c)


_FUTURE = object()
_SKIP = object()
_BLANK = object()


def _column_pass(data: Sequence[list[Any]], cols: dict[str, _Column], parsers: dict[str, Callable],
                 required: tuple[str, ...], date_field: str | None, as_of: dt.date):
    """Parse the table column by column, once per distinct value, and return a function
    giving row i's values when every cell of it read cleanly (else None: the per-cell
    path handles the row and raises its findings), `_FUTURE` for a row after as_of and
    `_SKIP` for a blank or totals row. None when a column mixes booleans with numbers
    (True == 1 would share a cache entry): then every row takes the per-cell path."""
    if any(f not in cols for f in required):
        return None
    columns: list[tuple[str, list]] = []
    parsed_by_field: dict[str, dict] = {}
    tidy: set[str] = set()  # text fields whose tidy values are not in their parsed table
    problem: set[int] = set()
    future: set[int] = set()
    for f, raw in cols.items():
        distinct = raw.distinct()
        # The types of the distinct values are the column's types, except that True, 1
        # and 1.0 (False, 0, 0.0) are one set member: when one of them is there, every
        # cell's type is looked at (a bool among numbers sends the table per cell).
        kinds = set(map(type, distinct))
        if True in distinct or False in distinct:
            kinds = set(map(type, raw.cells()))
        if bool in kinds:
            return None
        parsed: dict[Any, Any] = {}
        bad: set = set()
        late: set = set()
        parse = parsers[f]
        if getattr(parse, "raw", None) is clean_text and kinds <= {str, type(None)}:
            # free text (patients, visit IDs): thousands of distinct values, nearly all
            # already tidy; one regex pass over them all says so (else each is cleaned)
            distinct = _untidy_texts(distinct)
            tidy.add(f)
        for u in distinct:
            if u is None or (isinstance(u, str) and not u.strip()):
                parsed[u] = _BLANK
                if f in required:
                    bad.add(u)
                continue
            try:
                v = parse(u)
            except ValueError:
                bad.add(u)
                parsed[u] = _BLANK
                continue
            parsed[u] = v
            if f == date_field and isinstance(v, dt.date) and v > as_of:
                late.add(u)
        if bad:
            problem.update(raw.rows_in(bad))
        if late:
            future.update(raw.rows_in(late))
        columns.append((f, raw.lookup(parsed, tidy=f in tidy)))
        parsed_by_field[f] = parsed
    # a row after as_of that also has a bad cell: the per-cell path decides (it reads the
    # date first, as the rules say), so only clean rows count here
    future -= problem

    def row(i: int):
        cells = data[i]
        if not cells or _row_kind(cells) != "data":
            return _SKIP
        if i in problem:
            return None
        if i in future:
            return _FUTURE
        return {f: v for f, col in columns if (v := col[i]) is not _BLANK}

    row.columns = dict(columns)  # type: ignore[attr-defined]
    row.parsed, row.raw = parsed_by_field, cols  # type: ignore[attr-defined]  # for _quick_visits
    row.tidy = tidy  # type: ignore[attr-defined]
    row.problem, row.future = problem, future  # type: ignore[attr-defined]
    return row


def _row_names(vals: dict[str, Any], date_field: str | None) -> dict[str, Any]:
    """The product, lot (as written), location and date of a row, as far as they could be
    read: what every finding on the row names (SPEC §4). A lot cell saying "not recorded"
    names no lot."""
    lot = vals.get("lot")
    d = vals.get(date_field) if date_field else None
    return {"product": vals.get("product"),
            "lot": lot if isinstance(lot, str) and lot_key(lot) is not None else None,
            "location": vals.get("location") or None,
            "date": d if isinstance(d, dt.date) else None}


def _place(rows: list, built: list | None, i: int, typed: Any) -> None:
    """Row i's typed row: at its place among the bulk-built rows, or appended."""
    if built is None:
        rows.append(typed)
    else:
        built[i] = typed


def _total_candidates(data: GridView, raw_cols: dict[str, _Column], cols: dict[str, int],
                      required: tuple[str, ...]) -> set[int]:
    """Rows that may be totals rows although every required cell reads: their first
    non-blank cell is text starting with "total".  That cell can only be in a column up
    to the first required one (the required cells are not blank), so only those columns
    are looked at, once per distinct value; `_row_kind` then decides each candidate."""
    first = min(cols[f] for f in required)
    by_index = {j: raw_cols[f] for f, j in cols.items()}
    out: set[int] = set()
    for j in range(first + 1):
        col = by_index.get(j)
        if col is None:
            col = _Column.of(data, j)
        totals = {u for u in col.distinct() if isinstance(u, str) and u.strip().casefold().startswith("total")}
        if totals:
            out.update(col.rows_in(totals))
    return {i for i in out if _row_kind(data[i]) != "data"}


def _quick_visits(fast, table: TableRef, data: Sequence[list[Any]], first_row: int,
                  totals: set[int]) -> list[VisitRow | None]:
    """Every visit row that needs no rule, built from the parsed columns: a
    list with row i's VisitRow, or None where the row takes the general path (blank or
    totals, after as_of, an unreadable cell, a negative quantity or no lot: those rows
    get findings there).  The same fields `_build_row` fills, without a dict per row.

    Speed (200k rows): one loop in one frame instead of a call per row, blank and totals
    rows found column-wise instead of `_row_kind` per row, and the rows made by
    `model.make_slotted` (the slots set directly: a frozen dataclass's __init__ calls
    object.__setattr__ per field).  Under cProfile at 200k rows the build of the rows
    took 1.46 s as a function called per row, 0.51 s as this pass.  Now the loop is gone
    too: each derived column (lot key, unit, location, price, "negative?") is computed
    once per distinct raw value and looked up by code, the rows the general path takes
    are found column-wise, and every row is made by `map` (a Python call per row only in
    `make`), and the rows the general path takes are put back to None.  The same rows: the test
    above and tests/test_parse_distinct.py hold them to the general path and the old
    parser."""
    n = len(data)
    blank = [None] * n

    def col(f: str, how: Callable[[Any], Any] | None = None, blank_as: Any = None) -> list:
        """The field's parsed column, blanks as `blank_as`; with `how`, each distinct raw
        value's parsed value put through it once, then looked up per cell in C."""
        if f not in fast.parsed:
            return blank if blank_as is None else [blank_as] * n
        parsed = fast.parsed[f]
        if how is None:  # free text has as many distinct values as cells: no table
            column = fast.columns[f]
            if _BLANK in parsed.values():  # identity first, in C
                return [blank_as if v is _BLANK else v for v in column]
            return column
        # a free-text field's tidy texts are not in its table (`_untidy_texts`): none is
        # put through a `how` here (lot, quantity, location and price are not free text)
        assert f not in fast.tidy, f
        table_of = {u: blank_as if v is _BLANK else how(v) for u, v in parsed.items()}
        return fast.raw[f].lookup(table_of)

    def where(flags: list) -> Iterable[int]:
        """The indexes of the true flags (in C)."""
        return compress(count(), flags)

    dates, products, lots = col("date"), col("product"), col("lot")
    keys = col("lot", lambda v: lot_key(v) if v else None)
    quantities = col("quantity", itemgetter(0))
    # a row's unit: its unit cell, else the unit written with its quantity ("20u"), each
    # distinct quantity's canonical unit found once
    units = col("quantity", lambda v: canon_unit(v[1]) if v[1] else None)
    if "unit" in fast.parsed:
        units = [u if u is not None else c for u, c in zip(col("unit"), units)]
    patients, providers, visit_ids = col("patient"), col("provider"), col("visit_id")
    locations = col("location", lambda v: v or "", blank_as="")
    prices = col("price", itemgetter(0))
    # the rows the general path takes: no lot (MISSING_LOT there), a negative quantity
    # (INVALID_VALUE), a cell that did not read, after as_of, totals
    skip = fast.problem | fast.future | totals
    skip.update(where(map(is_, keys, repeat(None))))
    skip.update(where(col("quantity", lambda v: v[0] < 0)))
    make_ref, make_row = make_slotted(RowRef), make_slotted(VisitRow)
    # every row made in C-level passes (a Python call per row only in `make`), then the
    # rows the general path takes are put back to None: fewer than a loop that tests each
    out: list[VisitRow | None] = list(map(
        make_row, map(make_ref, repeat(table), range(first_row, first_row + n)), dates,
        products, quantities, units, lots, keys, patients, providers, visit_ids, locations,
        prices))
    for i in skip:
        out[i] = None
    return out


class _RowError(Exception):
    def __init__(self, code: str, message: str, field: str) -> None:
        self.code, self.message, self.field = code, message, field


def _qty_unit(vals: dict[str, Any], qfield: str, has_unit_col: bool) -> tuple[Decimal, str | None]:
    q, unit_text = vals[qfield]
    unit = vals.get("unit")
    if unit is None and unit_text:
        unit = canon_unit(unit_text)
    return q, unit


def _build_row(kind: Kind, ref: RowRef, v: dict[str, Any], has_unit_col: bool):
    extra: list[Finding] = []
    loc = v.get("location") or ""
    if kind is Kind.VISITS:
        q, unit = _qty_unit(v, "quantity", has_unit_col)
        if q < 0:
            raise _RowError("INVALID_VALUE", f"Quantity {q} is negative; a visit uses product. "
                            "The row is left out of the ledger.", "quantity")
        lot = v.get("lot")
        key = lot_key(lot) if lot else None
        if key is None:
            extra.append(make_finding(
                "MISSING_LOT",
                "No lot number recorded for this treatment: which vial was used cannot be traced.",
                ref.source("lot") if "lot" in ref.table.columns else ref.source("product"),
                identity=ref.fingerprint, product=v["product"], location=loc or None,
                date=v["date"], quantity=q))
            lot = None
        price = v.get("price")
        return VisitRow(ref=ref, date=v["date"], product=v["product"], quantity=q, unit=unit,
                        lot=lot, lot_key=key, patient=v.get("patient"), provider=v.get("provider"),
                        visit_id=v.get("visit_id"), location=loc,
                        price=price[0] if price else None), extra
    if kind is Kind.INVENTORY:
        q, unit = _qty_unit(v, "quantity", has_unit_col)
        if q < 0:
            raise _RowError("INVALID_VALUE", f"Quantity received {q} is negative. "
                            "The row is left out of the ledger.", "quantity")
        key = lot_key(v["lot"])
        if key is None:
            raise _RowError("MISSING_REQUIRED", "The lot number is not recorded on this receipt; "
                            "the row is left out of the ledger.", "lot")
        uc, tc, rem = v.get("unit_cost"), v.get("total_cost"), v.get("remaining")
        return InventoryRow(ref=ref, product=v["product"], lot=v["lot"], lot_key=key, quantity=q,
                            unit=unit, expiration=v.get("expiration"),
                            received_date=v.get("received_date"),
                            unit_cost=uc[0] if uc else None, total_cost=tc[0] if tc else None,
                            remaining=rem[0] if rem else None, location=loc,
                            cost_per=ref.table.columns["unit_cost"].per if uc else None), extra
    if kind is Kind.ADJUSTMENTS:
        q, unit = _qty_unit(v, "quantity", has_unit_col)
        t: AdjustmentType = v["type"]
        if t is not AdjustmentType.ADJUSTMENT:
            q = abs(q)
        key = lot_key(v["lot"])
        if key is None:
            raise _RowError("MISSING_REQUIRED", "The lot number is not recorded; the row is left "
                            "out of the ledger.", "lot")
        to_loc = v.get("to_location") or ""
        if t is AdjustmentType.TRANSFER and not to_loc:
            raise _RowError("MISSING_REQUIRED", "A transfer needs a destination (To Location); the "
                            "row is left out of the ledger.",
                            "to_location" if "to_location" in ref.table.columns else "type")
        return AdjustmentRow(ref=ref, date=v["date"], product=v["product"], lot=v["lot"],
                             lot_key=key, quantity=q, type=t, unit=unit, reason=v.get("reason"),
                             location=loc, to_location=to_loc), extra
    if kind is Kind.COUNTS:
        q, unit = _qty_unit(v, "counted", has_unit_col)
        key = lot_key(v["lot"])
        if key is None:
            raise _RowError("MISSING_REQUIRED", "The lot number is not recorded; the count is left "
                            "out of the ledger.", "lot")
        return CountRow(ref=ref, date=v["date"], product=v["product"], lot=v["lot"], lot_key=key,
                        counted=q, location=loc, unit=unit), extra
    upp = v.get("units_per_package")
    return ProductRow(ref=ref, product=v["product"], aliases=v.get("aliases", ()),
                      unit=v.get("unit"), package_unit=v.get("package_unit"),
                      units_per_package=upp[0] if upp else None,
                      category=v.get("category")), extra
