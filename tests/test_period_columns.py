"""The period figures from the ledger's compact columns (issue 10, fourth pass: the numpy
group-bys, and the one pass over the columns' records a small ledger takes) equal, digit
for digit, the one pass over `Movement`s (periods._compute, the fallback) and the several
passes before it (tests/periods_reference.py): on the demo practice for every kind of
range, on the hand-built period practices, on random event streams (both bookings), and
on the quantities the columns cannot scale (the Decimal side path). And the reconcile
command's run keeps no `Movement` unless an output reads them."""

from __future__ import annotations

import dataclasses
import json
import datetime as dt
from datetime import date
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import run_files, write_book
from lotsync.audit import periods as periods_mod
from lotsync.audit.periods import compute_from_columns, compute_periods
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
from lotsync.model import TableInput
from lotsync.nightly.run import NightlyRun
from lotsync.reconcile import Options, reconcile
from lotsync.reconcile.ledger import NOT_SCALED, LedgerColumns
from lotsync.reconcile.lots import LEDGER_CONTEXT
from periods_reference import reference_periods
from test_ledger_properties import START, T_VISITS, practices
from test_periods import PRACTICE


def one_pass(result, date_from=None, date_to=None):
    """The figures by the one pass over the result's Movements (no columns: the result has
    movements, which win, and this takes away its ledger as well)."""
    return compute_periods(dataclasses.replace(result, ledger=None), date_from, date_to)


def assert_all_three_agree(result, date_from=None, date_to=None):
    assert result.ledger is not None
    with localcontext(LEDGER_CONTEXT):
        cols = compute_from_columns(result, date_from, date_to)  # the group-bys (numpy)
    ref = reference_periods(result, date_from, date_to)
    # equal Decimals can differ in digits (30.0 and 30.00): report.json prints the digits
    assert cols == ref and repr(cols) == repr(ref)
    # a small ledger: the one pass over the columns' records (no numpy)
    assert len(result.ledger) < periods_mod.NUMPY_FROM
    assert repr(compute_periods(dataclasses.replace(result, movements=()), date_from, date_to)) == repr(ref)
    if result.movements or not result.lots:  # else the one pass refuses: nothing to sum
        assert repr(cols) == repr(one_pass(result, date_from, date_to))
    return cols


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory):
    files = write_demo_practice(tmp_path_factory.mktemp("demo") / "practice")
    return run_files(files, as_of=DEMO_AS_OF, keep_movements=True, keep_ledger=True)[0]


@pytest.mark.parametrize("date_from, date_to", [
    (None, None),
    (date(2026, 3, 10), date(2026, 8, 20)),
    (date(2026, 6, 1), date(2026, 6, 30)),
    (None, date(2026, 2, 14)),
    (date(2026, 10, 5), None),
    (date(2027, 1, 1), None),
])
def test_period_figures_from_columns_equal_the_one_pass_and_the_reference_on_the_demo(
        demo_result, date_from, date_to):
    p = assert_all_three_agree(demo_result, date_from, date_to)
    if date_from is None and date_to is None:
        assert sum(m.visit_rows for m in p.months) == demo_result.summary.visit_rows
        assert sum(m.lot_gaps for m in p.months) > 0 and len(p.providers) > 1 and p.supply


def test_the_demo_ledger_holds_one_column_entry_per_used_movement(demo_result):
    used = [m for m in demo_result.movements if m.kind == "used"]
    ledger = demo_result.ledger
    assert len(ledger) == len(used)
    assert len(ledger.other) == len(demo_result.movements) - len(used)
    with_digits = [(str(ledger.quantity(i)), ledger.lots[ledger.lot[i]][:2], ledger.day[i])
                   for i in range(len(ledger))]
    assert with_digits == [(str(m.quantity), (m.product, m.location), m.date.toordinal()) for m in used]


@pytest.fixture(scope="module")
def period_practice(tmp_path_factory):
    """tests/test_periods.py's practice (a FEFO violation, a missing and an unknown lot,
    waste, an expiry and a count with shrinkage), plus a visit dated before every movement
    that took nothing (UNKNOWN_LOT of a product with no lot), and the unknown lot's row
    without a provider."""
    treatments = [list(r) for r in PRACTICE["Treatments"]]
    treatments.insert(1, [date(2025, 12, 3), "P0", "Cam", "Dysport", "D404", 30, "units", 500])
    unknown = next(r for r in treatments if r[1] == "P5")
    unknown[2] = None
    return write_book(tmp_path_factory.mktemp("periods") / "clinic.xlsx",
                      {**PRACTICE, "Treatments": treatments})


@pytest.mark.parametrize("date_from, date_to", [
    (None, None), (date(2026, 1, 1), None), (None, date(2026, 1, 31)),
    (date(2026, 2, 11), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30)),
])
def test_period_figures_from_columns_equal_the_one_pass_on_the_period_practice(
        period_practice, date_from, date_to):
    r = run_files([period_practice], as_of=date(2026, 6, 30), keep_movements=True, keep_ledger=True)[0]
    p = assert_all_three_agree(r, date_from, date_to)
    if date_from is None and date_to is None:
        assert p.months[0].period == "2025-12" and p.months[0].visit_rows == 1
        assert {v.provider for v in p.providers} >= {"Cam", "Amy", "Ben", periods_mod.NO_PROVIDER}
        assert sum(m.shrinkage_value for m in p.months) == Decimal(10)


def test_a_ledger_alone_gives_the_period_figures_a_movements_result_gives(period_practice):
    lean = run_files([period_practice], as_of=date(2026, 6, 30), keep_ledger=True)[0]
    full = run_files([period_practice], as_of=date(2026, 6, 30), keep_movements=True)[0]
    assert lean.movements == () and full.ledger is None
    assert repr(compute_periods(lean)) == repr(compute_periods(full))


def test_a_result_whose_movements_were_replaced_is_figured_from_them_not_from_its_ledger(period_practice):
    """As the books journal does: a location's movements alone, in a copy of the result
    that still carries the whole ledger's columns."""
    r = run_files([period_practice], as_of=date(2026, 6, 30), keep_movements=True, keep_ledger=True)[0]
    juvederm = tuple(m for m in r.movements if m.product == "Juvederm")
    sub = dataclasses.replace(r, movements=juvederm, lots=(), findings=())
    cogs = sum(m.cogs for m in compute_periods(sub).months)
    assert cogs == Decimal(600) and cogs != sum(m.cogs for m in compute_periods(r).months)


INPUTS = (TableInput(file=T_VISITS.file, sheet=T_VISITS.sheet, kind="visits", header_row=1,
                     rows_read=0, rows_skipped=0, rows_after_as_of=0),)
ranges = st.sampled_from([(None, None), (START + dt.timedelta(days=9), None),
                          (None, START + dt.timedelta(days=15)),
                          (START + dt.timedelta(days=3), START + dt.timedelta(days=20))])


@settings(max_examples=120, deadline=None)
@given(practices(), st.booleans(), st.booleans(), ranges)
def test_period_figures_from_columns_equal_the_one_pass_on_random_event_streams(practice, infer,
                                                                               reference, rng):
    opts = Options(as_of=START + dt.timedelta(days=29), infer_lots=infer, keep_movements=True,
                   keep_ledger=True)
    r = reconcile(practice, opts, INPUTS, reference=reference)
    assert_all_three_agree(r, *rng)


#: quantities the columns cannot scale (more than six decimals, |q x 10**6| >= 2**31), or
#: whose digits a sum must keep (a positive exponent: 2E+1 is twenty, and 0 + 2E+1 is 20)
ODD = [Decimal("0.0000001"), Decimal("3000"), Decimal("2E+1"), Decimal("1.50"), Decimal("12.3456789")]


@settings(max_examples=60, deadline=None)
@given(practices(), st.lists(st.sampled_from(ODD), min_size=1, max_size=14), ranges)
def test_quantities_the_columns_cannot_scale_take_the_decimal_side_path(practice, qs, rng):
    visits = tuple(dataclasses.replace(v, quantity=qs[i % len(qs)]) for i, v in enumerate(practice.visits))
    practice = dataclasses.replace(practice, visits=visits)
    opts = Options(as_of=START + dt.timedelta(days=29), keep_movements=True, keep_ledger=True)
    r = reconcile(practice, opts, INPUTS)
    assert_all_three_agree(r, *rng)


def test_the_side_path_keeps_the_decimal_and_the_columns_keep_the_exponent():
    class FakeLot:  # what LedgerColumns reads of a booking's Lot
        product, location, cost = "Botox", "North", Decimal("1.50")

    ledger = LedgerColumns()
    lot = FakeLot()
    qs = [Decimal("2E+1"), Decimal("20"), Decimal("20.00"), Decimal("0.0000001"), Decimal("3000"),
          Decimal("-2.5")]
    with localcontext(LEDGER_CONTEXT):
        for q in qs:
            ledger.used(lot, date(2026, 1, 2), q, None, "Amy")
    assert [str(ledger.quantity(i)) for i in range(len(qs))] == [str(q) for q in qs]
    assert [i for i, c in enumerate(ledger.qc) if c == NOT_SCALED] == [3, 4]
    assert list(ledger.table) == [-1] * len(qs) and ledger.lots == [("Botox", "North", Decimal("1.50"))]


# --- the reconcile command's run ----------------------------------------------------------


def _run(practice_path, out, outputs, movements):
    run = NightlyRun.prepare(None, {"sources": [str(practice_path)], "as_of": "2026-06-30",
                                    "out": str(out), "history": False, "outputs": outputs})
    return run.execute(movements=movements).result, run.outcome


def test_the_reconcile_commands_run_keeps_no_movements_and_reports_the_same_periods(period_practice, tmp_path):
    lean, lean_outcome = _run(period_practice, tmp_path / "lean", ["json"], movements=False)
    full, full_outcome = _run(period_practice, tmp_path / "full", ["json"], movements=True)
    assert lean.movements == () and lean.ledger is not None and full.movements
    assert lean_outcome.periods == full_outcome.periods
    assert _report(tmp_path / "lean") == _report(tmp_path / "full")


def _report(out) -> dict:
    report = json.loads((out / "report.json").read_text())
    report.pop("generated_at", None)
    return report


def test_parquet_output_still_gets_the_movements(period_practice, tmp_path):
    result, _ = _run(period_practice, tmp_path / "pq", ["json", "parquet"], movements=False)
    assert result.movements and (tmp_path / "pq" / "parquet" / "movements.parquet").exists()
