"""A visit log whose date column is named for the visit (`Appointment`, `Visit`) and holds
dates, beside a record's `Created` time stamp: the visit is dated by its appointment, not by
when the row was written (detect6's time-stamp rule is for a log with no date of its own)."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import run_files, write_book


@pytest.mark.parametrize("date_header", ["Appointment", "Visit"])
def test_visit_log_is_dated_by_its_dated_visit_column_not_its_created_stamp(tmp_path, date_header):
    received = write_book(tmp_path / "receiving.xlsx", {"Receiving": [
        ["Date Received", "Product", "Lot #", "Qty Received", "Expiration", "Unit Cost"],
        [dt.date(2026, 1, 5), "Botox", "C1234", 10, dt.date(2027, 1, 31), 300],
    ]})
    appointments = [dt.date(2026, 3, d) for d in (2, 9, 16, 23)]
    created = dt.datetime(2026, 4, 30, 17, 45)  # the rows were typed in at month end
    visits = write_book(tmp_path / "visits.xlsx", {"Treatments": [
        [date_header, "Patient", "Product", "Lot #", "Units", "Created"],
        *[[d, f"Patient {i}", "Botox", "C1234", 20, created] for i, d in enumerate(appointments)],
    ]})
    result, loaded = run_files([received, visits])
    visit_table = next(i for i in result.inputs if i.kind == "visits")
    assert visit_table.columns["date"] == date_header
    assert sorted(v.date for v in loaded.practice.visits) == appointments
