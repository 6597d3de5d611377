"""A sheet's cells kept column by column: what every raw cell costs while a run holds it.

Why: a run keeps every raw cell of every sheet alive to its end (`TableRef.cells`: a
finding's id hashes its row's cells, `lotsync check` and the corrected copies read raw
cells).  As row lists that is a list per row, a pointer per cell and an object per
number: 1M visit rows x 10 columns held ~280 MB (tracemalloc), and while the reader built
them calamine's own grid was alive too (the read's peak, 953 MB at 1M rows).  Here each
column is its table of distinct values and an array of codes (1, 2 or 4 bytes a cell);
the readers add rows in blocks (`GridBuilder`), so the row lists of a whole sheet never
exist at once.

The rules (what makes it exact):

* `grid[i]` is sheet row i + 1 as the same list of cells the reader saw: same length
  (ragged CSV rows stay ragged, empty rows are `[]`), same types, same values.  A new list
  each time: nothing a consumer does to it reaches the grid (read-only).
* Two cells share a code only when they are interchangeable: equal, of one type, with one
  text.  Text, None, dates, datetimes (naive from every reader), times and timedeltas: equal
  means that.  Numbers need care: 1 == 1.0 == True and 0.0 == -0.0, while a row's
  fingerprint (`type:str(cell)`) tells them apart.  A column whose numbers are of one type
  (all float, as calamine gives xlsx numbers; all int; all bool) is coded; a column that
  mixes kinds of number, holds a negative zero, or any other type is kept as its cells
  (a list of the objects, exactly as read).  So equal text and date cells come back as one
  object (the reader's sharing of PR "cell sharing", kept), numbers as equal floats.
* Slicing gives a lazy view (`GridView`): header detection samples the first rows below
  each candidate header, and must not build a million rows to do it.  `column(j)` gives a
  column's cells as a list in one C-level pass; `coded(j)` its distinct values and codes
  (what the parser reads: each distinct value parsed once).

Rejected alternatives:
* Arrow / NumPy columns: one type per column, while a clinic's date column mixes date
  cells, text and serial numbers, and a fingerprint needs each cell's own type.
* Computing every row's fingerprint in bulk and dropping the cells: the corrected copies,
  `lotsync check`, the trace and the period figures read raw cells, not only ids.
* Keeping row tuples instead of lists: still an object and a pointer per cell.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Sequence
from itertools import islice, repeat
from math import copysign
from typing import Any, Iterable, Iterator

#: Rows added to a builder at a time by the readers: bounds the row lists alive at once.
BLOCK = 8192
#: A sheet whose columns would hold this many times its cells keeps its rows as lists.
SPARSE_FACTOR = 4

#: Types whose equal cells are interchangeable (equal means same type and same text).
_PLAIN = frozenset({str, type(None), dt.date, dt.datetime, dt.time, dt.timedelta})
#: Number types a column may hold one of and still be coded.
_NUMBERS = frozenset({float, int, bool})


class _Codes(dict):
    """value -> code, a new value given the next code (`values[code]` is the value)."""

    __slots__ = ("values",)

    def __missing__(self, value: Any) -> int:
        code = self[value] = len(self.values)
        self.values.append(value)
        return code


def _typecode(distinct: int) -> str:
    return "B" if distinct <= 0x100 else "H" if distinct <= 0x10000 else "I"


class _ColumnBuilder:
    """One column as it is read: coded until a block shows it cannot be (see the rules)."""

    __slots__ = ("index", "codes", "objects", "numbers", "blank")

    def __init__(self, rows_before: int, blank_text: bool) -> None:
        self.index = _Codes()
        self.index.values = [None]
        self.index[None] = 0
        if blank_text:  # calamine's empty cell: read as None
            self.index[""] = 0
        self.blank = blank_text
        self.codes = array("B", bytes(rows_before))  # earlier rows: None
        self.objects: list | None = None
        self.numbers: set[type] = set()

    def add(self, cells: tuple) -> None:
        if self.objects is not None:
            self._extend_objects(cells)
            return
        values = self.index.values
        known = len(values)
        try:
            coded = list(map(self.index.__getitem__, cells))
        except TypeError:  # an unhashable cell: never from the readers, but be exact
            self._to_objects(cells)
            return
        if len(values) > known:
            new_types = set(map(type, values[known:])) - _PLAIN
            if new_types:
                self.numbers |= new_types
        if self.numbers and not self._codable(cells):
            self._to_objects(cells)
            return
        want = _typecode(len(values))
        if want != self.codes.typecode:
            self.codes = array(want, self.codes)
        self.codes.fromlist(coded)

    def _codable(self, cells: tuple) -> bool:
        """Does coding keep every cell of this block exact? (see the module rules)"""
        if len(self.numbers) > 1 or not self.numbers <= _NUMBERS:
            return False
        # the one number type seen among the values: no cell of another number type may
        # have been merged into it (1.0 into 1, True into 1.0)
        if not set(map(type, cells)) - _PLAIN <= self.numbers:
            return False
        if float in self.numbers and 0.0 in self.index:
            for c in cells:  # only columns that hold a zero pay for this look
                if c == 0 and c.__class__ is float and copysign(1.0, c) < 0:
                    return False
            first = self.index.values[self.index[0.0]]
            if copysign(1.0, first) < 0:
                return False
        return True

    def _to_objects(self, cells: tuple) -> None:
        values = self.index.values
        self.objects = list(map(values.__getitem__, self.codes))
        self.index = _Codes()
        self.codes = array("B")
        self._extend_objects(cells)

    def _extend_objects(self, cells: tuple) -> None:
        if self.blank:
            self.objects.extend(None if c.__class__ is str and not c else c for c in cells)
        else:
            self.objects.extend(cells)

    def finish(self) -> tuple[list, array | None]:
        if self.objects is not None:
            return self.objects, None
        return self.index.values, self.codes


class GridBuilder:
    """Rows in, a `Grid` out, a block at a time (`add`), so that only a block of row lists
    exists at once.  `blank_text`: an empty string is an empty cell (None), as calamine
    gives empty cells.

    A sparse sheet (a stray cell far right or far down, a CSV with one very long row)
    would make the columns far larger than its cells: when the columns would hold over
    `SPARSE_FACTOR` times the cells read (plus a million), the rows are kept as lists."""

    def __init__(self, blank_text: bool = False) -> None:
        self._cols: list[_ColumnBuilder] = []
        self._rows = 0
        self._cells = 0
        self._lengths: array | None = None
        self._blank = blank_text
        self._list: list | None = None  # the rows as lists, once the sheet is sparse

    def add(self, block: list[list[Any]]) -> None:
        if not block:
            return
        lengths = list(map(len, block))
        if self._list is None:
            top = max(lengths)
            total = self._cells + sum(lengths)
            if max(top, len(self._cols)) * (self._rows + len(block)) > SPARSE_FACTOR * total + 1_000_000:
                self._list = list(self.grid())
        if self._list is not None:
            if self._blank:
                block = [[None if c.__class__ is str and not c else c for c in r] for r in block]
            self._list.extend(list(r) for r in block)
            self._rows += len(block)
            return
        width = len(self._cols)
        if top > width:
            self._cols.extend(_ColumnBuilder(self._rows, self._blank) for _ in range(top - width))
            if self._rows and self._lengths is None:  # the earlier rows were shorter
                self._lengths = array("I", repeat(width, self._rows))
            width = top
        short = min(lengths) < width
        if short and self._lengths is None:
            self._lengths = array("I", repeat(width, self._rows))
        if self._lengths is not None:
            self._lengths.extend(lengths)
        if short:
            pad = [None] * width
            block = [r if len(r) == width else list(r) + pad[len(r):] for r in block]
        if width:
            for col, cells in zip(self._cols, zip(*block)):
                col.add(cells)
        self._rows += len(block)
        self._cells = total

    def add_rows(self, rows: Iterable[list[Any]]) -> None:
        """Every row of `rows`, a block at a time."""
        it = iter(rows)
        while block := list(islice(it, BLOCK)):
            self.add(block)

    def grid(self) -> "Grid":
        if self._list is not None:
            return Grid((), self._rows, None, self._list)
        cols = tuple(c.finish() for c in self._cols)
        self._cols = []
        return Grid(cols, self._rows, self._lengths)


class _ListLike:
    """List arithmetic on rows gives lists, as a list of rows would (`rows[1:] * 3`,
    `[header] + rows[1:]`): the rows are built then.  What code written for lists of rows
    (tests, helpers) does keeps working."""

    __slots__ = ()

    def __add__(self, other):
        if isinstance(other, (list, Grid, GridView)):
            return list(self) + list(other)
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, list):
            return other + list(self)
        return NotImplemented

    def __mul__(self, n):
        if isinstance(n, int):
            return list(self) * n
        return NotImplemented

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        """Equal to a list of rows (or another Grid) holding the same rows, as a list is."""
        if isinstance(other, (Grid, GridView)):
            return len(self) == len(other) and list(self) == list(other)
        if isinstance(other, list):
            return len(self) == len(other) and list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class Grid(_ListLike, Sequence):
    """A sheet's rows, held column by column (see the module doc); a sparse sheet's as row
    lists (`GridBuilder`).  Build one with `GridBuilder` or `Grid.from_rows`."""

    __slots__ = ("_cols", "_n", "_lengths", "_list")

    def __init__(self, cols: tuple, n: int, lengths: array | None = None,
                 rows: list | None = None) -> None:
        self._cols = cols  # per column: (values, codes) or (cells, None)
        self._n = n
        self._lengths = lengths  # per row, when rows differ in length
        self._list = rows  # a sparse sheet's rows

    @classmethod
    def from_rows(cls, rows: Iterable[list[Any]], blank_text: bool = False) -> "Grid":
        if isinstance(rows, Grid):
            return rows
        b = GridBuilder(blank_text)
        b.add_rows(rows)
        return b.grid()

    def __reduce__(self):
        return (Grid, (self._cols, self._n, self._lengths, self._list))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return GridView(self, range(self._n)[i])
        n = self._n
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("grid row out of range")
        if self._list is not None:
            return list(self._list[i])
        row = [v[i] if c is None else v[c[i]] for v, c in self._cols]
        if self._lengths is not None:
            del row[self._lengths[i]:]
        return row

    def __iter__(self) -> Iterator[list[Any]]:
        return self.iter_rows(0, self._n)

    def iter_rows(self, start: int, stop: int) -> Iterator[list[Any]]:
        """Rows start..stop-1, built as they are asked for (no copy of the columns)."""
        stop = min(stop, self._n)
        if start >= stop:
            return iter(())
        if self._list is not None:
            return map(list, islice(self._list, start, stop))
        if not self._cols:
            return (list() for _ in range(start, stop))
        its = [islice(v, start, stop) if c is None else map(v.__getitem__, islice(c, start, stop))
               for v, c in self._cols]
        rows = map(list, zip(*its))
        if self._lengths is None:
            return rows
        return (r if len(r) == k else r[:k] for r, k in zip(rows, islice(self._lengths, start, stop)))

    def column(self, j: int, start: int = 0, stop: int | None = None) -> list[Any]:
        """Column j's cells of rows start..stop-1 as a list (None past a short row's end)."""
        stop = self._n if stop is None else min(stop, self._n)
        if start >= stop:
            return []
        if self._list is not None:
            return [r[j] if j < len(r) else None for r in islice(self._list, start, stop)]
        if j >= len(self._cols):
            return [None] * (stop - start)
        v, c = self._cols[j]
        if c is None:
            return v[start:stop]
        return list(map(v.__getitem__, c[start:stop]))

    def coded(self, j: int, start: int = 0, stop: int | None = None) -> tuple[list, array, set] | None:
        """Column j of rows start..stop-1 as (values, codes, outside): cell i is
        `values[codes[i]]`, each value once (the parser parses each once and looks the
        rest up by code).  `values` is the whole column's table and must not be changed;
        every value in it but None (code 0) is in some cell of the column, and `outside`
        holds the codes of the cells outside the range (a header, a title): so the values
        of the range are found without a pass over its codes.  None when the column is
        kept as its cells or the sheet as row lists (see the module rules): `column` then."""
        stop = self._n if stop is None else min(stop, self._n)
        if self._list is not None:
            return None
        if j >= len(self._cols):
            return [None], array("B", bytes(max(0, stop - start))), set()
        v, c = self._cols[j]
        if c is None:
            return None
        if start >= stop:
            return v, array(c.typecode), set(c)
        return v, c[start:stop], set(c[:start]) | set(c[stop:])

    def __repr__(self) -> str:
        if self._n <= 20:
            return f"Grid({list(self)!r})"
        return f"Grid(<{self._n} rows>)"


class GridView(_ListLike, Sequence):
    """Some rows of a Grid (a slice), read lazily."""

    __slots__ = ("_grid", "_range")

    def __init__(self, grid: Grid, rows: range) -> None:
        self._grid, self._range = grid, rows

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return GridView(self._grid, self._range[i])
        return self._grid[self._range[i]]

    def __iter__(self) -> Iterator[list[Any]]:
        r = self._range
        if r.step == 1:
            return self._grid.iter_rows(r.start, r.stop)
        return (self._grid[i] for i in r)

    def column(self, j: int) -> list[Any]:
        r = self._range
        if r.step == 1:
            return self._grid.column(j, r.start, r.stop)
        return [row[j] if j < len(row) else None for row in self]

    def coded(self, j: int) -> tuple[list, array, set] | None:
        """`Grid.coded` for these rows (None for a stepped slice)."""
        r = self._range
        if r.step == 1:
            return self._grid.coded(j, r.start, r.stop)
        return None

    def __repr__(self) -> str:
        return f"GridView({self._range.start}:{self._range.stop} of {self._grid!r})"


__all__ = ["Grid", "GridView", "GridBuilder", "BLOCK"]
