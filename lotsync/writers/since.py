"""What changed since the last run, as the reports show it first (nightly runs).

Built once from the run history's record and the result, then rendered by the terminal,
HTML and xlsx writers alike: the new findings, the resolved ones and a trend of the
totals across runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from lotsync.model import Source


class TrendPoint(Protocol):
    """One run's totals, as the run history gives them (`lotsync.nightly.history.TrendPoint`).
    Named by what it holds, not imported: the writers never import lotsync.nightly."""
    run_id: int
    as_of: str
    cogs: Decimal | None
    on_hand_value: Decimal | None
    expired_on_hand_value: Decimal | None
    open_errors: int


@dataclass(frozen=True)
class SinceRow:
    code: str
    severity: str
    product: str | None
    lot: str | None
    where: str


@dataclass(frozen=True)
class SinceLastRun:
    run_id: int
    previous_run_id: int | None
    inputs_unchanged: bool
    new: tuple[SinceRow, ...]
    resolved: tuple[SinceRow, ...]
    trend: tuple[TrendPoint, ...]

    @property
    def headline(self) -> str:
        if self.previous_run_id is None:
            return f"Run {self.run_id}: the first in this history; every finding is new."
        text = (f"Since run {self.previous_run_id}: {len(self.new)} new finding(s), "
                f"{len(self.resolved)} resolved.")
        if self.inputs_unchanged:
            text += " The inputs are unchanged."
        return text


def _where(file: str | None, sheet: str | None, cell: str | None, row: int | None) -> str:
    return Source(file or "", sheet, row, None, cell).where


def build_since(result, record, trend) -> SinceLastRun:
    """From the Result, the history's RunRecord and its trend points."""
    by_id = {f.id: f for f in result.findings}
    new = []
    for i in record.new:
        f = by_id.get(i)
        if f is not None:
            s = f.source
            new.append(SinceRow(f.code, f.severity.value, f.product, f.lot, s.where))
    resolved = [SinceRow(p.code, p.severity, p.product, p.lot, _where(p.file, p.sheet, p.cell, p.row))
                for p in record.resolved_findings]
    return SinceLastRun(record.run_id, record.previous_run_id, record.inputs_unchanged,
                        tuple(new), tuple(resolved), tuple(trend))
