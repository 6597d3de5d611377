"""The period figures in one pass over the movements (issue 10) equal the figures of the
several passes they replaced (tests/periods_reference.py), on the demo practice for
every kind of range and on the edge the one pass handles apart: a visit row that took
nothing, has a finding, and is dated before every movement (it opens the first month)."""

from __future__ import annotations

from datetime import date

import pytest

from helpers import run_files, write_book
from lotsync.audit.periods import compute_periods
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
from periods_reference import reference_periods

RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit", "Unit Cost"]
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Qty", "Unit", "Price"]


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory):
    files = write_demo_practice(tmp_path_factory.mktemp("demo") / "practice")
    return run_files(files, as_of=DEMO_AS_OF, keep_movements=True)[0]


@pytest.mark.parametrize("date_from, date_to", [
    (None, None),                                  # the first dated event to as_of
    (date(2026, 3, 10), date(2026, 8, 20)),        # months cut at both ends
    (date(2026, 6, 1), date(2026, 6, 30)),         # one whole month
    (None, date(2026, 2, 14)),
    (date(2026, 10, 5), None),
    (date(2027, 1, 1), None),                      # after as_of: no month at all
])
def test_lean_periods_equal_the_reference_on_the_demo_practice(demo_result, date_from, date_to):
    lean = compute_periods(demo_result, date_from, date_to)
    assert lean == reference_periods(demo_result, date_from, date_to)


def test_the_demo_periods_have_rows_gaps_providers_and_supply(demo_result):
    p = compute_periods(demo_result)
    assert sum(m.visit_rows for m in p.months) == demo_result.summary.visit_rows
    assert sum(m.lot_gaps for m in p.months) > 0 and len(p.providers) > 1 and p.supply


@pytest.fixture(scope="module")
def early_row_result(tmp_path_factory):
    """A Dysport visit in December that no lot covers (UNKNOWN_LOT, nothing taken), before
    the first receipt; a Botox visit split by inference over two lots; a row with a lot
    of another product."""
    path = write_book(tmp_path_factory.mktemp("early") / "clinic.xlsx", {
        "Receiving": [RECV,
                      ["Botox", "EARLY1", date(2026, 9, 30), date(2026, 1, 15), 10, "units", 5],
                      ["Botox", "LATE22", date(2026, 12, 31), date(2026, 1, 15), 100, "units", 6],
                      ["Juvederm", "JV9", date(2026, 4, 30), date(2026, 2, 1), 10, "syringe", 300]],
        "Treatments": [TREAT,
                       [date(2025, 12, 3), "P0", "Cam", "Dysport", "D404", 30, "units", 500],
                       [date(2026, 1, 20), "P1", "Amy", "Botox", "N/A", 25, "units", 300],
                       [date(2026, 2, 10), "P2", "Ben", "Botox", "JV9", 5, "units", None],
                       [date(2026, 3, 2), "P3", "Amy", "Juvederm", "JV9", 2, "syringe", 1400]],
    })
    return run_files([path], as_of=date(2026, 6, 30), keep_movements=True)[0]


def test_a_row_with_a_finding_dated_before_every_movement_opens_the_first_month(early_row_result):
    lean = compute_periods(early_row_result)
    assert lean == reference_periods(early_row_result)
    assert lean.months[0].period == "2025-12" and lean.months[0].visit_rows == 1
    assert any(p.provider == "Cam" for p in lean.providers)


@pytest.mark.parametrize("date_from, date_to", [(date(2026, 1, 1), None), (None, date(2026, 1, 31))])
def test_lean_periods_equal_the_reference_around_the_early_row(early_row_result, date_from, date_to):
    assert compute_periods(early_row_result, date_from, date_to) == \
        reference_periods(early_row_result, date_from, date_to)
