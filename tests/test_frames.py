"""The consultant's frames (lotsync.frames, `Reconciliation.to_pandas`): every booked row,
exact decimals, dates as dates, categoricals, source cells, and masking.

The demo practice (a year of two locations, planted problems) is reconciled once through
the public API; the small cases are workbooks written inline.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

import lotsync
from helpers import AS_OF, D
from test_ledger_properties import AS_OF as LEDGER_AS_OF
from test_ledger_properties import practices as ledger_practices
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
from lotsync.frames import decimal_array
from lotsync.reconcile.result import Movement

MASK_KEY = "correct horse battery staple 42"
LEDGER_KINDS = {"received", "used", "wasted", "expired", "returned", "adjusted", "transfer_out",
                "transfer_in", "count"}


LOT_FIELDS = ("product", "lot", "location", "expiration", "unit", "unit_cost", "received", "used",
              "wasted", "expired_out", "returned", "adjusted", "transferred_in", "transferred_out",
              "count_variance", "used_inferred", "derived_remaining", "recorded_remaining",
              "variance", "status", "lot_key", "received_date", "created_by_transfer")
FINDING_FIELDS = ("id", "code", "message", "product", "lot", "location", "date", "quantity",
                  "value", "suggestion")


def same(frame_value, value) -> bool:
    """A frame cell holds exactly the Result's value (a missing one as NA)."""
    if value is None:
        return frame_value is None or pd.isna(frame_value)
    return type(frame_value) is type(value) and frame_value == value


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    files = [str(p) for p in write_demo_practice(tmp_path_factory.mktemp("demo") / "practice")]
    r = lotsync.reconcile(files, as_of=DEMO_AS_OF)
    return files, r, r.to_pandas()


# --- the movements identity -------------------------------------------------------------


def test_movements_of_every_demo_lot_add_up_to_its_derived_remaining_exactly(demo):
    _, r, f = demo
    mv, lots = f["movements"], f["lots"]
    key = ["product", "lot_key", "location"]
    sums = mv.groupby(key, observed=True)["quantity"].sum()
    remaining = lots.set_index(key)["derived_remaining"]
    assert len(remaining) == len(r.lots) == 68
    for k, derived in remaining.items():
        total = sums.get(k, Decimal(0))
        assert isinstance(total, Decimal) and total == derived, (k, total, derived)
    # and the value form: received value = COGS + waste + expired + returned - adjusted
    # - count variance + on hand, here as "the signed values of all movements = on-hand value"
    costed = mv[mv["value"].notna()]
    assert costed["value"].sum() == r.totals.on_hand_value == lots["on_hand_value"].sum()


def test_every_kind_of_booked_row_is_a_movement_with_its_date_lot_and_source(demo):
    _, r, f = demo
    mv = f["movements"]
    assert len(mv) == len(r.movements)
    assert set(mv["kind"].unique()) == LEDGER_KINDS  # the demo has every kind
    uses = mv[mv["kind"] == "used"]
    assert (uses["quantity"] < 0).all() and (mv[mv["kind"] == "received"]["quantity"] > 0).all()
    # a use's cost is minus its value; their sum is the report's exact COGS (negated in
    # Arrow: Python's `-Decimal` would round to its context's 28 digits)
    assert (-uses["value"]).sum() == r.totals.cogs
    assert uses["inferred"].sum() > 0 and uses["patient"].notna().all()
    assert mv["source_file"].notna().all() and mv["source_row"].notna().all()
    # the cell that holds the moved quantity, in the column a person sees
    first = mv.iloc[0]
    assert first["kind"] == "received" and first["source_column"] == "Qty Received"
    assert first["source_cell"] == f"E{first['source_row']}"
    counts = mv[mv["kind"] == "count"]
    assert counts["source_cell"].notna().all()
    # transfers come in pairs: out of one location, into another, same lot and quantity
    outs, ins = mv[mv["kind"] == "transfer_out"], mv[mv["kind"] == "transfer_in"]
    assert sorted(-outs["quantity"]) == sorted(ins["quantity"])
    assert set(outs["other_location"]) == set(ins["location"])


def test_frames_keep_their_meaning_decimals_dates_and_categoricals(demo):
    _, r, f = demo
    assert set(f) == {"lots", "movements", "findings", "visits"}
    lots, mv, fd, vs = f["lots"], f["movements"], f["findings"], f["visits"]
    for df, cols in ((lots, ["unit_cost", "received", "used", "derived_remaining", "on_hand_value"]),
                     (mv, ["quantity", "value", "unit_cost"]), (fd, ["quantity", "value"]),
                     (vs, ["cogs", "revenue", "margin", "estimated"])):
        for c in cols:
            assert pa.types.is_decimal128(df[c].dtype.pyarrow_dtype), (c, df[c].dtype)
    for df, c in ((lots, "expiration"), (mv, "date"), (fd, "date"), (vs, "date")):
        assert df[c].dtype == pd.ArrowDtype(pa.date32())
        assert isinstance(df[c].dropna().iloc[0], dt.date)
    for df, c in ((lots, "product"), (lots, "location"), (mv, "product"), (fd, "code"), (vs, "provider")):
        assert isinstance(df[c].dtype, pd.CategoricalDtype), c
    # one vocabulary per name: frames join on product without losing the type
    assert list(lots["product"].cat.categories) == list(mv["product"].cat.categories)
    joined = mv.merge(lots[["product", "lot_key", "location", "status"]], on=["product", "lot_key", "location"])
    assert isinstance(joined["product"].dtype, pd.CategoricalDtype) and len(joined) == len(mv)
    assert list(fd["severity"].cat.categories) == ["error", "warning", "info"] and fd["severity"].cat.ordered
    assert "FEFO_VIOLATION" in fd["code"].cat.categories and "USE_BEFORE_RECEIPT" in fd["code"].cat.categories
    # every row of report.json's lots, findings and by_visit, field for field
    assert len(lots) == len(r.lots) and len(fd) == len(r.findings) and len(vs) == len(r.cogs.by_visit)
    for l, row in zip(r.lots, lots.to_dict("records")):
        for name in LOT_FIELDS:
            assert same(row[name], getattr(l, name)), (l.lot, name)
        assert row["source_cell"] == l.source.cell and row["source_sheet"] == l.source.sheet
    for fnd, row in zip(r.findings, fd.to_dict("records")):
        for name in FINDING_FIELDS:
            assert same(row[name], getattr(fnd, name)), (fnd.code, name)
        assert row["severity"] == fnd.severity.value
        assert (row["source_file"], row["source_row"], row["source_cell"]) == \
            (fnd.source.file, fnd.source.row, fnd.source.cell)
    assert vs["cogs"].sum() == r.cogs.total
    # arithmetic between columns stays exact and in Arrow (no precision overflow)
    assert (vs["margin"].dropna() == (vs["revenue"] - vs["cogs"]).dropna()).all()
    costed = lots[lots["unit_cost"].notna()]
    assert (costed["on_hand_value"] == costed["derived_remaining"] * costed["unit_cost"]).all()


def test_a_cost_divided_by_a_package_keeps_all_its_digits(book):
    """$650 for a 3 mL syringe: 216.666…67 per mL (28 significant digits, the only
    rounding lotsync does); 2.5 mL of it, and the lot's on-hand value, stay exact."""
    path = book({
        "Products": [["Product", "Unit", "Package Unit", "Units per Package"],
                     ["Radiesse", "mL", "syringe", 3]],
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit", "Cost per Syringe"],
                      ["Radiesse", "R1", dt.date(2027, 1, 31), 2, "syringe", 650]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Qty", "Unit"],
                       [dt.date(2026, 3, 4), "P1", "Radiesse", "R1", 2.5, "mL"]],
    })
    r = lotsync.reconcile([path], as_of=AS_OF)
    f = r.to_pandas()
    lot = r.lots[0]
    assert lot.unit_cost == Decimal("216.6666666666666666666666667")
    use = f["movements"][f["movements"]["kind"] == "used"].iloc[0]
    # 2.5 x 216.6666666666666666666666667, all 29 digits (Python's own Decimal context
    # would round the product to 28)
    assert use["value"] == D("-541.66666666666666666666666675")
    assert f["lots"]["on_hand_value"].iloc[0] == D("758.33333333333333333333333345")
    assert f["visits"]["cogs"].iloc[0] == r.cogs.total == use["value"].copy_negate()


def test_decimal_columns_never_round_past_38_or_76_digits():
    small = decimal_array([D("1.5"), None, D("-12")])
    assert small.type == pa.decimal128(3, 1) and small.to_pylist() == [D("1.5"), None, D("-12.0")]
    assert decimal_array([None, None]).type == pa.decimal128(1, 0)
    wide = D("12345678901234.1234567890123456789012345678")  # 14 + 28 digits
    col = decimal_array([wide, D("1")])
    assert col.type == pa.decimal256(42, 28) and col.to_pylist()[0] == wide
    huge = D("1" * 60 + "." + "2" * 30)  # 90 digits: exact text, not a rounded number
    col = decimal_array([huge])
    assert col.type == pa.string() and D(col.to_pylist()[0]) == huge


def test_a_result_without_movements_is_refused_not_half_framed(book):
    from lotsync.frames import to_pandas
    from helpers import reconcile_files
    path = book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C1", 100]]})
    bare = reconcile_files([path])  # Options(keep_movements=False): no movements kept
    with pytest.raises(lotsync.CannotRun, match="keep_movements"):
        to_pandas(bare)


# --- masking --------------------------------------------------------------------------------


def test_masked_frames_hold_pseudonyms_and_no_patient_name(demo, monkeypatch):
    files, plain, _ = demo
    monkeypatch.setenv("LOTSYNC_MASK_KEY", MASK_KEY)
    masked = lotsync.reconcile(files, as_of=DEMO_AS_OF, mask_patients=True)
    assert masked.masked and not plain.masked
    f = masked.to_pandas()
    names = {v.patient for v in plain.cogs.by_visit if v.patient}
    assert len(names) > 100
    text = "\n".join(df.astype(str).to_csv() for df in f.values())
    leaked = [n for n in names if n in text]
    assert leaked == []
    assert f["visits"]["patient"].str.startswith("P-").all()
    assert f["movements"]["patient"].dropna().str.startswith("P-").all()
    # the same ledger: only identities change
    assert f["movements"]["quantity"].sum() == plain.to_pandas()["movements"]["quantity"].sum()


def test_movement_kinds_are_the_ledgers_own():
    """The frame's kinds are the ones booking records (Movement's docstring)."""
    assert LEDGER_KINDS == set(lotsync.frames.MOVEMENT_KINDS)
    assert all(k in (Movement.__doc__ or "") for k in LEDGER_KINDS)


@settings(max_examples=60)
@given(ledger_practices(), st.booleans())
def test_movements_add_up_to_every_lot_of_any_practice(practice, infer):
    """The identity on random ledgers (transfers, counts, typo'd and missing lots, package
    units, lots without a cost), not only on the demo's."""
    from lotsync.frames import to_pandas
    from lotsync.reconcile import Options, reconcile as reconcile_core
    r = reconcile_core(practice, Options(as_of=LEDGER_AS_OF, infer_lots=infer, keep_movements=True))
    if not r.lots:
        return
    f = to_pandas(r)
    mv, lots = f["movements"], f["lots"]
    sums = mv.groupby(["product", "lot_key", "location"], observed=True)["quantity"].sum()
    for (product, key, location), derived in lots.set_index(["product", "lot_key", "location"])[
            "derived_remaining"].items():
        assert sums.get((product, key, location), Decimal(0)) == derived
    assert mv["value"].sum() == r.totals.on_hand_value
    assert (-mv[mv["kind"] == "used"]["value"]).sum() == r.cogs.total
