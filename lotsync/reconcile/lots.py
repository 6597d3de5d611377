"""Lots and their receipts: identity, cost per unit of use, expiration (SPEC §2).

A lot is (product, lot key, location). Several inventory rows of one lot are several
receipts: their quantities and recorded remaining values add up, their costs are
averaged weighted by quantity, and a receipt whose cost per unit of use differs from the
first receipt's that has a cost (in sheet order) by more than $0.005 is a COST_CONFLICT
(a receipt with no cost states no price: it can neither conflict nor hide a conflict).

Costs are exact: a cost per package is divided by units per package once, rounded to
28 significant digits (the only rounding lotsync does: $650 for a 3 mL syringe has no
exact decimal per mL); every value computed from it afterwards is exact, because the
ledger runs in a Decimal context wide enough (`LEDGER_CONTEXT`) that no sum or product
of such numbers is ever rounded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal

from lotsync.model import InventoryRow, RowRef

#: Where a division happens (cost per unit of use, weighted means): 28 significant digits.
DIVISION = Context(prec=28)
#: Everything else: wide enough that sums and products of ledger numbers are exact.
LEDGER_CONTEXT = Context(prec=90)
ZERO = Decimal(0)
NO_DATE_ORD = 1  # date.min: "a lot with no received_date is received before every other event"
COST_TOLERANCE = Decimal("0.005")


class Lot:
    """A lot's running state during booking; frozen into a `LotResult` afterwards."""

    __slots__ = (
        "product_key", "product", "lot", "lot_key", "location", "expiration", "unit", "cost",
        "first_received", "first_received_ord", "first_ref", "received", "used", "wasted",
        "expired_out", "returned", "adjusted", "transferred_in", "transferred_out",
        "count_variance", "used_inferred", "balance", "recorded_remaining", "remaining_ref",
        "created_by_transfer", "fefo_group", "fefo_pos", "cur_day", "prev_neg", "last_taker",
    )

    def __init__(self, product_key: str, product: str, lot: str, lot_key: str, location: str,
                 expiration: dt.date | None, unit: str | None, cost: Decimal | None,
                 first_received: dt.date | None, first_ref: RowRef | None,
                 created_by_transfer: bool = False) -> None:
        self.product_key = product_key
        self.product = product
        self.lot = lot
        self.lot_key = lot_key
        self.location = location
        self.expiration = expiration
        self.unit = unit
        self.cost = cost
        self.first_received = first_received
        self.first_received_ord = first_received.toordinal() if first_received else NO_DATE_ORD
        self.first_ref = first_ref
        self.received = self.used = self.wasted = self.expired_out = self.returned = ZERO
        self.adjusted = self.transferred_in = self.transferred_out = ZERO
        self.count_variance = self.used_inferred = self.balance = ZERO
        self.recorded_remaining: Decimal | None = None
        self.remaining_ref: RowRef | None = None
        self.created_by_transfer = created_by_transfer
        self.fefo_group = None
        self.fefo_pos = -1
        self.cur_day: int | None = None
        self.prev_neg = False
        self.last_taker: RowRef | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.product_key, self.lot_key, self.location)


class Receipt:
    """One inventory row converted to units of use."""

    __slots__ = ("row", "quantity", "cost", "remaining", "date_ord")

    def __init__(self, row: InventoryRow, factor: Decimal, cost_factor: Decimal | None) -> None:
        """`factor`: units of use in the row's unit; `cost_factor`: in what its unit cost
        is per (the same, unless the cost header names a package)."""
        self.row = row
        self.quantity = LEDGER_CONTEXT.multiply(row.quantity, factor)
        self.cost = cost_per_use(row, cost_factor, self.quantity)
        self.remaining = (LEDGER_CONTEXT.multiply(row.remaining, factor)
                          if row.remaining is not None else None)
        self.date_ord = row.received_date.toordinal() if row.received_date else NO_DATE_ORD


def cost_per_use(row: InventoryRow, cost_factor: Decimal | None, qty_use: Decimal) -> Decimal | None:
    """Cost of one unit of use: `unit_cost` is per the row's unit, or per the package its
    header names (`cost_factor`: units of use in what the cost is per; None when that
    cannot be converted, and then only a total cost can give the cost); `total_cost` is
    for the row's whole quantity (SPEC §1)."""
    if row.unit_cost is not None and cost_factor is not None:
        return DIVISION.divide(row.unit_cost, cost_factor) if cost_factor != 1 else row.unit_cost
    if row.total_cost is not None and qty_use > 0:
        return DIVISION.divide(row.total_cost, qty_use)
    return None


def weighted_cost(receipts: list[Receipt]) -> Decimal | None:
    """The quantity-weighted mean cost per unit of use of the receipts that have a cost."""
    costed = [r for r in receipts if r.cost is not None]
    if not costed:
        return None
    if len({r.cost for r in costed}) == 1:
        return costed[0].cost
    qty = sum((r.quantity for r in costed), ZERO)
    if qty == 0:
        return costed[0].cost
    value = sum((LEDGER_CONTEXT.multiply(r.quantity, r.cost) for r in costed), ZERO)
    return DIVISION.divide(value, qty)
