"""What a column's values look like, so they can confirm or veto what its header says.

A profile is the share, among the first 50 non-blank cells under the header, of dates
(date cells, or text a date reader would take), numbers (plain or with a unit: `20u`,
`0.5 mL`), lot-like codes (one token mixing letters and digits), Y/N flags, and words.
A field whose values must be dates (date, received_date, expiration) is vetoed when fewer
than half are dates; one whose values must be numbers (quantity, cost, ...) when fewer
than half are numbers; a product, lot, unit or person column is vetoed when most values
are dates; any field is vetoed by a column of Y/N flags. A column with fewer than 3
values is not judged (a template with one example row is read by its header alone).

The first values are read where they lie, never by slicing the sheet below the header (a
copy of a 200k-row sheet per column and candidate header row was most of detection's time);
tables/detect.py walks each column once for all 30 candidate header rows.

Rejected: a statistical type classifier trained on a corpus — a column of 20 values is
too little evidence for it, and the rules above are what a person checks at a glance; a
sample spread over the whole column (a few hundred distinct values, stratified) instead of
its first values — it costs a walk down every column of a 200k-row sheet, and on the bench
practice and the demo the first values already decide every field as the whole column does
(tests/test_detect_speed.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterator

from lotsync.readers.grid import Grid
from lotsync.tables.values import parse_number

SAMPLE = 50
MIN_JUDGED = 3

DATE_FIELDS = frozenset({"date", "received_date", "expiration"})
NUMBER_FIELDS = frozenset({"quantity", "remaining", "counted", "unit_cost", "total_cost", "price",
                           "units_per_package"})
TEXT_FIELDS = frozenset({"product", "unit", "patient", "provider", "staff", "supplier", "type",
                         "reason", "location", "to_location", "category", "package_unit", "lot"})

_DATE_TEXT = re.compile(
    r"^\s*(\d{4}-\d{1,2}(-\d{1,2})?|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}/\d{4}"
    r"|\d{1,2}[\s\-][A-Za-z]{3,9}[\s\-,]+\d{2,4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}|[A-Za-z]{3,9}\s+\d{4})"
    r"([ T]\d{1,2}:\d{2}.*)?\s*$")
_FLAGS = frozenset({"y", "n", "yes", "no", "true", "false", "x", "si", "sí", "oui", "non", "ja", "nein",
                    "sim", "não", "nao", "vero", "falso", "verdadero", "wahr", "falsch", "vrai", "faux"})
_LOTLIKE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9\-/.]{3,24}$")


@dataclass(frozen=True)
class Profile:
    n: int
    dates: float
    numbers: float
    lotlike: float
    flags: float
    words: float

    def judged(self) -> bool:
        return self.n >= MIN_JUDGED

    def describe(self) -> str:
        parts = [(self.dates, "dates"), (self.numbers, "numbers"), (self.lotlike, "codes"),
                 (self.flags, "Y/N flags"), (self.words, "words")]
        top = max(parts, key=lambda p: p[0])
        return f"{round(top[0] * 100)}% {top[1]}" if self.n else "no values"


def _kind(cell: object) -> str:
    if isinstance(cell, bool):
        return "flag"
    if isinstance(cell, (dt.date, dt.datetime)):
        return "date"
    if isinstance(cell, (int, float)):
        return "number"
    s = str(cell).strip()
    if s.casefold() in _FLAGS:
        return "flag"
    if _DATE_TEXT.match(s):
        return "date"
    try:
        parse_number(s)
        return "number"
    except ValueError:
        pass
    if _LOTLIKE.match(s):
        return "lot"
    return "word"


def first_cells(rows: list[list[object]], col: int, start: int, limit: int) -> list[tuple[int, str]]:
    """(row index, kind of value) of the first `limit` non-blank cells of column `col` from
    row `start` (0-based) down, totals rows skipped (SPEC §1: a totals row is no value of
    the column). Rows are walked in place: a slice would copy a 200k-row sheet per column."""
    out: list[tuple[int, str]] = []
    for i, c in _cells_down(rows, col, start):
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        first = next((x for x in rows[i] if x is not None and str(x).strip()), None)
        if isinstance(first, str) and first.strip().casefold().startswith("total"):
            continue  # a totals row (SPEC §1), not a value of the column
        out.append((i, _kind(c)))
        if len(out) >= limit:
            break
    return out


#: Rows of a Grid's column read at a time by `_cells_down`.
_BLOCK = 4096


def _cells_down(rows: list[list[object]], col: int, start: int) -> Iterator[tuple[int, object]]:
    """(row index, cell) of column `col` from row `start` down (None past a short row).

    A sheet held as a `Grid` gives its column a block at a time and a row is built only for
    a non-blank cell: walking row by row built every row of a 200,000-row sheet for a
    mostly blank Notes column (detection 0.12 -> 0.03 s with two such columns)."""
    if isinstance(rows, Grid):
        n = len(rows)
        for b in range(start, n, _BLOCK):
            yield from enumerate(rows.column(col, b, min(b + _BLOCK, n)), b)
        return
    for i in range(start, len(rows)):
        r = rows[i]
        yield i, (r[col] if col < len(r) else None)


def profile_of(kinds: list[str]) -> Profile:
    """The profile of a column whose sampled values are of these kinds."""
    n = len(kinds)
    if not n:
        return Profile(0, 0, 0, 0, 0, 0)
    return Profile(n, kinds.count("date") / n, kinds.count("number") / n, kinds.count("lot") / n,
                   kinds.count("flag") / n, kinds.count("word") / n)


def profile_column(rows: list[list[object]], header_idx: int, col: int) -> Profile:
    """The profile of column `col` under the header in row `header_idx` (0-based): its first
    SAMPLE non-blank values."""
    return profile_of([k for _, k in first_cells(rows, col, header_idx + 1, SAMPLE)])


def vetoes(field: str, p: Profile) -> str | None:
    """Why the values rule `field` out, or None when they allow it."""
    if not p.judged():
        return None
    if p.flags > 0.5:
        return f"values are Y/N flags ({p.describe()})"
    if field in DATE_FIELDS and p.dates < 0.5:
        return f"values are not dates ({p.describe()})"
    if field in NUMBER_FIELDS and p.numbers < 0.5:
        return f"values are not numbers ({p.describe()})"
    if field in TEXT_FIELDS and p.dates > 0.5:
        return f"values are dates ({p.describe()})"
    if field == "unit" and p.numbers > 0.5:
        return f"values are numbers ({p.describe()})"
    return None
