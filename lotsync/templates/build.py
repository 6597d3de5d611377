"""The starter workbook for a clinic that begins tracking lots (`lotsync init`).

`starter.xlsx` beside this file is produced by `build_starter` and committed; a test fails
when the two drift (cell contents, validations, tab names), so change this code, then run

    python -m lotsync.templates.build

to write the file again. Every header is a spelling lotsync reads without a mapping file
(`lotsync/tables/aliases.toml`), and every column of every tab maps to a field, so a
filled-in starter reconciles with no mapping and no unused columns.

Tabs: Instructions, Products (the catalog, two example rows), Inventory (receiving log with
Remaining), Visits, Adjustments, Counts. Each data tab has a frozen, bold header row, widths
that fit, date and money formats, and data validation: product and unit dropdowns (the
product list is the Products tab, through the defined name `ProductList`), lots from the
Inventory tab (a warning, not a block: a lot that is not there is allowed but flagged),
dates between 1990 and 2100, positive quantities, and the adjustment types lotsync knows.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

#: Rows (below the header) that carry validation and formats.
DATA_ROWS = 2000
#: Rows of the Products tab that the product dropdown lists.
PRODUCT_ROWS = 500
STARTER_NAME = "starter.xlsx"
#: The file `lotsync init DIR` writes in DIR.
INIT_NAME = "lotsync-inventory.xlsx"

UNITS = ("units", "mL", "syringe", "vial", "mg", "mcg", "each", "box")
ADJUSTMENT_TYPES = ("waste", "expired", "return", "adjustment", "transfer")

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = '"$"#,##0.00'
FIXED_DATE = dt.datetime(2026, 1, 1)  # document properties: the same bytes of XML each build


@dataclass(frozen=True)
class Col:
    header: str  # exactly a spelling lotsync reads (aliases.toml)
    width: float
    kind: str = "text"  # text | date | quantity | signed | count | money | product | unit | lot | type
    note: str = ""  # the input prompt shown when the cell is selected


TABS: dict[str, tuple[Col, ...]] = {
    "Products": (
        Col("Product", 26, note="The product's name as you write it everywhere else."),
        Col("Aliases", 30, note="Other names for it, separated by commas (optional)."),
        Col("Category", 14, note="Neurotoxin, filler, skin, ... (optional)."),
        Col("Unit", 10, "unit", "The unit you inject or use it in: units, mL, syringe, ..."),
        Col("Package Unit", 13, "unit", "What you buy it in, if different: vial, box, ... (optional)."),
        Col("Units per Package", 17, "quantity", "How many units of use one package holds (optional)."),
    ),
    "Inventory": (
        Col("Date Received", 14, "date", "The day the delivery arrived."),
        Col("Product", 26, "product", "Pick from the Products tab."),
        Col("Lot", 16, note="The lot (batch) number printed on the box."),
        Col("Expiration", 12, "date", "The expiration printed on the box."),
        Col("Quantity", 10, "quantity", "How much arrived, in the Unit column's unit."),
        Col("Unit", 10, "unit", "The unit of Quantity (the Products tab's unit or package unit)."),
        Col("Unit Cost", 11, "money", "What one Unit cost (from the invoice)."),
        Col("Remaining", 11, "count", "How much of this receipt you think is left (lotsync checks it)."),
        Col("Location", 14, note="The site it is kept at; leave blank if you have one."),
        Col("Supplier", 18, note="Who sent it (optional)."),
        Col("Invoice", 14, note="Invoice or PO number (optional)."),
    ),
    "Visits": (
        Col("Date", 12, "date", "The day of the treatment."),
        Col("Visit ID", 10, note="Your appointment or ticket number (optional)."),
        Col("Patient", 16, note="A patient ID or chart number; avoid full names."),
        Col("Provider", 16, note="Who injected."),
        Col("Product", 26, "product", "Pick from the Products tab."),
        Col("Lot", 16, "lot", "The lot used, from the vial or syringe label."),
        Col("Quantity", 10, "quantity", "How much was used, in the Unit column's unit."),
        Col("Unit", 10, "unit", "The unit of Quantity."),
        Col("Location", 14, note="The site of the visit; leave blank if you have one."),
        Col("Price", 11, "money", "What the patient was charged for this product (optional)."),
    ),
    "Adjustments": (
        Col("Date", 12, "date", "The day it happened."),
        Col("Product", 26, "product", "Pick from the Products tab."),
        Col("Lot", 16, "lot", "The lot number."),
        Col("Quantity", 10, "signed", "How much. Positive, except for 'adjustment': + adds, - removes."),
        Col("Unit", 10, "unit", "The unit of Quantity."),
        Col("Type", 12, "type", "waste, expired, return, adjustment or transfer."),
        Col("Reason", 28, note="Why (dropped vial, expired, count correction, ...)."),
        Col("Location", 14, note="Where it was; for a transfer, where it left from."),
        Col("To Location", 14, note="For a transfer: where it went."),
        Col("Staff", 14, note="Who recorded it (optional)."),
    ),
    "Counts": (
        Col("Date", 12, "date", "The day of the physical count."),
        Col("Product", 26, "product", "Pick from the Products tab."),
        Col("Lot", 16, "lot", "The lot counted."),
        Col("Counted", 10, "count", "How much is physically there."),
        Col("Unit", 10, "unit", "The unit of Counted."),
        Col("Location", 14, note="The site counted; leave blank if you have one."),
    ),
}

EXAMPLE_PRODUCTS = (
    ("Botox", "Botox Cosmetic, onabotulinumtoxinA", "Neurotoxin", "units", "vial", 100),
    ("Juvederm Ultra XC", "Juvederm Ultra", "Filler", "syringe", None, None),
)

INSTRUCTIONS = (
    ("Lot tracking workbook", "title"),
    ("Keep one row per event on each tab. lotsync reads this workbook as it is and re-derives "
     "what each lot should have left, its cost, and what to use next.", ""),
    ("Products", "heading"),
    ("One row per product you stock. Unit is what you inject or use it in (units, mL, syringe); "
     "if you buy it in another unit (a vial of 100 units), give Package Unit and Units per "
     "Package. The two example rows may be changed or deleted.", ""),
    ("Inventory", "heading"),
    ("One row per delivery of one lot: the date it arrived, product, lot number and expiration "
     "from the box, quantity and unit, unit cost from the invoice. Remaining is what you think "
     "is left; lotsync checks it against your visits, adjustments and counts.", ""),
    ("Visits", "heading"),
    ("One row per product used in a treatment: date, patient ID, provider, product, the lot "
     "from the label, and the quantity used. Record the lot every time: it is what traces a "
     "patient to a vial.", ""),
    ("Adjustments", "heading"),
    ("Everything that is not a treatment: waste (a dropped vial), expired (written off), return "
     "(sent back to the supplier), adjustment (+ adds, - removes), transfer (moved from Location "
     "to To Location).", ""),
    ("Counts", "heading"),
    ("A physical count of a lot: the date and what was there. A count sets the lot's balance.", ""),
    ("Tips", "heading"),
    ("Leave Location blank if you have one site. Do not rename the header row; you may add rows, "
     "but keep one table per tab. Dates as dates (2026-03-04).", ""),
    ("Check it with:  lotsync reconcile lotsync-inventory.xlsx --out lotsync-out", ""),
)


def _serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def _validation(kind: str, ref: str) -> DataValidation | None:
    """The validation of a column kind over the cell range `ref` (None: free text)."""
    if kind == "date":
        dv = DataValidation(type="date", operator="between", formula1=str(_serial(dt.date(1990, 1, 1))),
                            formula2=str(_serial(dt.date(2100, 12, 31))), allow_blank=True,
                            errorTitle="Not a date", error="Enter a date between 1990 and 2100, e.g. 2026-03-04.")
    elif kind == "quantity":
        dv = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True,
                            errorTitle="Not a quantity", error="Enter a number above zero.")
    elif kind == "count":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            errorTitle="Not a quantity", error="Enter zero or a number above it.")
    elif kind == "signed":
        dv = DataValidation(type="decimal", operator="notEqual", formula1="0", allow_blank=True,
                            errorTitle="Not a quantity",
                            error="Enter a number (negative only for an 'adjustment' that removes stock).")
    elif kind == "money":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            errorTitle="Not an amount", error="Enter an amount of zero or more.")
    elif kind == "product":
        dv = DataValidation(type="list", formula1="ProductList", allow_blank=True, errorStyle="warning",
                            errorTitle="Not on the Products tab",
                            error="This product is not on the Products tab. Add it there, or pick one from the list.")
    elif kind == "unit":
        dv = DataValidation(type="list", formula1='"' + ",".join(UNITS) + '"', allow_blank=True,
                            errorStyle="warning", errorTitle="Unusual unit",
                            error="lotsync knows units, mL, syringe, vial, mg, mcg, each and box.")
    elif kind == "lot":
        dv = DataValidation(type="list", formula1="LotList", allow_blank=True, errorStyle="warning",
                            errorTitle="Lot not received",
                            error="This lot is not on the Inventory tab. Check the label for a typo.")
    elif kind == "type":
        dv = DataValidation(type="list", formula1='"' + ",".join(ADJUSTMENT_TYPES) + '"', allow_blank=True,
                            errorTitle="Unknown type", error="Pick waste, expired, return, adjustment or transfer.")
    else:
        return None
    dv.showErrorMessage = True
    dv.sqref = ref
    return dv


def build_starter(path: str | os.PathLike) -> Path:
    """Write the starter workbook to `path` (replacing it) and return the path."""
    wb = Workbook()
    wb.properties.creator = "lotsync"
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE

    ws = wb.active
    ws.title = "Instructions"
    ws.column_dimensions["A"].width = 72
    ws.sheet_view.showGridLines = False
    ws.page_setup.fitToWidth = 1  # printed: one portrait page wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for i, (text, style) in enumerate(INSTRUCTIONS, start=1):
        c = ws.cell(row=i, column=1, value=text)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "title":
            c.font = Font(bold=True, size=16)
            ws.row_dimensions[i].height = 26
        elif style == "heading":
            c.font = Font(bold=True, size=12)
            ws.row_dimensions[i].height = 22
        else:  # wrapped text: spreadsheet programs do not size rows that openpyxl wrote
            ws.row_dimensions[i].height = 15 * (len(text) // 68 + 1) + 4

    last = DATA_ROWS + 1
    for name, cols in TABS.items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"  # printed: the header on every page, landscape, one page wide
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        for j, col in enumerate(cols, start=1):
            letter = get_column_letter(j)
            h = ws.cell(row=1, column=j, value=col.header)
            h.font = HEADER_FONT
            h.fill = HEADER_FILL
            h.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[letter].width = col.width
            ref = f"{letter}2:{letter}{last}"
            dv = _validation(col.kind, ref)
            if col.note:
                if dv is None:
                    dv = DataValidation(type=None, allow_blank=True, sqref=ref)
                dv.showInputMessage = True
                dv.promptTitle = col.header
                dv.prompt = col.note
            if dv is not None:
                ws.add_data_validation(dv)
            fmt = {"date": DATE_FORMAT, "money": MONEY_FORMAT}.get(col.kind)
            if fmt:  # a column style: new cells get it, and no empty cells are written
                ws.column_dimensions[letter].number_format = fmt
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}1"
    for row in EXAMPLE_PRODUCTS:
        wb["Products"].append(list(row))

    wb.defined_names["ProductList"] = DefinedName("ProductList", attr_text=f"Products!$A$2:$A${PRODUCT_ROWS + 1}")
    lot_col = get_column_letter([c.header for c in TABS["Inventory"]].index("Lot") + 1)
    wb.defined_names["LotList"] = DefinedName("LotList", attr_text=f"Inventory!${lot_col}$2:${lot_col}${last}")
    wb.active = 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def starter_path() -> Path:
    """The committed starter workbook."""
    return Path(str(resources.files("lotsync.templates").joinpath(STARTER_NAME)))


def init_workbook(dest_dir: str | os.PathLike = ".") -> Path:
    """`lotsync init [DIR]`: copy the starter workbook to DIR/lotsync-inventory.xlsx.

    Never overwrites: if the file exists, raises FileExistsError with a one-line message.
    The copy is made beside the target and linked into place, so an existing file is never
    replaced even by a race, and an interrupted copy leaves nothing half-written."""
    dest = Path(dest_dir)
    target = dest / INIT_NAME
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"{target}: already exists; lotsync init never overwrites a file "
                              "(move it away or choose another folder)")
    dest.mkdir(parents=True, exist_ok=True)
    src = starter_path()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".xlsx", dir=dest)
    os.close(fd)
    try:
        if src.is_file():
            shutil.copyfile(src, tmp)
        else:  # an installation without the committed file: build it
            build_starter(tmp)
        try:
            os.link(tmp, target)  # fails if target exists: never overwrites
        except FileExistsError:
            raise FileExistsError(f"{target}: already exists; lotsync init never overwrites a file "
                                  "(move it away or choose another folder)") from None
        except OSError:  # a filesystem without hard links
            with open(tmp, "rb") as s, open(target, "xb") as d:
                shutil.copyfileobj(s, d)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m lotsync.templates.build [PATH]`: write the starter (default: the committed one)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).with_name(STARTER_NAME)
    print(build_starter(target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
