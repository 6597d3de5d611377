"""Detection stays fast (issue 9: under 5% of a reconcile at 200k rows) and decides as before.

What made it slow was never the reading of headers but walking a big sheet: the profile of a
column under each of 30 candidate header rows sliced the sheet below that row (a copy of
200k row references per column and candidate). Now each column is walked once from the top
for its first SAMPLE + HEADER_SCAN_ROWS values, and every candidate row takes its first
SAMPLE values below it from those. These tests hold the three promises of that change:

- the profile under any candidate row is exactly the direct one (the first SAMPLE values
  below the header, totals rows skipped), on the bench practice and the demo;
- those first values decide every field as the whole column would (same vetoes), so the
  sample is not where a reading could go wrong on these sheets;
- the rows detection touches do not grow with the sheet (measured by counting row reads on
  a 200k-row sheet, not by a clock: the machine is shared).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lotsync.demo.practice import write_demo_practice
from lotsync.model import Kind
from lotsync.pipeline import read_sources
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import HEADER_SCAN_ROWS, _Sheet, detect_table
from lotsync.tables.headers import KIND_FIELDS
from lotsync.tables.mapping import Mapping
from lotsync.tables.profile import profile_column, profile_of, first_cells, vetoes

from helpers import bench_generator


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> list[RawSheet]:
    """The bench practice (3,000 visit rows, its xlsx and csv) and the demo practice."""
    bench = tmp_path_factory.mktemp("bench")
    bench_generator()(3000, bench, n_lots=300, verbose=False)
    demo = tmp_path_factory.mktemp("demo")
    write_demo_practice(demo)
    return read_sources([str(bench / "inventory.xlsx"), str(bench / "visits.xlsx"),
                         str(bench / "visits.csv"), str(demo)])


ALL_FIELDS = sorted({f for req, opt in KIND_FIELDS.values() for f in (*req, *opt)})


def test_the_shared_column_walk_gives_each_candidate_header_row_its_direct_profile(sheets):
    compared = 0
    for sheet in sheets:
        sh = _Sheet(sheet.rows)
        width = max((len(r) for r in sheet.rows[:HEADER_SCAN_ROWS]), default=0)
        for idx in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
            for j in range(width):
                assert sh.profile(idx, j) == profile_column(sheet.rows, idx, j), (sheet.file, sheet.sheet, idx, j)
                compared += 1
    assert compared > 1000


def test_the_first_values_of_a_column_decide_every_field_as_the_whole_column(sheets):
    """On the bench practice and the demo, under each table's header, no field is vetoed
    (or allowed) by the sampled profile that the profile of the whole column would allow
    (or veto)."""
    checked = 0
    for sheet in sheets:
        det = detect_table(sheet, Mapping())
        if det.header_row is None:
            continue
        idx = det.header_row - 1
        sh = _Sheet(sheet.rows)
        width = len(sheet.rows[idx])
        for j in range(width):
            whole = profile_of([k for _, k in first_cells(sheet.rows, j, idx + 1, len(sheet.rows))])
            sampled = sh.profile(idx, j)
            for f in ALL_FIELDS:
                assert bool(vetoes(f, sampled)) == bool(vetoes(f, whole)), \
                    (sheet.file, sheet.sheet, sheet.rows[idx][j], f, sampled, whole)
                checked += 1
    assert checked > 500


#: The demo's tables as detection read them before the speed work (kind, header row, columns).
DEMO_VISITS = {"date": "Date of Service", "patient": "Patient", "provider": "Provider", "product": "Product",
               "lot": "Lot #", "quantity": "Units Used", "unit": "Unit", "location": "Location",
               "visit_id": "Visit ID", "price": "Charge"}
DEMO_WASTE = {"date": "Date", "product": "Product", "lot": "Lot #", "quantity": "Qty", "unit": "Unit",
              "type": "Type", "reason": "Reason", "location": "Location", "to_location": "To Location",
              "staff": "Staff"}
DEMO = {
    ("Inventory.xlsx", "Receiving"): (Kind.INVENTORY, 3, {
        "received_date": "Date Received", "product": "Product", "lot": "Lot #", "expiration": "Exp Date",
        "quantity": "Qty Received", "unit": "Unit", "unit_cost": "Unit Cost", "remaining": "Remaining",
        "location": "Location", "supplier": "Supplier", "invoice": "Invoice #"}),
    ("Inventory.xlsx", "Products"): (Kind.PRODUCTS, 1, {
        "product": "Product", "aliases": "Aliases", "unit": "Unit", "package_unit": "Package Unit",
        "units_per_package": "Units per Package", "category": "Category"}),
    ("Inventory.xlsx", "Waste & Transfers"): (Kind.ADJUSTMENTS, 1, DEMO_WASTE),
    ("Inventory.xlsx", "Q3 Count"): (Kind.COUNTS, 1, {
        "date": "Date", "product": "Product", "lot": "Lot #", "counted": "Counted", "location": "Location"}),
    ("westside-waste.csv", None): (Kind.ADJUSTMENTS, 1, DEMO_WASTE),
    **{("Treatments 2026.xlsx", m): (Kind.VISITS, 1, DEMO_VISITS)
       for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov")},
}


def test_bench_and_demo_tables_are_read_with_the_same_columns(sheets):
    """The kind, header row and columns detection picks on the bench practice and on every
    tab of the demo (pinned: what it read before the speed work)."""
    by_name = {(Path(s.file).name, s.sheet): detect_table(s, Mapping()) for s in sheets}
    demo = {k: (d.kind, d.header_row, {f: c.header for f, c in d.columns.items()})
            for k, d in by_name.items() if k[0] in {"Inventory.xlsx", "Treatments 2026.xlsx", "westside-waste.csv"}}
    assert demo == DEMO
    inv = by_name[("inventory.xlsx", "Receiving")]
    assert (inv.kind, inv.header_row) == (Kind.INVENTORY, 3)
    assert {f: c.header for f, c in inv.columns.items()} == {
        "received_date": "Date Received", "product": "Product", "lot": "Lot #", "expiration": "Expiration",
        "quantity": "Qty Received", "unit": "Unit", "unit_cost": "Unit Cost", "remaining": "Remaining",
        "location": "Location", "supplier": "Supplier", "invoice": "Invoice #"}
    visit_columns = {"date": "Date", "patient": "Patient", "provider": "Provider", "product": "Product",
                     "lot": "Lot #", "quantity": "Units Used", "unit": "Unit", "location": "Location",
                     "visit_id": "Visit ID", "price": "Charge"}
    for key in (("visits.xlsx", "Treatments"), ("visits.csv", None)):
        det = by_name[key]
        assert (det.kind, det.header_row) == (Kind.VISITS, 1)
        assert {f: c.header for f, c in det.columns.items()} == visit_columns


class _CountingRows(list):
    """A sheet's rows that count how many rows are read (one per index, each row of a slice)."""

    reads = 0

    def __getitem__(self, key):
        got = super().__getitem__(key)
        type(self).reads += len(got) if isinstance(key, slice) else 1
        return got

    def __iter__(self):
        for r in super().__iter__():
            type(self).reads += 1
            yield r


def test_detection_reads_a_bounded_number_of_rows_however_long_the_sheet(sheets):
    """A 200k-row visit log (the bench's rows repeated) is detected reading a few thousand
    rows: detection's cost does not grow with the sheet. (Before the change: 30 candidate rows
    x the columns profiled, each slicing the whole sheet, several million row reads.)"""
    visits = next(s for s in sheets if Path(s.file).name == "visits.xlsx")
    header, body = visits.rows[0], visits.rows[1:]
    rows = _CountingRows([header] + (body * (200_000 // len(body) + 1))[:200_000])
    assert len(rows) == 200_001
    _CountingRows.reads = 0
    det = detect_table(RawSheet(file=visits.file, sheet=visits.sheet, rows=rows), Mapping())
    assert det.kind is Kind.VISITS and det.columns["quantity"].header == "Units Used"
    assert _CountingRows.reads < 20_000, _CountingRows.reads


def test_a_mostly_blank_column_of_a_grid_samples_the_same_cells_as_its_rows_would():
    """A sheet held as a Grid gives a column a block at a time (no row built for a blank
    cell); the sampled cells, their rows and the totals rows skipped are the list's."""
    import datetime as dt

    from lotsync.readers.grid import Grid

    rows: list[list[object]] = [["Date", "Product", "Notes"]]
    for i in range(12_000):
        note = None
        if i in (5, 9_000, 9_001, 11_999):
            note = "see chart"
        elif i == 9_500:
            note = "   "
        rows.append([dt.date(2026, 1, 1), "Botox", note] if i % 7 else [dt.date(2026, 1, 2), "Botox"])
    rows[9_001][0] = "Total"  # a totals row: its note is no value of the column
    grid = Grid.from_rows(rows)
    assert isinstance(RawSheet(file="v.xlsx", sheet="T", rows=rows).rows, Grid)
    for col, start, limit in ((2, 1, 50), (2, 7, 2), (0, 1, 3), (1, 11_990, 50), (5, 1, 50)):
        assert first_cells(grid, col, start, limit) == first_cells(rows, col, start, limit)
    assert [i for i, _ in first_cells(grid, 2, 1, 50)] == [6, 9_002, 12_000]  # 9,001 is the totals row
