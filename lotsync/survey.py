"""Which tables lotsync finds in a clinic's sheets, and how it reads their columns.

What `lotsync check` prints and `lotsync.check(...)` returns: for every table its kind,
header row, rows, which column each field came from and the columns left unused; every
sheet that matched no kind, with why ("looks like inventory: ... but no lot column"); and
every unreadable or blank required cell (INVALID_VALUE, MISSING_REQUIRED) with its cell.
The sources are read and typed exactly as a reconcile reads them (`pipeline.load_practice`),
but nothing is reconciled: a practice without an inventory table is answered
(`has_inventory` is False), not refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from lotsync.pipeline import load_practice, read_sources
from lotsync.readers.raw import RawSheet
from lotsync.tables.mapping import Mapping
from lotsync.tables.parse import ParseOptions

#: The finding codes a check lists: the cells that keep a row out of the ledger.
PROBLEM_CODES = ("INVALID_VALUE", "MISSING_REQUIRED")


@dataclass(frozen=True)
class TableFound:
    """A table lotsync will read: `columns` maps each field to the header it came from."""

    file: str
    sheet: str | None
    kind: str
    header_row: int | None
    rows_read: int
    columns: dict[str, str]
    unused: tuple[str, ...]


@dataclass(frozen=True)
class IgnoredSheet:
    """A sheet that matched no kind of table; `reason` says what it lacked."""

    file: str
    sheet: str | None
    reason: str | None


@dataclass(frozen=True)
class CellProblem:
    """A cell that keeps its row out of the ledger (unreadable, or a blank required cell)."""

    code: str
    message: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None


@dataclass(frozen=True)
class SheetCheck:
    tables: tuple[TableFound, ...]
    ignored: tuple[IgnoredSheet, ...]
    problems: tuple[CellProblem, ...]

    @property
    def has_inventory(self) -> bool:
        """False: `lotsync reconcile` would refuse these sources (NoInventoryError)."""
        return any(t.kind == "inventory" for t in self.tables)

    def to_json(self) -> dict:
        """Exactly what `lotsync check --json` prints."""
        return {
            "tables": [{"file": t.file, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
                        "rows_read": t.rows_read, "columns": dict(t.columns), "unused": list(t.unused)}
                       for t in self.tables],
            "ignored": [{"file": i.file, "sheet": i.sheet, "reason": i.reason} for i in self.ignored],
            "problems": [{"code": p.code, "message": p.message, "file": p.file, "sheet": p.sheet,
                          "row": p.row, "column": p.column, "cell": p.cell} for p in self.problems],
        }


def check_sources(sources: Iterable[str], mapping: Mapping, popts: ParseOptions,
                  read: Callable[[str], list[RawSheet]] | None = None) -> SheetCheck:
    """Read `sources` (files, folders, globs, Google Sheets) and say what lotsync finds.
    Raises ReadError / SourceNotFoundError for a source that cannot be read."""
    loaded = load_practice(read_sources(sources, read), mapping, popts)
    tables, ignored = [], []
    for t in loaded.inputs:
        if t.kind == "ignored":
            ignored.append(IgnoredSheet(file=t.file, sheet=t.sheet, reason=t.note))
        else:
            tables.append(TableFound(file=t.file, sheet=t.sheet, kind=t.kind, header_row=t.header_row,
                                     rows_read=t.rows_read, columns=dict(t.columns),
                                     unused=tuple(t.unused)))
    problems = [CellProblem(code=f.code, message=f.message, file=f.source.file, sheet=f.source.sheet,
                            row=f.source.row, column=f.source.column, cell=f.source.cell)
                for f in loaded.findings if f.code in PROBLEM_CODES]
    return SheetCheck(tuple(tables), tuple(ignored), tuple(problems))
