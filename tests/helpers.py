"""Small builders for the specification tests: real workbooks and CSV files on disk, read
back through lotsync's own pipeline (`lotsync.pipeline.run`), nothing mocked.

A test reads like SPEC.md: a small workbook written inline, then the expectation.

    path = write_book(tmp_path / "clinic.xlsx", {
        "Receiving":  [["Product", "Lot", "Expiration", "Qty", "Unit Cost"],
                       ["Botox", "C3709C3", date(2026, 12, 31), 100, 6.12]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                       [date(2026, 3, 4), "P1", "Botox", "C3709C3", 20]],
    })
    result = reconcile_files([path])
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import openpyxl

from lotsync.model import Finding
from lotsync.pipeline import Loaded, run
from lotsync.reconcile import Options, Result
from lotsync.reconcile.result import LotResult
from lotsync.tables.mapping import Mapping, load_mapping

#: The as_of every test uses unless it says otherwise (far enough after the sample dates
#: that nothing is "after as_of" by accident).
AS_OF = dt.date(2026, 6, 30)

D = Decimal


@dataclass(frozen=True)
class Styled:
    """A cell with an Excel number format, as a person typed it: `Styled(date(2026, 5, 1),
    "mm/yyyy")` is what Excel stores when `5/2026` is typed into a cell."""

    value: object
    number_format: str


def write_book(path: str | Path, sheets: dict[str, list[list]], *, epoch1904: bool = False) -> str:
    """An .xlsx with one tab per entry, tabs in the order given; `rows[0]` is sheet row 1.

    An empty list is a blank row. Text that starts with "=" is stored as text, not as a
    formula (a clinic's cell that happens to look like one). A `Styled` value gets its
    number format."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if epoch1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904
        wb.epoch = CALENDAR_MAC_1904
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r_i, row in enumerate(rows, start=1):
            for c_i, value in enumerate(row, start=1):
                if value is None:
                    continue
                fmt = None
                if isinstance(value, Styled):
                    value, fmt = value.value, value.number_format
                cell = ws.cell(row=r_i, column=c_i, value=value)
                if fmt is not None:
                    cell.number_format = fmt
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return str(path)


def write_csv(path: str | Path, rows: list[list], *, encoding: str = "utf-8") -> str:
    """A CSV file; None is an empty field."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
    return str(path)


def write_mapping(path: str | Path, text: str) -> str:
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _options(as_of, **opts) -> Options:
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if "tolerance" in opts:
        opts["tolerance"] = Decimal(str(opts["tolerance"]))
    return Options(as_of=as_of, **opts)


def run_files(paths: Iterable[str | Path], as_of=AS_OF, mapping: str | None = None,
              **opts) -> tuple[Result, Loaded]:
    """The whole pipeline on real files: (Result, Loaded) — Loaded holds the typed rows."""
    return run([str(p) for p in paths], _options(as_of, **opts), load_mapping(mapping))


def reconcile_files(paths: Iterable[str | Path], as_of=AS_OF, mapping: str | None = None,
                    **opts) -> Result:
    return run_files(paths, as_of, mapping, **opts)[0]


# --- reading a result ---------------------------------------------------------------------


def found(result: Result, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


def one(result: Result, code: str) -> Finding:
    """The one finding of `code` (fails, listing all codes, when there is not exactly one)."""
    fs = found(result, code)
    assert len(fs) == 1, f"expected one {code}, got {len(fs)}: {codes(result)}"
    return fs[0]


def codes(result: Result) -> list[str]:
    return [f.code for f in result.findings]


def where(f: Finding) -> tuple:
    """(file name, sheet, row, column header, A1 cell) of a finding's source."""
    s = f.source
    return (Path(s.file).name, s.sheet, s.row, s.column, s.cell)


def lot_of(result: Result, lot: str, location: str = "", product: str | None = None) -> LotResult:
    """The lot whose displayed spelling is `lot` at `location` (and `product`, if given)."""
    hits = [l for l in result.lots if l.lot == lot and l.location == location
            and (product is None or l.product == product)]
    assert len(hits) == 1, f"expected one lot {lot!r} at {location!r}, got {[(l.product, l.lot, l.location) for l in result.lots]}"
    return hits[0]


def ledger_identity_holds(l: LotResult) -> bool:
    """SPEC §2: derived_remaining = received + transferred_in - transferred_out - used - wasted
    - expired_out - returned + adjusted + count_variance (exactly)."""
    return l.derived_remaining == (l.received + l.transferred_in - l.transferred_out - l.used
                                   - l.wasted - l.expired_out - l.returned + l.adjusted
                                   + l.count_variance)


def output_bytes(out: Path) -> bytes:
    """Every byte lotsync wrote under `out`, with each xlsx's XML parts unzipped, so that a
    test can assert a patient's name appears nowhere (the xlsx is compressed otherwise)."""
    blob = b""
    for p in sorted(out.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.suffix == ".xlsx":
                with zipfile.ZipFile(p) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
            blob += data
    return blob


def bench_generator():
    """bench/generate.py's `generate(n, out_dir, n_lots=..., seed=..., verbose=...)`, the
    bench practice's writer (bench/ is not a package; loaded from its file once)."""
    import importlib.util
    import sys

    module = sys.modules.get("bench_generate")
    if module is None:
        path = Path(__file__).resolve().parents[1] / "bench" / "generate.py"
        spec = importlib.util.spec_from_file_location("bench_generate", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_generate"] = module
        spec.loader.exec_module(module)
    return module.generate


def detect_rows(rows: list[list], sheet: str | None = None, file: str = "export.csv"):
    """Detection on one sheet's rows with no mapping file (the file and tab names take part)."""
    from lotsync.readers.raw import RawSheet
    from lotsync.tables.detect import detect_table
    return detect_table(RawSheet(file=file, sheet=sheet, rows=rows), Mapping())


def columns_by_field(det) -> dict[str, str]:
    """{field: the header of the column read as it} of a detected table."""
    return {f: c.header for f, c in det.columns.items()}
