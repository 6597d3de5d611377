"""What a reconcile writes back into a clinic's Google Sheets (with --write-back).

The same plan as the corrected workbooks (`corrected.plan_corrections`: Remaining values
split over a lot's receipts, lot repairs only when asked), turned into cell changes per
spreadsheet, plus the `lotsync findings` and `lotsync summary` tabs. One renderer of the
one result: nothing here decides anything the other outputs do not.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpyxl.utils.cell import get_column_letter

from lotsync.reconcile.result import Result
from lotsync.writers.corrected import plan_corrections
from lotsync.writers.gsheets_writeback import CellChange
from lotsync.writers.terminal import money

FINDINGS_HEADER = ["Severity", "Code", "Message", "Product", "Lot", "Location", "Date", "Quantity",
                   "Value", "Suggestion", "Where", "Id"]


def _cell(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    return v


def plan_sheet_changes(result: Result, loaded, apply_lot_repairs: bool = False) -> dict[str, list[CellChange]]:
    """{spreadsheet id: the cells to change}, for every Google Sheets source."""
    out: dict[str, list[CellChange]] = {}
    for file, plan in plan_corrections(result, loaded, apply_lot_repairs).items():
        if not file.startswith("gsheet://"):
            continue
        sid = file.removeprefix("gsheet://").split("/", 1)[0]
        changes = [CellChange(tab=e.sheet or "", a1=f"{get_column_letter(e.col)}{e.row}",
                              old=e.old, new=_cell(e.new), note=e.comment)
                   for e in plan.edits]
        out[sid] = changes
    return out


def findings_table(result: Result) -> list[list[Any]]:
    rows: list[list[Any]] = [FINDINGS_HEADER]
    for f in result.findings:
        s = f.source
        where = s.where
        rows.append([f.severity.value, f.code, f.message, f.product, f.lot, f.location,
                     f.date.isoformat() if f.date else None, _cell(f.quantity), _cell(f.value),
                     f.suggestion, where, f.id])
    return rows


def summary_table(result: Result) -> list[list[Any]]:
    t, s = result.totals, result.summary
    return [
        ["lotsync summary", f"as of {result.as_of.isoformat()}"],
        ["Lots", s.lots], ["Visit rows", s.visit_rows], ["Visits", s.visits],
        ["Errors", s.errors], ["Warnings", s.warnings], ["Info", s.infos],
        ["COGS", money(t.cogs)], ["COGS, estimated", money(t.cogs_estimated)],
        ["Received value", money(t.received_value)], ["On-hand value", money(t.on_hand_value)],
        ["Expired, still on hand", money(t.expired_on_hand_value)],
        ["Expiring soon", money(t.expiring_value)], ["Waste", money(t.waste_value)],
        ["Expired, written off", money(t.expired_value)],
        *[[code, n] for code, n in s.findings_by_code.items()],
    ]
