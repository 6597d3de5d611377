"""Period figures as (headers, rows) tables, for the xlsx and HTML reports.

`lotsync.audit.periods` computes the figures; the writers lay them out. These functions
take its `Periods` by what it holds (months, quarters, years, providers, supply), not by
importing it, because the core (writers included) never imports lotsync.audit: audit sits
above the core and may import it, never the other way round.
"""

from __future__ import annotations

from typing import Any

PERIOD_HEADERS = ["Period", "From", "To", "COGS", "Revenue", "Margin", "Received value",
                  "Waste value", "Waste share", "Expired value", "Expired share", "Shrinkage value",
                  "Opening value", "Closing value", "Visit rows", "Lot gaps", "Traceability",
                  "FEFO violations", "FEFO compliance"]


def period_table(p: Any, kinds=("month", "quarter", "year")) -> tuple[list[str], list[list]]:
    """(headers, rows) for an xlsx/HTML table: shares are fractions (format as %)."""
    rows = [[f.period, f.start, f.end, f.cogs, f.revenue, f.margin, f.received_value, f.waste_value,
             f.waste_share, f.expired_value, f.expired_share, f.shrinkage_value, f.opening_value,
             f.closing_value, f.visit_rows, f.lot_gaps, f.traceability, f.fefo_violations,
             f.fefo_compliance]
            for f in (*p.months, *p.quarters, *p.years) if f.kind in kinds]
    return PERIOD_HEADERS, rows


def provider_table(p: Any) -> tuple[list[str], list[list]]:
    """(headers, rows): one row per provider and product (units), with the provider's gaps;
    a provider with no units still gets one row."""
    headers = ["Provider", "Product", "Units", "Visit rows", "Lot gaps", "Share of all lot gaps",
               "Lot gap rate", "FEFO violations", "Share of all FEFO violations"]
    rows = []
    for v in p.providers:
        for i, u in enumerate(v.units or (None,)):
            product = u.product if u is not None else ""
            head = [v.visit_rows, v.lot_gaps, v.lot_gap_share, v.lot_gap_rate, v.fefo_violations,
                    v.fefo_share] if i == 0 else [None] * 6
            rows.append([v.provider, product or None, u.quantity if product else None] + head)
    return headers, rows


def supply_table(p: Any) -> tuple[list[str], list[list]]:
    headers = ["Product", "Unit", "Usable on hand", f"Used, last {p.supply_window_days} days",
               "Daily use", "Days of supply (projection)", "Quantity at risk (projection)",
               "Value at risk of expiring before use (projection)"]
    return headers, [[s.product, s.unit, s.on_hand, s.used_in_window, s.daily_use, s.days_of_supply,
                      s.quantity_at_risk, s.value_at_risk] for s in p.supply]
