"""Issue 14: nine rules of SPEC.md that lotsync once broke, each with the small workbook a
review wrote for it, reconciled through the real pipeline and read back as report.json.

(Item 10 of the issue, a lotsync.toml source reading lotsync's own outputs, is tested with
the configuration.)"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from helpers import Styled, reconcile_files
from lotsync.readers import read_path
from lotsync.readers.cellformats import CellFormats, shows_no_day
from lotsync.writers.json_report import render_json

EXP = date(2026, 12, 31)
MAR1 = date(2026, 3, 1)
CATALOG = [["Product", "Unit", "Package Unit", "Units per Package"], ["Botox", "units", "vial", 100]]


def report(paths, **kw) -> dict:
    """report.json, as the clinic's tools read it."""
    return json.loads(render_json(reconcile_files(paths, **kw)))


def codes_of(rep: dict, code: str) -> list[dict]:
    return [f for f in rep["findings"] if f["code"] == code]


def lot_named(rep: dict, lot: str, location: str = "") -> dict:
    hits = [l for l in rep["lots"] if l["lot"] == lot and l["location"] == location]
    assert len(hits) == 1, [(l["lot"], l["location"]) for l in rep["lots"]]
    return hits[0]


def fields(f: dict) -> tuple:
    return (f["product"], f["lot"], f["location"], f["date"])


# --- 1. findings on kept-out rows name the row ----------------------------------------


def test_findings_on_rows_kept_out_name_product_lot_location_and_date(book):
    # SPEC §4: every finding names the product, lot (as written), location and date of its
    # row where readable, also on rows kept out by INVALID_VALUE, MISSING_REQUIRED or
    # UNKNOWN_UNIT: a person must be able to find the row from the finding alone.
    path = book({
        "Products": CATALOG,
        "Receiving": [["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost", "Location"],
                      ["Botox", "C3709C3", EXP, MAR1, 100, 6, "North"],
                      ["Botox", "H8821", EXP, date(2026, 3, 2), "lots", 6, "North"]],  # row 3
        "Treatments": [["Date", "Patient", "Provider", "Product", "Lot", "Qty", "Unit", "Location"],
                       [date(2026, 3, 5), "P1", "Amy", "Botox", "C3709C3", "twenty", None, "North"],
                       [date(2026, 3, 6), "P2", "Amy", "Botox", "C3709C3", None, None, "North"],
                       [date(2026, 3, 7), "P3", "Amy", "Botox", "C3709C3", 2, "pen", "North"]],
    })
    rep = report([path])
    by_row = {(f["source"]["sheet"], f["source"]["row"]): f for f in rep["findings"]
              if f["code"] in ("INVALID_VALUE", "MISSING_REQUIRED", "UNKNOWN_UNIT")}
    assert sorted((k, f["code"]) for k, f in by_row.items()) == [
        (("Receiving", 3), "INVALID_VALUE"), (("Treatments", 2), "INVALID_VALUE"),
        (("Treatments", 3), "MISSING_REQUIRED"), (("Treatments", 4), "UNKNOWN_UNIT")]
    assert fields(by_row[("Receiving", 3)]) == ("Botox", "H8821", "North", "2026-03-02")
    assert fields(by_row[("Treatments", 2)]) == ("Botox", "C3709C3", "North", "2026-03-05")
    assert fields(by_row[("Treatments", 3)]) == ("Botox", "C3709C3", "North", "2026-03-06")
    assert fields(by_row[("Treatments", 4)]) == ("Botox", "C3709C3", "North", "2026-03-07")
    assert lot_named(rep, "C3709C3", "North")["used"] == 0  # none of the three took anything


def test_a_kept_out_row_whose_date_is_unreadable_still_names_its_product_and_lot(book):
    path = book({
        "Receiving": [["Product", "Lot", "Qty", "Unit Cost"], ["Botox", "C1", 100, 6]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       ["someday", "P1", "Botox", "C1", 20]],
    })
    f = codes_of(report([path]), "INVALID_VALUE")[0]
    assert fields(f) == ("Botox", "C1", None, None)


# --- 2 and 3. N/A in a unit or location cell -----------------------------------------


def test_na_in_a_unit_cell_is_invalid_value_then_the_unit_of_use(book):
    # SPEC §1: a unit cell holding N/A is an INVALID_VALUE and then blank (the unit of
    # use); the row is used. It never becomes the product's unit.
    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Unit Cost"],
                      ["Botox", "C1", EXP, 100, "units", 6]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty", "Unit"],
                       [date(2026, 3, 4), "P1", "Botox", "C1", 20, "N/A"],
                       [date(2026, 3, 5), "P2", "Botox", "C1", 10, "n/a"]],
    })
    rep = report([path])
    bad = codes_of(rep, "INVALID_VALUE")
    assert [(f["source"]["cell"], f["severity"]) for f in bad] == [("F2", "error"), ("F3", "error")]
    assert fields(bad[0]) == ("Botox", "C1", None, "2026-03-04")
    assert not codes_of(rep, "UNKNOWN_UNIT") and not codes_of(rep, "UNKNOWN_LOT")
    lot = lot_named(rep, "C1")
    assert (lot["unit"], lot["received"], lot["used"]) == ("units", 100, 30)
    assert rep["totals"]["received_value"] == 600 and rep["cogs"]["total"] == 180


def test_na_in_a_location_cell_is_invalid_value_then_blank(book):
    # SPEC §1: a location cell holding N/A (or another word that names no place) is an
    # INVALID_VALUE and then blank: never a site, never an UNLOGGED_TRANSFER.
    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Location"],
                      ["Botox", "C1", EXP, 100, 6, "N/A"]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty", "Location"],
                       [date(2026, 3, 4), "P1", "Botox", "C1", 20, None],
                       [date(2026, 3, 5), "P2", "Botox", "C1", 10, "none"]],
    })
    rep = report([path])
    assert sorted(f["source"]["cell"] for f in codes_of(rep, "INVALID_VALUE")) == ["F2", "F3"]
    assert [l["location"] for l in rep["lots"]] == [""]
    assert lot_named(rep, "C1")["used"] == 30
    assert not codes_of(rep, "UNLOGGED_TRANSFER")


# --- 4. an expiration date cell formatted without a day --------------------------------


def test_an_expiration_cell_formatted_month_and_year_is_the_last_day_of_the_month(book):
    # Excel stores a typed `5/2026` as May 1st with the format mm/yyyy: SPEC §1 reads a
    # date cell whose format shows no day as the month's last day.
    recv = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"]
    path = book({
        "Receiving": [recv,
                      ["Botox", "MY1", Styled(date(2026, 5, 1), "mm/yyyy"), MAR1, 100, 6],
                      ["Botox", "MY2", Styled(date(2026, 5, 1), "mmm-yy"), MAR1, 100, 6],
                      ["Botox", "MY3", Styled(date(2026, 5, 1), '[$-409]mmmm\\ yyyy;@'), MAR1, 100, 6],
                      ["Botox", "DAY", Styled(date(2026, 5, 1), "m/d/yyyy"), MAR1, 100, 6],
                      ["Botox", "ISO", date(2026, 5, 1), MAR1, 100, 6]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       [date(2026, 5, 20), "P1", "Botox", "MY1", 20],
                       [date(2026, 5, 20), "P2", "Botox", "MY2", 20]],
    })
    rep = report([path], as_of=date(2026, 5, 25))
    exp = {l["lot"]: l["expiration"] for l in rep["lots"]}
    assert exp == {"MY1": "2026-05-31", "MY2": "2026-05-31", "MY3": "2026-05-31",
                   "DAY": "2026-05-01", "ISO": "2026-05-01"}
    assert not codes_of(rep, "EXPIRED_USE")
    assert sorted(f["lot"] for f in codes_of(rep, "EXPIRED_ON_HAND")) == ["DAY", "ISO"]


def test_a_month_year_format_outside_an_expiration_column_keeps_its_day(book):
    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"],
                      ["Botox", "C1", EXP, Styled(date(2026, 3, 1), "mm/yyyy"), 100, 6]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       [date(2026, 3, 2), "P1", "Botox", "C1", 20]],
    })
    rep = report([path])
    assert not codes_of(rep, "USE_BEFORE_RECEIPT")  # received March 1st, not the 31st


@pytest.mark.parametrize("code, dayless", [
    ("mm/yyyy", True), ("mmm-yy", True), ("mmmm yyyy", True), ('[$-409]mmm\\-yy;@', True),
    ("m/d/yyyy", False), ("d-mmm-yy", False), ("yyyy-mm-dd h:mm:ss", False),
    ('mm/yyyy" due"', True), ('"day "mm/yyyy', True), ("0.00", False), ("h:mm", False)])
def test_which_number_formats_show_no_day(code, dayless):
    assert shows_no_day(code) is dayless


def test_a_cell_format_lookup_that_cannot_read_the_file_changes_nothing(tmp_path):
    # the lookup refines a value; a file it cannot read (gone, not a zip) never fails a run
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    for path in (tmp_path / "gone.xlsx", broken):
        assert CellFormats(str(path), "Receiving").without_day([(1, 2)]) == frozenset()


def test_the_reader_tells_the_parser_about_formats_and_the_date_system(book):
    sheets = {"Receiving": [["Product", "Lot", "Expiration", "Qty"],
                            ["Botox", "C1", Styled(date(2026, 5, 1), "mmm-yy"), 100]]}
    old = read_path(book(sheets, name="mac.xlsx", epoch1904=True))[0]
    new = read_path(book(sheets, name="pc.xlsx"))[0]
    assert (old.date1904, new.date1904) == (True, False)
    assert new.formats.without_day([(1, 2), (1, 3), (0, 2)]) == {(1, 2)}


# --- 5. adjustments and the shared-word rule -------------------------------------------


def test_an_adjustment_row_takes_from_a_lot_under_a_product_sharing_a_word(book):
    # SPEC §1: "A visit or adjustment row" takes from the one lot with its key under a
    # product whose name shares a word with the row's, with a PRODUCT_ALIAS info finding.
    recv = ["Product", "Lot", "Expiration", "Qty", "Unit Cost"]
    path = book({
        "Receiving": [recv, ["Juvederm Ultra XC", "JV100", EXP, 10, 300]],
        "Waste": [["Date", "Product", "Lot", "Qty", "Type"],
                  [date(2026, 3, 5), "Juvederm", "JV100", 1, "waste"]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       [date(2026, 3, 6), "P1", "Juvederm", "JV100", 1]],
    })
    rep = report([path])
    assert not codes_of(rep, "LOT_PRODUCT_MISMATCH")
    alias = codes_of(rep, "PRODUCT_ALIAS")
    assert sorted((f["source"]["sheet"], f["source"]["cell"]) for f in alias) == [
        ("Treatments", "C2"), ("Waste", "B2")]
    assert all(f["product"] == "Juvederm Ultra XC" and f["lot"] == "JV100" for f in alias)
    lot = lot_named(rep, "JV100")
    assert (lot["wasted"], lot["used"], lot["derived_remaining"]) == (1, 1, 8)
    assert rep["totals"]["waste_value"] == 300


def test_a_transfer_under_a_shared_word_moves_the_lot_of_its_product(book):
    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Location"],
                      ["Juvederm Ultra XC", "JV100", EXP, 10, 300, "North"]],
        "Moves": [["Date", "Product", "Lot", "Qty", "Type", "Location", "To Location"],
                  [date(2026, 3, 5), "Juvederm", "JV100", 4, "transfer", "North", "South"]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty", "Location"],
                       [date(2026, 3, 6), "P1", "Juvederm Ultra XC", "JV100", 1, "South"]],
    })
    rep = report([path])
    assert not codes_of(rep, "LOT_PRODUCT_MISMATCH") and not codes_of(rep, "UNLOGGED_TRANSFER")
    south = lot_named(rep, "JV100", "South")
    assert (south["product"], south["transferred_in"], south["used"]) == ("Juvederm Ultra XC", 4, 1)
    assert lot_named(rep, "JV100", "North")["transferred_out"] == 4


# --- 6. COST_CONFLICT after a receipt with no cost -------------------------------------


def test_cost_conflict_compares_with_the_first_receipt_that_has_a_cost(book):
    # A blank-cost first receipt must not hide that the lot was bought at $5 and at $9.
    recv = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"]
    path = book({"Receiving": [recv,
                               ["Botox", "C1", EXP, MAR1, 100, None],
                               ["Botox", "C1", EXP, MAR1, 100, 5],
                               ["Botox", "C1", EXP, MAR1, 100, 9]]})
    rep = report([path])
    conflict = codes_of(rep, "COST_CONFLICT")
    assert [f["source"]["cell"] for f in conflict] == ["F4"]
    assert "$5.00" in conflict[0]["message"] and "$9.00" in conflict[0]["message"]
    assert conflict[0]["value"] == 400  # $4 a unit over 100 units
    assert lot_named(rep, "C1")["unit_cost"] == 7


# --- 7. DUPLICATE_ENTRY and a blank unit ----------------------------------------------


def test_a_blank_unit_is_the_unit_of_use_when_comparing_duplicates(book):
    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Unit Cost"],
                      ["Botox", "C1", EXP, 100, "units", 6]],
        "Treatments": [["Date", "Patient", "Provider", "Product", "Lot", "Qty", "Unit"],
                       [date(2026, 3, 4), "P1", "Amy", "Botox", "C1", 20, "units"],
                       [date(2026, 3, 4), "P1", "Amy", "Botox", "C1", 20, None],
                       [date(2026, 3, 4), "P1", "Amy", "Botox", "C1", 20, "vial"]],  # not a twin
    })
    rep = report([path], as_of=date(2026, 6, 30))
    dup = codes_of(rep, "DUPLICATE_ENTRY")
    assert [f["source"]["row"] for f in dup] == [3]


# --- 8. serial numbers in a 1904-date workbook -----------------------------------------


def test_serial_numbers_in_a_1904_workbook_are_read_in_the_1904_system(book):
    def serial_1904(d: date) -> int:
        return (d - date(1904, 1, 1)).days

    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"],
                      ["Botox", "C1", serial_1904(date(2026, 12, 31)), date(2026, 3, 1), 100, 6]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       [serial_1904(date(2026, 3, 4)), "P1", "Botox", "C1", 20],
                       [date(2026, 3, 5), "P2", "Botox", "C1", 10]],  # a real date cell
    }, epoch1904=True)
    rep = report([path])
    assert lot_named(rep, "C1")["expiration"] == "2026-12-31"
    assert [v["date"] for v in rep["cogs"]["by_visit"]] == ["2026-03-04", "2026-03-05"]
    assert not codes_of(rep, "USE_BEFORE_RECEIPT")


def test_serial_numbers_in_a_1900_workbook_stay_in_the_1900_system(book):
    path = book({
        "Receiving": [["Product", "Lot", "Qty", "Unit Cost"], ["Botox", "C1", 100, 6]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       [(date(2026, 3, 4) - date(1899, 12, 30)).days, "P1", "Botox", "C1", 20]],
    })
    assert [v["date"] for v in report([path])["cogs"]["by_visit"]] == ["2026-03-04"]


# --- 9. a cost header that names a package ---------------------------------------------


def test_a_cost_per_vial_header_is_per_vial_whatever_the_rows_unit(book):
    # SPEC §1: a cost column whose header names a package is per that package: 20 units of
    # a $600 vial (100 units) cost $120, not $12,000.
    path = book({
        "Products": CATALOG,
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Cost per Vial"],
                      ["Botox", "U1", EXP, 200, "units", 600],
                      ["Botox", "V1", EXP, 2, "vial", 600],
                      ["Botox", "B1", EXP, 100, None, 600]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty"],
                       [date(2026, 3, 4), "P1", "Botox", "U1", 20]],
    })
    rep = report([path])
    assert {l["lot"]: l["unit_cost"] for l in rep["lots"]} == {"U1": 6, "V1": 6, "B1": 6}
    assert rep["cogs"]["total"] == 120
    assert rep["totals"]["received_value"] == 3000


def test_a_price_per_box_header_is_per_box(book):
    path = book({
        "Products": [["Product", "Unit", "Package Unit", "Units per Package"],
                     ["Sculptra", "vial", "box", 2]],
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Price/Box"],
                      ["Sculptra", "S1", EXP, 4, "vial", 800]],
    })
    rep = report([path])
    assert lot_named(rep, "S1")["unit_cost"] == 400
    assert rep["totals"]["received_value"] == 1600


def test_a_cost_per_unit_header_stays_per_the_rows_unit(book):
    path = book({
        "Products": CATALOG,
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Cost per Unit"],
                      ["Botox", "V1", EXP, 2, "vial", 600]],
    })
    assert lot_named(report([path]), "V1")["unit_cost"] == 6


def test_a_cost_per_vial_that_cannot_be_converted_is_not_used(book):
    # no catalog: nothing says how many units a vial holds, so the cost per vial cannot be
    # turned into a cost per unit: the receipt counts, its cost does not (MISSING_COST)
    path = book({
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Cost per Vial"],
                      ["Botox", "U1", EXP, 200, "units", 600]],
    })
    rep = report([path])
    assert [f["source"]["cell"] for f in codes_of(rep, "UNKNOWN_UNIT")] == ["F2"]
    lot = lot_named(rep, "U1")
    assert (lot["received"], lot["unit_cost"]) == (200, None)
    assert codes_of(rep, "MISSING_COST")


def test_a_cost_per_package_header_is_per_the_catalogs_package_unit(book):
    catalog = book({
        "Products": CATALOG,
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Cost Per Package"],
                      ["Botox", "U1", EXP, 100, "units", 600]],
    }, name="catalog.xlsx")
    assert lot_named(report([catalog]), "U1")["unit_cost"] == 6
    # no catalog, so no package known: the cost is per the row's own unit, as written
    bare = book({
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Cost Per Package"],
                      ["Sculptra", "S1", EXP, 2, "box", 800]],
    }, name="bare.xlsx")
    rep = report([bare])
    assert lot_named(rep, "S1")["unit_cost"] == 800 and not codes_of(rep, "UNKNOWN_UNIT")
