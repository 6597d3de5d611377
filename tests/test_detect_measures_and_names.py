"""Issue 9, the last real files (detect5), on spellings written for the rules, not taken from them:

- a unit of mass or volume names an amount measured in it, a quantity (`green_kg`,
  `Qty (kg)`, `mL`), unless it is what a rate is per (`Cost per mL`) or a measure of the
  product (`Weight (kg)`, `Volume (mL)`, `Strength (mg)`);
- a variety, strain or cultivar is what a lot is of: the product, as a weak guess, when no
  column names the product;
- a thing's name names it as its noun does (`store_name`, `Drug Name`), so a name column beats
  the reference id beside it (`store_id | store_name`).
"""

from __future__ import annotations

import pytest

from helpers import columns_by_field, detect_rows
from lotsync.model import Kind
from lotsync.tables.detect import read_column

I, V, C, P = Kind.INVENTORY, Kind.VISITS, Kind.COUNTS, Kind.PRODUCTS

CASES = [
    # an amount in a unit of mass or volume is a quantity
    ("green_kg", I, "quantity"), ("Qty (kg)", I, "quantity"), ("Net kg", I, "quantity"),
    ("Kilos recibidos", I, "quantity"), ("lbs_received", I, "quantity"), ("mL", V, "quantity"),
    ("mL Used", V, "quantity"), ("Grams used", V, "quantity"), ("Remaining (mL)", I, "remaining"),
    ("Counted (g)", C, "counted"), ("Unit (mL)", I, "unit"),
    # ... but not what a price is per, nor the product's own measure
    ("Cost per mL", I, "unit_cost"), ("price_usd_per_kg", I, "unit_cost"), ("Price/mL", I, "unit_cost"),
    ("Weight (kg)", I, None), ("Volume (mL)", I, None), ("Strength (mg)", I, None), ("Peso (kg)", I, None),
    ("mg/mL", I, None),
    # a variety, strain or cultivar is what a lot is of
    ("variety", I, "product"), ("Strain", I, "product"), ("Cultivar", I, "product"),
    # a thing's name names it
    ("store_name", I, "location"), ("Drug Name", V, "product"), ("Doctor Name", V, "provider"),
    ("Warehouse Name", I, "location"),
]


@pytest.mark.parametrize("header,kind,field", CASES, ids=[f"{k.value}:{h}" for h, k, _ in CASES])
def test_a_measured_amount_a_variety_and_a_name_are_read_as_a_person_reads_them(header, kind, field):
    g = read_column(header, kind, count_table=True)
    assert (g.field if g else None) == field


def _detect(rows: list[list]) -> object:
    return detect_rows(rows, file="lots.csv")


_columns = columns_by_field


COFFEE = [["lot_id", "farm_id", "variety", "process", "harvest_date", "green_kg", "cupping_score",
           "price_usd_per_kg"]] + [
    [f"L0{100 + i}", f"F0{10 + i % 4}", ["Caturra", "Bourbon", "Geisha", "Typica"][i % 4],
     ["washed", "natural", "honey"][i % 3], f"2023-0{4 + i % 5}-1{i % 9}", 100 + 37 * i,
     round(82 + i * 0.3, 2), round(4.5 + i * 0.25, 2)] for i in range(12)]


def test_a_coffee_lot_log_is_a_receiving_log_of_its_varieties_in_kilograms():
    det = _detect(COFFEE)
    assert det.kind is Kind.INVENTORY
    cols = _columns(det)
    assert (cols["product"], cols["lot"], cols["quantity"]) == ("variety", "lot_id", "green_kg")
    assert cols.get("unit_cost") == "price_usd_per_kg"
    # the variety as the product is a guess, and `check` says so
    assert [r.field for r in det.weak] == ["product"]


def test_a_product_column_beats_a_variety_column():
    rows = [["Product", "Variety", "Lot", "Qty (kg)"]] + [
        [f"Green coffee {i % 3}", ["Caturra", "Geisha"][i % 2], f"L{100 + i}", 50 + i] for i in range(6)]
    cols = _columns(_detect(rows))
    assert (cols["product"], cols["quantity"]) == ("Product", "Qty (kg)")


def test_a_weight_column_is_no_quantity_beside_the_quantity():
    rows = [["Product", "Lot", "Qty", "Weight (kg)"]] + [
        [f"Filler {i % 3}", f"L{100 + i}", 2 + i, 0.25] for i in range(6)]
    cols = _columns(_detect(rows))
    assert cols["quantity"] == "Qty" and "Weight (kg)" not in cols.values()


def test_a_store_name_is_the_location_and_the_store_id_beside_it_is_left():
    head = ["batch_id", "sku_name", "store_id", "store_name", "expiry_date", "on_hand_qty"]
    body = [[f"BAT-0{10 + i}", "Toned Milk 1L", f"ST0{i % 3}", ["Northside", "Lakeview", "Central"][i % 3],
             f"2026-07-2{i % 7}", 20 + i] for i in range(9)]
    det = _detect([head] + body)
    assert det.kind is Kind.INVENTORY
    assert _columns(det)["location"] == "store_name"
    assert "store_id" in det.unused
    # with no name column the reference is still read as the location
    alone = _detect([[h for h in head if h != "store_name"]] + [r[:3] + r[4:] for r in body])
    assert _columns(alone)["location"] == "store_id"
