"""SPEC §1 "Reading values": dates, numbers with units, lot numbers, products, units and
package conversion, signs, and exact arithmetic — read from real workbooks and CSV files."""

from __future__ import annotations

import json

from datetime import date, datetime
from decimal import Decimal

import pytest

from helpers import codes, found, lot_of, one, reconcile_files, run_files, where
from lotsync.model import AdjustmentType
from lotsync.writers.json_report import render_json

EXP = date(2026, 12, 31)
INV = [["Product", "Lot", "Qty", "Unit Cost", "Exp"], ["Botox", "C3709C3", 100, 6.12, EXP]]


def visit_dates(paths, **kw):
    result, loaded = run_files(paths, **kw)
    return [v.date for v in loaded.practice.visits], result


# --- dates ----------------------------------------------------------------------------


def test_every_date_form_in_one_column(book):
    path = book({"Receiving": INV, "Treatments": [
        ["Date", "Product", "Lot", "Units"],
        [date(2026, 3, 4), "Botox", "C3709C3", 1],               # a date cell
        [datetime(2026, 3, 4, 14, 30), "Botox", "C3709C3", 1],   # a date-time cell
        [46085, "Botox", "C3709C3", 1],                          # an Excel serial
        ["46085", "Botox", "C3709C3", 1],                        # a serial typed as text
        ["2026-03-04", "Botox", "C3709C3", 1],
        ["3/4/2026", "Botox", "C3709C3", 1],
        ["4-Mar-2026", "Botox", "C3709C3", 1],
        ["March 4, 2026", "Botox", "C3709C3", 1],
    ]})
    dates, r = visit_dates([path])
    assert dates == [date(2026, 3, 4)] * 8
    assert "INVALID_VALUE" not in codes(r)


def test_text_dates_in_a_csv(book, csv_file):
    inv = book({"Receiving": INV})
    vis = csv_file([["DOS", "Product", "Lot", "Units"],
                    ["2026-03-04", "Botox", "C3709C3", "1"],
                    ["3/4/2026", "Botox", "C3709C3", "1"],
                    ["4-Mar-2026", "Botox", "C3709C3", "1"],
                    ["March 4, 2026", "Botox", "C3709C3", "1"],
                    ["46085", "Botox", "C3709C3", "1"]])
    dates, _ = visit_dates([inv, vis])
    assert dates == [date(2026, 3, 4)] * 5


def test_a_1904_workbook_reads_its_dates_as_written(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp", "Received"],
                               ["Botox", "C3709C3", 100, date(2027, 5, 31), date(2026, 2, 27)]],
                 "Treatments": [["Date", "Product", "Lot", "Units"],
                                [date(2026, 3, 4), "Botox", "C3709C3", 20]]},
                epoch1904=True)
    result, loaded = run_files([path])
    assert loaded.practice.visits[0].date == date(2026, 3, 4)
    assert loaded.practice.inventory[0].expiration == date(2027, 5, 31)
    assert loaded.practice.inventory[0].received_date == date(2026, 2, 27)
    assert "USE_BEFORE_RECEIPT" not in codes(result)


@pytest.mark.parametrize("cells, day_first, expected", [
    (["13/3/2026", "4/3/2026"], False, [date(2026, 3, 13), date(2026, 3, 4)]),   # a first part > 12: day first
    (["3/13/2026", "3/4/2026"], False, [date(2026, 3, 13), date(2026, 3, 4)]),   # a second part > 12: month first
    (["3/4/2026", "5/6/2026"], False, [date(2026, 3, 4), date(2026, 5, 6)]),     # no evidence: the default
    (["3/4/2026", "5/6/2026"], True, [date(2026, 4, 3), date(2026, 6, 5)]),      # ... or the configured order
    (["13/3/2026", "4/3/2026"], True, [date(2026, 3, 13), date(2026, 3, 4)]),
    (["3/13/2026", "3/4/2026"], True, [date(2026, 3, 13), date(2026, 3, 4)]),    # evidence beats the option
])
def test_day_or_month_first_is_decided_per_column(book, cells, day_first, expected):
    path = book({"Receiving": INV,
                 "Treatments": [["Date", "Product", "Lot", "Units"]]
                 + [[c, "Botox", "C3709C3", 1] for c in cells]})
    dates, _ = visit_dates([path], day_first=day_first)
    assert dates == expected


def test_each_date_column_decides_for_itself(book):
    # received dates are day-first (13/3), the expiration column has no evidence: month first
    path = book({"Receiving": [["Product", "Lot", "Qty", "Received", "Exp"],
                               ["Botox", "C3709C3", 100, "13/3/2026", "3/4/2027"],
                               ["Botox", "H8821", 100, "4/3/2026", "5/6/2027"]]})
    _, loaded = run_files([path])
    inv = loaded.practice.inventory
    assert [i.received_date for i in inv] == [date(2026, 3, 13), date(2026, 3, 4)]
    assert [i.expiration for i in inv] == [date(2027, 3, 4), date(2027, 5, 6)]


def test_an_ambiguous_column_flags_only_cells_that_could_be_read_either_way(book):
    path = book({"Receiving": INV, "Treatments": [
        ["Date", "Product", "Lot", "Units"],
        ["13/3/2026", "Botox", "C3709C3", 1],   # row 2: only day-first is a date
        ["3/14/2026", "Botox", "C3709C3", 2],   # row 3: only month-first is a date
        ["3/4/2026", "Botox", "C3709C3", 4],    # row 4: either way: INVALID_VALUE
        ["5/5/2026", "Botox", "C3709C3", 8],    # row 5: the same either way
        ["2026-03-20", "Botox", "C3709C3", 16],  # row 6: ISO is never ambiguous
    ]})
    dates, r = visit_dates([path])
    f = one(r, "INVALID_VALUE")
    assert where(f) == ("clinic.xlsx", "Treatments", 4, "Date", "A4")
    assert dates == [date(2026, 3, 13), date(2026, 3, 14), date(2026, 5, 5), date(2026, 3, 20)]
    assert lot_of(r, "C3709C3").used == 1 + 2 + 8 + 16


@pytest.mark.parametrize("cell, expected", [
    ("05/2027", date(2027, 5, 31)),
    ("5/2027", date(2027, 5, 31)),
    ("2027-05", date(2027, 5, 31)),
    ("May 2027", date(2027, 5, 31)),
    ("02/2028", date(2028, 2, 29)),
    ("Nov 2026", date(2026, 11, 30)),
    ("2027-05-14", date(2027, 5, 14)),
    (date(2027, 5, 14), date(2027, 5, 14)),
])
def test_a_month_year_expiration_is_the_last_day_of_the_month(book, cell, expected):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Expiration"], ["Botox", "C3709C3", 100, cell]]})
    result, loaded = run_files([path])
    assert loaded.practice.inventory[0].expiration == expected
    assert lot_of(result, "C3709C3").expiration == expected


def test_month_year_is_not_a_visit_date(book):
    path = book({"Receiving": INV, "Treatments": [["Date", "Product", "Lot", "Units"],
                                                  ["05/2026", "Botox", "C3709C3", 1]]})
    r = reconcile_files([path])
    assert where(one(r, "INVALID_VALUE"))[2:] == (2, "Date", "A2")


@pytest.mark.parametrize("cell, ok", [
    ("3/4/1989", False), ("1989-12-31", False), ("2101-01-01", False), ("1/1/2150", False),
    (12, False),            # a serial read as a date: 1900-01-11
    ("1990-01-01", True), ("2100-12-31", True),
])
def test_years_outside_1990_to_2100_are_invalid_values(book, cell, ok):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"], ["Botox", "C3709C3", 100, cell]],
                 "Treatments": [["Date", "Product", "Lot", "Units"], [cell, "Botox", "C3709C3", 1]]})
    r = reconcile_files([path], as_of=date(2100, 12, 31))
    bad = sorted(where(f)[1:] for f in found(r, "INVALID_VALUE"))
    if ok:
        assert bad == []
        assert lot_of(r, "C3709C3").used == 1
    else:
        # the expiration (optional) is treated as blank; the visit date (required) keeps the row out
        assert bad == [("Receiving", 2, "Exp", "D2"), ("Treatments", 2, "Date", "A2")]
        assert "MISSING_EXPIRATION" in codes(r)
        assert lot_of(r, "C3709C3").used == 0
        assert r.inputs[1].rows_after_as_of == 0


def test_a_far_future_typo_is_an_invalid_value_not_a_row_after_as_of(book):
    path = book({"Receiving": INV, "Treatments": [["Date", "Product", "Lot", "Units"],
                                                  ["3/4/2206", "Botox", "C3709C3", 1]]})
    r = reconcile_files([path])
    assert where(one(r, "INVALID_VALUE"))[2:] == (2, "Date", "A2")
    assert [i.rows_after_as_of for i in r.inputs] == [0, 0]


# --- numbers, units, money ------------------------------------------------------------


def test_money_forms(book, csv_file):
    inv = csv_file([["Product", "Lot", "Qty", "Unit Cost", "Total Cost", "Exp"],
                    ["Botox", "A1", "1", "$612.00", "", "2026-12-31"],
                    ["Botox", "B2", "2", "", "1,200.50", "2026-12-31"],
                    ["Botox", "C3", "1,000", "$1,200.50", "", "2026-12-31"]], name="receiving.csv")
    r = reconcile_files([inv])
    assert lot_of(r, "A1").unit_cost == Decimal("612.00")
    assert lot_of(r, "B2").unit_cost == Decimal("600.25")
    assert lot_of(r, "C3").unit_cost == Decimal("1200.50")
    assert lot_of(r, "C3").received == 1000
    assert "INVALID_VALUE" not in codes(r)


def test_quantities_with_units_after_the_number(book, csv_file):
    inv = book({"Receiving": INV})
    vis = csv_file([["Date", "Product", "Lot", "Qty"],
                    ["2026-03-04", "Botox", "C3709C3", "20u"],
                    ["2026-03-05", "Botox", "C3709C3", "20 units"],
                    ["2026-03-06", "Botox", "C3709C3", "12.5 U"],
                    ["2026-03-07", "Juvederm", "J1", "0.5 mL"],
                    ["2026-03-08", "Juvederm", "J1", "1 syringe"],
                    ["2026-03-09", "Juvederm", "J1", "0.8 cc"]])
    _, loaded = run_files([inv, vis])
    got = [(v.quantity, v.unit) for v in loaded.practice.visits]
    assert got == [(20, "units"), (20, "units"), (Decimal("12.5"), "units"),
                   (Decimal("0.5"), "mL"), (1, "syringe"), (Decimal("0.8"), "mL")]


def test_a_unit_column_gives_the_unit_and_a_blank_unit_cell_falls_back_to_the_text(book):
    path = book({"Receiving": INV,
                 "Treatments": [["Date", "Product", "Lot", "Amount", "UoM"],
                                [date(2026, 3, 4), "Botox", "C3709C3", "20", "units"],
                                [date(2026, 3, 5), "Botox", "C3709C3", "20u", None]]})
    _, loaded = run_files([path])
    assert [(v.quantity, v.unit) for v in loaded.practice.visits] == [(20, "units"), (20, "units")]


@pytest.mark.parametrize("word", ["N/A", "NA", "none", "unknown", "-", "?"])
def test_not_recorded_words_are_missing_lot_in_a_lot_cell_but_invalid_elsewhere(book, word):
    path = book({"Receiving": INV,
                 "Treatments": [["Date", "Product", "Lot", "Units", "Price"],
                                [date(2026, 3, 4), "Botox", word, 20, 300],     # row 2: lot
                                [date(2026, 3, 5), "Botox", "C3709C3", 10, 300],
                                [date(2026, 3, 6), "Botox", "C3709C3", word, 300],  # row 4: quantity
                                [date(2026, 3, 7), "Botox", "C3709C3", 10, word]]})  # row 5: price
    r = reconcile_files([path])
    assert where(one(r, "MISSING_LOT"))[2:] == (2, "Lot", "C2")
    assert sorted(where(f)[2:] for f in found(r, "INVALID_VALUE")) == [(4, "Units", "D4"), (5, "Price", "E5")]
    assert lot_of(r, "C3709C3").used == 20 + 10 + 10  # row 2 inferred, row 4 out, row 5 used


def test_not_recorded_lot_on_a_receipt_is_missing_required_and_other_bad_cells_still_reported(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"],
                               ["Botox", "C3709C3", 100, EXP],
                               ["Botox", "N/A", 50, "soon"]]})
    r = reconcile_files([path])
    row3 = sorted((f.code, f.source.cell) for f in r.findings if f.source.row == 3)
    assert row3 == [("INVALID_VALUE", "D3"), ("MISSING_REQUIRED", "B3")]
    assert [l.lot for l in r.lots] == ["C3709C3"]


# --- lot numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["C3709C3", "Lot: C3709C3", "LOT# C3709C3", "lot C3709C3",
                                      "Lot No. C3709C3", "lot number c3709c3", "c3709-c3", " C3709 C3 "])
def test_lot_spellings_are_one_lot(book, spelling):
    path = book({"Receiving": INV, "Treatments": [["Date", "Product", "Lot", "Units"],
                                                  [date(2026, 3, 4), "Botox", spelling, 20]]})
    r = reconcile_files([path])
    assert not ({"UNKNOWN_LOT", "MISSING_LOT", "LOT_PRODUCT_MISMATCH"} & set(codes(r)))
    lot = lot_of(r, "C3709C3")
    assert (lot.used, lot.used_inferred) == (20, 0)


def test_a_lot_label_glued_to_the_number_is_part_of_the_lot(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"], ["Botox", "LOT4512", 100, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Units"],
                                [date(2026, 3, 4), "Botox", "LOT4512", 20],
                                [date(2026, 3, 5), "Botox", "lot4512", 20],
                                [date(2026, 3, 6), "Botox", "Lot 4512", 20]]})  # row 4: lot key 4512
    r = reconcile_files([path])
    f = one(r, "UNKNOWN_LOT")
    assert where(f)[2:] == (4, "Lot", "C4")
    assert lot_of(r, "LOT4512").used - lot_of(r, "LOT4512").used_inferred == 40


def test_the_first_spelling_seen_is_displayed(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"],
                               ["Botox", "c3709-c3", 100, EXP],
                               ["Botox", "C3709C3", 100, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Units"],
                                [date(2026, 3, 4), "Botox", "Lot: C3709C3", 20]]})
    r = reconcile_files([path])
    assert [(l.lot, l.received, l.used) for l in r.lots] == [("c3709-c3", 200, 20)]


def test_a_numeric_lot_cell_matches_its_text_spelling(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"], ["Xeomin", 104522, 50, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Units"],
                                [date(2026, 3, 4), "Xeomin", "104522", 10],
                                [date(2026, 3, 5), "Xeomin", 104522.0, 10]]})
    r = reconcile_files([path])
    assert "UNKNOWN_LOT" not in codes(r)
    assert lot_of(r, "104522").used == 20


# --- products, units and packages -----------------------------------------------------


def test_product_names_match_ignoring_case_and_repeated_spaces(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"], ["Botox Cosmetic", "C1", 100, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Units"],
                                [date(2026, 3, 4), "  botox   COSMETIC ", "C1", 20]]})
    r = reconcile_files([path])
    assert not ({"PRODUCT_ALIAS", "LOT_PRODUCT_MISMATCH", "UNKNOWN_LOT"} & set(codes(r)))
    assert lot_of(r, "C1").used == 20


def test_catalog_aliases_name_one_product(book):
    path = book({"Products": [["Product", "Aliases", "Unit"], ["Botox Cosmetic", "BTX, Botox", "units"]],
                 "Receiving": [["Product", "Lot", "Qty", "Exp"], ["Botox Cosmetic", "C1", 100, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Units"],
                                [date(2026, 3, 4), "BTX", "C1", 20],
                                [date(2026, 3, 5), "botox", "C1", 10]]})
    r = reconcile_files([path])
    assert not ({"PRODUCT_ALIAS", "LOT_PRODUCT_MISMATCH", "UNKNOWN_LOT"} & set(codes(r)))
    assert [(l.product, l.used) for l in r.lots] == [("Botox Cosmetic", 30)]


PRODUCTS = [["Product", "Unit", "Package Unit", "Units per Package"],
            ["Botox", "units", "vial", 100],
            ["Juvederm Ultra XC", "mL", "syringe", 1]]


def test_vials_received_units_used_cost_per_vial_divided(book):
    path = book({
        "Products": PRODUCTS,
        "Receiving": [["Product", "Lot", "Qty", "Unit", "Cost per Vial", "Remaining", "Exp"],
                      ["Botox", "C3709C3", 2, "vials", "$612.00", 0.8, EXP]],
        "Treatments": [["Date", "Product", "Lot", "Units"],
                       [date(2026, 3, 4), "Botox", "C3709C3", 20],
                       [date(2026, 3, 5), "Botox", "C3709C3", "1 vial"]],
    })
    r = reconcile_files([path])
    lot = lot_of(r, "C3709C3")
    assert (lot.received, lot.used, lot.derived_remaining, lot.recorded_remaining) == (200, 120, 80, 80)
    assert lot.unit_cost == Decimal("6.12")
    assert lot.unit == "units"
    assert r.cogs.total == Decimal("734.40")
    assert not ({"UNKNOWN_UNIT", "REMAINING_MISMATCH"} & set(codes(r)))


def test_total_cost_is_for_the_rows_whole_quantity(book):
    path = book({"Products": PRODUCTS,
                 "Receiving": [["Product", "Lot", "Qty", "Unit", "Total Cost", "Exp"],
                               ["Botox", "C3709C3", 3, "vial", 1800, EXP]]})
    lot = lot_of(reconcile_files([path]), "C3709C3")
    assert (lot.received, lot.unit_cost) == (300, 6)


def test_syringes_received_and_ml_used(book):
    path = book({"Products": PRODUCTS,
                 "Receiving": [["Product", "Lot", "Qty", "Unit", "Unit Cost", "Exp"],
                               ["Juvederm Ultra XC", "JV100", 2, "syringe", 300, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Amount"],
                                [date(2026, 3, 4), "Juvederm Ultra XC", "JV100", "0.5 mL"],
                                [date(2026, 3, 5), "Juvederm Ultra XC", "JV100", "1 syringe"]]})
    r = reconcile_files([path])
    lot = lot_of(r, "JV100")
    assert (lot.received, lot.used, lot.derived_remaining, lot.unit_cost) == (2, Decimal("1.5"), Decimal("0.5"), 300)
    assert r.cogs.total == 450


def test_the_unit_of_use_without_a_catalog_is_the_unit_most_visits_use(book):
    path = book({"Receiving": [["Product", "Lot", "Qty", "Unit", "Exp"],
                               ["Botox", "C1", 100, None, EXP],
                               ["Botox", "C2", 1, "vial", EXP]],  # row 3
                 "Treatments": [["Date", "Product", "Lot", "Qty"],
                                [date(2026, 3, 4), "Botox", "C1", "20 u"],
                                [date(2026, 3, 5), "Botox", "C1", "10 units"],
                                [date(2026, 3, 6), "Botox", "C1", "1 vial"]]})
    r = reconcile_files([path])
    assert lot_of(r, "C1").unit == "units"
    assert lot_of(r, "C1").used == 30
    # a vial cannot be converted to units without units per package: UNKNOWN_UNIT, twice
    assert sorted(where(f)[1:4] for f in found(r, "UNKNOWN_UNIT")) == [
        ("Receiving", 3, "Unit"), ("Treatments", 4, "Qty")]


def test_dysport_units_are_not_botox_units(book):
    # the catalog converts Botox vials; Dysport has no package conversion of its own
    path = book({"Products": PRODUCTS,
                 "Receiving": [["Product", "Lot", "Qty", "Unit", "Exp"],
                               ["Dysport", "D1", 300, "units", EXP], ["Botox", "C1", 1, "vial", EXP]],
                 "Treatments": [["Date", "Product", "Lot", "Amount"],
                                [date(2026, 3, 4), "Dysport", "D1", "50 units"],
                                [date(2026, 3, 5), "Dysport", "D1", "1 vial"],   # row 3
                                [date(2026, 3, 6), "Dysport", "D1", "60 u"]]})
    r = reconcile_files([path])
    assert where(one(r, "UNKNOWN_UNIT"))[1:3] == ("Treatments", 3)
    assert lot_of(r, "D1").used == 110
    assert lot_of(r, "C1").received == 100


# --- signs ----------------------------------------------------------------------------


def test_signs_only_adjustment_is_signed(book):
    path = book({"Receiving": INV,
                 "Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", -10, "waste"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", "(3)", "return"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", -2, "expired"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", -5, "adjustment"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", 1, "correction"]]})
    lot = lot_of(reconcile_files([path]), "C3709C3")
    assert (lot.wasted, lot.returned, lot.expired_out, lot.adjusted) == (10, 3, 2, -4)
    assert lot.derived_remaining == 100 - 10 - 3 - 2 - 4


@pytest.mark.parametrize("word, kind", [
    ("waste", "waste"), ("Wasted", "waste"), ("spoiled", "waste"), ("DAMAGED", "waste"), ("broken", "waste"),
    ("expired", "expired"), ("Expiry", "expired"), ("expired write-off", "expired"),
    ("return", "return"), ("returned", "return"), ("Return to vendor", "return"),
    ("adjustment", "adjustment"), ("correction", "adjustment"), ("adjust", "adjustment"),
    ("count correction", "adjustment"),
    ("transfer", "transfer"), ("xfer", "transfer"), ("moved", "transfer"),
])
def test_adjustment_type_spellings(book, word, kind):
    path = book({"Receiving": INV,
                 "Adjustments": [["Date", "Product", "Lot", "Qty", "Type", "To Location"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", 5, word, "Uptown"]]})
    result, loaded = run_files([path])
    assert [a.type for a in loaded.practice.adjustments] == [AdjustmentType(kind)]


def test_an_unknown_adjustment_type_is_an_invalid_value(book):
    path = book({"Receiving": INV,
                 "Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                                 [date(2026, 3, 4), "Botox", "C3709C3", 5, "gift"]]})
    r = reconcile_files([path])
    assert where(one(r, "INVALID_VALUE"))[1:] == ("Adjustments", 2, "Type", "E2")
    assert lot_of(r, "C3709C3").derived_remaining == 100


# --- exactness ------------------------------------------------------------------------


def test_fractional_use_leaves_exactly_zero(book):
    rows = [[date(2026, 3, 4), "Botox", "C3709C3", 0.1]] * 10 + \
           [[date(2026, 3, 5), "Botox", "C3709C3", 0.2]] * 5 + \
           [[date(2026, 3, 6), "Botox", "C3709C3", 0.3]] * 3 + \
           [[date(2026, 3, 7), "Botox", "C3709C3", 97.1]]
    path = book({"Receiving": INV, "Treatments": [["Date", "Product", "Lot", "Units"]] + rows})
    r = reconcile_files([path])
    lot = lot_of(r, "C3709C3")
    assert lot.used == 100
    assert lot.derived_remaining == 0
    assert lot.status == "depleted"
    assert r.cogs.total == Decimal("612")
    assert sum((m.cogs for m in r.cogs.by_month), Decimal(0)) == r.cogs.total
    report = json.loads(render_json(r), parse_float=Decimal)
    assert report["lots"][0]["derived_remaining"] == 0  # not 1e-14, in the JSON too
    assert report["cogs"]["total"] == Decimal("612")
    assert "NEGATIVE_BALANCE" not in codes(r)


def test_fractional_use_from_csv_text_leaves_exactly_zero(book, csv_file):
    inv = book({"Receiving": [["Product", "Lot", "Qty", "Exp"], ["Filler", "F1", 1, EXP]]})
    vis = csv_file([["Date", "Product", "Lot", "mL"]] +
                   [["2026-03-04", "Filler", "F1", "0.1"]] * 7 + [["2026-03-05", "Filler", "F1", "0.3"]])
    lot = lot_of(reconcile_files([inv, vis]), "F1")
    assert lot.derived_remaining == 0
    assert lot.status == "depleted"


@pytest.mark.parametrize("text, unit", [
    ("2 u", "units"), ("2 unit", "units"), ("2 Units", "units"), ("2 IU", "units"),
    ("2 ml", "mL"), ("2 cc", "mL"), ("2 mg", "mg"), ("2 mcg", "mcg"),
    ("2 syr", "syringe"), ("2 syringes", "syringe"), ("2 vial", "vial"), ("2 Vials", "vial"),
    ("2 box", "box"), ("2 boxes", "box"), ("2 bx", "box"), ("2 ea", "each"), ("2 each", "each"),
    ("2 pc", "each"),
])
def test_unit_words(book, text, unit):
    path = book({"Receiving": INV, "Treatments": [["Date", "Product", "Lot", "Qty"],
                                                  [date(2026, 3, 4), "Botox", "C3709C3", text]]})
    _, loaded = run_files([path])
    assert [(v.quantity, v.unit) for v in loaded.practice.visits] == [(2, unit)]


def test_money_is_written_to_report_json_with_all_its_digits(book):
    # $650 for a 3 mL syringe: the one division, to 28 significant digits, written as is
    path = book({"Products": [["Product", "Unit", "Package Unit", "Units per Package"],
                              ["Radiesse", "mL", "syringe", 3]],
                 "Receiving": [["Product", "Lot", "Qty", "Unit", "Unit Cost", "Exp"],
                               ["Radiesse", "R1", 1, "syringe", 650, EXP]],
                 "Treatments": [["Date", "Product", "Lot", "mL"],
                                [date(2026, 3, 4), "Radiesse", "R1", 1.5]]})
    r = reconcile_files([path])
    report = json.loads(render_json(r), parse_float=Decimal)
    (lot,) = report["lots"]
    assert lot["unit_cost"] == Decimal("216.6666666666666666666666667")
    assert (lot["received"], lot["used"], lot["derived_remaining"]) == (3, Decimal("1.5"), Decimal("1.5"))
    # 1.5 x the cost, exactly (no second rounding on the way to the JSON)
    assert report["cogs"]["total"] == Decimal("325.00000000000000000000000005")
    assert report["totals"]["cogs"] == report["cogs"]["total"]
