"""SPEC §3: every finding code, raised from a real workbook, with its severity and the cell
it points to (file, sheet, 1-based row, column header, A1 cell); and its negative twin."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from helpers import AS_OF, codes, found, lot_of, one, reconcile_files, where

# Receiving columns:  A Product | B Lot | C Expiration | D Date Received | E Qty | F Unit Cost
RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"]
# Treatments columns: A Date | B Patient | C Provider | D Product | E Lot | F Units
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Units"]

EXP = date(2026, 12, 31)
MAR1 = date(2026, 3, 1)


def botox(lot="C3709C3", qty=100, exp=EXP, received=MAR1, cost=6.12):
    return ["Botox", lot, exp, received, qty, cost]


def visit(day, lot="C3709C3", units=20, patient="P1", provider="Amy", product="Botox"):
    return [day, patient, provider, product, lot, units]


# --- reading cells --------------------------------------------------------------------


def test_invalid_value_points_at_the_cell_and_keeps_the_row_out(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 4), units=15),
                                visit(date(2026, 3, 5), units="twenty")]})  # row 3, F3
    r = reconcile_files([path])
    f = one(r, "INVALID_VALUE")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 3, "Units", "F3")
    assert lot_of(r, "C3709C3").used == 15


def test_every_unreadable_cell_of_a_kept_out_row_gets_its_invalid_value(book):
    # quantity (required) and expiration (optional) both unreadable: the row is out, and
    # each cell that cannot be read gets its own finding (and nothing else is raised)
    path = book({"Receiving": [RECV, botox(), ["Botox", "H8821", "soon", MAR1, "lots", None]]})
    r = reconcile_files([path])
    row3 = sorted((f.code, f.source.cell) for f in r.findings if f.source.row == 3)
    assert row3 == [("INVALID_VALUE", "C3"), ("INVALID_VALUE", "E3")]


def test_row_kept_out_by_invalid_value_gets_only_that_finding(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 4)),
                                # row 3: an unreadable quantity and a lot not recorded: only
                                # INVALID_VALUE (no MISSING_LOT: the row is out of the ledger)
                                visit(date(2026, 3, 4), lot="N/A", units="lots"),
                                # row 4: a blank quantity and an unknown lot: only MISSING_REQUIRED
                                visit(date(2026, 3, 4), lot="ZZ999", units=None)]})
    r = reconcile_files([path])
    row3 = [(f.code, f.source.cell) for f in r.findings if f.source.row == 3 and f.source.sheet == "Treatments"]
    row4 = [(f.code, f.source.cell) for f in r.findings if f.source.row == 4 and f.source.sheet == "Treatments"]
    assert row3 == [("INVALID_VALUE", "F3")]
    assert row4 == [("MISSING_REQUIRED", "F4")]
    assert lot_of(r, "C3709C3").used == 20  # only row 2 took


def test_unreadable_optional_cell_is_blank_after_its_finding_and_the_row_is_used(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT + ["Price"],
                                visit(date(2026, 3, 4)) + ["free"]]})  # G2
    r = reconcile_files([path])
    f = one(r, "INVALID_VALUE")
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Price", "G2")
    assert lot_of(r, "C3709C3").used == 20
    assert r.cogs.by_visit[0].revenue is None


def test_missing_required_points_at_the_blank_cell(book):
    path = book({"Receiving": [RECV, botox(), ["Botox", "C1", EXP, MAR1, None, 6.12]],  # E3 blank
                 "Treatments": [TREAT, visit(None)]})  # A2 blank
    r = reconcile_files([path])
    fs = sorted(where(f) for f in found(r, "MISSING_REQUIRED"))
    assert fs == [("clinic.xlsx", "Receiving", 3, "Qty", "E3"),
                  ("clinic.xlsx", "Treatments", 2, "Date", "A2")]
    assert all(f.severity == "error" for f in found(r, "MISSING_REQUIRED"))
    assert [l.lot for l in r.lots] == ["C3709C3"]  # the receipt without a quantity made no lot


# --- lots -----------------------------------------------------------------------------


@pytest.mark.parametrize("cell", [None, "N/A", "NA", "none", "Unknown", "-", "?"])
def test_missing_lot_points_at_the_lot_cell(book, cell):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT, visit(date(2026, 3, 4), lot=cell)]})
    r = reconcile_files([path])
    f = one(r, "MISSING_LOT")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Lot", "E2")
    assert f.product == "Botox" and f.date == date(2026, 3, 4)


def test_unknown_lot_suggests_known_lots_within_edit_distance_two(book):
    path = book({"Receiving": [RECV, botox("C3709C3"), botox("H8821", exp=date(2026, 11, 30))],
                 "Treatments": [TREAT, visit(date(2026, 3, 4), lot="C3709C4")]})
    r = reconcile_files([path])
    f = one(r, "UNKNOWN_LOT")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Lot", "E2")
    assert f.lot == "C3709C4"
    assert "C3709C3" in f.suggestion and "H8821" not in f.suggestion.split("Inferred")[0]


def test_unknown_lot_on_an_adjustment_takes_nothing(book):
    path = book({"Receiving": [RECV, botox()],
                 "Waste": [["Date", "Product", "Lot", "Qty", "Type"],
                           [date(2026, 3, 5), "Botox", "QQ000", 10, "waste"]]})
    r = reconcile_files([path])
    f = one(r, "UNKNOWN_LOT")
    assert where(f) == ("clinic.xlsx", "Waste", 2, "Lot", "C2")
    assert lot_of(r, "C3709C3").wasted == 0
    assert lot_of(r, "C3709C3").derived_remaining == 100


def test_lot_product_mismatch_when_the_lot_belongs_to_an_unrelated_product(book):
    path = book({"Receiving": [RECV, botox(), ["Juvederm Voluma", "VB123", EXP, MAR1, 2, 300]],
                 "Treatments": [TREAT, visit(date(2026, 3, 4), lot="VB123")]})
    r = reconcile_files([path])
    f = one(r, "LOT_PRODUCT_MISMATCH")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Lot", "E2")
    assert lot_of(r, "VB123").used == 0  # a Botox row takes nothing from the filler lot
    assert "PRODUCT_ALIAS" not in codes(r)


def test_shared_word_is_product_alias_not_mismatch(book):
    path = book({"Receiving": [RECV, ["Juvederm Voluma", "VB123", EXP, MAR1, 2, 300]],
                 "Treatments": [TREAT, visit(date(2026, 3, 4), product="Voluma", lot="VB123", units=1)]})
    r = reconcile_files([path])
    f = one(r, "PRODUCT_ALIAS")
    assert f.severity == "info"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Product", "D2")
    assert "LOT_PRODUCT_MISMATCH" not in codes(r)
    assert lot_of(r, "VB123").used == 1


def test_product_alias_looks_only_at_the_rows_location(book):
    # the lot exists under a product sharing a word, but only at another site
    path = book({"Receiving": [RECV + ["Location"],
                               ["Juvederm Voluma", "VB123", EXP, MAR1, 2, 300, "Downtown"]],
                 "Treatments": [TREAT + ["Location"],
                                visit(date(2026, 3, 4), product="Voluma", lot="VB123", units=1) + ["Uptown"]]})
    r = reconcile_files([path])
    assert "PRODUCT_ALIAS" not in codes(r)
    assert where(one(r, "LOT_PRODUCT_MISMATCH"))[2:] == (2, "Lot", "E2")


# --- units ----------------------------------------------------------------------------


def test_unknown_unit_points_at_the_unit_cell(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT + ["Unit"],
                                visit(date(2026, 3, 4)) + ["units"],
                                visit(date(2026, 3, 5)) + ["units"],
                                visit(date(2026, 3, 6), units=2, patient="P2") + ["vials"]]})  # G4
    r = reconcile_files([path])
    f = one(r, "UNKNOWN_UNIT")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 4, "Unit", "G4")
    assert lot_of(r, "C3709C3").used == 40  # the row in vials takes nothing


def test_unknown_unit_points_at_the_quantity_cell_without_a_unit_column(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 4), units="20u"),
                                visit(date(2026, 3, 5), units="2 vials"),  # F3
                                visit(date(2026, 3, 6), units="15 units")]})
    r = reconcile_files([path])
    assert where(one(r, "UNKNOWN_UNIT")) == ("clinic.xlsx", "Treatments", 3, "Units", "F3")
    assert lot_of(r, "C3709C3").used == 35


# --- the ledger -----------------------------------------------------------------------


def test_expired_use_after_the_expiration_day_not_on_it(book):
    exp = date(2026, 3, 31)
    path = book({"Receiving": [RECV, botox(exp=exp)],
                 "Treatments": [TREAT,
                                visit(exp),  # row 2: the expiration day itself is fine
                                visit(exp + timedelta(days=1), patient="P2")]})  # row 3
    r = reconcile_files([path])
    f = one(r, "EXPIRED_USE")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 3, "Lot", "E3")
    assert f.date == date(2026, 4, 1)
    assert f.value == Decimal("20") * Decimal("6.12")


def test_negative_balance_once_on_the_day_it_goes_below_zero(book):
    path = book({"Receiving": [RECV, botox(qty=100)],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 2), units=60),
                                visit(date(2026, 3, 3), units=30, patient="P2"),
                                visit(date(2026, 3, 3), units=30, patient="P3"),  # row 4: -20 at end of 3/3
                                visit(date(2026, 3, 4), units=10, patient="P4"),  # -30: no new finding
                                visit(date(2026, 3, 5), units=5, patient="P5")]})
    r = reconcile_files([path])
    f = one(r, "NEGATIVE_BALANCE")
    assert f.severity == "error"
    assert where(f) == ("clinic.xlsx", "Treatments", 4, "Lot", "E4")
    assert f.date == date(2026, 3, 3)
    assert f.quantity == -20
    assert lot_of(r, "C3709C3").derived_remaining == -35


def test_negative_balance_judged_at_end_of_day_not_mid_day(book):
    # 100 received; on 3/3 a visit of 120 then a +30 correction: the day ends at +10
    path = book({"Receiving": [RECV, botox(qty=100)],
                 "Treatments": [TREAT, visit(date(2026, 3, 3), units=120)],
                 "Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                                 [date(2026, 3, 3), "Botox", "C3709C3", 30, "adjustment"]]})
    r = reconcile_files([path])
    assert "NEGATIVE_BALANCE" not in codes(r)
    assert lot_of(r, "C3709C3").derived_remaining == 10


def test_negative_balance_raised_again_after_the_lot_recovered(book):
    path = book({"Receiving": [RECV, botox(qty=100)],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 2), units=110),                # row 2: -10
                                visit(date(2026, 3, 6), units=50, patient="P2")]},  # row 3: -50
                )
    adj = book({"Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                                [date(2026, 3, 4), "Botox", "C3709C3", 20, "correction"]]},  # +20: +10
               name="adjust.xlsx")
    r = reconcile_files([path, adj])
    assert sorted(f.source.row for f in found(r, "NEGATIVE_BALANCE")) == [2, 3]


def test_use_before_receipt_points_at_the_date_cell(book):
    path = book({"Receiving": [RECV, botox(received=date(2026, 3, 10))],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 5)),           # row 2: before receipt
                                visit(date(2026, 3, 10), patient="P2")]})  # same day: fine
    r = reconcile_files([path])
    f = one(r, "USE_BEFORE_RECEIPT")
    assert f.severity == "warning"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Date", "A2")


def test_use_before_receipt_for_an_adjustment_that_removes_stock(book):
    path = book({"Receiving": [RECV, botox(received=date(2026, 3, 10))],
                 "Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                                 [date(2026, 3, 5), "Botox", "C3709C3", 10, "waste"],    # row 2
                                 [date(2026, 3, 6), "Botox", "C3709C3", 5, "adjustment"]]})  # adds: no
    r = reconcile_files([path])
    assert where(one(r, "USE_BEFORE_RECEIPT")) == ("clinic.xlsx", "Adjustments", 2, "Date", "A2")


def test_unlogged_transfer_takes_from_the_other_site(book):
    path = book({"Receiving": [RECV + ["Location"], botox() + ["Downtown"]],
                 "Treatments": [TREAT + ["Location"], visit(date(2026, 3, 4)) + ["Uptown"]]})
    r = reconcile_files([path])
    f = one(r, "UNLOGGED_TRANSFER")
    assert f.severity == "warning"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Lot", "E2")
    assert f.location == "Uptown"  # a row's findings carry the row's own location
    assert lot_of(r, "C3709C3", "Downtown").used == 20
    assert [l.location for l in r.lots] == ["Downtown"]


def test_unlogged_transfer_takes_from_the_site_with_most_on_hand(book):
    path = book({"Receiving": [RECV + ["Location"],
                               botox(qty=10) + ["Downtown"], botox(qty=50) + ["Midtown"]],
                 "Treatments": [TREAT + ["Location"], visit(date(2026, 3, 4)) + ["Uptown"]]})
    r = reconcile_files([path])
    assert lot_of(r, "C3709C3", "Midtown").used == 20
    assert lot_of(r, "C3709C3", "Downtown").used == 0


def test_fefo_violation_names_the_lot_to_use(book):
    path = book({"Receiving": [RECV,
                               botox("EARLY1", exp=date(2026, 8, 31)),
                               botox("LATE22", exp=date(2026, 12, 31))],
                 "Treatments": [TREAT, visit(date(2026, 3, 4), lot="LATE22")]})
    r = reconcile_files([path])
    f = one(r, "FEFO_VIOLATION")
    assert f.severity == "warning"
    assert where(f) == ("clinic.xlsx", "Treatments", 2, "Lot", "E2")
    assert "EARLY1" in f.suggestion


@pytest.mark.parametrize("early, note", [
    (["Botox", "EARLY1", date(2026, 8, 31), MAR1, 10, 6.12], "holds less than the 20 used"),
    (["Botox", "EARLY1", date(2026, 3, 3), MAR1, 100, 6.12], "already expired on the visit date"),
    (["Botox", "EARLY1", None, MAR1, 100, 6.12], "no expiration: no part in FEFO"),
    (["Botox", "EARLY1", date(2026, 8, 31), MAR1, 20, 6.12], "holds exactly 20: a violation"),
])
def test_fefo_violation_twins(book, early, note):
    path = book({"Receiving": [RECV, early, botox("LATE22", exp=date(2026, 12, 31))],
                 "Treatments": [TREAT, visit(date(2026, 3, 4), lot="LATE22")]})
    r = reconcile_files([path])
    expected = 1 if "a violation" in note else 0
    assert len(found(r, "FEFO_VIOLATION")) == expected, note


def test_fefo_violation_only_for_lots_at_the_same_location(book):
    path = book({"Receiving": [RECV + ["Location"],
                               botox("EARLY1", exp=date(2026, 8, 31)) + ["Uptown"],
                               botox("LATE22", exp=date(2026, 12, 31)) + ["Downtown"]],
                 "Treatments": [TREAT + ["Location"], visit(date(2026, 3, 4), lot="LATE22") + ["Downtown"]]})
    assert "FEFO_VIOLATION" not in codes(reconcile_files([path]))


def test_duplicate_entry_on_each_later_row_and_it_still_takes(book):
    row = visit(date(2026, 3, 4))
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT, row, list(row), list(row),
                                visit(date(2026, 3, 4), units=21)]})  # another quantity: not a duplicate
    r = reconcile_files([path])
    fs = found(r, "DUPLICATE_ENTRY")
    assert [where(f) for f in fs] == [("clinic.xlsx", "Treatments", 3, "Lot", "E3"),
                                      ("clinic.xlsx", "Treatments", 4, "Lot", "E4")]
    assert all(f.severity == "warning" for f in fs)
    assert len({f.id for f in fs}) == 2
    assert lot_of(r, "C3709C3").used == 81


def test_duplicate_entry_compares_the_resolved_product_and_lot_key(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT,
                                visit(date(2026, 3, 4), lot="C3709C3"),
                                visit(date(2026, 3, 4), lot="Lot: C3709C3", product="BOTOX")]})
    r = reconcile_files([path])
    assert where(one(r, "DUPLICATE_ENTRY"))[2] == 3


# --- end-of-ledger checks -------------------------------------------------------------

RECV_REM = RECV + ["Remaining"]  # G Remaining


def test_remaining_mismatch_points_at_the_remaining_cell(book):
    path = book({"Receiving": [RECV_REM, botox() + [90]],  # derived: 100 - 20 = 80
                 "Treatments": [TREAT, visit(date(2026, 3, 4))]})
    r = reconcile_files([path])
    f = one(r, "REMAINING_MISMATCH")
    assert f.severity == "warning"
    assert where(f) == ("clinic.xlsx", "Receiving", 2, "Remaining", "G2")
    assert f.date == AS_OF
    assert f.quantity == 10
    lot = lot_of(r, "C3709C3")
    assert (lot.recorded_remaining, lot.derived_remaining, lot.variance) == (90, 80, 10)


@pytest.mark.parametrize("remaining, mismatch", [(80, False), (80.01, False), (79.99, False),
                                                 (80.011, True), (79.989, True)])
def test_remaining_mismatch_tolerance_is_exact(book, remaining, mismatch):
    path = book({"Receiving": [RECV_REM, botox() + [remaining]],
                 "Treatments": [TREAT, visit(date(2026, 3, 4))]})
    assert ("REMAINING_MISMATCH" in codes(reconcile_files([path]))) is mismatch


def test_remaining_of_several_receipts_adds_up(book):
    path = book({"Receiving": [RECV_REM, botox(qty=100) + [50], botox(qty=100, received=date(2026, 3, 2)) + [130]],
                 "Treatments": [TREAT, visit(date(2026, 3, 4))]})
    r = reconcile_files([path])
    assert "REMAINING_MISMATCH" not in codes(r)
    assert lot_of(r, "C3709C3").recorded_remaining == 180


COUNT = ["Date", "Product", "Lot", "Counted"]  # D Counted


def test_count_variance_points_at_the_counted_cell_and_sets_the_balance(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT, visit(date(2026, 3, 4))],
                 "Count": [COUNT, [date(2026, 3, 31), "Botox", "C3709C3", 75]]})
    r = reconcile_files([path])
    f = one(r, "COUNT_VARIANCE")
    assert f.severity == "warning"
    assert where(f) == ("clinic.xlsx", "Count", 2, "Counted", "D2")
    assert f.quantity == -5
    lot = lot_of(r, "C3709C3")
    assert (lot.count_variance, lot.derived_remaining) == (-5, 75)


def test_count_within_tolerance_is_no_count_variance(book):
    path = book({"Receiving": [RECV, botox()],
                 "Treatments": [TREAT, visit(date(2026, 3, 4))],
                 "Count": [COUNT, [date(2026, 3, 31), "Botox", "C3709C3", 79.99]]})
    r = reconcile_files([path])
    assert "COUNT_VARIANCE" not in codes(r)
    assert lot_of(r, "C3709C3").derived_remaining == Decimal("79.99")


def test_cost_conflict_points_at_the_later_receipts_cost_cell(book):
    path = book({"Receiving": [RECV,
                               botox(qty=100, cost=6.00),
                               botox(qty=300, cost=6.50, received=date(2026, 4, 1))]},  # F3
                )
    r = reconcile_files([path])
    f = one(r, "COST_CONFLICT")
    assert f.severity == "warning"
    assert where(f) == ("clinic.xlsx", "Receiving", 3, "Unit Cost", "F3")
    assert f.date == date(2026, 4, 1)
    assert lot_of(r, "C3709C3").unit_cost == Decimal("6.375")  # (100*6 + 300*6.5) / 400


def test_cost_within_half_a_cent_is_no_conflict(book):
    path = book({"Receiving": [RECV, botox(cost=6.12), botox(cost=6.125, received=date(2026, 4, 1))]})
    assert "COST_CONFLICT" not in codes(reconcile_files([path]))


def test_missing_cost_points_at_the_lots_first_receipt(book):
    path = book({"Receiving": [RECV, botox("H8821"),
                               botox(cost=None, received=date(2026, 3, 2)),    # row 3: first receipt
                               botox(cost=None, received=date(2026, 3, 9))]})
    r = reconcile_files([path])
    f = one(r, "MISSING_COST")
    assert f.severity == "warning"
    assert where(f)[:3] == ("clinic.xlsx", "Receiving", 3)
    assert f.lot == "C3709C3"
    assert f.date == date(2026, 3, 2)
    assert lot_of(r, "C3709C3").unit_cost is None


def test_missing_expiration_points_at_the_lots_first_receipt(book):
    path = book({"Receiving": [RECV, botox("H8821"), botox(exp=None, received=date(2026, 3, 2))]})
    r = reconcile_files([path])
    f = one(r, "MISSING_EXPIRATION")
    assert f.severity == "warning"
    assert where(f)[:3] == ("clinic.xlsx", "Receiving", 3)
    assert f.date == date(2026, 3, 2)


def test_expired_on_hand(book):
    exp = date(2026, 5, 31)
    path = book({"Receiving": [RECV, botox(exp=exp)],
                 "Treatments": [TREAT, visit(date(2026, 3, 4))]})
    r = reconcile_files([path])
    f = one(r, "EXPIRED_ON_HAND")
    assert f.severity == "warning"
    assert where(f)[:3] == ("clinic.xlsx", "Receiving", 2)
    assert f.date == exp
    assert f.quantity == 80
    assert lot_of(r, "C3709C3").status == "expired"


def test_expired_but_depleted_lot_is_not_on_hand(book):
    path = book({"Receiving": [RECV, botox(qty=20, exp=date(2026, 5, 31))],
                 "Treatments": [TREAT, visit(date(2026, 3, 4))]})
    r = reconcile_files([path])
    assert "EXPIRED_ON_HAND" not in codes(r)
    assert lot_of(r, "C3709C3").status == "depleted"


@pytest.mark.parametrize("days, expiring", [(0, True), (60, True), (61, False), (-1, False)])
def test_expiring_soon_window(book, days, expiring):
    exp = AS_OF + timedelta(days=days)
    path = book({"Receiving": [RECV, botox(exp=exp)]})
    r = reconcile_files([path])
    assert ("EXPIRING_SOON" in codes(r)) is expiring
    if expiring:
        f = one(r, "EXPIRING_SOON")
        assert f.severity == "info"
        assert where(f)[:3] == ("clinic.xlsx", "Receiving", 2)
        assert f.date == exp
        assert lot_of(r, "C3709C3").status == "expiring"
    if days == -1:
        assert "EXPIRED_ON_HAND" in codes(r)


def test_expiring_soon_window_is_an_option(book):
    path = book({"Receiving": [RECV, botox(exp=AS_OF + timedelta(days=80))]})
    assert "EXPIRING_SOON" in codes(reconcile_files([path], expiring_days=90))
    assert "EXPIRING_SOON" not in codes(reconcile_files([path]))


# --- ids, order, resilience -----------------------------------------------------------


def _problem_book(book, tmp_dir_name, extra_rows_above):
    return book({
        "Receiving": [RECV_REM] + extra_rows_above["Receiving"] + [
            botox() + [99], botox("H8821", cost=None, exp=date(2026, 5, 31)) + [None]],
        "Treatments": [TREAT] + extra_rows_above["Treatments"] + [
            visit(date(2026, 3, 4), lot="C3709C4"),
            visit(date(2026, 3, 5), lot=None, patient="P2"),
            visit(date(2026, 3, 6), patient="P3", units="many")],
    }, name=f"{tmp_dir_name}/clinic.xlsx")


def test_finding_ids_are_stable_when_unrelated_rows_are_inserted_above(book):
    plain = _problem_book(book, "a", {"Receiving": [], "Treatments": []})
    shifted = _problem_book(book, "b", {
        "Receiving": [["Xeomin", "X1", EXP, MAR1, 50, 5.0, 50]],
        "Treatments": [[date(2026, 3, 1), "P9", "Bea", "Xeomin", "X1", 0],
                       [], [date(2026, 3, 2), "P8", "Bea", "Xeomin", "X1", 0]]})
    a, b = reconcile_files([plain]), reconcile_files([shifted])
    ids_a = {(f.code, f.lot, f.date): f.id for f in a.findings}
    ids_b = {(f.code, f.lot, f.date): f.id for f in b.findings if f.product != "Xeomin"}
    assert len(ids_a) >= 6
    assert ids_a == ids_b
    rows_a = {f.id: f.source.row for f in a.findings}
    rows_b = {f.id: f.source.row for f in b.findings}
    assert any(rows_a[i] != rows_b[i] for i in ids_a.values())  # the rows did move
    assert len({f.id for f in a.findings}) == len(a.findings)


def test_findings_are_sorted_by_severity_file_sheet_row_code(book):
    inv = book({"Receiving": [RECV, botox(exp=AS_OF + timedelta(days=10), cost=None),
                              botox("H8821", exp=None)]}, name="a_inventory.xlsx")
    vis = book({"Treatments": [TREAT,
                               visit(date(2026, 3, 4), lot="ZZ999"),
                               visit(date(2026, 3, 4), lot="ZZ999"),
                               visit(date(2026, 3, 5), lot=None, units="x")],
                "Visits 2": [TREAT, visit(date(2026, 3, 6), lot=None)]}, name="b_visits.xlsx")
    r = reconcile_files([vis, inv])
    sev = {"error": 0, "warning": 1, "info": 2}
    keys = [(sev[f.severity.value], f.source.file, f.source.sheet or "", f.source.row or 0, f.code)
            for f in r.findings]
    assert keys == sorted(keys)
    assert len({k[0] for k in keys}) == 3  # errors, warnings and infos all present


def test_an_error_on_a_row_never_stops_the_run(book):
    path = book({"Receiving": [RECV, botox(), ["Botox", "H8821", "soon", MAR1, "lots", None]],
                 "Treatments": [TREAT, [None, None, None, "Botox", "?", None],
                                visit(date(2026, 3, 4))]})
    r = reconcile_files([path])
    assert lot_of(r, "C3709C3").used == 20
    assert r.summary.errors == sum(1 for f in r.findings if f.severity == "error") >= 3


def test_finding_fields(book):
    path = book({"Receiving": [RECV, botox(exp=date(2026, 3, 31))],
                 "Treatments": [TREAT, visit(date(2026, 4, 2), units=10)]})
    f = one(reconcile_files([path]), "EXPIRED_USE")
    assert (f.product, f.lot, f.location, f.date, f.quantity) == ("Botox", "C3709C3", None, date(2026, 4, 2), 10)
    assert f.message and "P1" not in f.message  # a manager's sentence, no patient name
    assert len(f.id) == 16


def test_an_adjustment_at_another_site_is_an_unlogged_transfer(book):
    path = book({"Receiving": [RECV + ["Location"], botox() + ["North"]],
                 "Waste": [["Date", "Product", "Lot", "Qty", "Type", "Location"],
                           [date(2026, 3, 5), "Botox", "C3709C3", 10, "spoiled", "South"]]})
    r = reconcile_files([path])
    f = one(r, "UNLOGGED_TRANSFER")
    assert (where(f), f.location) == (("clinic.xlsx", "Waste", 2, "Lot", "C2"), "South")
    assert lot_of(r, "C3709C3", "North").wasted == 10


def test_a_count_of_a_lot_known_only_at_another_site_is_unknown_lot(book):
    path = book({"Receiving": [RECV + ["Location"], botox() + ["North"]],
                 "Count": [["Date", "Product", "Lot", "Counted", "Location"],
                           [date(2026, 3, 31), "Botox", "C3709C3", 60, "South"]]})
    r = reconcile_files([path])
    assert where(one(r, "UNKNOWN_LOT")) == ("clinic.xlsx", "Count", 2, "Lot", "C2")
    lot = lot_of(r, "C3709C3", "North")
    assert (lot.count_variance, lot.derived_remaining) == (0, 100)
    assert [l.location for l in r.lots] == ["North"]


def test_adjustment_and_count_of_another_products_lot_take_nothing(book):
    path = book({"Receiving": [RECV, botox(), ["Juvederm Voluma", "VB123", EXP, MAR1, 2, 300]],
                 "Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                                 [date(2026, 3, 5), "Botox", "VB123", 1, "waste"]],
                 "Count": [COUNT, [date(2026, 3, 31), "Botox", "VB123", 0]]})
    r = reconcile_files([path])
    assert sorted(where(f)[1:4] for f in found(r, "LOT_PRODUCT_MISMATCH")) == [
        ("Adjustments", 2, "Lot"), ("Count", 2, "Lot")]
    vb = lot_of(r, "VB123")
    assert (vb.wasted, vb.count_variance, vb.derived_remaining) == (0, 0, 2)


def test_cost_conflict_compares_cost_per_unit_of_use(book):
    products = [["Product", "Unit", "Package Unit", "Units per Package"], ["Botox", "units", "vial", 100]]
    recv = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit", "Unit Cost"]
    same = book({"Products": products,
                 "Receiving": [recv, ["Botox", "C1", EXP, MAR1, 1, "vial", 612],
                               ["Botox", "C1", EXP, MAR1, 100, "units", 6.12]]}, name="same.xlsx")
    assert "COST_CONFLICT" not in codes(reconcile_files([same]))
    other = book({"Products": products,
                  "Receiving": [recv, ["Botox", "C1", EXP, MAR1, 1, "vial", 612],
                                ["Botox", "C1", EXP, MAR1, 100, "units", 612]]}, name="other.xlsx")
    assert where(one(reconcile_files([other]), "COST_CONFLICT"))[1:] == ("Receiving", 3, "Unit Cost", "G3")


def test_the_first_receipt_in_sheet_order_is_files_as_listed(book):
    a = book({"Receiving": [RECV, botox(cost=6)]}, name="a.xlsx")
    b = book({"Receiving": [RECV, botox(cost=7)]}, name="b.xlsx")
    assert where(one(reconcile_files([a, b]), "COST_CONFLICT"))[0] == "b.xlsx"
    assert where(one(reconcile_files([b, a]), "COST_CONFLICT"))[0] == "a.xlsx"


# --- finding ids: assign_ids made through the slots equals the dataclasses.replace version ---


def _ids_by_replace(findings):
    """assign_ids as it was written before (the reference): Counter and dataclasses.replace."""
    import hashlib
    from collections import Counter
    from dataclasses import replace
    seen: Counter[str] = Counter()
    out = []
    for f in findings:
        s = f.source
        content = "\x1f".join(map(str, (
            f.code, s.file.rsplit("/", 1)[-1], s.sheet, s.column, f.product, f.lot,
            f.location, f.date, f.quantity, f.identity)))
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
        seen[digest] += 1
        if seen[digest] > 1:
            digest = hashlib.sha256(f"{content}\x1f{seen[digest]}".encode()).hexdigest()[:16]
        out.append(replace(f, id=digest))
    return out


def test_finding_ids_equal_the_replace_reference_for_repeated_and_distinct_findings():
    from lotsync.findings import assign_ids, make_finding
    from lotsync.model import Source
    src = Source(file="/x/Visits.xlsx", sheet="Treatments", row=4, column="Lot", cell="E4")
    base = [make_finding("DUPLICATE_ENTRY", "twice", src, identity="abc", product="Botox",
                         lot="C1", location="Main", date=date(2026, 1, 2), quantity=Decimal("20"),
                         suggestion="Delete it"),
            make_finding("MISSING_COST", "no cost", src, value=Decimal("1.50"))]
    findings = base * 3 + [make_finding("EXPIRING_SOON", "soon", Source("a.csv", None, None, None, None))]
    got, want = assign_ids(findings), _ids_by_replace(findings)
    assert got == want
    assert [f.id for f in got] == [f.id for f in want]
    assert len({f.id for f in got}) == len(got)  # a pasted row's findings are told apart
    assert all(g.__class__ is w.__class__ and g.suggestion == w.suggestion for g, w in zip(got, want))


def test_finding_ids_on_the_demo_practice_equal_the_replace_reference(tmp_path):
    from dataclasses import replace
    from lotsync import pipeline
    from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
    from lotsync.findings import assign_ids
    from lotsync.reconcile import Options
    files = write_demo_practice(tmp_path / "demo")
    result, _ = pipeline.run([str(f) for f in files], Options(as_of=DEMO_AS_OF))
    blank = [replace(f, id="") for f in result.findings]
    assert len(blank) > 20
    assert assign_ids(blank) == _ids_by_replace(blank) == list(result.findings)


@pytest.mark.parametrize("first, code", [
    (visit(date(2026, 3, 4)), None),  # a common row: booked in the sweep's fast lane
    (visit(date(2026, 3, 4), lot="C1111C1"), "EXPIRED_USE"),  # the rest: handed to the reference
    (visit(date(2026, 2, 20)), "USE_BEFORE_RECEIPT"),
    (visit(date(2026, 3, 4), lot="C3709C8"), "FEFO_VIOLATION"),
])
def test_a_row_repeated_the_same_day_is_a_duplicate_whichever_booker_took_the_first(book, first, code):
    """The sweep adds a row's duplicate key before its last checks and takes it out again
    when the row goes to the reference booker: the repeat must still be the one flagged."""
    from lotsync import pipeline
    from lotsync.reconcile import Options, reconcile
    path = book({"Receiving": [RECV, botox(), botox(lot="C3709C8", exp=date(2027, 6, 30)),
                               botox(lot="C1111C1", exp=date(2026, 3, 2))],
                 "Treatments": [TREAT, first, list(first), visit(first[0], patient="P2")]})
    r = reconcile_files([path])
    assert [where(f)[2] for f in found(r, "DUPLICATE_ENTRY")] == [3]
    on_rows = {f.code for f in r.findings if f.source.sheet == "Treatments"} - {"DUPLICATE_ENTRY"}
    assert (code in on_rows) if code else not on_rows  # the first row took the path named
    _, loaded = pipeline.run([path], Options(as_of=AS_OF))
    ref = reconcile(loaded.practice, Options(as_of=AS_OF), loaded.inputs, loaded.findings,
                    reference=True)
    assert r.findings == ref.findings and r.lots == ref.lots and r.cogs == ref.cogs
