"""Which tables lotsync finds in a clinic's sheets, and how it reads their columns.

What `lotsync check` prints and `lotsync.check(...)` returns: for every table its kind,
header row, rows, which column each field came from (with detection's confidence and the
words that decided it; a weak guess is flagged) and the columns left unused; every sheet
that matched no kind, with why ("looks like inventory: ... but no lot column") and the
likeliest columns for what it lacked; every unreadable or blank required cell
(INVALID_VALUE, MISSING_REQUIRED) with its cell; and the decisions as a mapping TOML a
person can correct (`check --write-mapping`).
The sources are read and typed exactly as a reconcile reads them (`pipeline.load_practice`),
but nothing is reconciled: a practice without an inventory table is answered
(`has_inventory` is False), not refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable, Iterable

from lotsync.pipeline import load_practice, read_sources
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import Detection, Reading
from lotsync.tables.headers import ALL_FIELDS
from lotsync.tables.mapping import Mapping
from lotsync.tables.parse import ParseOptions

#: The finding codes a check lists: the cells that keep a row out of the ledger.
PROBLEM_CODES = ("INVALID_VALUE", "MISSING_REQUIRED")


@dataclass(frozen=True)
class TableFound:
    """A table lotsync will read: `columns` maps each field to the header it came from,
    `readings` to how it was read (confidence, deciding words, weak, from the mapping)."""

    file: str
    sheet: str | None
    kind: str
    header_row: int | None
    rows_read: int
    columns: dict[str, str]
    unused: tuple[str, ...]
    readings: dict[str, Reading]

    @property
    def weak(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.readings.values() if r.weak)


@dataclass(frozen=True)
class IgnoredSheet:
    """A sheet that matched no kind of table; `reason` says what it lacked, `closest` the
    likeliest headers for each missing required field."""

    file: str
    sheet: str | None
    reason: str | None
    closest: dict[str, tuple[str, ...]]


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
    detections: tuple[Detection, ...]

    @property
    def has_inventory(self) -> bool:
        """False: `lotsync reconcile` would refuse these sources (NoInventoryError)."""
        return any(t.kind == "inventory" for t in self.tables)

    def to_json(self) -> dict:
        """Exactly what `lotsync check --json` prints."""
        return {
            "tables": [{"file": t.file, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
                        "rows_read": t.rows_read,
                        "columns": {f: {"header": r.header, "confidence": r.confidence,
                                        "words": list(r.words), "weak": r.weak,
                                        "by_mapping": r.by_mapping}
                                    for f, r in t.readings.items()},
                        "unused": list(t.unused)}
                       for t in self.tables],
            "ignored": [{"file": i.file, "sheet": i.sheet, "reason": i.reason,
                         "closest": {f: list(h) for f, h in i.closest.items()}}
                        for i in self.ignored],
            "problems": [{"code": p.code, "message": p.message, "file": p.file, "sheet": p.sheet,
                          "row": p.row, "column": p.column, "cell": p.cell} for p in self.problems],
        }


def check_sources(sources: Iterable[str], mapping: Mapping, popts: ParseOptions,
                  read: Callable[[str], list[RawSheet]] | None = None) -> SheetCheck:
    """Read `sources` (files, folders, globs, Google Sheets) and say what lotsync finds.
    Raises ReadError / SourceNotFoundError for a source that cannot be read."""
    loaded = load_practice(read_sources(sources, read), mapping, popts)
    detections = {(d.sheet.file, d.sheet.sheet): d for d in loaded.detections}
    tables, ignored = [], []
    for t in loaded.inputs:
        d = detections.get((t.file, t.sheet))
        if t.kind == "ignored":
            ignored.append(IgnoredSheet(file=t.file, sheet=t.sheet, reason=t.note,
                                        closest=dict(d.closest) if d else {}))
        else:
            tables.append(TableFound(file=t.file, sheet=t.sheet, kind=t.kind, header_row=t.header_row,
                                     rows_read=t.rows_read, columns=dict(t.columns),
                                     unused=tuple(t.unused), readings=dict(d.readings) if d else {}))
    problems = [CellProblem(code=f.code, message=f.message, file=f.source.file, sheet=f.source.sheet,
                            row=f.source.row, column=f.source.column, cell=f.source.cell)
                for f in loaded.findings if f.code in PROBLEM_CODES]
    return SheetCheck(tuple(tables), tuple(ignored), tuple(problems), tuple(loaded.detections))


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def format_mapping(detections: Iterable[Detection]) -> str:
    """The decisions of one check as a mapping TOML (the format of tables/mapping.py), each
    column with how sure detection was, so that fixing a miss is one edit."""
    out = ["# Written by 'lotsync check --write-mapping'. Each column is read as the field on its",
           "# right; correct a line (or write \"ignore\") and run 'lotsync reconcile ... --mapping' with",
           "# this file. Fields: " + ", ".join(sorted(ALL_FIELDS)) + ".", ""]
    for d in detections:
        name = PurePath(d.sheet.file).name
        if d.kind is None:
            out += [f"# {name}{' › ' + d.sheet.sheet if d.sheet.sheet else ''}: not read ({d.note}).",
                    "# To read it, add a [[sheets]] entry with its kind, header_row and columns.", ""]
            continue
        out += ["[[sheets]]", f"file = {_toml_str(name)}"]
        if d.sheet.sheet:
            out.append(f"sheet = {_toml_str(d.sheet.sheet)}")
        out += [f"kind = {_toml_str(d.kind.value)}", f"header_row = {d.header_row}", "[sheets.columns]"]
        for f, r in d.readings.items():
            how = "mapping file" if r.by_mapping else f"{round(r.confidence * 100)}% sure" + (
                f", from {' '.join(r.words)}" if r.words else "")
            out.append(f"{_toml_str(r.header)} = {_toml_str(f)}  # {how}{' — WEAK GUESS' if r.weak else ''}")
        for h in d.unused:
            out.append(f"{_toml_str(h)} = \"ignore\"")
        out.append("")
    return "\n".join(out)
