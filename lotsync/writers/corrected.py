"""Corrected workbooks: the clinic's own files back, with the numbers fixed (`DIR/corrected/`).

For every input file that holds a table lotsync read and has something to correct or
annotate, one output in `DIR/corrected/`:

* **A copy** (`.xlsx`/`.xlsm` that openpyxl can carry over whole): the clinic's file, loaded
  with openpyxl (`rich_text=True`, `keep_vba=True` for `.xlsm`) and saved under the same
  name in `corrected/`. In it
  - every Remaining cell of an inventory table whose lot's `derived_remaining` differs from
    the sheet's by more than the tolerance holds the derived value, with a yellow fill and a
    comment ("was 64, derived 60: received 100, used 38, wasted 2; see the report");
  - a "Status" column (negative, depleted, expired, expiring, ok) and a "Use next" column
    ("USE NEXT" on the lot to use first for its product and location, FEFO) are added right
    of each inventory table, header in the table's header row;
  - every finding is a comment on its source cell (values untouched), and with
    `apply_lot_repairs` a visit's mistyped lot that SPEC's repair rule resolved to one lot
    holds that lot, with a comment holding what was typed;
  - nothing else changes: other tabs, formulas, styles, widths, frozen panes, validation,
    conditional formatting, defined names and macros are what openpyxl loaded. Cached
    formula results are dropped by openpyxl, so the copy asks Excel to recalculate on open
    (`fullCalcOnLoad`).
* **A change list** `<name>.changes.xlsx` (Sheet, Cell, Old, New, Why) instead of a copy
  when the file holds what openpyxl would lose (charts, images, shapes, pivot tables,
  slicers, sparklines and other Excel 2010+ extensions, form or ActiveX controls, embedded
  objects, threaded comments), or is a format it cannot edit (.xls, .xlsb, .ods, Google
  Sheets), or has more than `MAX_COPY_ROWS` rows in its tables (then the reason given is
  its size, and its sheets are not searched for such content): the corrections are listed
  for a person to make, and the output's note says so.
* **A corrected CSV** for CSV inputs (same delimiter, encoding and line ends), with the
  Remaining values fixed, the Status and Use next columns added and (with repairs) the lot
  fixed and the typed lot kept in an added "Lot as entered" column. Every text cell is
  formula-injection safe (`safe_text`). A CSV with no inventory table and no repair gets
  none: a CSV cannot hold comments, and its findings are in the report.

The Status and Use next columns go right of the rightmost non-empty cell of the table's
header and data rows; a copy corrected before (a "Status" column followed by "Use next")
has its own columns reused, and a clinic's own "Status" column is never written into.
Findings become comments errors first, at most `MAX_NOTES` a file (the rest: the report).
A Remaining cell's own comment replaces its REMAINING_MISMATCH note, and a repaired lot's
its UNKNOWN_LOT note.

Remaining rules (SPEC §1–§2 say remaining is in the row's unit, and a lot's receipts' values
add up; how to split a lot's balance among its receipts is lotsync's own rule):

* A lot is corrected only when |recorded − derived| > tolerance (the REMAINING_MISMATCH
  test, in units of use). Only receipt rows whose Remaining cell holds a value take part
  (a blank stays blank, as lotsync reads blanks as "not recorded").
* One receipt: its Remaining becomes the derived value.
* Several receipts: stock is used oldest receipt first (FIFO within the lot; receipts in
  the ledger's order: received date, then sheet order). So each later receipt keeps what
  of it is still on hand, filled newest first up to its own received quantity, and the
  oldest receipt takes the rest — including a shortfall (a negative value) or a surplus
  beyond what was received (counts, adjustments, transfers in). The corrected cells add
  up to the derived value, so reconciling the copy gives no REMAINING_MISMATCH; a cell
  already within tolerance of its share is left alone.
* Units: the value written is in the row's own unit: the share in units of use divided by
  the row's factor (units of use per row unit, from the catalog: a receipt in vials of 100
  units with 60 units left gets 0.6). A number cell gets a number; a text cell such as
  "64 vials" keeps its words ("60 vials").
* A Remaining cell that holds a formula is not overwritten (the clinic's formula is theirs):
  it gets the fill and a comment saying what lotsync derived.

`changed_cells` counts the existing cells whose value changed (Remaining values and lot
repairs); the added Status and Use next cells and the comments are not counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import warnings
import zipfile
from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from rapidfuzz.distance import Levenshtein

from lotsync.model import Finding, InventoryRow, Kind, TableRef, VisitRow
from lotsync.reconcile.catalog import Catalog, build_catalog
from lotsync.reconcile.lots import DIVISION, NO_DATE_ORD, ZERO
from lotsync.reconcile.result import LotResult, Result
from lotsync.readers.marks import mark_openpyxl
from lotsync.writers.safe import DANGEROUS_FIRST, atomic_output, atomic_path, safe_text, xml_text

__all__ = ["CorrectedOutput", "write_corrected", "unsupported_content", "plan_corrections"]

AUTHOR = "lotsync"
STATUS_HEADER = "Status"
USE_NEXT_HEADER = "Use next"
USE_NEXT_MARK = "USE NEXT"
ORIGINAL_LOT_HEADER = "Lot as entered"

CHANGED_FILL = "FFF2CC"  # light yellow: a value lotsync changed
STATUS_FILLS = {"negative": "F8CBAD", "expired": "F8CBAD", "expiring": "FFE699", "depleted": "D9D9D9"}
USE_NEXT_FILL = "C6EFCE"

#: Findings annotated per file, at most (errors first): a comment costs Excel a shape, and a
#: visit log with 100,000 missing lots is better read in the report than as comments.
MAX_NOTES = 5000

COPY_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}


@dataclass(frozen=True)
class CorrectedOutput:
    """One file written in `DIR/corrected/`."""

    source: str  # the input as the user named it
    path: Path
    kind: str  # "copy" | "changes" | "csv"
    changed_cells: int
    note: str | None = None


# --- the plan: what to change, independent of how it is written ------------------------


@dataclass
class Edit:
    """A cell whose value lotsync changes (or, for a formula cell, would change)."""

    sheet: str | None
    row: int
    col: int  # 1-based
    old: Any
    new: Decimal | str  # a number (Remaining), or text (a lot; a Remaining typed as "64 vials")
    why: str  # one line, for the change list
    comment: str  # the cell comment in a copy
    kind: str  # "remaining" | "lot"


@dataclass
class Added:
    """The Status and Use next cells of one inventory table (rows are 1-based sheet rows)."""

    table: TableRef
    status: dict[int, str] = field(default_factory=dict)
    use_next: set[int] = field(default_factory=set)
    original_lot: dict[int, str] = field(default_factory=dict)  # CSV repairs only


@dataclass
class FilePlan:
    file: str
    display: str
    tables: list[TableRef] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    notes: dict[tuple[str | None, int, int], list[str]] = field(default_factory=dict)
    added: list[Added] = field(default_factory=list)
    notes_left_out: int = 0  # findings over MAX_NOTES: in the report only

    @property
    def has_inventory(self) -> bool:
        return any(t.kind is Kind.INVENTORY for t in self.tables)

    @property
    def worth_writing(self) -> bool:
        return bool(self.has_inventory or self.edits or self.notes)


def _num(q: Decimal) -> str:
    """A quantity for a person: no exponent, no trailing zeros, at most 4 decimals."""
    if q == q.to_integral_value():
        return f"{q.to_integral_value():f}"
    s = f"{q.quantize(Decimal('0.0001')):f}".rstrip("0").rstrip(".")
    return s


def _cell_number(q: Decimal) -> int | float:
    """A spreadsheet number (Excel keeps 15 significant digits anyway)."""
    return int(q) if q == q.to_integral_value() else float(q)


def _exact_text(q: Decimal) -> str:
    """A quantity as text that reads back as (nearly) the same Decimal: no exponent, up to 10
    decimals, no trailing zeros."""
    if q == q.to_integral_value():
        return f"{q.to_integral_value():f}"
    return f"{q.quantize(Decimal('1e-10')):f}".rstrip("0").rstrip(".")


def _unit_word(unit: str | None, q: Decimal | None = None) -> str:
    """" vials", " vial", " units", " mL": the row's unit after a quantity."""
    if not unit:
        return ""
    if unit in ("syringe", "vial", "box") and (q is None or abs(q) != 1):
        return f" {unit}es" if unit == "box" else f" {unit}s"
    return f" {unit}"


def _ledger_text(lot: LotResult) -> str:
    """Where the derived balance comes from, in a manager's words: "received 100 units, used
    38 in visits (18 of them inferred), wasted 2"."""
    parts = [f"received {_num(lot.received)}{_unit_word(lot.unit, lot.received)}"]
    if lot.transferred_in:
        parts.append(f"transferred in {_num(lot.transferred_in)}")
    if lot.used:
        used = f"used {_num(lot.used)} in visits"
        if lot.used_inferred:
            used += f" ({_num(lot.used_inferred)} of them inferred)"
        parts.append(used)
    for label, q in (("wasted", lot.wasted), ("written off as expired", lot.expired_out),
                     ("returned", lot.returned), ("transferred out", lot.transferred_out)):
        if q:
            parts.append(f"{label} {_num(q)}")
    if lot.adjusted:
        parts.append(f"adjusted {'+' if lot.adjusted > 0 else ''}{_num(lot.adjusted)}")
    if lot.count_variance:
        parts.append(f"counts changed it by {'+' if lot.count_variance > 0 else ''}{_num(lot.count_variance)}")
    return ", ".join(parts)


def _finding_text(f: Finding) -> str:
    text = f"lotsync {f.code} ({f.severity.value}): {f.message}"
    if f.suggestion:
        text += f"\n→ {f.suggestion}"
    return text


def _sheet_key(file: str, sheet: str | None) -> tuple[str, str | None]:
    return (file, sheet)


class _Receipt:
    __slots__ = ("row", "factor", "qty_use", "rem_use", "order")

    def __init__(self, row: InventoryRow, factor: Decimal, order: int) -> None:
        self.row = row
        self.factor = factor
        self.qty_use = row.quantity * factor
        self.rem_use = row.remaining * factor if row.remaining is not None else None
        self.order = order


def _split_remaining(derived: Decimal, receipts: list[_Receipt]) -> list[Decimal]:
    """Each receipt's share of `derived` (units of use): used oldest first, so later
    receipts keep up to their own quantity, filled newest first; the oldest takes the rest
    (a shortfall or a surplus included). `receipts` are oldest first."""
    shares = [ZERO] * len(receipts)
    left = derived
    for i in range(len(receipts) - 1, 0, -1):
        give = min(max(left, ZERO), receipts[i].qty_use)
        shares[i] = give
        left -= give
    shares[0] = left
    return shares


def _raw_cell(table: TableRef, row: int, col0: int) -> Any:
    cells = table.cells or []
    if row - 1 < len(cells):
        r = cells[row - 1]
        if col0 < len(r):
            return r[col0]
    return None


def _near_keys(key: str, keys: Iterable[str]) -> list[str]:
    return sorted(k for k in keys if Levenshtein.distance(key, k, score_cutoff=2) <= 2)


def plan_corrections(result: Result, loaded, apply_lot_repairs: bool = False) -> dict[str, FilePlan]:
    """What to change in each input file (pure: reads `result` and `loaded`, writes nothing)."""
    tol = result.options.tolerance
    cat: Catalog = build_catalog(loaded.practice)
    plans: dict[str, FilePlan] = {}
    table_of: dict[tuple[str, str | None], TableRef] = {}
    for pt in loaded.tables:
        t = pt.table
        fp = plans.setdefault(t.file, FilePlan(t.file, t.display_file or t.file))
        fp.tables.append(t)
        table_of.setdefault(_sheet_key(t.file, t.sheet), t)

    # lots by identity (LotResult.product is the catalog's name for the product)
    lot_of: dict[tuple[str, str, str], LotResult] = {
        (l.product, l.lot_key, l.location): l for l in result.lots if not l.created_by_transfer}
    use_next = {(u.product, u.location, u.lot) for u in result.fefo_next}

    # receipts grouped by lot, in the ledger's order (received date, then input order)
    by_lot: dict[tuple[str, str, str], list[_Receipt]] = defaultdict(list)
    keys_of_product: dict[str, set[str]] = defaultdict(set)
    for order, row in enumerate(loaded.practice.inventory):
        pk = cat.resolve(row.product)
        f = cat.factor(pk, row.unit)
        if f is None:
            continue  # UNKNOWN_UNIT: the row is in no lot
        keys_of_product[pk].add(row.lot_key)
        by_lot[(cat.info(pk).name, row.lot_key, row.location)].append(_Receipt(row, f, order))

    added: dict[int, Added] = {}  # id(table) -> Added
    corrected_lots: set[tuple[str, str, str]] = set()
    edited_cells: set[tuple[str, str | None, int, int]] = set()
    for ident, receipts in by_lot.items():
        lot = lot_of.get(ident)
        if lot is None:
            continue
        receipts.sort(key=lambda r: (r.row.received_date.toordinal() if r.row.received_date
                                     else NO_DATE_ORD, r.order))
        for r in receipts:
            t = r.row.ref.table
            a = added.get(id(t))
            if a is None:
                a = added[id(t)] = Added(t)
            a.status[r.row.ref.row] = lot.status
        with_rem = [r for r in receipts if r.rem_use is not None]
        fix = lot.variance is not None and abs(lot.variance) > tol and bool(with_rem)
        shares = _split_remaining(lot.derived_remaining, with_rem) if fix else [r.rem_use for r in with_rem]
        if (lot.product, lot.location, lot.lot) in use_next:
            # the lot's rows, less receipts of a several-receipt lot that have nothing left
            left = {id(r): s for r, s in zip(with_rem, shares)}
            rows = [r for r in receipts if len(receipts) == 1 or id(r) not in left or left[id(r)] > tol]
            for r in rows or receipts[:1]:
                added[id(r.row.ref.table)].use_next.add(r.row.ref.row)
        if not fix:
            continue
        corrected_lots.add(ident)
        many = len(with_rem) > 1
        for r, share in zip(with_rem, shares):
            if abs(share - r.rem_use) <= tol:
                continue
            t = r.row.ref.table
            col = t.columns["remaining"]
            new_row_unit = share if r.factor == 1 else DIVISION.divide(share, r.factor)
            old_raw = _raw_cell(t, r.row.ref.row, col.index)
            old_txt = _num(r.row.remaining) + _unit_word(r.row.unit, r.row.remaining)
            new_txt = _num(new_row_unit) + _unit_word(r.row.unit, new_row_unit)
            if r.factor != 1:
                new_txt += f" ({_num(share)}{_unit_word(lot.unit, share)})"
            if many:
                why = (f"lot {lot.lot} has {len(with_rem)} receipts and the logs leave "
                       f"{_num(lot.derived_remaining)}{_unit_word(lot.unit, lot.derived_remaining)} "
                       f"in all ({_ledger_text(lot)}); stock is used oldest receipt first, so this "
                       f"receipt has {new_txt} left")
                comment = f"lotsync: was {old_txt}, now {_num(new_row_unit)}: {why}."
            else:
                why = f"lot {lot.lot}: {_ledger_text(lot)}"
                comment = f"lotsync: was {old_txt}, derived {new_txt}: {_ledger_text(lot)}."
            comment += " See the report (REMAINING_MISMATCH)."
            fp = plans[t.file]
            fp.edits.append(Edit(t.sheet, r.row.ref.row, col.index + 1, old_raw,
                                 _new_value(old_raw, new_row_unit), f"Remaining {old_txt} → {new_txt}: {why}",
                                 comment, "remaining"))
            edited_cells.add((t.file, t.sheet, r.row.ref.row, col.index + 1))
    for a in added.values():
        plans[a.table.file].added.append(a)

    # lot repairs (SPEC §2 rule 1): a visit's UNKNOWN_LOT with exactly one near key
    if apply_lot_repairs and result.options.infer_lots:
        visits_at: dict[tuple[str, str | None, int], VisitRow] = {}
        wanted = {(f.source.file, f.source.sheet, f.source.row) for f in result.findings
                  if f.code == "UNKNOWN_LOT" and f.source.row is not None}
        if wanted:
            for v in loaded.practice.visits:
                k = (v.ref.table.file, v.ref.table.sheet, v.ref.row)
                if k in wanted:
                    visits_at[k] = v
        display: dict[tuple[str, str], list[LotResult]] = defaultdict(list)
        for l in result.lots:
            display[(l.product, l.lot_key)].append(l)
        for f in result.findings:
            if f.code != "UNKNOWN_LOT" or f.source.row is None:
                continue
            k = (f.source.file, f.source.sheet, f.source.row)
            v = visits_at.get(k)
            if v is None or v.lot_key is None or "lot" not in v.ref.table.columns:
                continue
            pk = cat.resolve(v.product)
            near = _near_keys(v.lot_key, keys_of_product.get(pk, ()))
            if len(near) != 1:
                continue
            name = cat.info(pk).name
            cands = display.get((name, near[0]))
            if not cands:
                continue
            own = [l for l in cands if l.location == v.location]
            target = (own or cands)[0]
            t = v.ref.table
            col = t.columns["lot"]
            old_raw = _raw_cell(t, v.ref.row, col.index)
            comment = (f"lotsync: the lot was entered as '{old_raw}'. No lot {v.lot} of {name} was "
                       f"received; {target.lot} is the only lot of {name} within two typing "
                       f"errors of it, so lotsync took this treatment from lot {target.lot} "
                       "(lotsync's rule for mistyped lots). See the report (UNKNOWN_LOT).")
            plans[t.file].edits.append(Edit(
                t.sheet, v.ref.row, col.index + 1, old_raw, target.lot,
                f"lot typed '{old_raw}' is not in the inventory; {target.lot} is the only lot of "
                f"{name} within two typing errors", comment, "lot"))
            edited_cells.add((t.file, t.sheet, v.ref.row, col.index + 1))
            a = next((x for x in plans[t.file].added if x.table is t), None)
            if a is None:
                a = Added(t)
                plans[t.file].added.append(a)
            a.original_lot[v.ref.row] = "" if old_raw is None else str(old_raw)

    # findings as notes on their cells
    key_of = {(l.product, l.lot, l.location): (l.product, l.lot_key, l.location) for l in result.lots}
    noted: dict[str, int] = defaultdict(int)
    for f in result.findings:
        s = f.source
        if s.row is None or s.file not in plans:
            continue
        t = table_of.get(_sheet_key(s.file, s.sheet))
        if f.code == "REMAINING_MISMATCH" and key_of.get((f.product, f.lot, f.location or "")) in corrected_lots:
            continue  # the corrected cells say it, with the split
        if s.cell:
            row, col = coordinate_to_tuple(s.cell)
        elif t is not None and t.columns:
            row, col = s.row, min(c.index for c in t.columns.values()) + 1
        else:
            continue
        if (s.file, s.sheet, row, col) in edited_cells:
            if f.code in ("UNKNOWN_LOT", "REMAINING_MISMATCH"):
                continue  # the edit's own comment explains it
        fp = plans[s.file]
        if noted[s.file] >= MAX_NOTES:  # findings come errors first (SPEC §4 order)
            fp.notes_left_out += 1
            continue
        noted[s.file] += 1
        fp.notes.setdefault((s.sheet, row, col), []).append(_finding_text(f))
    return plans


def _new_value(old: Any, new: Decimal) -> Decimal | str:
    """The value to write: a number, or for a text cell that holds a number and words ("64
    vials") the text with its number replaced ("60 vials")."""
    if isinstance(old, str):
        m = re.search(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+", old)
        if m and old[m.end():].strip() and not old[:m.start()].strip():
            return old[:m.start()] + _exact_text(new) + old[m.end():]
    return new


# --- what openpyxl cannot carry over -------------------------------------------------------

_DRAWING_PARTS = {
    "pic": "image", "sp": "shape", "grpSp": "group of shapes", "cxnSp": "connector",
    "graphicFrame": None,  # charts (counted from xl/charts/) or SmartArt
    "contentPart": "ink drawing",
}


def unsupported_content(path: str | Path) -> list[str]:
    """What in this .xlsx/.xlsm an openpyxl load→save would lose, in words ("2 charts",
    "an image", "sparklines or other Excel 2010+ features on sheet 'Log'"); [] when none."""
    found: list[str] = []
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return ["content that is not a readable zip package"]
    with zf:
        names = zf.namelist()

        def count(prefix: str, pattern: str = "") -> int:
            return sum(1 for n in names if n.startswith(prefix) and re.search(pattern, n[len(prefix):]))

        def say(n: int, one: str, many: str) -> None:
            if n:
                found.append(one if n == 1 else f"{n} {many}")

        say(count("xl/charts/", r"^chart(Ex)?\d*\.xml$"), "a chart", "charts")
        say(count("xl/chartsheets/", r"\.xml$"), "a chart sheet", "chart sheets")
        shapes: dict[str, int] = defaultdict(int)
        for n in names:
            if re.match(r"xl/drawings/drawing\d*\.xml$", n):
                xml = zf.read(n)
                for tag, what in _DRAWING_PARTS.items():
                    k = len(re.findall(rb"<(?:\w+:)?" + tag.encode() + rb"[\s>/]", xml))
                    if k and what:
                        shapes[what] += k
                if b"/diagram" in xml:
                    shapes["SmartArt diagram"] += 1
        for what, k in shapes.items():
            say(k, f"an {what}" if what[0] in "aeiou" else f"a {what}", f"{what}s")
        say(count("xl/pivotTables/", r"\.xml$"), "a pivot table", "pivot tables")
        if not any(n.startswith("xl/pivotTables/") for n in names):
            say(count("xl/pivotCache/", r"Definition\d*\.xml$"), "a pivot cache", "pivot caches")
        say(count("xl/slicers/", r"\.xml$"), "a slicer", "slicers")
        say(count("xl/timelines/", r"\.xml$"), "a timeline", "timelines")
        say(count("xl/activeX/", r"\.xml$"), "an ActiveX control", "ActiveX controls")
        say(count("xl/ctrlProps/", r"\.xml$"), "a form control", "form controls")
        say(count("xl/embeddings/", ""), "an embedded object", "embedded objects")
        say(count("xl/threadedComments/", r"\.xml$"), "threaded comments", "threaded comments")
        say(count("xl/richData/", r"\.xml$") and 1, "pictures in cells or linked data types",
            "pictures in cells or linked data types")
        say(count("xl/model/", "") and 1, "a data model (Power Pivot)", "data models")
        say(count("customUI/", "") and 1 if "xl/vbaProject.bin" not in names else 0,
            "a custom ribbon", "custom ribbons")
        sheet_names = _sheet_names(zf, names)
        for n in names:
            if re.match(r"xl/worksheets/sheet\d*\.xml$", n):
                xml = zf.read(n)
                if b"extLst" in xml and re.search(rb"<(?:\w+:)?extLst[\s>]", xml):
                    what = ("sparklines" if b"sparklineGroup" in xml else
                            "data bars, icon sets or conditional formats of Excel 2010+"
                            if b"conditionalFormatting" in xml.split(b"extLst", 1)[1] else
                            "data validation of Excel 2010+" if b"dataValidation" in xml.split(b"extLst", 1)[1]
                            else "Excel 2010+ extensions")
                    found.append(f"{what} on sheet '{sheet_names.get(n, n)}'")
    return found


def _sheet_names(zf: zipfile.ZipFile, names: list[str]) -> dict[str, str]:
    """Worksheet part -> tab name (best effort)."""
    try:
        wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    target = {m.group(1): m.group(2) for m in re.finditer(
        r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    target.update({m.group(2): m.group(1) for m in re.finditer(
        r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r'<(?:\w+:)?sheet\b([^>]*)/?>', wb):
        attrs = m.group(1)
        nm = re.search(r'\bname="([^"]*)"', attrs)
        rid = re.search(r'\b\w+:id="([^"]*)"', attrs)
        if nm and rid and rid.group(1) in target:
            tgt = target[rid.group(1)].lstrip("/")
            part = tgt if tgt.startswith("xl/") else f"xl/{tgt}"
            out[part] = _xml_unescape(nm.group(1))
    return out


def _xml_unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


class _CannotCopy(Exception):
    """The file cannot be copied faithfully: write a change list (message says why)."""


# --- writing ------------------------------------------------------------------------------


#: Above this many rows a workbook gets a change list instead of a formatted copy.
MAX_COPY_ROWS = 60_000


def write_corrected(result: Result, loaded, out_dir: Path,
                    apply_lot_repairs: bool = False, final_dir: Path | None = None) -> list[CorrectedOutput]:
    """Write `out_dir/corrected/…` for every input file with something to correct or say
    (see the module doc). Inputs are only read; every output is written to a temporary file
    and renamed into place. `final_dir`: where `out_dir`'s files finally land when
    `out_dir` is a staging folder (a name that is an input's there gets " (2)")."""
    out = Path(out_dir) / "corrected"
    shown = Path(final_dir or out_dir) / "corrected"
    plans = plan_corrections(result, loaded, apply_lot_repairs)
    inputs = set()
    for f in plans:
        try:
            inputs.add(Path(f).resolve())
        except OSError:
            pass
    used: set[str] = set()
    outputs: list[CorrectedOutput] = []
    for file, fp in plans.items():
        if not fp.worth_writing:
            continue
        src = Path(file)
        is_local = not file.startswith(("gsheet://", "https://")) and src.is_file()
        suffix = src.suffix.lower() if is_local else ""
        kind = _file_kind(src) if is_local else "other"
        if kind == "csv":
            if not (fp.has_inventory or fp.edits):
                continue  # a CSV cannot hold comments: findings are in the report
            target = _unique(out, src.name, used, inputs, shown)
            try:
                n, note = _write_csv(src, target, fp)
                outputs.append(CorrectedOutput(file, target, "csv", n, note))
                continue
            except _CannotCopy as e:
                used.discard(target.name.casefold())
                reason = str(e)
        elif kind == "xlsx" and suffix in COPY_SUFFIXES:
            rows = sum(len(t.cells or ()) for t in fp.tables)
            # Size first: a workbook too big to copy gets the change list whatever else it
            # holds, so its sheets are not decompressed and searched (a million-row sheet
            # is half a gigabyte of XML) for content that would stop a copy never made.
            lost = unsupported_content(src) if rows <= MAX_COPY_ROWS else []
            if suffix == ".xlsx" and _has_vba(src):
                lost.append("macros in a file named .xlsx")
            reason = ""
            if not lost and rows > MAX_COPY_ROWS:
                # openpyxl copies a workbook cell by cell: about 25 s and 300 MB per 50,000
                # rows (NOTES.md); a change list says the same in a second
                reason = (f"it has {rows:,} rows, more than lotsync copies cell by cell "
                          f"({MAX_COPY_ROWS:,})")
            elif not lost:
                target = _unique(out, src.name, used, inputs, shown)
                try:
                    n, note = _write_copy(src, target, fp)
                    outputs.append(CorrectedOutput(file, target, "copy", n, _join(note, _left_out(fp))))
                    continue
                except _CannotCopy as e:
                    used.discard(target.name.casefold())
                    reason = str(e)
            else:
                reason = f"it holds {_and(lost)}, which lotsync cannot carry over into a copy"
        elif not is_local:
            reason = ("it is not a file on this computer (a Google Sheet is not edited here)"
                      if file.startswith(("gsheet://", "https://docs.google.com/")) else
                      "it is not a file on this computer")
        elif kind == "strict":
            reason = "it is a Strict Open XML workbook, which lotsync cannot copy faithfully"
        else:
            what = {"xls": "an .xls workbook", "xlsb": "an .xlsb workbook", "ods": "an OpenDocument spreadsheet"}
            reason = (f"lotsync writes corrected copies of .xlsx, .xlsm and CSV files only, and this is "
                      f"{what.get(kind, 'none of them')}")
        stem = _safe_stem(src.stem if is_local else fp.display)
        target = _unique(out, f"{stem}.changes.xlsx", used, inputs, shown)
        n = _write_changes(target, fp, reason, file)
        notes = sum(len(v) for v in fp.notes.values())
        note = (f"{Path(fp.display).name}: no corrected copy, because {reason}; the corrections "
                f"to make by hand ({n} changed value{'s' if n != 1 else ''}"
                + (", the Status and Use next columns" if fp.has_inventory else "")
                + f", {notes} note{'s' if notes != 1 else ''}) are listed in corrected/{target.name}")
        outputs.append(CorrectedOutput(file, target, "changes", n, _join(note, _left_out(fp))))
    return outputs


def _left_out(fp: FilePlan) -> str | None:
    if not fp.notes_left_out:
        return None
    return (f"{fp.notes_left_out} more finding{'s' if fp.notes_left_out != 1 else ''} in "
            f"{Path(fp.display).name} are in the report only (comments stop at {MAX_NOTES:,} a file)")


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _file_kind(src: Path) -> str:
    """What the file is ("xlsx", "strict", "xls", "csv", ...), as the reader's preflight says.

    A zip package's kind is in its directory and two small parts (`_zip_kind`): the full
    preflight would inflate and scan every sheet again (2.5 s for a million-row workbook)
    to vet a file the reader's own preflight vetted earlier in this run."""
    try:
        from lotsync.readers import preflight
        with open(src, "rb") as fh:
            head = fh.read(8)
        if head.startswith(preflight._ZIP_MAGICS):
            kind = _zip_kind(src)
            if kind is not None:
                return kind
        pf = preflight.check(src)
        if pf.kind == "xlsx" and getattr(pf, "strict", False):
            return "strict"
        return pf.kind
    except Exception:  # the reader read it once; fall back on the name
        sfx = src.suffix.lower()
        return ("xlsx" if sfx in COPY_SUFFIXES else "csv" if sfx in CSV_SUFFIXES else sfx.lstrip("."))


_SMALL_PART = 16 << 20  # bytes: a package's .rels, workbook part or mimetype is far smaller


def _zip_kind(src: Path) -> str | None:
    """"xlsx", "strict", "xlsb" or "ods" for a zip package, by the preflight's own rule
    (`preflight._zip_kind`) on its parts; None when it cannot say (the full check decides)."""
    from lotsync.readers import preflight
    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            by_name = {i.filename: i for i in infos}
            lower = {n.lower(): n for n in names}

            def find(part: str):
                part = part.lstrip("/")
                return by_name.get(part) or by_name.get(lower.get(part.lower(), ""))

            def small(part: str) -> bytes | None:
                info = find(part)
                if info is None:
                    return None
                with zf.open(info) as fh:
                    return fh.read(_SMALL_PART)

            kind, wb_part = preflight._zip_kind(small, find, names, src.name)
            if kind == "xlsx" and preflight._STRICT_NS in (small(wb_part) or b""):
                return "strict"
            return kind
    except Exception:  # noqa: BLE001 - damaged, or the preflight's helpers changed
        return None


def _has_vba(src: Path) -> bool:
    try:
        with zipfile.ZipFile(src) as zf:
            return "xl/vbaProject.bin" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _safe_stem(name: str) -> str:
    """A file-name stem from a name a person gave (a file's stem, a Google Sheet's title)."""
    s = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .")
    return s[:100] or "sheet"


def _unique(out: Path, name: str, used: set[str], inputs: set[Path], shown: Path | None = None) -> Path:
    """`out/name`, renamed "name (2).ext" when another output or an input has that path
    (in `shown`, the folder the file finally lands in, when `out` is a staging folder)."""
    p = Path(name)
    cand, i = name, 1
    while cand.casefold() in used or _is_input((shown or out) / cand, inputs):
        i += 1
        cand = f"{p.stem} ({i}){p.suffix}" if not name.endswith(".changes.xlsx") else \
            f"{name[:-len('.changes.xlsx')]} ({i}).changes.xlsx"
    used.add(cand.casefold())
    return out / cand


def _is_input(p: Path, inputs: set[Path]) -> bool:
    try:
        return p.resolve() in inputs
    except OSError:
        return False


def _free_columns(rows: Iterable[tuple[int, int]], header_row: int, header_cells: dict[int, Any]) -> tuple[int, int]:
    """(Status column, Use next column), 1-based: a "Status" column followed by a "Use next"
    column in the header row (lotsync's own, in a copy corrected before) is reused; else the
    two columns right of the rightmost non-empty cell of the header and data rows. A
    clinic's own "Status" column is never written into."""
    for c, v in sorted(header_cells.items()):
        if (isinstance(v, str) and v.strip() == STATUS_HEADER
                and str(header_cells.get(c + 1) or "").strip() == USE_NEXT_HEADER):
            return c, c + 1
    last = 0
    for r, c in rows:
        if r >= header_row and c > last:
            last = c
    return last + 1, last + 2


def _xlsx_text(cell, text: str) -> None:
    """Write `text` as text, never as a formula (OWASP CSV injection, CWE-1236), with any
    character XML cannot hold shown as a control picture (`xml_text`)."""
    if isinstance(text, str):
        text = xml_text(text)
    cell.value = text
    if isinstance(text, str) and (cell.data_type == "f" or text.startswith(DANGEROUS_FIRST)):
        cell.data_type = "s"
        cell.quotePrefix = True


def _add_comment(cell, text: str) -> None:
    if isinstance(cell, MergedCell):
        return
    old = cell.comment
    if old is not None and old.text:
        text = f"{old.text.rstrip()}\n\n{text}"
        author = old.author or AUTHOR
    else:
        author = AUTHOR
    text = xml_text(text)
    lines = sum(1 + len(line) // 48 for line in text.splitlines())
    cell.comment = Comment(text, author, height=min(600, 20 + 15 * lines), width=340)


def _anchor(ws, row: int, col: int):
    """The cell a note for (row, col) goes on: the top-left cell of a merged range."""
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def _write_copy(src: Path, target: Path, fp: FilePlan) -> tuple[int, str | None]:
    keep_vba = src.suffix.lower() == ".xlsm"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wb = load_workbook(src, keep_vba=keep_vba, rich_text=True, keep_links=True)
        except Exception as e:  # noqa: BLE001 - anything openpyxl cannot load goes the list path
            raise _CannotCopy(f"openpyxl could not open it ({type(e).__name__})") from None
    lossy = sorted({str(w.message) for w in caught
                    if re.search(r"not supported|will be removed|cannot be read|dropped|lost",
                                 str(w.message), re.I)})
    if lossy:
        raise _CannotCopy(f"openpyxl would drop part of it ({lossy[0].rstrip('.')})")
    if not wb.worksheets:
        raise _CannotCopy("openpyxl finds no sheets in it (a Strict Open XML file?)")
    sheets = {ws.title: ws for ws in wb.worksheets}
    changed = 0
    formulas = 0
    fill = PatternFill("solid", fgColor=CHANGED_FILL)
    for a in fp.added:  # first: the new cells copy their neighbours' look before any edit
        ws = sheets.get(a.table.sheet)
        if ws is None or a.table.kind is not Kind.INVENTORY:
            continue
        _add_status_columns(ws, a)
    for e in fp.edits:
        ws = sheets.get(e.sheet)
        if ws is None:
            continue
        cell = _anchor(ws, e.row, e.col)
        if cell.data_type == "f":  # also ArrayFormula / DataTableFormula values
            formulas += 1
            _add_comment(cell, e.comment.replace("lotsync: was", "lotsync (this cell is a formula, "
                                                 "left as it is; fix its inputs): was", 1))
            cell.fill = fill
            continue
        if isinstance(e.new, str):
            _xlsx_text(cell, e.new)
        else:
            cell.value = _cell_number(e.new)
        cell.fill = fill
        _add_comment(cell, e.comment)
        changed += 1
    for (sheet, row, col), texts in fp.notes.items():
        ws = sheets.get(sheet)
        if ws is None:
            continue
        _add_comment(_anchor(ws, row, col), "\n\n".join(texts))
    if wb.calculation is None:  # <calcPr> is optional: a valid workbook may have none
        from openpyxl.workbook.properties import CalcProperties
        wb.calculation = CalcProperties()
    wb.calculation.fullCalcOnLoad = True
    mark_openpyxl(wb)  # skipped as a source until a person saves it as their own
    try:
        with atomic_path(target) as tmp:
            wb.save(tmp)
    finally:
        if getattr(wb, "vba_archive", None) is not None:
            wb.vba_archive.close()
    note = None
    if formulas:
        note = (f"{formulas} Remaining cell{'s' if formulas != 1 else ''} in {src.name} "
                f"hold{'s' if formulas == 1 else ''} a formula and {'was' if formulas == 1 else 'were'} "
                "left as is, with a comment giving the derived value")
    return changed, note


def _add_status_columns(ws, a: Added) -> None:
    t = a.table
    hr = t.header_row
    occupied = ((r, c) for (r, c), cell in ws._cells.items() if cell.value is not None)
    header_cells = {c: ws._cells[(hr, c)].value for (r, c) in list(ws._cells) if r == hr}
    s_col, u_col = _free_columns(occupied, hr, header_cells)
    left = max(1, s_col - 1)  # the neighbour whose look the new cells take
    head_src = ws.cell(row=hr, column=left)
    for col, title, width in ((s_col, STATUS_HEADER, 11), (u_col, USE_NEXT_HEADER, 10)):
        h = ws.cell(row=hr, column=col)
        if h.value != title:
            h.value = title
            _copy_look(head_src, h)
        letter = get_column_letter(col)
        dim = ws.column_dimensions[letter]
        if not dim.customWidth:
            dim.width = width
    looks = _Looks()
    status_fills = _StyleIds(lambda c, status: setattr(c, "fill", PatternFill("solid", fgColor=STATUS_FILLS[status])))
    use_next_look = _StyleIds(lambda c, _: (setattr(c, "fill", PatternFill("solid", fgColor=USE_NEXT_FILL)),
                                            setattr(c, "font", Font(bold=True))))
    for row, status in a.status.items():
        c = ws.cell(row=row, column=s_col)
        c.value = status
        src = ws.cell(row=row, column=left)
        looks.copy(src, c)
        if status in STATUS_FILLS:
            status_fills.apply(c, status)
        u = ws.cell(row=row, column=u_col)
        looks.copy(src, u)
        if row in a.use_next:
            u.value = USE_NEXT_MARK
            use_next_look.apply(u, None)
        elif u.value is not None:
            u.value = None


def _copy_look(src, dst) -> None:
    """Font, border, fill and alignment of a neighbouring cell (not its number format)."""
    if isinstance(src, MergedCell) or isinstance(dst, MergedCell):
        return
    if src.has_style:
        dst.font = copy(src.font)
        dst.border = copy(src.border)
        dst.fill = copy(src.fill)
        dst.alignment = copy(src.alignment)


_LOOK_IDS = ("fontId", "borderId", "fillId", "alignmentId")


class _Looks:
    """`_copy_look` for a column of cells: each distinct look of a source cell is copied
    through openpyxl once; later cells get the style indexes that copy found (openpyxl
    gives a copied font, border, fill or alignment the index of the first equal one, so
    the ids are the same). Ten thousand status cells cost hundreds of milliseconds of
    style objects copied, hashed and looked up otherwise."""

    def __init__(self) -> None:
        self.ids: dict[tuple[int, ...], tuple[int, ...]] = {}

    def copy(self, src, dst) -> None:
        if isinstance(src, MergedCell) or isinstance(dst, MergedCell) or not src.has_style:
            return
        s = src._style
        key = tuple(getattr(s, k) for k in _LOOK_IDS)
        ids = self.ids.get(key)
        if ids is None:
            _copy_look(src, dst)
            self.ids[key] = tuple(getattr(dst._style, k) for k in _LOOK_IDS)
            return
        d = _style_array(dst)
        for k, v in zip(_LOOK_IDS, ids):
            setattr(d, k, v)


class _StyleIds:
    """A style change made through openpyxl once per key (a status's fill), then repeated
    by copying the style indexes it set (as `_Looks`)."""

    def __init__(self, make) -> None:
        self.make = make
        self.ids: dict[Any, tuple[int, ...]] = {}

    def apply(self, cell, key) -> None:
        if isinstance(cell, MergedCell):
            self.make(cell, key)  # openpyxl's own error, as before
            return
        before = tuple(getattr(_style_array(cell), k) for k in _LOOK_IDS)
        done = self.ids.get((key, before))
        if done is None:
            self.make(cell, key)
            self.ids[(key, before)] = tuple(getattr(cell._style, k) for k in _LOOK_IDS)
            return
        d = _style_array(cell)
        for k, v in zip(_LOOK_IDS, done):
            setattr(d, k, v)


def _style_array(cell):
    """The cell's own style indexes (made as openpyxl's style setters make them)."""
    if not getattr(cell, "_style"):
        cell._style = StyleArray()
    return cell._style


# --- CSV ----------------------------------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d[\d,]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def _csv_safe(v: Any) -> str:
    if v is None:
        return ""
    s = str(v)
    if s and _PLAIN_NUMBER.match(s) and any(ch.isdigit() for ch in s):
        return s  # a number written as a number ("-5" is a quantity, not a formula)
    return safe_text(s)


def _csv_format(src: Path) -> tuple[str, str, str, bool]:
    """(encoding, delimiter, line end, gzip) as lotsync's CSV reader decided them."""
    enc, delim, gz = "utf-8", ",", False
    sample = ""
    try:
        from lotsync.readers import csvfile, preflight
        pf = preflight.check(src)
        gz = bool(pf.gzip)
        if gz:
            import gzip

            def opener():
                return gzip.open(pf.path, "rb")
        else:
            def opener():
                return open(pf.path, "rb")
        enc = csvfile._choose_encoding(pf, opener)[0]
        sample = csvfile._sample(opener, enc)
        delim = csvfile._sniff(sample)
    except Exception:  # noqa: BLE001 - fall back on plain UTF-8 with commas
        raw = src.read_bytes()[:65536]
        if raw.startswith(b"\xef\xbb\xbf"):
            enc = "utf-8-sig"
        sample = raw.decode(enc, "replace")
        delim = "\t" if src.suffix.lower() == ".tsv" else ","
    if enc == "utf-8" and not gz and src.read_bytes()[:3] == b"\xef\xbb\xbf":
        enc = "utf-8-sig"
    newline = "\r\n" if "\r\n" in sample else ("\r" if "\r" in sample and "\n" not in sample else "\n")
    return enc, delim, newline, gz


def _write_csv(src: Path, target: Path, fp: FilePlan) -> tuple[int, str | None]:
    if len(fp.tables) != 1 or fp.tables[0].cells is None:
        raise _CannotCopy("its rows could not be matched to the table lotsync read")
    t = fp.tables[0]
    rows: list[list[Any]] = [list(r) for r in t.cells]
    enc, delim, newline, gz = _csv_format(src)
    changed = 0
    for e in fp.edits:
        r = rows[e.row - 1]
        while len(r) < e.col:
            r.append(None)
        r[e.col - 1] = e.new if isinstance(e.new, str) else _exact_text(e.new)
        changed += 1
    for a in fp.added:
        hr = a.table.header_row
        header = rows[hr - 1]
        if a.table.kind is Kind.INVENTORY:
            occupied = ((i + 1, j + 1) for i, r in enumerate(rows) for j, v in enumerate(r)
                        if v is not None and str(v) != "")
            s_col, u_col = _free_columns(occupied, hr, {j + 1: v for j, v in enumerate(header)})
            extra = [(s_col, STATUS_HEADER, a.status), (u_col, USE_NEXT_HEADER,
                                                        {r: USE_NEXT_MARK for r in a.use_next})]
        else:
            extra = []
        if a.original_lot:
            occupied = ((i + 1, j + 1) for i, r in enumerate(rows) for j, v in enumerate(r)
                        if v is not None and str(v) != "")
            o_col = _free_columns(occupied, hr, {})[0]
            if extra:
                o_col = max(o_col, max(c for c, _, _ in extra) + 1)
            extra.append((o_col, ORIGINAL_LOT_HEADER, a.original_lot))
        for col, title, values in extra:
            for rownum in [hr, *range(hr + 1, len(rows) + 1)]:
                r = rows[rownum - 1]
                value = title if rownum == hr else values.get(rownum)
                if value is None and len(r) < col:
                    continue
                while len(r) < col:
                    r.append(None)
                if value is None:  # a row that is no lot: only a stale marker goes
                    value = None if r[col - 1] == USE_NEXT_MARK else r[col - 1]
                r[col - 1] = value
        if extra:  # lot rows run to the last added column (no ragged ends)
            width = max(c for c, _, _ in extra)
            for rownum in a.status:
                r = rows[rownum - 1]
                r.extend([None] * (width - len(r)))
    errors = "strict" if enc.startswith("utf") else "replace"
    with atomic_output(target, "w", encoding=enc, errors=errors, newline="") as fh:
        w = csv.writer(fh, delimiter=delim, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
        for r in rows:
            w.writerow([_csv_safe(v) for v in r])
    note = f"{src.name} is gzip-compressed; its corrected copy is plain text" if gz else None
    return changed, note


# --- change list --------------------------------------------------------------------------


def _write_changes(target: Path, fp: FilePlan, reason: str, source: str) -> int:
    """`<name>.changes.xlsx`: Sheet, Cell, Old, New, Why; returns the number of value changes."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Changes")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (18, 9, 22, 22, 100)):
        ws.column_dimensions[letter].width = width
    head_font = Font(bold=True)

    def text_cell(v: Any, bold: bool = False):
        from openpyxl.cell import WriteOnlyCell
        c = WriteOnlyCell(ws, value=None)
        if v is None:
            return c
        if isinstance(v, (int, float, Decimal, dt.date)) and not isinstance(v, bool):
            c.value = v
        else:
            _xlsx_text(c, str(v))
        if bold:
            c.font = head_font
        return c

    ws.append([text_cell(h, True) for h in ("Sheet", "Cell", "Old", "New", "Why")])
    n = 0
    for e in sorted(fp.edits, key=lambda e: (e.sheet or "", e.row, e.col)):
        ws.append([text_cell(e.sheet or ""), text_cell(f"{get_column_letter(e.col)}{e.row}"),
                   text_cell(e.old), text_cell(e.new if isinstance(e.new, str) else _cell_number(e.new)),
                   text_cell(e.why)])
        n += 1
    for a in fp.added:
        if a.table.kind is not Kind.INVENTORY:
            continue
        cells = a.table.cells or []
        occupied = ((i + 1, j + 1) for i, r in enumerate(cells) for j, v in enumerate(r)
                    if v is not None and str(v).strip() != "")
        header = cells[a.table.header_row - 1] if len(cells) >= a.table.header_row else []
        s_col, u_col = _free_columns(occupied, a.table.header_row, {j + 1: v for j, v in enumerate(header)})
        sheet = a.table.sheet or ""
        for col, title in ((s_col, STATUS_HEADER), (u_col, USE_NEXT_HEADER)):
            ws.append([text_cell(sheet), text_cell(f"{get_column_letter(col)}{a.table.header_row}"),
                       None, text_cell(title), text_cell(f"add a '{title}' column to the table")])
        for row, status in sorted(a.status.items()):
            ws.append([text_cell(sheet), text_cell(f"{get_column_letter(s_col)}{row}"), None,
                       text_cell(status), text_cell("status of this row's lot at the as-of date")])
            if row in a.use_next:
                ws.append([text_cell(sheet), text_cell(f"{get_column_letter(u_col)}{row}"), None,
                           text_cell(USE_NEXT_MARK),
                           text_cell("use this lot first for its product and location (FEFO)")])
    tables = {t.sheet: t for t in reversed(fp.tables)}
    for (sheet, row, col), texts in sorted(fp.notes.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])):
        t = tables.get(sheet)
        old = _raw_cell(t, row, col - 1) if t is not None else None
        for text in texts:
            ws.append([text_cell(sheet or ""), text_cell(f"{get_column_letter(col)}{row}"), text_cell(old),
                       None, text_cell("note only: " + text.replace("\n", " "))])
    about = wb.create_sheet("About")
    about.column_dimensions["A"].width = 120
    for line in (f"Changes lotsync found for {fp.display}.",
                 f"No corrected copy was written because {reason}.",
                 "Make the changes listed on the Changes tab by hand in your own file. 'Old' is the "
                 "value in the file, 'New' the value lotsync derived; rows with no 'New' are notes "
                 "on that cell. The report (report.json) explains every finding."):
        about.append([text_cell(line)])
    mark_openpyxl(wb)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return n
