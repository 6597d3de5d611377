"""The ten-second summary a person reads after a run (stdout), and nothing with PHI.

It names no patient: findings are shown by code, product, lot and cell.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lotsync.reconcile.result import Result


def money(v: Decimal) -> str:
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v).quantize(Decimal('0.01')):,}"


def top_findings(r: Result, n: int = 5):
    """The n findings with the largest dollar value (ties: severity, then report order)."""
    valued = [f for f in r.findings if f.value is not None and f.value != 0]
    valued.sort(key=lambda f: (-abs(f.value), f.severity.rank))
    return valued[:n]


def print_summary(r: Result, out_dir: Path | None, console: Console | None = None,
                  extra_lines: list[str] | None = None) -> None:
    c = console or Console()
    s, t = r.summary, r.totals
    c.print(f"[bold]lotsync[/bold] — as of {r.as_of.isoformat()}: {s.lots} lots, "
            f"{s.visit_rows:,} visit rows ({s.visits:,} visits)")
    c.print(f"Findings: [red]{s.errors} errors[/red], [yellow]{s.warnings} warnings[/yellow], "
            f"{s.infos} info")
    c.print(f"COGS {money(t.cogs)}"
            + (f" (+ {money(t.cogs_estimated)} estimated)" if t.cogs_estimated else "")
            + f" · on hand {money(t.on_hand_value)} · expired on hand {money(t.expired_on_hand_value)}"
            + f" · expiring soon {money(t.expiring_value)}")
    top = top_findings(r)
    if top:
        tb = Table(title="Most costly findings", show_lines=False, title_justify="left")
        for col in ("code", "product", "lot", "value", "where"):
            tb.add_column(col, justify="right" if col == "value" else "left")
        for f in top:
            tb.add_row(f.code, f.product or "", f.lot or "", money(f.value), f.source.where)
        c.print(tb)
    if s.findings_by_code:
        c.print("By code: " + ", ".join(f"{k} {v}" for k, v in s.findings_by_code.items()))
    for line in extra_lines or []:
        c.print(line)
    if out_dir is not None:
        c.print(f"Report: {out_dir / 'report.json'}")
