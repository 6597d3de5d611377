"""Finding the table in a sheet: its header row, its kind, and which column is which field.

Rules (SPEC §1): the header is the row, among the first 30, whose cells best match the
field aliases; the kind comes from which fields the header has (every required field of
the kind present), and a tab or file name only breaks ties; "Units" is a quantity when
the values below it are mostly numbers and a unit of measure when mostly words; a
mapping file wins over all of it. A sheet that matches no kind is reported as ignored,
with what it lacked when it came close ("Sheet1 has product, quantity, expiration, but
no lot column").

Rejected: scoring by fuzzy similarity of headers (rapidfuzz) — it maps "Cost" onto
"Cost of Goods" and "Date" onto "Date Received" and hides the mistake; exact matching
after normalisation plus an alias table that a mapping file extends is predictable.
"""

from __future__ import annotations

from dataclasses import dataclass

from lotsync.model import Column, Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.headers import (AMBIGUOUS_UNITS, KIND_FIELDS, QUANTITY_FIELDS, alias_rank,
                                    field_for, name_hint, normalize_header, package_of_cost)
from lotsync.tables.mapping import Mapping
from lotsync.tables.values import clean_text, parse_number

HEADER_SCAN_ROWS = 30
SAMPLE_ROWS = 50


@dataclass(frozen=True)
class Detection:
    sheet: RawSheet
    kind: Kind | None  # None: ignored
    header_row: int | None  # 1-based
    columns: dict[str, Column]
    unused: tuple[str, ...] = ()
    note: str | None = None  # why ignored / what is missing


def _is_numberish(cell: object) -> bool:
    if cell is None or isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float)):
        return True
    try:
        parse_number(cell)
        return True
    except ValueError:
        return False


def _units_is_quantity(rows: list[list[object]], header_idx: int, col: int) -> bool:
    nums = words = 0
    for r in rows[header_idx + 1: header_idx + 1 + SAMPLE_ROWS]:
        if col < len(r) and r[col] is not None and str(r[col]).strip():
            if _is_numberish(r[col]):
                nums += 1
            else:
                words += 1
    return nums >= words


def _map_row(rows: list[list[object]], idx: int, kind: Kind, extra: dict[str, str],
             count_hint: bool) -> tuple[dict[str, Column], list[str]]:
    """Map one candidate header row for one kind: (field -> column, unused headers)."""
    required, optional = KIND_FIELDS[kind]
    allowed = set(required) | set(optional)
    cols: dict[str, Column] = {}
    ranks: dict[str, int] = {}
    unused: list[str] = []
    for j, cell in enumerate(rows[idx]):
        header = clean_text(cell)
        if header is None:
            continue
        key = normalize_header(header)
        if key in extra:
            f, rank = extra[key], -1  # the mapping file always wins
        elif key in AMBIGUOUS_UNITS and kind is not Kind.PRODUCTS:
            f = "quantity" if _units_is_quantity(rows, idx, j) else "unit"
            rank = alias_rank(header, kind)
        else:
            f, rank = field_for(header, kind), alias_rank(header, kind)
        if kind is Kind.COUNTS and count_hint and f in QUANTITY_FIELDS:
            # a column named as a count beats one that only the tab's name makes one
            f, rank = "counted", (rank if rank < 0 else 1000)
        if f == "ignore" or f is None or f not in allowed:
            unused.append(header)
            continue
        if f in cols:
            # two columns name one field: the plainer header wins, then the earlier column
            if rank >= ranks[f]:
                unused.append(header)
                continue
            unused.append(cols[f].header)
        cols[f] = Column(header=header, index=j,
                         per=package_of_cost(header) if f == "unit_cost" else None)
        ranks[f] = rank
    return cols, unused


def detect_table(sheet: RawSheet, mapping: Mapping) -> Detection:
    """Find the header row, kind and columns of the one table in `sheet`."""
    entry, extra = mapping.for_sheet(sheet.file, sheet.sheet)
    rows = sheet.rows
    if entry and entry.kind == "ignore":
        return Detection(sheet, None, None, {}, note="ignored by the mapping file")
    if not any(any(c is not None and str(c).strip() for c in r) for r in rows[:HEADER_SCAN_ROWS]):
        return Detection(sheet, None, None, {}, note="empty sheet")
    hint = name_hint(sheet.sheet, sheet.file.rsplit("/", 1)[-1])
    kinds = [Kind(entry.kind)] if entry and entry.kind else list(Kind)
    if entry and entry.header_row:
        candidates = [entry.header_row - 1] if entry.header_row - 1 < len(rows) else []
    else:
        candidates = range(min(HEADER_SCAN_ROWS, len(rows)))
    best: tuple[tuple[int, int], int, Kind, dict[str, Column], list[str]] | None = None
    near: tuple[int, Kind, dict[str, Column]] | None = None
    for idx in candidates:
        if not rows[idx]:
            continue
        for kind in kinds:
            cols, unused = _map_row(rows, idx, kind, extra, hint is Kind.COUNTS)
            required, optional = KIND_FIELDS[kind]
            have_req = sum(f in cols for f in required)
            n_opt = sum(f in cols for f in optional)
            if have_req == len(required) and (kind is not Kind.PRODUCTS or n_opt or hint is Kind.PRODUCTS
                                              or (entry and entry.kind)):
                score = 100 + 10 * len(required) + n_opt + (5 if hint is kind else 0)
                # ties: the higher score, then the earlier row
                if best is None or (score, -idx) > best[0]:
                    best = ((score, -idx), idx, kind, cols, unused)
            elif have_req >= 2 or (have_req and len(cols) >= 2):
                closeness = have_req * 10 + len(cols)
                if near is None or closeness > near[0]:
                    near = (closeness, kind, cols)
    if best is None:
        note = "no header row matches any kind of table"
        if near is not None:
            _, kind, cols = near
            required, _ = KIND_FIELDS[kind]
            missing = [f for f in required if f not in cols]
            note = (f"looks like {kind.value}: has {', '.join(cols)}, but no "
                    f"{' or '.join(missing)} column")
        return Detection(sheet, None, None, {}, note=note)
    _, idx, kind, cols, unused = best
    return Detection(sheet, kind, idx + 1, cols, tuple(unused))
