"""The starter workbook for a clinic that begins tracking lots (`lotsync init`).

What the workbook holds (tabs, headers, widths, column kinds, prompts, sample rows, the
Instructions text) is data: templates/starter.toml at the top of the repository (shipped
as `lotsync.templates.files`), read and checked here (`load_definition`: a pydantic model
that rejects unknown keys and kinds, so a typo fails the build instead of dropping a
column's validation). How a column kind becomes a validation and a number format is code,
below. `starter.xlsx` beside this file is what `build_starter` makes from the definition
and is committed (so `lotsync init` needs neither the definition nor a build); a test
fails when the two drift, so after changing the definition run

    python -m lotsync.templates.build

to write the file again. Every header is a spelling lotsync reads without a mapping file
(header detection, `lotsync/tables/vocabulary.toml`), and every column of every tab maps to a field, so a
filled-in starter reconciles with no mapping and no unused columns (tested).

Each data tab has a frozen, bold header row, widths that fit, date and money formats, and
data validation: product and unit dropdowns (the product list is the Products tab, through
the defined name `ProductList`), lots from the Inventory tab (a warning, not a block: a lot
that is not there is allowed but flagged), dates between 1990 and 2100, positive
quantities, and the adjustment types lotsync knows.

Rejected: the definition in Python (v0.1: changing a prompt meant editing code); YAML
(a second parser for one file; TOML is in the standard library and is what lotsync.toml
and vocabulary.toml already use).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, Union

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lotsync.templates import template_dir

DEFINITION_NAME = "starter.toml"
STARTER_NAME = "starter.xlsx"
#: The file `lotsync init DIR` writes in DIR.
INIT_NAME = "lotsync-inventory.xlsx"

HEADER_FONT = Font(bold=True)
FIXED_DATE = dt.datetime(2026, 1, 1)  # document properties: the same bytes of XML each build

Kind = Literal["text", "date", "quantity", "signed", "count", "money", "product", "unit", "lot", "type"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Col(_Strict):
    header: str = Field(min_length=1)  # a header lotsync reads without a mapping (tested)
    width: float = Field(gt=0)
    kind: Kind = "text"
    note: str = ""  # the input prompt shown when the cell is selected


class Sheet(_Strict):
    name: str = Field(min_length=1, max_length=31)  # Excel's limit on a tab's name
    columns: tuple[Col, ...] = Field(min_length=1)
    sample_rows: tuple[tuple[Union[str, int, float], ...], ...] = ()  # "" is an empty cell


class Paragraph(_Strict):
    text: str
    style: Literal["", "title", "heading"] = ""


class WorkbookSettings(_Strict):
    data_rows: int = Field(gt=0)
    product_rows: int = Field(gt=0)
    units: tuple[str, ...] = Field(min_length=1)
    adjustment_types: tuple[str, ...] = Field(min_length=1)
    header_fill: str = Field(pattern=r"^[0-9A-Fa-f]{6}$")
    date_format: str
    money_format: str
    instructions_sheet: str = Field(min_length=1, max_length=31)
    instructions_width: float = Field(gt=0)


class StarterDefinition(_Strict):
    workbook: WorkbookSettings
    instructions: tuple[Paragraph, ...]
    sheets: tuple[Sheet, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dropdowns_have_their_lists(self) -> "StarterDefinition":
        """The product dropdown lists the Products tab's first column and the lot dropdown
        the Inventory tab's Lot column: those must exist (names are unique, too)."""
        tabs = self.tabs
        if len(tabs) != len(self.sheets) or self.workbook.instructions_sheet in tabs:
            raise ValueError("every tab needs its own name")
        if "Products" not in tabs or tabs["Products"][0].header != "Product":
            raise ValueError("a tab named Products whose first column is Product is required "
                             "(the product dropdowns list it)")
        if "Inventory" not in tabs or "Lot" not in [c.header for c in tabs["Inventory"]]:
            raise ValueError("a tab named Inventory with a Lot column is required (the lot dropdowns list it)")
        return self

    @property
    def tabs(self) -> dict[str, tuple[Col, ...]]:
        """Each data tab's columns, by tab name, in tab order."""
        return {s.name: s.columns for s in self.sheets}


def load_definition(path: str | os.PathLike | None = None) -> StarterDefinition:
    """Read and check templates/starter.toml (or `path`)."""
    if path is None:
        return _default_definition()
    with open(path, "rb") as fh:
        return StarterDefinition.model_validate(tomllib.load(fh))


@lru_cache(maxsize=1)
def _default_definition() -> StarterDefinition:
    return load_definition(template_dir() / DEFINITION_NAME)


def _words(items: tuple[str, ...], last: str) -> str:
    """("a", "b", "c"), "and" -> "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} {items[-1]}"


def _serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def _validation(kind: str, ref: str, wb: WorkbookSettings) -> DataValidation | None:
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
        dv = DataValidation(type="list", formula1='"' + ",".join(wb.units) + '"', allow_blank=True,
                            errorStyle="warning", errorTitle="Unusual unit",
                            error=f"lotsync knows {_words(wb.units, 'and')}.")
    elif kind == "lot":
        dv = DataValidation(type="list", formula1="LotList", allow_blank=True, errorStyle="warning",
                            errorTitle="Lot not received",
                            error="This lot is not on the Inventory tab. Check the label for a typo.")
    elif kind == "type":
        dv = DataValidation(type="list", formula1='"' + ",".join(wb.adjustment_types) + '"', allow_blank=True,
                            errorTitle="Unknown type", error=f"Pick {_words(wb.adjustment_types, 'or')}.")
    else:
        return None
    dv.showErrorMessage = True
    dv.sqref = ref
    return dv


def build_starter(path: str | os.PathLike, definition: StarterDefinition | None = None) -> Path:
    """Write the starter workbook to `path` (replacing it) and return the path; from
    templates/starter.toml unless another `definition` is given."""
    d = definition or load_definition()
    settings = d.workbook
    header_fill = PatternFill("solid", fgColor=settings.header_fill.upper())
    wb = Workbook()
    wb.properties.creator = "lotsync"
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE

    ws = wb.active
    ws.title = settings.instructions_sheet
    ws.column_dimensions["A"].width = settings.instructions_width
    ws.sheet_view.showGridLines = False
    ws.page_setup.fitToWidth = 1  # printed: one portrait page wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for i, (text, style) in enumerate(((p.text, p.style) for p in d.instructions), start=1):
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

    last = settings.data_rows + 1
    for name, cols in d.tabs.items():
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
            h.fill = header_fill
            h.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[letter].width = col.width
            ref = f"{letter}2:{letter}{last}"
            dv = _validation(col.kind, ref, settings)
            if col.note:
                if dv is None:
                    dv = DataValidation(type=None, allow_blank=True, sqref=ref)
                dv.showInputMessage = True
                dv.promptTitle = col.header
                dv.prompt = col.note
            if dv is not None:
                ws.add_data_validation(dv)
            fmt = {"date": settings.date_format, "money": settings.money_format}.get(col.kind)
            if fmt:  # a column style: new cells get it, and no empty cells are written
                ws.column_dimensions[letter].number_format = fmt
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}1"
        for row in sheet_rows(d, name):
            ws.append(row)

    wb.defined_names["ProductList"] = DefinedName("ProductList", attr_text=f"Products!$A$2:$A${settings.product_rows + 1}")
    lot_col = get_column_letter([c.header for c in d.tabs["Inventory"]].index("Lot") + 1)
    wb.defined_names["LotList"] = DefinedName("LotList", attr_text=f"Inventory!${lot_col}$2:${lot_col}${last}")
    wb.active = 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def sheet_rows(d: StarterDefinition, name: str) -> list[list]:
    """The sample rows of tab `name`, with "" as an empty cell."""
    sheet = next(s for s in d.sheets if s.name == name)
    return [[None if v == "" else v for v in row] for row in sheet.sample_rows]


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
    """`python -m lotsync.templates.build [PATH]`: write the starter from templates/starter.toml
    (default PATH: the committed starter.xlsx beside this file)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).with_name(STARTER_NAME)
    print(build_starter(target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
