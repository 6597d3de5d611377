"""Honest about doubt (issue 9): a sheet that matches no kind is named for the kind it is
nearest, so its note and its closest columns help the person fix it.

The nearest kind is the one it lacks the fewest required fields of, then the one whose own
fields it has (a patient: a visit log). Before detect5 the kind with the most required
fields present won, which favoured the kinds that require many (a waste log requires five):
a visit log without its quantity column was called a waste log lacking a quantity and a
type, and `Patient` was offered as the closest column for the type.
"""

from __future__ import annotations

import datetime as dt

from lotsync.model import Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table
from lotsync.tables.mapping import Mapping


def _detect(name: str, rows: list[list]):
    return detect_table(RawSheet(file=name, sheet=None, rows=rows), Mapping())


def test_a_visit_log_without_its_quantity_column_is_named_a_visit_log_missing_its_quantity():
    rows = [["Date", "Patient", "Product", "Lot #", "Popped"]] + [
        [dt.date(2026, 1, 2 + i), f"Client {i}", "Botox", "C123A4", 20 + i] for i in range(6)]
    det = _detect("log.csv", rows)
    assert det.kind is None
    assert det.note.startswith("looks like visits:") and "no quantity column" in det.note
    assert "type" not in det.note and "Patient" not in det.note
    assert det.closest == {"quantity": ("Popped",)}


def test_a_receiving_log_without_its_quantity_column_is_still_named_a_receiving_log():
    rows = [["Product", "Lot", "Expiration", "Boxes"]] + [
        ["Botox", f"C12{i}A4", dt.date(2027, 1, 1), 2] for i in range(6)]
    det = _detect("sheet.csv", rows)
    assert det.kind is None
    assert det.note.startswith("looks like inventory:") and "no quantity column" in det.note
    assert det.closest["quantity"][0] == "Boxes"
    assert _detect("sheet.csv", [["Product", "Lot", "Expiration", "Qty"]] + [r[:3] + [2] for r in rows[1:]]).kind \
        is Kind.INVENTORY
