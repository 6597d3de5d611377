"""Typed rows, source references and findings: the data every stage passes on.

Quantities and money are `Decimal` (SPEC §2: exact arithmetic). Rows carry a `RowRef`
(the table they came from and their 1-based sheet row) instead of a full source record,
so that a million visit rows cost one small object each; a finding's full source cell
(file, sheet, row, column header, A1) is built from it only when a finding is raised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Callable


class Kind(str, Enum):
    INVENTORY = "inventory"
    VISITS = "visits"
    ADJUSTMENTS = "adjustments"
    COUNTS = "counts"
    PRODUCTS = "products"


@dataclass(frozen=True)
class Column:
    """A field's column in a table: the header text a person sees and its 0-based index.

    `per`: for a cost column whose header names a package (`Cost per Vial`, `Price/Box`),
    that package's unit (`vial`, `box`; `package` for the product's own package unit):
    its costs are per that package whatever the row's unit (SPEC §1)."""

    header: str
    index: int
    per: str | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index + 1)


def column_letter(n: int) -> str:
    """A 1-based column number as Excel writes it (1 -> A, 27 -> AA), as openpyxl's
    `get_column_letter` gives it. Here rather than imported from openpyxl: importing
    `openpyxl.utils` loads all of openpyxl and numpy (0.75 s), which a json-only run
    otherwise never needs."""
    if not 1 <= n <= 18278:
        raise ValueError(f"Invalid column index {n}")
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


@dataclass(frozen=True, eq=False)
class TableRef:
    """One table found in one sheet: where it is and which column holds which field."""

    file: str
    sheet: str | None
    kind: Kind
    header_row: int  # 1-based
    columns: dict[str, Column]
    order: int  # position of the table in the input order (files as listed, tabs left to right)
    display_file: str | None = None
    # The sheet's cells (a readers.grid.Grid: rows built on demand from compact columns),
    # kept for row fingerprints, `lotsync check` and the corrected copies (not compared,
    # not printed).
    cells: Any = field(default=None, repr=False, compare=False)

    def source(self, row: int | None, field_name: str | None) -> "Source":
        col = self.columns.get(field_name) if field_name else None
        return Source(
            file=self.file,
            sheet=self.sheet,
            row=row,
            column=col.header if col else None,
            cell=f"{col.letter}{row}" if (col and row) else None,
            title=self.display_file,
        )


@dataclass(frozen=True, slots=True)
class RowRef:
    table: TableRef
    row: int  # 1-based sheet row

    def source(self, field_name: str | None) -> "Source":
        return self.table.source(self.row, field_name)

    @property
    def fingerprint(self) -> str:
        """A hash of the row's cells (not its position): computed only for rows that get a
        finding, so a million clean rows cost nothing."""
        cells = self.table.cells
        row = cells[self.row - 1] if cells and self.row - 1 < len(cells) else []
        text = "\x1f".join("" if c is None else f"{type(c).__name__}:{c}" for c in row)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.table.order, self.row)


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    title: str | None = None  # what a person calls the file (a Google spreadsheet's title)

    @property
    def where(self) -> str:
        """`Inventory.xlsx › Receiving › H11` (or `Glow Inventory › Receiving › H11` for a
        Google Sheet): how every report names a cell to a person."""
        name = self.title or (Path(self.file).name if "://" not in self.file else self.file)
        place = self.cell or (f"row {self.row}" if self.row else None)
        return " › ".join(str(x) for x in (name, self.sheet, place) if x)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    source: Source
    product: str | None = None
    lot: str | None = None
    location: str | None = None
    date: dt.date | None = None
    quantity: Decimal | None = None
    value: Decimal | None = None
    suggestion: str | None = None
    # Content that identifies the finding beyond its fields (the row's fingerprint); not
    # the row number, so that inserting unrelated rows changes no id.
    identity: str = ""
    id: str = ""


# --- typed rows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductRow:
    ref: RowRef
    product: str
    aliases: tuple[str, ...] = ()
    unit: str | None = None
    package_unit: str | None = None
    units_per_package: Decimal | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class InventoryRow:
    ref: RowRef
    product: str
    lot: str  # as displayed
    lot_key: str
    quantity: Decimal  # in `unit`
    unit: str | None
    expiration: dt.date | None = None
    received_date: dt.date | None = None
    unit_cost: Decimal | None = None
    total_cost: Decimal | None = None
    remaining: Decimal | None = None
    location: str = ""
    cost_per: str | None = None  # the unit `unit_cost` is per, when its header names one


@dataclass(frozen=True, slots=True)
class VisitRow:
    ref: RowRef
    date: dt.date
    product: str
    quantity: Decimal
    unit: str | None
    lot: str | None  # None: not recorded (MISSING_LOT already raised)
    lot_key: str | None
    patient: str | None = None
    provider: str | None = None
    visit_id: str | None = None
    location: str = ""
    price: Decimal | None = None


class AdjustmentType(str, Enum):
    WASTE = "waste"
    EXPIRED = "expired"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    ref: RowRef
    date: dt.date
    product: str
    lot: str
    lot_key: str
    quantity: Decimal  # signed only for ADJUSTMENT; absolute otherwise
    type: AdjustmentType
    unit: str | None = None
    reason: str | None = None
    location: str = ""
    to_location: str = ""


@dataclass(frozen=True, slots=True)
class CountRow:
    ref: RowRef
    date: dt.date
    product: str
    lot: str
    lot_key: str
    counted: Decimal
    location: str = ""
    unit: str | None = None


@dataclass(frozen=True)
class Practice:
    """Everything read from a clinic's sheets, typed, before any ledger work."""

    inventory: tuple[InventoryRow, ...] = ()
    visits: tuple[VisitRow, ...] = ()
    adjustments: tuple[AdjustmentRow, ...] = ()
    counts: tuple[CountRow, ...] = ()
    products: tuple[ProductRow, ...] = ()


@dataclass(frozen=True)
class TableInput:
    """One entry of report.json `inputs`: a table read (or a sheet ignored)."""

    file: str
    sheet: str | None
    kind: str  # a Kind value, or "ignored"
    header_row: int | None
    rows_read: int
    rows_skipped: int
    rows_after_as_of: int
    columns: dict[str, str] = field(default_factory=dict)
    unused: tuple[str, ...] = ()
    note: str | None = None


def make_slotted(cls: type) -> Callable[..., Any]:
    """A maker of `cls` instances (a frozen dataclass with slots and no __post_init__)
    from every field's value, positionally, that sets the slots directly.

    Why: a frozen dataclass's generated __init__ sets each field through
    object.__setattr__ (it must get past the frozen __setattr__): 0.48 s for 200k
    VisitRows with their RowRefs; the slot descriptors' own setters 0.28 s.  The object
    made is the same (equal, frozen afterwards).  Only the bulk row builders use it.
    """
    assert "__post_init__" not in cls.__dict__ and hasattr(cls, "__slots__")
    names = [f.name for f in fields(cls)]
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"set_{n}": getattr(cls, n).__set__ for n in names})
    # straight-line code, as dataclasses generate their __init__ (a loop over the fields
    # cost more than the __init__ it replaces)
    body = "".join(f"    set_{n}(obj, {n})\n" for n in names)
    exec(f"def make({', '.join(names)}):\n    obj = new(cls)\n{body}    return obj\n", scope)
    return scope["make"]
