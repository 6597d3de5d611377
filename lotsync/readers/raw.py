"""The shape every reader hands to the rest of lotsync: a sheet's cells, untouched.

Readers (xlsx/xls/xlsb/ods/csv, Google Sheets) differ in how they get cells; once they
have them, everything downstream (finding the header, the table's kind, reading values)
is the same pure code. So a reader's whole job is to return `RawSheet`s faithfully:
every row the sheet holds, in sheet order, with row 1 of the sheet at index 0.
"""

from __future__ import annotations

from lotsync.errors import ReadError  # defined there, with every cannot-run error
from lotsync.readers.grid import Grid

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from lotsync.readers.cellformats import CellFormats

#: A cell as a reader returns it. Text stays text (a date typed as text is a `str`);
#: a real date cell is a `date` or `datetime`; numbers are `int` or `float`.
Cell = Union[None, str, int, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta]


@dataclass(frozen=True)
class RawSheet:
    """One tab (or one CSV file) as cells.

    `rows[i]` is the sheet's row `i + 1`, and `rows[i][j]` its column `j + 1` (A = 0), so
    a finding can always name the cell a person sees. Rows may be ragged and may be
    empty lists; leading empty rows and columns are kept, never trimmed.

    `rows` is a `Grid` (readers/grid.py): the cells held column by column, a row built as
    a list when it is read.  Rows given as a list (a test, the Google Sheets reader) are
    made into one here, so every sheet costs what its columns cost, not a list per row.
    """

    file: str  # the source as the user named it (a path, or a gsheet:// id)
    sheet: str | None  # tab name; None for a CSV file
    rows: Grid  # a list of rows is accepted and made into a Grid
    # For sources that are not files on disk (Google Sheets): the title a person sees.
    display_file: str | None = None
    # Reader-specific notes that are not errors, e.g. "read with openpyxl: sheet too wide".
    notes: tuple[str, ...] = field(default_factory=tuple)
    # The workbook's date system: bare serial numbers in a date column count from 1904-01-01
    # (Excel for Mac's old default) instead of 1899-12-30. Real date cells are converted
    # by the reader already.
    date1904: bool = False
    # Number formats of cells, looked up on demand (xlsx only; None elsewhere): a date cell
    # formatted `mm/yyyy` in an expiration column is the month's last day (SPEC §1).
    formats: "CellFormats | None" = field(default=None, compare=False, repr=False)
    # Equal text and date cells are one object: always true of a Grid (kept for callers
    # that ask).
    cells_shared: bool = field(default=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        # a plain list of rows becomes a Grid; another sequence of rows (a caller's own
        # view of a sheet, e.g. one that counts what detection reads) is kept as given,
        # and the parser makes a Grid of it (tables/parse.py)
        if type(self.rows) is list:
            object.__setattr__(self, "rows", Grid.from_rows(self.rows))
        object.__setattr__(self, "cells_shared", True)

    @property
    def label(self) -> str:
        """`file › sheet` as shown to a person."""
        name = self.display_file or self.file
        return f"{name} › {self.sheet}" if self.sheet else name
